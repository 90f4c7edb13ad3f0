"""note drafts: a draft is a reply's or an internal note's (#17)

- ``draft.kind``: "reply" or "note". A note the agent is writing is kept in the store like
  a reply, so another session or a restart brings it back on ``n``. One draft per
  conversation, agent and kind: the unique constraint grows by ``kind``.

The table is rebuilt (a new one, rows copied as replies, the old one dropped): an
unnamed unique constraint cannot be dropped by name on SQLite. Drafts are referenced by
nothing, so their ids are not kept (the new table's own sequence numbers them).

Revision ID: 0012
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"  # insight (customer clock)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(name: str, with_kind: bool) -> None:
    columns = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    ]
    unique = ["conversation_id", "agent_id"]
    if with_kind:
        columns.append(
            sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False)
        )
        unique.append("kind")
    op.create_table(
        name,
        *columns,
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*unique),
    )


def _swap(with_kind: bool, copy: str) -> None:
    _create("draft_rebuilt", with_kind)
    op.execute(copy)
    op.drop_table("draft")
    op.rename_table("draft_rebuilt", "draft")
    op.create_index(op.f("ix_draft_conversation_id"), "draft", ["conversation_id"])
    op.create_index(op.f("ix_draft_agent_id"), "draft", ["agent_id"])


def upgrade() -> None:
    _swap(
        True,
        "INSERT INTO draft_rebuilt (conversation_id, agent_id, body, updated_at, kind) "
        "SELECT conversation_id, agent_id, body, updated_at, 'reply' FROM draft",
    )


def downgrade() -> None:
    _swap(
        False,
        "INSERT INTO draft_rebuilt (conversation_id, agent_id, body, updated_at) "
        "SELECT conversation_id, agent_id, body, updated_at FROM draft WHERE kind = 'reply'",
    )
