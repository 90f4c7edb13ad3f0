"""The customer behind a conversation and their history (the TUI's Contact pane)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.services import core, triage
from inbox_tui.services.contacts import contact_card


def _mail(i: int, email: str, subject: str, day: int) -> IncomingMessage:
    return IncomingMessage(
        source="t",
        external_id=str(i),
        message_id=f"<c{i}@example.com>",
        subject=subject,
        author_name="Ann Lee" if email.startswith("ann") else "Bo",
        author_email=email,
        sent_at=datetime(2026, 3, day, 9, 0, tzinfo=UTC),
        body=f"message {i}",
    )


def test_contact_card_lists_every_conversation_newest_first(store):
    def work(s):
        ing = Ingestor(s)
        ing.add(_mail(1, "ann@acme.example", "Export fails", 1))
        ing.add(_mail(2, "ann@acme.example", "Invoice question", 5))
        ing.add(_mail(3, "bo@other.example", "Hello", 6))
        ing.add(_mail(4, "ann@acme.example", "Login loop", 3))

    store.run(work)
    with store.read() as s:
        from sqlmodel import select

        from inbox_tui.models import Conversation

        ids = {c.subject: c.id for c in s.exec(select(Conversation)).all()}
    store.run(lambda s: triage.close(s, "sam", ids["Export fails"]))
    with store.read() as s:
        card = contact_card(s, ids["Login loop"])
        assert card is not None
        assert (card.name, card.email, card.total) == ("Ann Lee", "ann@acme.example", 3)
        assert [c.subject for c in card.conversations] == [
            "Invoice question",
            "Login loop",
            "Export fails",
        ]
        assert card.conversations[-1].status == "closed"
        assert card.first_seen == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
        assert contact_card(s, ids["Login loop"], limit=1).conversations[0].subject == (
            "Invoice question"
        )
        with pytest.raises(core.NotFound):
            contact_card(s, 999_999)


@pytest.mark.parametrize(
    "email, kind",
    [
        ("ann@acme.example", "from:"),
        ('"ann lee"@acme.example', "contact:"),  # issue 19, finding 12: found 0 before
        ('"x\x1b]8;;http://evil.example/\x1b\\click"@example.com', "contact:"),
    ],
)
def test_c_search_finds_exactly_this_customers_conversations(store, email, kind):
    """What ``c`` puts in the search box reads back as this customer's conversations,
    and never carries control characters (finding 1: OSC 8 from a quoted local part)."""
    from inbox_tui.services.contacts import contact_query
    from inbox_tui.services.conversations import list_conversations
    from inbox_tui.services.search import parse_query

    def work(s):
        ing = Ingestor(s)
        first = ing.add(_mail(1, email, "One", 1)).conversation_id
        ing.add(_mail(2, email, "Two", 2))
        ing.add(_mail(3, "bo@other.example", "Other", 3))
        return first

    cid = store.run(work)
    with store.read() as s:
        query = contact_query(s, cid)
        assert query is not None and query.startswith(kind)
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in query), repr(query)
        subjects = {r.subject for r in list_conversations(s, parse_query(query, "sam"))}
    assert subjects == {"One", "Two"}


def test_saved_searches_never_store_control_characters(store):
    """Finding 1: ctrl+s saved the escape bytes of the search box into a saved search."""
    from sqlmodel import select

    from inbox_tui.models import SavedSearch
    from inbox_tui.services.views import list_saved_views, list_views, save_view

    evil = "from:x\x1b]8;;http://evil.example/\x1b\\ \x9b2J\u202e"
    store.run(save_view, "one", evil)  # what ctrl+s calls
    store.run(save_view, "two", evil)
    with store.read() as s:
        stored = [r.query for r in s.exec(select(SavedSearch)).all()]
        # What the TUI's view list and the views command read.
        listed = list_views(s, "sam").saved.values()
        shown = [*(v.query for v in listed), *(v.query for v in list_saved_views(s))]
    for q in stored + shown:
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in q), q
