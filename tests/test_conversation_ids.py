"""A conversation's id is never given to another one (migration 0022, SQLite's
AUTOINCREMENT; PostgreSQL's sequences): merge away the newest conversation, create new
ones (one by one and in a bulk import), and the merge can still be undone; a store
migrated from the revision before (0023) keeps every row, index and link, and full-text search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.services import merge, triage
from inbox_tui.services.conversations import list_conversations
from inbox_tui.services.search import parse_query
from inbox_tui.store import Store, sqlite_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_n = iter(range(1, 10**6))


def mail(key: str, subject: str = "Printer jammed") -> IncomingMessage:
    n = next(_n)
    return IncomingMessage(
        source="t",
        external_id=f"{key}-{n}",
        message_id=f"<{key}-{n}@c.example>",
        subject=f"{subject} {n}",
        author_email=f"c{n}@c.example",
        author_name=f"Customer {n}",
        sent_at=T0 + timedelta(minutes=n),
        body=f"{subject} since Monday",
    )


def new(s, key: str) -> int:
    return Ingestor(s).add(mail(key)).conversation_id


def merge_the_newest_away(store) -> tuple[int, int]:
    def setup(s):
        triage.ensure_agent(s, "sam")
        kept, newest = new(s, "a"), new(s, "b")
        triage.tag(s, "sam", newest, "bug")
        triage.add_note(s, "sam", newest, "ENG-7 for this one")
        return kept, newest

    kept, newest = store.run(setup)
    store.run(merge.merge, "sam", newest, kept)
    return kept, newest


def bulk_import(store, n: int) -> None:
    """The batch path (``ingest.bulk``), which gives SQLite ids itself."""
    counts = store.run(lambda s: Ingestor(s).add_all([mail("bulk", "Bulk") for _ in range(n)]))
    assert counts.imported == n


def ids(store) -> set[int]:
    with store.read() as s:
        return {int(r[0]) for r in s.execute(text("SELECT id FROM conversation"))}


def test_a_merged_away_id_is_never_given_again_and_the_merge_undoes(store):
    kept, gone = merge_the_newest_away(store)
    assert gone not in ids(store)
    bulk_import(store, 3)  # the batch path gives SQLite ids itself
    assert gone not in ids(store)
    fresh = store.run(new, "c")
    assert fresh > gone  # SQLite gave `gone` again: the largest id + 1
    assert len(ids(store)) == 5
    moved = store.run(merge.unmerge, "sam", kept)  # was: "Conversation N exists again"
    assert moved.other == gone
    with store.read() as s:
        assert (
            s.execute(
                text("SELECT count(*) FROM message WHERE conversation_id = :c"), {"c": gone}
            ).scalar()
            == 2
        )


def test_the_migration_keeps_everything_and_stops_the_reuse(tmp_path):
    url = sqlite_url(tmp_path / "old.db")
    old = Store(url, migrate=False)
    old.migrate("0023")
    others = [old.run(new, f"o{i}") for i in range(20)]
    old.run(merge.merge, "sam", others[5], others[0])  # not the newest: no id in danger
    kept, gone = merge_the_newest_away(old)  # the largest id, merged away before 0022
    with old.read() as s:
        before = {
            t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("conversation", "message", "event", "conversationtag")
        }
        indexes = sorted(
            r[0]
            for r in s.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversation'"
                )
            )
        )
    old.close()

    store = Store(url)  # migrates to the head
    try:
        with store.read() as s:
            ddl = s.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'conversation'")
            ).scalar()
            assert "AUTOINCREMENT" in ddl.upper()
            for table, n in before.items():
                assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar() == n, table
            assert s.execute(text("PRAGMA foreign_key_check")).all() == []
            assert (
                sorted(
                    r[0]
                    for r in s.execute(
                        text(
                            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversation'"
                        )
                    )
                )
                == indexes
            )
            found = list_conversations(s, parse_query("printer", "sam"))
            assert len(found) == before["conversation"]
        # The largest id, merged away before the migration, is not given again either.
        assert max(ids(store)) < gone
        fresh = store.run(new, "after")
        assert fresh > gone
        bulk_import(store, 2)
        assert gone not in ids(store)
        store.run(merge.unmerge, "sam", kept)
        store.run(merge.unmerge, "sam", others[0])
        assert {gone, others[5]} <= ids(store)
        # the foreign keys still hold
        with pytest.raises(IntegrityError), store.write() as s:
            s.execute(
                text("INSERT INTO conversationtag (conversation_id, tag_id) VALUES (999999, 1)")
            )
    finally:
        store.close()
