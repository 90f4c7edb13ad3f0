"""suggestions at help-centre scale: cheap freshness checks, a stored article tsvector (#20)

Revision ID: 0013
Revises: 0007

Every suggestion asks whether the help centre or its embeddings changed (count and
newest ``updated_at``). Without an index that read every article and embedding row,
bodies and vectors included: the largest part of a suggestion at 10,000 articles.
On PostgreSQL the articles' weighted tsvector was recomputed for every matching article
at each query (``ts_rank`` cannot use the expression index's values); it is now a stored
generated column with its own GIN index.

Self-contained (indexes and one generated column), so it can be re-chained after other
revisions without change.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0007"  # mentions
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ARTICLE_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(description, '') || ' ' || coalesce(body, '')), 'D')"
)


def upgrade() -> None:
    op.create_index("ix_article_updated_at", "article", ["updated_at"])
    op.create_index("ix_embedding_kind_model_updated", "embedding", ["kind", "model", "updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE article ADD COLUMN search tsvector GENERATED ALWAYS AS ({ARTICLE_DOCUMENT}) STORED"
        )
        op.execute("DROP INDEX IF EXISTS ix_article_search")
        op.execute("CREATE INDEX ix_article_search ON article USING gin (search)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_article_search")
        op.execute("ALTER TABLE article DROP COLUMN search")
        op.execute(f"CREATE INDEX ix_article_search ON article USING gin (({ARTICLE_DOCUMENT}))")
    op.drop_index("ix_embedding_kind_model_updated", "embedding")
    op.drop_index("ix_article_updated_at", "article")
