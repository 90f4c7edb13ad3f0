"""subject_key and subject_pair: feature-request subjects kept at tag time, with the
scores of every similar pair, so the stats report's grouping reads them
(``store/subject_keys.py``). Backfilled from the conversations tagged 'feature request'
now (comparing every pair of distinct subjects once: ~2 s per thousand subjects).

Revision ID: 0024
Revises: 0022 (main's head when written; the lead re-chains it if needed)
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"  # conversation ids never reused (main's head)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subject_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_table(
        "subject_pair",
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["subject_key.id"]),
        sa.ForeignKeyConstraint(["other_id"], ["subject_key.id"]),
        sa.PrimaryKeyConstraint("key_id", "other_id"),
    )
    from inbox_tui.store import subject_keys

    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT c.subject, s.tags FROM stat_conversation s "
            "JOIN conversation c ON c.id = s.conversation_id WHERE s.tags LIKE :tag"
        ),
        {"tag": f"%{subject_keys.FEATURE_REQUEST}%"},
    )
    subject_keys.keep(
        conn,
        [str(s or "") for s, tags in rows if subject_keys.FEATURE_REQUEST in json.loads(tags)],
    )


def downgrade() -> None:
    op.drop_table("subject_pair")
    op.drop_table("subject_key")
