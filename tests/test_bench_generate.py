"""Smoke run of the benchmark store generator, so it does not rot."""

from sqlalchemy import text
from sqlmodel import col, select

from benchmarks.generate import generate, write_maildir
from inbox_tui.models import Message
from inbox_tui.services.conversations import count_conversations, list_conversations
from inbox_tui.services.search import parse_query
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
        # The bulk load put the index triggers back...
        triggers = conn.execute(
            text(
                "select count(*) from sqlite_master "
                "where type = 'trigger' and name like 'message_fts_%'"
            )
        ).scalar()
        assert triggers == 3
        conn.execute(text("insert into message_fts(message_fts) values ('integrity-check')"))
    # ... and indexed every message (a contentless FTS table cannot be counted: search).
    with store.read() as s:
        for m in s.exec(select(Message).order_by(col(Message.id))).all()[::20]:
            flt = parse_query(f'"{m.body[:40].rsplit(" ", 1)[0]}"', "me")
            assert m.conversation_id in {r.id for r in list_conversations(s, flt, limit=1000)}
            assert count_conversations(s, flt) >= 1
    store.close()
    assert write_maildir(tmp_path / "md", 5) == 5
    assert len(list((tmp_path / "md" / "new").iterdir())) == 5
