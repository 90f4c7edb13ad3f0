"""The collision check names what someone else did since the agent opened the
conversation, never the agent's own actions or a reply that was taken back (walk10 #5:
``r`` text, send, ``B``, send again said "Someone else acted on this conversation since
you opened it: Sam Carter replied at 07:25" to Sam). SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox_tui.models import Conversation, utcnow
from inbox_tui.services import replies, triage, undo_send
from tests.test_incidents import CONFIG
from tests.test_stats_send_time import customer


def version(store, cid: int) -> int:
    with store.read() as s:
        return s.get(Conversation, cid).version


def test_my_own_taken_back_reply_and_notes_are_no_collision(store):
    a = store.run(lambda s: customer(s, "a", utcnow() - timedelta(hours=1)))
    store.run(lambda s: [triage.ensure_agent(s, n) for n in ("sam", "ann")])
    seen = version(store, a)  # sam opens the conversation
    store.run(replies.queue_reply, "sam", a, "First try.", config=CONFIG, seen_version=seen)
    store.run(undo_send.take_back, "sam", a, config=CONFIG)
    store.run(triage.add_note, "sam", a, "Checking the logs first.")
    # Sent again from the composer B reopened, with the version it was opened at.
    store.run(replies.queue_reply, "sam", a, "Second try.", config=CONFIG, seen_version=seen)
    store.run(undo_send.take_back, "sam", a, config=CONFIG)

    # Ann's reply, taken back, was never an answer either: still no collision.
    store.run(replies.queue_reply, "ann", a, "Ann here.", config=CONFIG)
    store.run(undo_send.take_back, "ann", a, config=CONFIG)
    store.run(replies.queue_reply, "sam", a, "Third.", config=CONFIG, seen_version=seen)
    store.run(undo_send.take_back, "sam", a, config=CONFIG)

    # What Ann did and did not take back is a collision, named as hers.
    store.run(triage.add_note, "ann", a, "I called them.")
    store.run(replies.queue_reply, "ann", a, "Called you.", config=CONFIG)
    with pytest.raises(replies.Collision) as exc:
        store.run(replies.queue_reply, "sam", a, "Fourth.", config=CONFIG, seen_version=seen)
    said = exc.value.changes
    assert len(said) == 2, said
    assert said[0].startswith("ann added a note at"), said
    assert said[1].startswith("ann replied at"), said
