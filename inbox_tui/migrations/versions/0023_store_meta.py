"""store_meta: facts about the store itself (a demo store says so)

A store built by ``inbox-tui demo`` is marked ``demo = 1``, so every command and the TUI
opened on it with ``--db`` behave as the demo does: replies are recorded and never
sent through the accounts of the config that happens to be loaded (the demo's
customers have made-up addresses), and its response targets apply when the config has
none. Before this, ``conv reply`` on the demo store said no account was set up, and a
real config's SMTP account would have sent to the demo's customers.

Revision ID: 0023
Revises: 0014 (main's head when written)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0014"  # conversation.waiting_since (main's head)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("store_meta")
