"""drafts, saved views' scope, what undo needs in the event log

- ``draft``: the reply an agent is writing, one per conversation and agent, so a
  restart, another session or a crash keeps it (services/drafts.py).
- ``savedsearch.scope``: the view a search was saved in. Existing saved searches were
  shown over every conversation, so they get "all" and look as they did.
- ``event.batch`` / ``event.undoes``: the agent action an event belongs to (a bulk
  action is one batch), and on the events an undo records, the batch they revert
  (services/undo.py). Nullable columns: adding them rewrites no rows on either database.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "agent_id"),
    )
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_conversation_id"), ["conversation_id"])
        batch_op.create_index(batch_op.f("ix_draft_agent_id"), ["agent_id"])

    op.add_column(
        "savedsearch",
        sa.Column(
            "scope",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=False,
            server_default="all",
        ),
    )
    op.add_column(
        "event", sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
    )
    op.add_column(
        "event", sa.Column("undoes", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
    )
    op.create_index(op.f("ix_event_batch"), "event", ["batch"])
    op.create_index(op.f("ix_event_undoes"), "event", ["undoes"])


def downgrade() -> None:
    op.drop_index(op.f("ix_event_undoes"), table_name="event")
    op.drop_index(op.f("ix_event_batch"), table_name="event")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("undoes")
        batch_op.drop_column("batch")
    with op.batch_alter_table("savedsearch", schema=None) as batch_op:
        batch_op.drop_column("scope")
    op.drop_table("draft")
