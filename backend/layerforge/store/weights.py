"""Queries on weight sets (table `weight_sets`) and where their files live: one `.keras`
file per set, `data_dir/weights/<id>.keras`, so a trainer finds a set by its id alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from layerforge.store.models import WeightSet

WEIGHTS_DIR = "weights"


def weights_dir(data_dir: Path) -> Path:
    return data_dir / WEIGHTS_DIR


def weights_file(data_dir: Path, weight_id: str) -> Path:
    return weights_dir(data_dir) / f"{weight_id}.keras"


def list_weight_sets(session: Session) -> list[WeightSet]:
    return list(session.scalars(select(WeightSet).order_by(WeightSet.created_at, WeightSet.id)))


def get_weight_set(session: Session, weight_id: str) -> WeightSet | None:
    return session.get(WeightSet, weight_id)


def add_weight_set(
    session: Session,
    *,
    weight_id: str,
    name: str,
    source: str,
    size: int,
    layers: list[dict[str, Any]],
    owner: str | None,
) -> WeightSet:
    record = WeightSet(
        id=weight_id,
        name=name,
        source=source,
        filename=f"{weight_id}.keras",
        bytes=size,
        layers=layers,
        owner=owner,
    )
    session.add(record)
    session.flush()
    return record


def delete_weight_set(session: Session, record: WeightSet) -> None:
    session.delete(record)
    session.flush()
