"""The graph contract: what the editor draws and the server builds.

Meaning and layout are separate: `Graph.layout` (positions, collapsed groups, any
editor state) never changes what is built. Node ids are stable; names are labels
(used as the Keras layer name when given).

- An edge is stored once, at port level: (source, source_port) -> (target, target_port).
- `Input` nodes carry shape, dtype and an optional fixed batch size; `Output` nodes
  name a model output and carry its loss, loss weight and metrics.
- A shared layer is one layer with several call sites: the first node owns the layer
  (type and params), every other call site is a node with `shared_with` set to the
  owner's id. Call order follows the order of the nodes list (Keras's node_index).
- A sub-graph is defined once under `Graph.subgraphs` and used by nodes of type
  `Model` with `params.subgraph` naming it; every use of one definition shares its
  weights, as calling one Keras model twice does. Its input ports are its Input
  nodes in order, its output ports its Output nodes in order.
- Wrappers (`TimeDistributed`, `Bidirectional`) carry the wrapped layer in `inner`,
  which may itself be a `Model` use of a sub-graph.
- A layer's tensor call arguments are input ports after its positional ones
  (`initial_state_h`, `mask`, `attention_mask`: see `ports.py`); its flag arguments
  (`use_causal_mask`) are the node's `call_params`, per call site.
- An `Op` node calls one allowlisted `keras.ops` function: `params.function` names it,
  its other params are the function's non-tensor arguments (see `catalogue/keras_ops.py`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

NodeId = str
ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


class _Strict(BaseModel):
    """Unknown keys refused, scalars strict (`"trainable": "no"` is an error, not False)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class InnerLayer(_Strict):
    """The layer a wrapper node wraps (a plain layer or a `Model` use of a sub-graph)."""

    type: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=128)
    params: dict[str, Any] = Field(default_factory=dict)
    inner: InnerLayer | None = None


class Node(_Strict):
    id: NodeId = Field(pattern=ID_PATTERN)
    type: str = Field(
        min_length=1,
        max_length=64,
        description="A layer type from GET /api/layers, or Input, Output, Model.",
    )
    name: str | None = Field(default=None, max_length=128, description="Label and Keras name.")
    params: dict[str, Any] = Field(default_factory=dict)
    shared_with: NodeId | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="Id of the node that owns this layer: this node is another call of it.",
    )
    inner: InnerLayer | None = Field(
        default=None, description="The wrapped layer, for TimeDistributed and Bidirectional."
    )
    call_params: dict[str, Any] = Field(
        default_factory=dict,
        description="Flag arguments of this call of the layer (use_causal_mask).",
    )
    trainable: bool = True


class Edge(_Strict):
    id: str | None = Field(default=None, max_length=200)
    source: NodeId = Field(pattern=ID_PATTERN)
    source_port: int = Field(default=0, ge=0, le=1024)
    target: NodeId = Field(pattern=ID_PATTERN)
    target_port: int = Field(default=0, ge=0, le=1024)


class Graph(_Strict):
    schema_version: int = Field(
        default=SCHEMA_VERSION,
        ge=1,
        le=SCHEMA_VERSION,
        description="Older versions are upgraded on read; newer ones are refused.",
    )
    name: str | None = Field(default=None, max_length=200)
    model_type: Literal["auto", "sequential", "functional"] = Field(
        default="auto",
        description="auto: Sequential when one chain with nothing shared, else Functional.",
    )
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    subgraphs: dict[str, Graph] = Field(
        default_factory=dict, description="Sub-graph definitions, used by `Model` nodes."
    )
    layout: dict[str, Any] = Field(
        default_factory=dict,
        description="Editor state (positions, viewport, groups): never changes the model.",
    )

    def node(self, node_id: str) -> Node | None:
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None


MIGRATIONS: dict[int, Any] = {}
"""schema_version -> function(dict) -> dict upgrading a graph one version."""


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a graph dict up to SCHEMA_VERSION (no-op for the current version)."""
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
        raise ValueError(
            f"schema_version {version!r} is not supported (this server reads 1..{SCHEMA_VERSION})"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["schema_version"] = version
    return data


def parse_graph(data: dict[str, Any]) -> Graph:
    """Validate a graph dict (after migrations) into a `Graph`; raises pydantic errors."""
    return Graph.model_validate(migrate(dict(data)))


def graph_json_schema() -> dict[str, Any]:
    return Graph.model_json_schema()
