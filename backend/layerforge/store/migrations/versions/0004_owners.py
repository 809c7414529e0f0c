"""Owners everywhere on a shared server: who uploaded each data set, and who saved each
version of a graph (NULL for rows made before).

Revision ID: 0004_owners
Revises: 0003_workers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_owners"
down_revision = "0003_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("datasets", sa.Column("owner", sa.String(100), nullable=True))
    op.add_column("graph_versions", sa.Column("saved_by", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("graph_versions") as versions:
        versions.drop_column("saved_by")
    with op.batch_alter_table("datasets") as datasets:
        datasets.drop_column("owner")
