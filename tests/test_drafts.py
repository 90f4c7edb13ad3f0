"""Drafts (services/drafts.py) on SQLite and PostgreSQL: kept per conversation and agent,
across sessions and restarts, deleted by sending, kept when sending fails."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Conversation, Draft, Event
from inbox_tui.services import drafts, replies, triage
from inbox_tui.store import Store

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def seed(store: Store, n: int = 2) -> list[int]:
    def work(s):
        ing = Ingestor(s)
        ids = [
            ing.add(
                IncomingMessage(
                    source="t",
                    external_id=str(i),
                    message_id=f"<d{i}@x>",
                    subject=f"Printer {i}",
                    author_email=f"c{i}@acme.example",
                    author_name=f"Cust {i}",
                    sent_at=T0 + timedelta(minutes=i),
                    body=f"my printer {i} jams",
                )
            ).conversation_id
            for i in range(n)
        ]
        triage.ensure_agent(s, "sam", "Sam Carter")
        triage.ensure_agent(s, "ann", "Ann Lee")
        return ids

    return store.run(work)


def get(store: Store, actor: str, cid: int) -> str | None:
    with store.read() as s:
        return drafts.get_draft(s, actor, cid)


def demo_config() -> Config:
    return Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam Carter"), demo=True)


def test_save_get_overwrite_list_delete(store):
    a, b = seed(store)
    assert get(store, "sam", a) is None
    assert store.run(drafts.save_draft, "sam", a, "Hi Cust,\nthanks for") is True
    store.run(drafts.save_draft, "sam", a, "Hi Cust,\nthanks for the photo.", at=T0)
    store.run(drafts.save_draft, "sam", b, "Second", at=T0 + timedelta(minutes=1))
    assert get(store, "sam", a) == "Hi Cust,\nthanks for the photo."
    with store.read() as s:
        mine = drafts.list_drafts(s, "sam")
        assert [(d.conversation_id, d.subject, d.body) for d in mine] == [
            (b, "Printer 1", "Second"),
            (a, "Printer 0", "Hi Cust,\nthanks for the photo."),
        ]
        assert drafts.conversations_with_drafts(s, "sam", [a, b, 999]) == {a, b}
        assert s.exec(select(func.count()).select_from(Draft)).one() == 2  # one row each
    assert store.run(drafts.delete_draft, "sam", a) is True
    assert store.run(drafts.delete_draft, "sam", a) is False
    assert get(store, "sam", a) is None
    assert get(store, "sam", b) == "Second"


def test_drafts_belong_to_one_agent(store):
    (a,) = seed(store, 1)
    store.run(drafts.save_draft, "sam", a, "Sam's words")
    store.run(drafts.save_draft, "ann", a, "Ann's words")
    assert get(store, "sam", a) == "Sam's words"
    assert get(store, "ann", a) == "Ann's words"
    store.run(drafts.delete_draft, "ann", a)
    assert get(store, "sam", a) == "Sam's words"
    with store.read() as s:
        assert drafts.conversations_with_drafts(s, "ann", [a]) == set()
        assert drafts.list_drafts(s, "nobody") == []


def test_blank_text_deletes_the_draft(store):
    (a,) = seed(store, 1)
    store.run(drafts.save_draft, "sam", a, "Something")
    assert store.run(drafts.save_draft, "sam", a, "  \n\t ") is False
    assert get(store, "sam", a) is None


def test_a_draft_is_not_a_change_to_the_conversation(store):
    (a,) = seed(store, 1)
    with store.read() as s:
        before = (s.get(Conversation, a).version, s.exec(select(func.count(Event.id))).one())
    store.run(drafts.save_draft, "sam", a, "typing…")
    with store.read() as s:
        after = (s.get(Conversation, a).version, s.exec(select(func.count(Event.id))).one())
    assert after == before  # another agent's collision check must not fire on typing


def test_control_characters_are_dropped_and_limits_are_one_sentence(store):
    (a,) = seed(store, 1)
    store.run(drafts.save_draft, "sam", a, "Hi\x00 there\x1b[31m\r\nbye")
    assert get(store, "sam", a) == "Hi there[31m\nbye"
    with pytest.raises(UserError, match="still in the composer"):
        store.run(drafts.save_draft, "sam", a, "x" * (drafts.MAX_DRAFT_CHARS + 1))
    assert get(store, "sam", a) == "Hi there[31m\nbye"  # the old draft is untouched
    with pytest.raises(UserError, match="Conversation 4242 does not exist"):
        store.run(drafts.save_draft, "sam", 4242, "hello")


def test_drafts_survive_a_restart_and_show_in_another_session(store):
    (a,) = seed(store, 1)
    store.run(drafts.save_draft, "sam", a, "Before the crash")
    other = Store(store.url)  # a second session (another terminal, or after a restart)
    try:
        assert get(other, "sam", a) == "Before the crash"
        other.run(drafts.save_draft, "sam", a, "Edited in the other session")
    finally:
        other.close()
    store.close()
    reopened = Store(store.url)
    try:
        assert get(reopened, "sam", a) == "Edited in the other session"
    finally:
        reopened.close()


def test_two_sessions_saving_at_once_keep_one_draft(store):
    (a,) = seed(store, 1)
    stores = [Store(store.url) for _ in range(4)]
    errors: list[BaseException] = []

    def typing(st: Store, n: int) -> None:
        try:
            for i in range(10):
                st.run(drafts.save_draft, "sam", a, f"session {n} keystroke {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=typing, args=(st, n)) for n, st in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for st in stores:
        st.close()
    assert errors == []
    with store.read() as s:
        rows = s.exec(select(Draft)).all()
    assert len(rows) == 1
    assert rows[0].body.endswith("keystroke 9")


def test_sending_deletes_the_draft_and_a_failed_send_keeps_it(store):
    a, b = seed(store)
    store.run(drafts.save_draft, "sam", a, "Try turning it off and on.")
    store.run(drafts.save_draft, "ann", a, "Ann's own draft")
    store.run(replies.queue_reply, "sam", a, "Try turning it off and on.", config=demo_config())
    assert get(store, "sam", a) is None
    assert get(store, "ann", a) == "Ann's own draft"  # only the sender's draft goes

    store.run(drafts.save_draft, "sam", b, "Nowhere to send this")
    no_account = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam Carter"))
    with pytest.raises(UserError, match="No account is set up"):
        store.run(replies.queue_reply, "sam", b, "Nowhere to send this", config=no_account)
    assert get(store, "sam", b) == "Nowhere to send this"


def test_drafts_follow_a_merge_and_both_texts_are_kept(store):
    def mail(mid, refs=(), at=0):
        return IncomingMessage(
            source="t",
            external_id=mid,
            message_id=f"<{mid}>",
            references=[f"<{r}>" for r in refs],
            subject="Help",
            author_email="ann@example.com",
            author_name="Ann",
            sent_at=T0 + timedelta(minutes=at),
            body="hi",
        )

    def first(s):
        ing = Ingestor(s)
        older = ing.add(mail("c1", refs=["root"], at=1)).conversation_id
        newer = ing.add(mail("x", refs=["mid"], at=3)).conversation_id
        triage.ensure_agent(s, "sam")
        triage.ensure_agent(s, "ann")
        return older, newer

    older, newer = store.run(first)
    assert older != newer
    store.run(drafts.save_draft, "sam", older, "Sam on the older one")
    store.run(drafts.save_draft, "sam", newer, "Sam on the newer one")
    store.run(drafts.save_draft, "ann", newer, "Ann on the newer one")
    # A message that references both threads folds the newer conversation into the older.
    merged = store.run(lambda s: Ingestor(s).add(mail("mid", refs=["root"], at=4)))
    assert merged.conversation_id == older
    with store.read() as s:
        assert s.get(Conversation, newer) is None
    assert get(store, "sam", older) == "Sam on the older one\n\nSam on the newer one"
    assert get(store, "ann", older) == "Ann on the newer one"


def test_review_edits_are_kept_with_the_draft_and_come_back_in_the_review(store, tmp_path):
    """The review step's edits (only what the agent changed) live in ``draft.review``:
    the autosave leaves them, ``start_reply`` puts them back over the computed review,
    sending deletes them with the draft."""
    from inbox_tui.services.compose import start_note, start_reply

    a, b = seed(store)
    cfg = demo_config()
    log = tmp_path / "printer.log"
    log.write_bytes(b"jam\n")
    edits = {"cc": [["Ana Díaz", "ana@x.example"]], "to": [["", "c0@acme.example"]], "bcc": []}
    store.run(
        drafts.save_draft, "sam", a, "Hi", review={**edits, "sign": False, "files": [str(log)]}
    )
    store.run(drafts.save_draft, "sam", a, "Hi there")  # the autosave: edits stay
    with store.read() as s:
        start = start_reply(s, "sam", a, config=cfg)
        assert start.text == "Hi there"
        review = start.review
        assert review.cc == [("Ana Díaz", "ana@x.example")]
        assert review.sign is False and review.files == [str(log)]
        assert review.edits() == {**edits, "sign": False, "files": [str(log)]}
        untouched = start_reply(s, "sam", b, config=cfg).review  # no draft: the defaults
        assert untouched.cc == [] and untouched.sign is True and untouched.edited == set()
        assert untouched.edits() == {}
    # Only the files changed: recipients stay computed (a new Cc on the thread counts).
    store.run(drafts.save_draft, "sam", b, "Note", kind="note", review={"files": [str(log)]})
    with store.read() as s:
        assert start_note(s, "sam", b).review.files == [str(log)]
        assert drafts.get_review_edits(s, "sam", b) == {}  # the reply draft has none
    store.run(drafts.save_draft, "sam", a, "Hi there", review={})  # edits undone: cleared
    with store.read() as s:
        assert drafts.get_review_edits(s, "sam", a) == {}
    store.run(drafts.save_draft, "sam", a, "Hi", review={"sign": False})
    store.run(replies.queue_reply, "sam", a, "Sent", config=cfg)
    with store.read() as s:
        assert drafts.get_review_edits(s, "sam", a) == {}  # went with the draft


def test_a_send_at_time_is_kept_with_the_draft_and_sent_at_that_time(store):
    """``w``'s time is one of the review's edits: kept with the draft (through the
    autosave, in the store, so a restart keeps it), back in the review, and used by the
    send; choosing "now" after a time clears it; an unreadable kept time is ignored."""
    from inbox_tui.models import Outbox
    from inbox_tui.services.compose import start_reply

    a, b = seed(store)
    cfg = demo_config()
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    with store.read() as s:
        review = start_reply(s, "sam", a, config=cfg).review
    review.send_at = at
    review.edited.add("send_at")
    assert review.edits() == {"send_at": at.isoformat()}
    store.run(drafts.save_draft, "sam", a, "Tomorrow then", review=review.edits())
    store.run(drafts.save_draft, "sam", a, "Tomorrow then.")  # the autosave: kept
    with store.read() as s:
        back = start_reply(s, "sam", a, config=cfg).review
    assert back.send_at == at and back.edits() == {"send_at": at.isoformat()}
    back.send_at = None  # "As soon as it can go", chosen after a time
    store.run(drafts.save_draft, "sam", b, "Now", review=back.edits())
    with store.read() as s:
        assert start_reply(s, "sam", b, config=cfg).review.send_at is None
        assert drafts.get_review_edits(s, "sam", b) == {"send_at": None}
    review.apply_edits({"send_at": "next tuesday"})  # unreadable: not a time
    assert review.send_at is None
    with store.read() as s:
        review = start_reply(s, "sam", a, config=cfg).review
    from inbox_tui.services.compose import send_reply

    store.run(send_reply, "sam", a, "Tomorrow then.", config=cfg, review=review)
    with store.read() as s:
        (row,) = s.exec(select(Outbox).where(Outbox.conversation_id == a)).all()
        assert row.next_attempt_at.replace(tzinfo=UTC) == at
        assert drafts.get_draft(s, "sam", a) is None


def test_broken_review_edits_in_the_store_are_ignored(store):
    a, _ = seed(store)
    store.run(drafts.save_draft, "sam", a, "Hi")

    def corrupt(s):
        for d in s.exec(select(Draft)).all():
            d.review = '{"to": "nobody", "sign": "yes", "files": [1, 2]'
            s.add(d)

    store.run(corrupt)
    from inbox_tui.services.compose import start_reply

    with store.read() as s:
        assert drafts.get_review_edits(s, "sam", a) == {}
        review = start_reply(s, "sam", a, config=demo_config()).review
        assert review.to == [("Cust 0", "c0@acme.example")] and review.sign is True
    review.apply_edits({"to": "nobody", "cc": [["only one"]], "sign": "yes", "files": [1]})
    assert review.to == [("Cust 0", "c0@acme.example")] and review.edited == set()


def test_a_merge_keeps_reply_and_note_drafts_apart(store):
    """An agent's note draft on one conversation and reply draft on the other stay two
    drafts when the conversations merge (they used to be joined into one text)."""
    from inbox_tui.services.merge import merge

    a, b = seed(store)
    store.run(drafts.save_draft, "sam", a, "Reply on a", review={"sign": False})
    store.run(drafts.save_draft, "sam", b, "Note on b", kind="note", review={"files": ["/x"]})
    store.run(merge, "sam", b, a)
    assert get(store, "sam", a) == "Reply on a"
    with store.read() as s:
        assert drafts.get_draft(s, "sam", a, kind="note") == "Note on b"
        assert drafts.get_review_edits(s, "sam", a, kind="note") == {"files": ["/x"]}
        assert drafts.get_review_edits(s, "sam", a) == {"sign": False}


def test_a_forward_draft_keeps_its_recipients_even_with_no_note(store):
    """A forward's note may be empty: Esc still keeps whom it goes to and what it
    forwards; f brings it back (review.resume_forward); a reply's draft is untouched."""
    from inbox_tui.services import review

    a, _ = seed(store)
    cfg = demo_config()

    def start(s):
        return review.forward_review(s, "sam", a, config=cfg, to=[("Bo", "bo@vendor.example")])

    fwd = store.run(start)
    assert store.run(review.keep_forward, "sam", a, "", fwd) is True
    assert get(store, "sam", a) is None  # not a reply draft
    note, back = store.run(lambda s: review.resume_forward(s, "sam", a, config=cfg))
    assert note == ""
    assert back.kind == "forward" and back.to == [("Bo", "bo@vendor.example")]
    assert back.message_row_id is None  # the whole conversation, as it was
    store.run(drafts.delete_draft, "sam", a, kind="forward")
    assert store.run(lambda s: review.resume_forward(s, "sam", a, config=cfg)) is None


def test_an_articles_reply_starts_with_the_cursor_where_the_greeting_goes(store):
    """walk10: the cursor went after an inserted article, not on the blank greeting line
    above it; with a kept draft first, it goes at the end of the draft, above the article."""
    from inbox_tui.services.compose import start_reply

    a, b = seed(store)
    cfg = demo_config()
    article = "\n\nSee https://help.example/export\n"
    store.run(drafts.save_draft, "sam", a, "Hi Ana,\n")
    with store.read() as s:
        fresh = start_reply(s, "sam", b, article, config=cfg, greeting_room=True)
        assert (fresh.text, fresh.cursor) == (article, 0)
        kept = start_reply(s, "sam", a, article, config=cfg, greeting_room=True)
        assert kept.text == "Hi Ana,\n\nSee https://help.example/export\n"
        assert kept.cursor == len("Hi Ana,")
        assert start_reply(s, "sam", b, "A macro's text", config=cfg).cursor is None
