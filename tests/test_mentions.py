"""@mentions in internal notes (#21): the named agent is notified (stored), the
Mentions view lists the conversation with an unread count, an unknown name saves
nothing, and mentions follow their note through a merge. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from inbox_tui import cli
from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Event, Mention, Message
from inbox_tui.services import core, mentions, merge, triage
from inbox_tui.services.conversations import list_conversations, view_filter
from inbox_tui.services.views import list_views, resolve_filter, view_label

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add(store, key: str) -> int:
    def work(s):
        msg = IncomingMessage(
            source="t",
            external_id=key,
            message_id=f"<{key}@x>",
            subject=f"About {key}",
            author_email=f"{key}@acme.example",
            author_name=key,
            sent_at=T0,
            body="hello",
        )
        return Ingestor(s).add(msg).conversation_id

    return store.run(work)


@pytest.fixture
def team(store):
    for name in ("sam", "ann", "bo.b"):
        store.run(core.ensure_agent, name)
    return store, add(store, "a"), add(store, "b")


def counts(store):
    with store.read() as s:
        return (
            s.exec(select(func.count()).select_from(Message)).one(),
            s.exec(select(func.count()).select_from(Mention)).one(),
            s.exec(select(func.count()).select_from(Event)).one(),
        )


def test_names_are_found_after_a_space_not_in_addresses():
    text = "@ann can you look? cc @bo.b. Mail ann@acme.example, (@sam) @ann again"
    assert mentions.mentioned_names(text) == ["ann", "bo.b", "sam"]
    assert mentions.mentioned_names("no one: a@b.c, x@y") == []


def test_a_mention_notifies_the_agent_and_shows_in_their_view(team):
    store, a, b = team
    store.run(triage.add_note, "sam", a, "@ann please check the invoice, @sam knows")
    with store.read() as s:
        assert mentions.unread_count(s, "ann") == 1
        assert mentions.unread_count(s, "sam") == 0  # not notified of one's own note
        [row] = mentions.list_mentions(s, "ann")
        assert (row.conversation_id, row.by, row.read) == (a, "sam", False)
        assert list_views(s, "ann").counts["mentions"] == 1
        assert [r.id for r in list_conversations(s, view_filter("mentions", "ann"))] == [a]
        assert list_conversations(s, view_filter("mentions", "bo.b")) == []
        # The view narrows with a search like any view.
        assert [
            r.id for r in list_conversations(s, resolve_filter("mentions", "about", "ann"))
        ] == [a]
        assert view_label("mentions") == "Mentions"
        noted = s.exec(select(Event).where(Event.kind == "noted")).one()
        assert json.loads(noted.data)["mentions"] == ["ann", "sam"]
    assert store.run(mentions.mark_read, "ann", b) == 0
    assert store.run(mentions.mark_read, "ann", a) == 1
    with store.read() as s:
        assert mentions.unread_count(s, "ann") == 0
        assert list_views(s, "ann").counts["mentions"] == 0
        assert [r.id for r in list_conversations(s, view_filter("mentions", "ann"))] == [a]


def test_an_unknown_name_is_one_sentence_and_saves_nothing(team):
    store, a, _ = team
    before = counts(store)
    with pytest.raises(UserError, match=r"^There is no agent called @nobody; nothing was saved"):
        store.run(triage.add_note, "sam", a, "@ann and @nobody should see this")
    assert counts(store) == before


def test_mentions_follow_their_note_through_a_merge(team):
    store, a, b = team
    store.run(triage.add_note, "sam", b, "@ann this one")
    store.run(merge.merge, "sam", b, a)
    with store.read() as s:
        assert [r.id for r in list_conversations(s, view_filter("mentions", "ann"))] == [a]
    store.run(merge.unmerge, "sam", a)
    with store.read() as s:
        assert [r.id for r in list_conversations(s, view_filter("mentions", "ann"))] == [b]


def test_the_command_lists_and_marks_read(team, tmp_path, capsys):
    store, a, _ = team
    config = tmp_path / "c.toml"
    config.write_text('[agent]\nusername = "ann"\n')
    base = ["--config", str(config), "--db", store.url]
    assert cli.main(["--db", store.url, "conv", "note", str(a), "@ann", "look"]) == 0
    assert cli.main(["--db", store.url, "conv", "note", str(a), "@ghost", "look"]) == 2
    assert "There is no agent called @ghost" in capsys.readouterr().err
    assert cli.main([*base, "mentions", "--json", "--mark-read"]) == 0
    out, err = capsys.readouterr()
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["conversation"] == a and row["note"] == "@ann look" and not row["read"]
    assert err == "1 unread mention.\nMarked 1 read.\n"
    assert cli.main([*base, "mentions", "--unread"]) == 0
    assert capsys.readouterr() == ("", "0 unread mentions.\n")


def test_the_list_marks_unread_mentions_and_the_toasts_count_from_a_baseline(team):
    store, a, b = team
    with store.read() as s:
        base = mentions.newest_id(s)
    store.run(triage.add_note, "sam", a, "@ann first")
    store.run(triage.add_note, "sam", b, "@ann second")
    with store.read() as s:
        news = mentions.unread_since(s, "ann", base)
        assert [(n.conversation_id, n.note) for n in news] == [
            (a, "@ann first"),
            (b, "@ann second"),
        ]
        assert mentions.unread_since(s, "ann", news[0].id) == news[1:]
        rows = {r.id: r.mentioned for r in list_conversations(s, drafts_for="ann")}
        assert rows == {a: True, b: True}
        assert not any(r.mentioned for r in list_conversations(s, drafts_for="sam"))
    assert store.run(mentions.mark_read, "ann", a) == 1
    with store.read() as s:
        assert mentions.unread_in(s, "ann", [a, b]) == {b}
        assert [n.conversation_id for n in mentions.unread_since(s, "ann", base)] == [b]


def test_completion_offers_agents_for_the_name_being_typed():
    names = ["sam", "samira", "ann", "bo.b"]
    got = mentions.complete("thanks @sa", 10, names)
    assert got is not None and (got.start, got.end, got.typed, got.names) == (
        7,
        10,
        "sa",
        ["sam", "samira"],
    )
    assert mentions.complete("@", 1, names).names == names  # type: ignore[union-attr]
    assert mentions.complete("@SAM", 4, names).names == ["samira"]  # type: ignore[union-attr]
    assert mentions.complete("mail ann@ac", 11, names) is None  # an address
    assert mentions.complete("@sam hello", 10, names) is None  # not at an @ word
    assert mentions.complete("@zed", 4, names) is None


def test_what_is_shown_is_read_opened_all_of_it_previewed_the_notes_in_sight(team):
    """The rule of reading (mentions.shown): an opened thread shows all of its
    conversation, a preview only the notes in its sight; the thread read for ``me``
    says whether a mention is still unread there."""
    from inbox_tui.services.conversations import get_thread

    store, a, b = team
    first = store.run(triage.add_note, "sam", a, "@ann first")
    store.run(triage.add_note, "sam", a, "@ann second")
    store.run(triage.add_note, "sam", b, "@ann in b")
    with store.read() as s:
        assert get_thread(s, a, me="ann").conversation.mentioned
        assert not get_thread(s, a, me="sam").conversation.mentioned
    assert store.run(mentions.shown, "ann", a, False, [first]) == 1  # previewed: that note
    with store.read() as s:
        assert mentions.unread_count(s, "ann") == 2
        assert get_thread(s, a, me="ann").conversation.mentioned
    assert store.run(mentions.shown, "ann", a, True, []) == 1  # opened: the rest of it
    with store.read() as s:
        assert not get_thread(s, a, me="ann").conversation.mentioned
        assert [m.conversation_id for m in mentions.list_mentions(s, "ann", unread_only=True)] == [
            b
        ]
