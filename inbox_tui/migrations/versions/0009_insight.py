"""insight: the sender's UTC offset on each message (#23, the customer's clock)

Revision ID: 0009
Revises: 0013

Self-contained (one nullable column), so it can be re-chained after other revisions
without change. Messages stored before it have no offset (NULL): the customer's clock
shows once they write again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0013"  # suggestion indexes
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("utc_offset", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("utc_offset")
