"""stats aggregates: stat_conversation and stat_event, backfilled from the event log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:30:00

Self-contained (it only adds two derived tables and fills them), so it can be re-chained
after other revisions without change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stat_conversation",
        sa.Column("conversation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_message_us", sa.BigInteger(), nullable=True),
        sa.Column("first_response_us", sa.BigInteger(), nullable=True),
        sa.Column("first_responder_id", sa.Integer(), nullable=True),
        sa.Column("last_closed_us", sa.BigInteger(), nullable=True),
        sa.Column("last_closer_id", sa.Integer(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    with op.batch_alter_table("stat_conversation", schema=None) as batch_op:
        batch_op.create_index("ix_stat_conversation_first", ["first_message_us"], unique=False)
        batch_op.create_index("ix_stat_conversation_closed", ["last_closed_us"], unique=False)

    op.create_table(
        "stat_event",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("t_us", sa.BigInteger(), nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=True),
        sa.Column("rating", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("stat_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stat_event_kind_t",
            ["kind", "t_us", "agent_id", "conversation_id", "duration_us"],
            unique=False,
        )
        batch_op.create_index("ix_stat_event_conversation", ["conversation_id"], unique=False)

    from inbox_tui.store.aggregates import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("stat_event")
    op.drop_table("stat_conversation")
