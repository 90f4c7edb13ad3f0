"""mentions: agents named with @username in internal notes (#21)

Revision ID: 0007
Revises: 0006

Self-contained (one new table), so it can be re-chained after other revisions without
change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"  # embeddings
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("by_agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["by_agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "agent_id"),
    )
    op.create_index(op.f("ix_mention_message_id"), "mention", ["message_id"])
    op.create_index("ix_mention_agent_read", "mention", ["agent_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_mention_agent_read", table_name="mention")
    op.drop_index(op.f("ix_mention_message_id"), table_name="mention")
    op.drop_table("mention")
