"""Undo send: a reply or forward waits ``[mail] undo_seconds`` in the outbox; until a
sender claims it, the agent can take it back. Taking back removes the message from the
thread, marks the outbox row ``cancelled``, puts back what the sending changed (with
the reply: send-and-close, a macro's tags, assignment, status or snooze, a follow-up's
reopen), and appends a ``reply_cancelled`` event so the stats drop the reply and the
macro it came from (the event log itself is append-only). What else the sending
recorded reads the outbox row: a bug follow-up whose reply was taken back is no
follow-up (``buglinks``), an article sent with it was never sent (``outbox.went_out``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import (
    FORWARD_SOURCE,
    REPLY_SOURCE,
    Agent,
    Conversation,
    Event,
    EventKind,
    Message,
    Outbox,
    OutboxStatus,
    ThreadRef,
)
from inbox_tui.services import core

if TYPE_CHECKING:
    from inbox_tui.config import Config
    from inbox_tui.services.review import Review


def last_cancellable(
    session: Session, actor: str, conversation_id: int | None = None
) -> int | None:
    """The outbox id of this agent's newest reply or forward that can still be taken
    back (queued, never attempted), in one conversation or any; None when there is none."""
    agent = session.exec(select(Agent).where(Agent.username == actor)).first()
    if agent is None:
        return None
    stmt = (
        select(Outbox.id)
        .where(Outbox.agent_id == agent.id)
        .where(Outbox.status == OutboxStatus.QUEUED.value)
        .where(Outbox.attempts == 0)
        .order_by(col(Outbox.id).desc())
        .limit(1)
    )
    if conversation_id is not None:
        stmt = stmt.where(Outbox.conversation_id == conversation_id)
    return session.exec(stmt).first()


def cancel_outbox(session: Session, actor: str, outbox_id: int) -> str:
    """Undo send: take a reply or forward back before it went out. Returns its text
    for the composer. Only a row nobody has started sending can be taken back; the
    check and the change are one conditional UPDATE, so a sender that claims the row
    at the same moment wins or loses cleanly, never both."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise UserError(f"There is no queued reply {outbox_id}.")
    taken = session.execute(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id)
        .where(col(Outbox.status) == OutboxStatus.QUEUED.value)
        .where(col(Outbox.attempts) == 0)
        .values(status=OutboxStatus.CANCELLED.value, message_row_id=None)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        if row.status == OutboxStatus.CANCELLED.value:
            raise UserError(f"Reply {outbox_id} was already taken back.")
        raise UserError(
            f"Reply {outbox_id} is {row.status}"
            + (
                " (sending was already tried)"
                if row.status == OutboxStatus.QUEUED.value and row.attempts
                else ""
            )
            + "; it can no longer be taken back."
        )
    session.refresh(row)
    conv = core.lock_conversation(session, row.conversation_id)
    agent = core.ensure_agent(session, actor)
    message = session.exec(
        select(Message)
        .where(Message.message_id == row.message_id)
        .where(col(Message.source).in_([REPLY_SOURCE, FORWARD_SOURCE]))
    ).first()
    text = message.body if message is not None else ""
    replied = [
        e
        for e in session.exec(
            select(Event)
            .where(Event.conversation_id == conv.id)
            .where(col(Event.kind).in_([EventKind.REPLIED.value, EventKind.FORWARDED.value]))
        ).all()
        if json.loads(e.data or "{}").get("outbox") == outbox_id
    ]
    if message is not None:
        ref = session.get(ThreadRef, row.message_id[:1000])
        if ref is not None and ref.conversation_id == conv.id:
            session.delete(ref)
        session.delete(message)
        # As if it had never been queued: its activity too, so the list's order (newest
        # activity first) is what it was (walk7: it stayed at the top of All open).
        core.resummarise(session, conv, created=False)
    core.record(
        session,
        conv,
        agent,
        EventKind.REPLY_CANCELLED,
        {"outbox": outbox_id, "replied_event": replied[0].id if replied else None},
    )
    if replied:
        _put_back(session, actor, conv, replied[0])
    return text


