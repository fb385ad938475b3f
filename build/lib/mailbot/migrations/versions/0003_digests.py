"""The monthly package: when it was compiled, its contents and state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:11:01.785521
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("compiled_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("messages", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_digests")),
    )


def downgrade() -> None:
    op.drop_table("digests")
