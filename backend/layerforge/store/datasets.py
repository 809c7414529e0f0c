"""Queries on uploaded data sets (table `datasets`).

`data_dir` selects the store of another data folder (the trainer is handed one);
None means the server's own settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from layerforge.settings import Settings, get_settings
from layerforge.store.db import make_engine, session_scope
from layerforge.store.models import Base, Dataset


@lru_cache(maxsize=4)
def _factory_for(url: str) -> sessionmaker[Session]:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def _session(data_dir: Path | None) -> Iterator[Session]:
    if data_dir is None or Path(data_dir).resolve() == get_settings().data_dir.resolve():
        with session_scope() as s:
            yield s
        return
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    session = _factory_for(Settings(data_dir=Path(data_dir)).db_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def list_datasets(data_dir: Path | None = None) -> list[Dataset]:
    with _session(data_dir) as s:
        return list(s.scalars(select(Dataset).order_by(Dataset.created_at)))


def get_dataset(name: str, data_dir: Path | None = None) -> Dataset | None:
    with _session(data_dir) as s:
        return s.scalars(select(Dataset).where(Dataset.name == name)).first()


def add_dataset(*, name: str, kind: str, filename: str, meta: dict[str, Any],
                data_dir: Path | None = None) -> Dataset:
    with _session(data_dir) as s:
        record = Dataset(name=name, kind=kind, filename=filename, meta=meta)
        s.add(record)
        s.flush()
        return record


def delete_dataset(name: str, data_dir: Path | None = None) -> bool:
    with _session(data_dir) as s:
        record = s.scalars(select(Dataset).where(Dataset.name == name)).first()
        if record is None:
            return False
        s.delete(record)
        return True
