"""`validate_graph`: every problem of a graph at once, with shapes and parameter counts
from Keras itself; `model_summary`: the rows of `model.summary()` for a valid graph."""

from __future__ import annotations

from typing import Any

from layerforge.graph.checks import cache
from layerforge.graph.checks.cost import GraphCost, add_costs
from layerforge.graph.checks.findings import Findings
from layerforge.graph.checks.fixes import add_fixes, needs_fixes
from layerforge.graph.checks.report import (
    BuildSummary,
    Inbound,
    NodeReport,
    SummaryLayer,
    SummaryOutput,
    ValidationReport,
)
from layerforge.graph.checks.shapes import Validator
from layerforge.graph.checks.static import static_findings
from layerforge.graph.limits import DEFAULT_LIMITS, GraphLimits
from layerforge.graph.problems import GraphError
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.topology import (
    GraphIndex,
    ModelType,
    choose_model_type,
    layer_names,
    output_name,
    reaching,
    topological_order,
)

_SIZE_CODES = ("too_large", "too_deep")


def validate_graph(
    graph: Graph, limits: GraphLimits = DEFAULT_LIMITS, *, fixes: bool = True
) -> ValidationReport:
    """The body of `POST /api/graphs/validate` (see DESIGN.md), with checked fixes on the
    problems that have one (only computed when there are such problems, and `fixes`).

    The report of a graph just checked is kept (`cache.REPORTS`): one edit in the editor
    asks for the validation, the data set check and the memory estimate of the same
    graph, and the last two reuse it (as does a move of nodes on the canvas). Callers
    read the report, never change it."""
    findings = Findings()
    key = (_graph_key(graph, findings), limits.model_dump_json())
    kept: tuple[ValidationReport, bool] | None = cache.REPORTS.get(key)
    if kept is not None and (kept[1] or not fixes):
        return kept[0]
    report = _check(graph, limits, findings)
    if fixes and needs_fixes(report):
        add_fixes(graph, report, lambda fixed: _check(fixed, limits), findings.index(graph))
    cache.REPORTS.put(key, (report, fixes))
    return report


def _graph_key(graph: Graph, findings: Findings) -> tuple[Any, ...]:
    """Everything a report depends on, from the node texts the checks read anyway
    (`Findings.key`: type, params, inner, trainable): each node's id, name, sharing and
    call flags, the edges, the sub-graphs, the model type. Not the layout, which never
    changes what is checked."""
    return (
        graph.name,
        graph.model_type,
        tuple(
            (n.id, n.name, n.shared_with, repr(n.call_params), findings.key(n)) for n in graph.nodes
        ),
        tuple((e.id, e.source, e.source_port, e.target, e.target_port) for e in graph.edges),
        tuple((name, _graph_key(sub, findings)) for name, sub in graph.subgraphs.items()),
    )


def _check(graph: Graph, limits: GraphLimits, findings: Findings | None = None) -> ValidationReport:
    findings = static_findings(graph, limits, findings or Findings())
    if any(p.code in _SIZE_CODES for p in findings.errors):
        return _answer(findings, {}, None, None)  # too big to look at node by node
    validator = Validator(findings)
    index = validator.level(graph, [graph], "")
    nodes = validator.nodes
    used = index.used()
    total = sum(nodes[n].params for n in used if n in nodes)
    if total > limits.params:
        biggest = max(used, key=lambda n: nodes[n].params if n in nodes else 0)
        findings.error(
            biggest,
            "too_large",
            f"The model has {total:,} parameters; the limit "
            f"is {limits.params:,} (this node holds {nodes[biggest].params:,})",
        )
    for problem in findings.warnings:
        if problem.node in nodes:
            validator.own_entry(problem.node).warnings.append(problem)
    for problem in findings.errors:
        if problem.node in nodes:
            entry = validator.own_entry(problem.node)
            entry.errors.append(problem)
            entry.status = "error"
    cost = add_costs(graph, nodes, findings.index, validator.costed)
    valid = not findings.errors
    model_type = choose_model_type(index) if valid else None
    return _answer(findings, nodes, model_type, total if valid else None, cost if valid else None)


def _answer(
    findings: Findings,
    nodes: dict[str, NodeReport],
    model_type: ModelType | None,
    total: int | None,
    cost: GraphCost | None = None,
) -> ValidationReport:
    return ValidationReport.model_construct(
        valid=not findings.errors,
        model_type=model_type,
        total_params=total,
        total_macs=cost.macs if cost else None,
        total_activation_bytes=cost.activation_bytes if cost else None,
        macs_uncounted=cost.uncounted if cost else [],
        errors=findings.errors,
        warnings=findings.warnings,
        nodes=nodes,
    )


def model_summary(graph: Graph, limits: GraphLimits = DEFAULT_LIMITS) -> BuildSummary:
    """Like `model.summary()`: one row per layer call (shared layers once per call
    site), with output shapes, parameters and inbound connections; the body of
    `POST /api/models/build`. Raises GraphError for an invalid graph."""
    report = validate_graph(graph, limits)
    if not report.valid:
        raise GraphError(report.errors)
    index = GraphIndex.of(graph)
    names = layer_names(index)
    order, _ = topological_order(index)
    used = reaching(index, [o.id for o in index.outputs()])
    calls: dict[str, int] = {}
    rows = []
    trainable = non_trainable = 0
    for nid in order:
        node = index.by_id[nid]
        if node.type == "Output" or nid not in used:
            continue
        info = report.nodes[nid]
        owner = node.shared_with or nid
        calls[owner] = calls.get(owner, -1) + 1
        trainable += info.trainable_params
        non_trainable += info.non_trainable_params
        rows.append(
            SummaryLayer(
                node=nid,
                name=names.get(owner),
                type=_type_label(node if not node.shared_with else index.by_id[owner]),
                output_shapes=info.output_shapes,
                params=info.params,
                trainable_params=info.trainable_params,
                shared_with=node.shared_with,
                call_index=calls[owner],
                weights_shared_with=info.weights_shared_with,
                inbound=[
                    Inbound(node=e.source, port=e.source_port, target_port=port)
                    for port in sorted(index.in_edges[nid])
                    for e in index.in_edges[nid][port]
                ],
            )
        )
    return BuildSummary(
        model_type=report.model_type,
        total_params=report.total_params,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        total_macs=report.total_macs,
        layers=rows,
        outputs=[
            SummaryOutput(
                node=o.id, name=output_name(o), output_shapes=report.nodes[o.id].output_shapes
            )
            for o in index.outputs()
        ],
        warnings=report.warnings,
    )


def _type_label(layer: Node | InnerLayer) -> str:
    """`Dense`, `Model(encoder)`, `TimeDistributed(Model(vision))`."""
    if layer.type == "Model":
        return f"Model({layer.params.get('subgraph')})"
    if layer.inner is not None:
        return f"{layer.type}({_type_label(layer.inner)})"
    return layer.type
