"""Request bodies shared by the routers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from layerforge.graph.schema import Graph, migrate


def _migrated(value: Any) -> Any:
    """Upgrade an older `schema_version` before validating (a ValueError names the version)."""
    return migrate(dict(value)) if isinstance(value, dict) else value


GraphIn = Annotated[Graph, BeforeValidator(_migrated)]


class GraphRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn
