"""SQLAlchemy tables: saved graphs with versions, runs, their events, data sets, people
and their WebSocket tickets, workers, weight sets. A change here needs an Alembic revision (store/migrations)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite gives naive ones back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class SavedGraph(Base):
    __tablename__ = "graphs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)  # a person's name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GraphVersion(Base):
    __tablename__ = "graph_versions"
    __table_args__ = (UniqueConstraint("graph_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    graph_id: Mapped[str] = mapped_column(ForeignKey("graphs.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    graph: Mapped[dict[str, Any]] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    saved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)  # a person's name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


RunStatus = Literal["queued", "starting", "running", "succeeded", "failed", "cancelled"]
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
"""In the order a run moves through them; the terminal ones last (events/run_state.py)."""
ACTIVE_STATUSES: frozenset[RunStatus] = frozenset({"starting", "running"})
TERMINAL_STATUSES: frozenset[RunStatus] = frozenset({"succeeded", "failed", "cancelled"})


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    status: Mapped[RunStatus] = mapped_column(String(16), index=True, default="queued")
    graph: Mapped[dict[str, Any]] = mapped_column(JSON)
    graph_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    graph_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dataset: Mapped[dict[str, Any]] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times a worker took it
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)  # a person's name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RunEvent(Base):
    __tablename__ = "run_events"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "npz" | "csv"
    filename: Mapped[str] = mapped_column(String(200))  # server-chosen, under data_dir
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)  # a person's name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """A person with a token of their own (`layerforge users add`); only its hash is kept."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SocketTicket(Base):
    """A short-lived, single-use ticket a browser opens a WebSocket with. Kept in the
    database so any API replica accepts it; only its hash is kept."""

    __tablename__ = "socket_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person: Mapped[str] = mapped_column(String(100))
    admin: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Worker(Base):
    """A `layerforge worker` process: its devices and current run, as of its last
    heartbeat. A worker silent longer than `worker_lost_s` is gone."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    devices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    run_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # one per busy slot
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WeightSet(Base):
    """Trained weights kept as a `.keras` file (architecture and weights), stored once:
    its id is the SHA-256 of the file it came from (an upload, or a pretrained model)."""

    __tablename__ = "weight_sets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # the uploaded file's name, for people
    source: Mapped[str] = mapped_column(String(16))  # "keras" | "weights.h5" | "application"
    filename: Mapped[str] = mapped_column(String(200))  # server-chosen, under data_dir/weights
    bytes: Mapped[int] = mapped_column(BigInteger)
    layers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)  # a person's name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
