"""Artifact files written whole or not at all: each is written beside its final name
and renamed into place, and a write that fails (a full disk) leaves nothing behind, so
a run folder never holds half a `model.keras`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_whole(path: Path, write: Callable[[Path], None]) -> None:
    """`write(tmp)` to a temporary name in the same folder (same suffix: Keras checks
    it), then rename it to `path`; on any failure the temporary file is removed."""
    tmp = path.with_name(f".{path.stem}.writing{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_model(model: Any, path: Path) -> None:
    write_whole(path, lambda tmp: model.save(tmp))


def write_text(path: Path, text: str) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text)

    write_whole(path, write)
