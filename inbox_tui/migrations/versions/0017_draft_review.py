"""draft.review: the review step's edits kept with a draft (#18)

A reply's recipients as the agent edited them, the signature turned off or on, the
files attached (a note's files too), as JSON of only what the agent changed, so Esc
and ``r`` (or ``n``) again, in this session or another, show them again instead of
the computed defaults. One nullable column; drafts kept before have no edits.

Revision ID: 0017
Revises: 0011 (main's head when written; the lead re-chains it at merge if needed)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0011"  # message.html_sha256
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.add_column(sa.Column("review", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("review")
