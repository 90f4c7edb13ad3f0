"""Migration 0004 (drafts, saved views' scope, undo's event columns) on an existing store."""

import pytest
from sqlalchemy import text
from sqlmodel import select

from inbox_tui.models import SavedSearch
from inbox_tui.store import Store, sqlite_url

BEFORE = "0003"


@pytest.fixture(params=["sqlite", "postgres"])
def old_store_url(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "old.db")
    return request.getfixturevalue("postgres_url_factory")()


def test_existing_saved_searches_keep_showing_everything(old_store_url):
    old = Store(old_store_url, migrate=False)
    old.migrate(BEFORE)
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO savedsearch (name, query) VALUES ('Angry', 'tag:angry')"))
    old.close()
    new = Store(old_store_url)
    try:
        with new.read() as s:
            saved = s.exec(select(SavedSearch)).one()
        # Before 0004 a saved search was shown over every conversation ("all").
        assert (saved.name, saved.query, saved.scope) == ("Angry", "tag:angry", "all")
    finally:
        new.close()
