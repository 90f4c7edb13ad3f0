"""An import's new articles get their full-text rows in one statement (SQLite), not one
trigger run each: the same index as the trigger builds, and the trigger is back after."""

import re

import pytest
from sqlalchemy import text

from inbox_tui.models import Article
from inbox_tui.services.articles import import_articles
from inbox_tui.sources.articles import load_articles
from inbox_tui.store import Store, dialect, sqlite_url
from tests.conftest import corpus


def _trigger_sql(session) -> str | None:
    return session.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'article_fts_ai'")
    ).scalar()


def test_bulk_full_text_rows_equal_the_trigger_s(tmp_path):
    files, _ = load_articles(corpus("kb", "duckduckgo-help"))
    bulk, one_by_one = Store(sqlite_url(tmp_path / "a.db")), Store(sqlite_url(tmp_path / "b.db"))
    try:
        with bulk.read() as s:
            trigger = _trigger_sql(s)
        assert trigger
        bulk.run(import_articles, files[:50])  # some stored first: only new rows in bulk
        bulk.run(import_articles, files)

        def add_each(s):
            for f in files:
                s.add(
                    Article(
                        slug=f.slug,
                        title=f.title,
                        description=f.description,
                        category=f.category,
                        tags=f.tags,
                        url=f.url,
                        body=f.body,
                        source_path=f.path,
                    )
                )
                s.flush()  # one INSERT (and one trigger run) per article

        one_by_one.run(add_each)
        words = sorted({w.lower() for f in files for w in re.findall(r"[A-Za-z]{4,}", f.title)})
        assert len(words) > 100
        with bulk.read() as a, one_by_one.read() as b:
            assert _trigger_sql(a) == trigger  # back, as it was
            for word in words:
                got, want = dialect.article_fts(a, [word], 50), dialect.article_fts(b, [word], 50)
                assert got.keys() == want.keys(), word
                assert got == pytest.approx(want), word

        def later(s):  # the trigger indexes what comes after, as before
            s.add(Article(slug="later", title="Zyxwvut settings", body="x"))

        bulk.run(later)
        with bulk.read() as s:
            assert len(dialect.article_fts(s, ["zyxwvut"], 5)) == 1
    finally:
        bulk.close()
        one_by_one.close()


def test_a_failure_inside_leaves_the_trigger(sqlite_store):
    with sqlite_store.read() as s:
        trigger = _trigger_sql(s)

    def fail(s):
        with dialect.full_text_in_bulk(s, "article_fts_ai"):
            s.add(Article(slug="x", title="Lost", body="x"))
            s.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        sqlite_store.run(fail)
    with sqlite_store.read() as s:
        assert _trigger_sql(s) == trigger
        assert s.execute(text("SELECT count(*) FROM article")).scalar() == 0
