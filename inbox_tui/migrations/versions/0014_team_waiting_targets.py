"""conversation.waiting_since (stored, indexed) and per-conversation response targets (#21)

Revision ID: 0014
Revises: 0016 (main's head when written; the lead re-chains it at merge if needed)

- ``waiting_since``: since when the conversation waits for a reply, kept from the one
  definition (``store/waiting.py``) at every commit that changes the conversation, so
  the "Needs reply, oldest first" view and the response-target searches read a column
  with an index instead of computing it from the messages on every query (0.3-0.4 s a
  page at 50,000 conversations). Backfilled here from that definition.
- ``target_first`` / ``target_next``: response targets a rule set for this
  conversation alone (``then.target``), in seconds; NULL: the config's apply.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0016"  # FTS5 automerge (main's head)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(
            sa.Column("waiting_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("target_first", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("target_next", sa.Integer(), nullable=True))
    op.create_index("ix_conversation_waiting", "conversation", ["waiting_since", "id"])
    from inbox_tui.store.waiting import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_conversation_waiting", "conversation")
    # Dropped in place (SQLite >= 3.35): a batch would copy ``conversation`` and drop the
    # original, which every table referencing it refuses while foreign keys are on.
    for name in ("target_next", "target_first", "waiting_since"):
        op.drop_column("conversation", name)
