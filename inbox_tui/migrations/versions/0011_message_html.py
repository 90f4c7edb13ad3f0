"""message.html_sha256: the original HTML part of a message, kept in ``blob`` (#18)

Revision ID: 0011
Revises: 0012

The agent can read a message's HTML as sent (source, or in a browser). One nullable
column; messages imported before have none and say so. Chained after main's head when
merged (0012); the lead re-chains it at merge if needed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"  # contact attributes
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("html_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("html_sha256")
