"""Queries on uploaded data sets (table `datasets`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from layerforge.store.models import Dataset


def list_datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(select(Dataset).order_by(Dataset.created_at, Dataset.name)))


def get_dataset(session: Session, name: str) -> Dataset | None:
    return session.scalars(select(Dataset).where(Dataset.name == name)).first()


def add_dataset(
    session: Session, *, name: str, kind: str, filename: str, meta: dict[str, Any]
) -> Dataset:
    record = Dataset(name=name, kind=kind, filename=filename, meta=meta)
    session.add(record)
    session.flush()
    return record


def delete_dataset(session: Session, name: str) -> bool:
    record = get_dataset(session, name)
    if record is None:
        return False
    session.delete(record)
    session.flush()
    return True
