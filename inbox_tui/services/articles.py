"""Help-centre articles into the store: the service over the pure reader
(``sources.articles.load_articles``), as ``mailimport`` and ``chatimport`` are for mail
and chat. Ranking and suggesting them is ``services.suggest``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from inbox_tui.models import Article, utcnow

if TYPE_CHECKING:
    from inbox_tui.sources.articles import ArticleFile


def import_articles(session: Session, files: Iterable[ArticleFile]) -> dict[str, int]:
    """Upsert by slug (ids are kept on update). Returns added / updated / unchanged."""
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for f in files:
        row = session.exec(select(Article).where(Article.slug == f.slug)).first()
        values: dict[str, Any] = dict(
            title=f.title,
            description=f.description,
            category=f.category,
            tags=f.tags,
            url=f.url,
            body=f.body,
            source_path=f.path,
        )
        if row is None:
            session.add(Article(slug=f.slug, **values))
            counts["added"] += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    session.flush()
    return counts
