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
