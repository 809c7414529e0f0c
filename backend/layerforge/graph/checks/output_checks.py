"""Checks of a level's Output nodes, without Keras: a loss to train with, and a loss
reading logits (`from_logits`) after an activation that already squashed them."""

from __future__ import annotations

from layerforge.graph.catalogue.losses_metrics import LOSSES_TAKING_LOGITS
from layerforge.graph.checks.findings import Findings
from layerforge.graph.checks.layer_checks import check_node
from layerforge.graph.checks.level import Level
from layerforge.graph.schema import Graph
from layerforge.graph.topology import GraphIndex, output_name

_LOGIT_ACTIVATIONS = {"softmax", "sigmoid", "log_softmax"}


def check_outputs(level: Level) -> None:
    f = level.findings
    for out in level.index.outputs():
        if not out.params.get("loss") and not level.prefix:
            message = f"Output {output_name(out)!r} has no loss; training needs one"
            f.warn(level.nid(out.id), "no_loss", message, "loss")
        if not out.params.get("from_logits"):
            continue
        loss = out.params.get("loss")
        if loss and loss not in LOSSES_TAKING_LOGITS:
            f.warn(
                level.nid(out.id),
                "from_logits_ignored",
                f"The loss {loss!r} does not read logits; from_logits is ignored",
                "from_logits",
            )
        for edges in level.index.in_edges.get(out.id, {}).values():
            source = level.layer_of(level.index.by_id[edges[0].source])
            act = source.params.get("activation")
            if source.type in ("Softmax",) or act in _LOGIT_ACTIVATIONS:
                f.warn(
                    level.nid(source.id),
                    "activation_with_logits",
                    f"{act or 'softmax'} before a loss with from_logits=True: the "
                    "loss expects raw logits",
                    "activation",
                )


def output_findings(graph: Graph, node_id: str, index: GraphIndex | None = None) -> Findings:
    """What a top-level graph's checks find that an Output node's params can change: the
    node's parameter checks and the loss and logits warnings. Nothing else reads them
    (an Output has nothing downstream and its call only passes its inputs on), so a fix
    that only sets an Output's params is judged by these alone (`fixes`)."""
    f = Findings()
    level = Level(graph, [graph], "", f, index or f.index(graph))
    check_node(level, level.index.by_id[node_id])
    check_outputs(level)
    return f
