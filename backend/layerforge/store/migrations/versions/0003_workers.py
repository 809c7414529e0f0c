"""Workers of a team server (heartbeats: host, devices, current runs) and how many times
a worker took each run (a run whose worker vanished before its first batch is queued
again once).

Revision ID: 0003_workers
Revises: 0002_people
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_workers"
down_revision = "0002_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("devices", sa.JSON(), nullable=False),
        sa.Column("run_ids", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_workers_last_seen", "workers", ["last_seen"])
    op.add_column("runs", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("attempts")
    op.drop_index("ix_workers_last_seen", "workers")
    op.drop_table("workers")
