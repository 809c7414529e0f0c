"""People on a shared server: users with hashed tokens, the owner of saved graphs and
runs (NULL for rows made before), and single-use WebSocket tickets.

Revision ID: 0002_people
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_people"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "socket_tickets",
        sa.Column("ticket_hash", sa.String(64), primary_key=True),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_socket_tickets_expires_at", "socket_tickets", ["expires_at"])
    op.add_column("graphs", sa.Column("owner", sa.String(100), nullable=True))
    op.add_column("runs", sa.Column("owner", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("owner")
    with op.batch_alter_table("graphs") as graphs:
        graphs.drop_column("owner")
    op.drop_index("ix_socket_tickets_expires_at", "socket_tickets")
    op.drop_table("socket_tickets")
    op.drop_table("users")
