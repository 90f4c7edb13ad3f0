"""embeddings: sentence-embedding vectors of articles and conversations (#20)

Revision ID: 0006
Revises: 0005

Self-contained (one derived table, filled lazily by services/semantic.py), so it can be
re-chained after other revisions without change. A plain BLOB / bytea column holds
float16 rows; exact cosine search in numpy is fast enough at help-centre sizes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"  # attachments
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "embedding",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ref_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("text_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "ref_id"),
    )


def downgrade() -> None:
    op.drop_table("embedding")
