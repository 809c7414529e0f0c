"""Weight sets: trained weights imported from a `.keras` or `.weights.h5` file or a
pretrained keras.applications model, stored once by content hash.

Revision ID: 0005_weight_sets
Revises: 0004_owners
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_weight_sets"
down_revision = "0004_owners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "weight_sets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("weight_sets")
