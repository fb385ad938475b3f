"""The ledger: messages, attachments, mailbox state, learned and bouncing addresses.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 09:18:04.793037
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_state",
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_poll_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("folder", name=op.f("pk_mailbox_state")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("raw_sha256", sa.String(length=64), nullable=True),
        sa.Column("raw_size", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("from_addr", sa.String(length=320), nullable=True),
        sa.Column("from_name", sa.String(length=998), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("folder", "uidvalidity", "uid", name="uq_messages_identity"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_content", ["raw_sha256", "message_id"], unique=False)
        batch_op.create_index("ix_messages_disposition", ["disposition"], unique=False)
        batch_op.create_index("ix_messages_period", ["period", "disposition"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("from_forward", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message"],
            ["messages.id"],
            name=op.f("fk_attachments_message_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("message", "position", name="uq_attachments_position"),
    )
    op.create_table(
        "bouncing_addresses",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_message", sa.Integer(), nullable=True),
        sa.Column("diagnostic", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_message"],
            ["messages.id"],
            name=op.f("fk_bouncing_addresses_last_message_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_bouncing_addresses")),
    )
    op.create_table(
        "learned_addresses",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("source_message", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_message"],
            ["messages.id"],
            name=op.f("fk_learned_addresses_source_message_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_learned_addresses")),
    )


def downgrade() -> None:
    op.drop_table("learned_addresses")
    op.drop_table("bouncing_addresses")
    op.drop_table("attachments")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_period")
        batch_op.drop_index("ix_messages_disposition")
        batch_op.drop_index("ix_messages_content")

    op.drop_table("messages")
    op.drop_table("mailbox_state")
