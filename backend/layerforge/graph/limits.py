"""The caps graph code enforces, passed in as an argument (settings' `Limits` is one)."""

from __future__ import annotations

from pydantic import BaseModel


class GraphLimits(BaseModel):
    """Caps on what a client may send; each breach is a problem naming the cap.

    `layerforge.settings.Limits` extends this with the `LAYERFORGE_LIMIT_*` variables,
    so the defaults here are the server's defaults."""

    request_bytes: int = 8 * 1024 * 1024
    upload_bytes: int = 200 * 1024 * 1024
    keras_file_bytes: int = 16 * 1024**3
    """A `.keras` file to import: only its config.json is read (and capped at
    `request_bytes`), so VGG16's 528 MB of weights pass."""
    nodes: int = 2000
    nesting_depth: int = 8
    params: int = 500_000_000


DEFAULT_LIMITS = GraphLimits()
