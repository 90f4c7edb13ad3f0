"""Smoke run of the benchmark store generator, so it does not rot."""

from sqlalchemy import text

from benchmarks.generate import generate, write_maildir
from inbox_tui.store import Store, sqlite_url


def test_generator_builds_a_consistent_store(tmp_path):
    url = sqlite_url(tmp_path / "g.db")
    result = generate(url, conversations=50, messages=400, quiet=True)
    assert result["messages"] == 400
    store = Store(url)
    with store.engine.connect() as conn:
        assert conn.execute(text("select count(*) from conversation")).scalar() == 50
        assert conn.execute(text("select sum(message_count) from conversation")).scalar() == 400
        assert conn.execute(text("select count(*) from message")).scalar() == 400
        # every message is reachable through threading refs and has its event
        assert conn.execute(text("select count(*) from threadref")).scalar() == 400
        assert (
            conn.execute(
                text("select count(*) from event where kind in ('received','replied')")
            ).scalar()
            == 400
        )
    store.close()
    assert write_maildir(tmp_path / "md", 5) == 5
    assert len(list((tmp_path / "md" / "new").iterdir())) == 5