def _put_back(session: Session, actor: str, conv: Conversation, sent: Event) -> None:
    """What the sending changed, as it was before (``undo.put_back``): every tag,
    assignment, status change and snooze recorded with the reply, in its transaction
    (its batch), in this conversation. A send-and-close reopens (the customer was not
    answered, so it is not done), with the category tagged for the close; a follow-up's
    reopen of a closed conversation is closed again (reopened only to be answered); a
    macro's actions go with its reply (its snooze waited on an answer nobody got, its
    tags said what the reply did; the macro is not counted as used either). Each only
    where the conversation is still as the send left it (the customer wrote, another
    agent retagged: that stands)."""
    from inbox_tui.services import undo

    if sent.batch is None:
        return
    events = session.exec(
        select(Event)
        .where(Event.batch == sent.batch)
        .where(Event.conversation_id == conv.id)
        .order_by(col(Event.id))
    ).all()
    undo.put_back(session, actor, conv, list(events), cause="undo send")


@dataclass
class TakenBack:
    """What undo send took back: its text, whether it was a forward (which goes back to
    its own flow, never into a reply to the customer), which conversation it was for,
    and the sentence the agent is told (naming that conversation)."""

    text: str
    forwarded: bool
    conversation_id: int = 0
    sentence: str = ""
    review: Review | None = None  # as it was sent: mode, recipients, files, signature
    subject: str = ""  # the conversation's, cleaned: its composer is titled with it


def take_back(
    session: Session,
    actor: str,
    conversation_id: int | None = None,
    *,
    config: Config | None = None,
) -> TakenBack:
    """The TUI's undo key: take back this agent's newest reply or forward that has not
    started going out, in ``conversation_id`` or, None, whichever conversation it went
    to (after sending, the row may have left the view and the cursor sits on another).
    With ``config``, its review comes back as it was sent (``review.review_again``):
    the text is what the agent wrote (without the signature or the quoted original).
    Raises UserError when there is none."""
    outbox_id = last_cancellable(session, actor, conversation_id)
    if outbox_id is None:
        raise UserError(
            "There is no reply of yours here still waiting to be sent; "
            "it may have gone out already (undo works for [mail] undo_seconds)."
        )
    row = session.get(Outbox, outbox_id)
    assert row is not None
    conv_id = row.conversation_id
    sent = _sent_event(session, conv_id, outbox_id)
    forwarded = sent is not None and sent.kind == EventKind.FORWARDED.value
    compose = json.loads(sent.data or "{}").get("compose") if sent is not None else None
    text = cancel_outbox(session, actor, outbox_id)
    from inbox_tui.services.buglinks import follow_up_of

    bug = None if forwarded else follow_up_of(session, conv_id, outbox_id)
    review = None
    if compose and config is not None:
        from inbox_tui.services.review import review_again

        text = str(compose.get("text") or "")
        review = review_again(session, actor, conv_id, compose, config=config)
        review.follows_up = bug
    conv = session.get(Conversation, conv_id)
    subject = sanitize.one_line(conv.subject if conv else "", 80) or "(no subject)"
    # A bug's follow-up says so: F answers it again unless it is sent again from here.
    what = "forward" if forwarded else f"{sanitize.one_line(bug, 60)} follow-up" if bug else "reply"
    sentence = f"Took back your {what} to #{conv_id} “{subject}”; nothing was sent."
    return TakenBack(text, forwarded, conv_id, sentence, review, subject)


def _sent_event(session: Session, conv_id: int, outbox_id: int) -> Event | None:
    """The ``replied`` or ``forwarded`` event of an outbox row."""
    kinds = [EventKind.REPLIED.value, EventKind.FORWARDED.value]
    return next(
        (
            e
            for e in session.exec(
                select(Event)
                .where(Event.conversation_id == conv_id)
                .where(col(Event.kind).in_(kinds))
                .order_by(col(Event.id).desc())
            ).all()
            if json.loads(e.data or "{}").get("outbox") == outbox_id
        ),
        None,
    )


def take_back_last(session: Session, actor: str, conversation_id: int) -> str:
    """``take_back``'s text."""
    return take_back(session, actor, conversation_id).text
