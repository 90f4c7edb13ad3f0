"""What a confirmation that replies to many conversations says of each (services, on
SQLite and PostgreSQL): the incident's list marks the conversations we answered since the
burst's first message ("already answered": the macro's reply there is a second one; walk8
found the confirmation silent) and those holding the agent's unsent draft; a bulk macro
marks those we answered since the customer last wrote."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from inbox_tui.models import Message
from inbox_tui.services import core, drafts, incidents, triage
from tests.mail_history import mail
from tests.test_incidents import NOW, history

ANSWERED, DRAFT = core.ANSWERED_MARK, drafts.DRAFT_MARK


def answer(s, cid: int, when, *, agent: str | None = "sam", key: str = "") -> None:
    """A message in ``cid``'s thread at ``when``: our reply (``agent``) or the customer's."""
    first = s.exec(select(Message.message_id).where(Message.conversation_id == cid)).first()
    ref = first.strip("<>").split("@")[0]
    who = {"agent": agent} if agent else {"email": f"back{cid}@c.example"}
    mail(s, key or f"a{cid}-{when:%H%M}", when, (ref,), subject="Re: it", **who)


def marks_of(items) -> dict[int, tuple[str, ...]]:
    return {item.id: item.marks for item in items}


def test_the_incident_list_marks_what_we_answered_since_the_burst_began(store):
    ids = store.run(history)
    login = sorted(ids["login"])  # arrived 09:10, 09:40, 10:10, 10:40
    store.run(answer, login[0], NOW - timedelta(minutes=70))  # 10:50: answered
    store.run(triage.add_note, "sam", login[1], "Looking into it")  # a note answers nothing
    store.run(answer, login[2], NOW - timedelta(minutes=30), agent=None)  # the customer again
    store.run(drafts.save_draft, "sam", login[3], "Half a reply")
    with store.read() as s:
        (burst,) = incidents.detect(s, now=NOW)
        assert burst.conversations == login
        items = incidents.confirmation_list(s, "sam", burst)
    assert marks_of(items) == {
        login[0]: (ANSWERED,),
        login[1]: (),
        login[2]: (),
        login[3]: (DRAFT,),
    }
    assert [i.label.split(" ")[0] for i in items] == [f"#{c}" for c in login]
    with store.read() as s:  # another agent's draft is not mine
        assert marks_of(incidents.confirmation_list(s, "priya", burst))[login[3]] == ()


def test_answered_without_a_time_counts_from_the_customers_last_message(store):
    ids = store.run(history)
    a, b, c = sorted(ids["login"])[:3]
    store.run(answer, a, NOW - timedelta(minutes=70))  # we answered, then
    store.run(answer, a, NOW - timedelta(minutes=50), agent=None)  # the customer wrote again
    store.run(answer, b, NOW - timedelta(minutes=70), agent=None)  # the customer wrote, then
    store.run(answer, b, NOW - timedelta(minutes=40))  # we answered
    with store.read() as s:
        assert core.answered(s, [a, b, c]) == {b}
        assert core.answered(s, [a, b, c], since=NOW - timedelta(hours=3)) == {a, b}
        assert core.answered(s, []) == set()
        targets = triage.bulk_targets(s, [a, b, c], {}, "sam", True)
        assert marks_of(targets.listed(["A", "B", "C"])) == {a: (), b: (ANSWERED,), c: ()}
        quiet = triage.bulk_targets(s, [a, b, c], {}, "sam")  # a tag or close: no reply
        assert quiet.answered == set()


def test_only_an_action_that_replies_marks_the_draft_that_stays(store):
    """walk11: tagging three said "your unsent draft stays" beside one; only a reply
    sent to each (a bulk macro's) leaves a draft beside it, so only that one says so."""
    ids = store.run(history)
    a, b = sorted(ids["login"])[:2]
    store.run(drafts.save_draft, "sam", b, "Half a reply")
    with store.read() as s:
        replying = triage.bulk_targets(s, [a, b], {}, "sam", True)
        assert marks_of(replying.listed(["A", "B"]))[b] == (DRAFT,)
        tagging = triage.bulk_targets(s, [a, b], {}, "sam")  # a tag, close or assign
        assert marks_of(tagging.listed(["A", "B"])) == {a: (), b: ()}
