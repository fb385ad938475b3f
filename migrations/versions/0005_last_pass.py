"""When the last ingestion pass completed (last_poll_at is when one started).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
# Branch `faults` alone has no 0004 (the web UI's migration, merged separately): until
# it lands, this points at 0003. When merging, set it to "0004".
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox_state") as batch:
        batch.add_column(sa.Column("last_pass_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailbox_state") as batch:
        batch.drop_column("last_pass_at")
