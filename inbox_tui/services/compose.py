"""The composer's send: one transaction for a reply, or a macro's reply with its actions,
plus the help article it carries. It sits above replies, macros and suggest (each of
which it calls), so none of them has to import another back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from inbox_tui.models import Outbox, OutboxStatus
from inbox_tui.services.article_picks import record_article_sent
from inbox_tui.services.macros import apply_macro
from inbox_tui.services.replies import delivery_sentence, queue_reply

if TYPE_CHECKING:
    from inbox_tui.config import Config
    from inbox_tui.services.review import Review


@dataclass
class Sent:
    outbox_id: int | None
    logged: bool  # recorded in the conversation but not delivered (demo, chat without a route)
    sentence: str = ""  # what the agent is told: where it goes, and for how long undo works
    undo_seconds: float = 0.0  # the reply waits this long before it is sent


def send_reply(
    session: Session,
    actor: str,
    conversation_id: int,
    body: str,
    *,
    config: Config,
    then_status: str | None = None,
    seen_version: int | None = None,
    force: bool = False,
    macro: str | None = None,
    article_id: int | None = None,
    reply_all: bool = False,
    review: Review | None = None,
    category: str | None = None,
    send_at: datetime | None = None,
) -> Sent:
    """The composer's send: a plain reply, or a macro's reply with its actions, plus the
    help article it carries, in one transaction. ``then_status`` None is the default
    (pending, or the macro's own status); "closed" is send and close. ``review``: the
    review step's recipients, signature and files (a forward's review forwards).
    ``category``: when the send closes, the category the agent chose for it
    (``categories.before_close``). Raises Collision when someone else acted since
    ``seen_version`` (unless ``force``)."""
    if review is not None and review.kind == "forward":
        return _send_forward(session, actor, review, body, config)
    options = reply_options(review)
    if send_at is not None:  # "send at" given outside the review (conv reply --send-at)
        options["send_at"] = send_at
    if macro:
        outbox_id = apply_macro(
            session,
            actor,
            conversation_id,
            macro,
            config=config,
            body=body,
            seen_version=seen_version,
            force=force,
            then_status=then_status,
            reply_options=options,
            category=category,
        ).outbox_id
    else:
        outbox_id = queue_reply(
            session,
            actor,
            conversation_id,
            body,
            config=config,
            then_status=then_status or "pending",
            seen_version=seen_version,
            force=force,
            reply_all=reply_all,
            category=category,
            **options,
        )
    if article_id is not None:
        record_article_sent(session, actor, conversation_id, article_id, outbox=outbox_id)
    if review is not None and review.follows_up and outbox_id is not None:
        from inbox_tui.services.buglinks import record_follow_up

        record_follow_up(session, actor, conversation_id, review.follows_up, outbox_id)
    return _sent(session, outbox_id, config)


def _sent(session: Session, outbox_id: int | None, config: Config, what: str = "") -> Sent:
    row = session.get(Outbox, outbox_id) if outbox_id else None
    if row is None:
        return Sent(outbox_id, False, "Reply queued.")
    logged = row.status == OutboxStatus.LOGGED.value
    delay = 0.0 if logged else config.mail.undo_seconds
    sentence = delivery_sentence(row.status, row.channel, config)
    held = (row.next_attempt_at - row.created_at).total_seconds() > delay + 1
    if held and not logged:  # "send at": held until then
        from inbox_tui.services.agent_clock import agent_zone
        from inbox_tui.services.clock import customer_clock
        from inbox_tui.services.schedule import describe

        clock = customer_clock(session, row.conversation_id, row.created_at)
        offset, zone = clock.offset_minutes if clock else None, agent_zone(config.agent.timezone)
        when = describe(row.next_attempt_at, offset, zone)
        sentence = f"Reply scheduled for {when}; it waits in the outbox (undo until then)."
    if what:
        sentence = sentence.replace("Reply", what, 1)
    return Sent(outbox_id, logged, sentence, delay)


def reply_options(review: Review | None) -> dict[str, Any]:
    """``queue_reply``'s keyword arguments for what the review step shows: the
    recipients as the agent left them, the signature on or off, the files."""
    if review is None:
        return {}
    if review.chat:
        return {
            "sign": review.sign,
            "attachments": list(review.files),
            "answering": review.answering,
        }
    return {
        "answering": review.answering,
        "to": list(review.to),
        "cc": list(review.cc),
        "bcc": list(review.bcc),
        "sign": review.sign,
        "attachments": list(review.files),
        "send_at": review.send_at,
    }


def _send_forward(session: Session, actor: str, review: Review, note: str, config: Config) -> Sent:
    from inbox_tui.services.forward import queue_forward
    from inbox_tui.services.review import BadAddress

    if not review.to:
        raise BadAddress("Add someone to send it to: press a to edit the recipients.")
    outbox_id = queue_forward(
        session,
        actor,
        review.conversation_id,
        list(review.to),
        config=config,
        note=note,
        message_row_id=review.message_row_id,
        attach_original=review.attach_original,
        attachments=list(review.files),
        sign=review.sign,
        cc=list(review.cc),
        bcc=list(review.bcc),
    )
    return _sent(session, outbox_id, config, "Forward")


@dataclass
class ReplyStart:
    """What the composer opens with: the text (the agent's kept draft, then whatever the
    flow brings: a macro's or an article's text) and the headers the reply will have."""

    text: str
    headers: list[tuple[str, str]]
    had_draft: bool
    version: int | None = None  # the conversation as the reply started (collision check)
    review: Review | None = None  # the review step's From/To/Cc/Bcc, subject, signature
    cursor: int | None = None  # where typing goes in ``text`` (None: at its end)


def start_reply(
    session: Session,
    actor: str,
    conversation_id: int,
    text: str = "",
    *,
    config: Config,
    exact: bool = False,
    reply_all: bool = False,
    greeting_room: bool = False,
) -> ReplyStart:
    """The composer's text for a reply: a kept draft comes back, and text a flow adds (a
    macro, an article) goes after it, so nothing typed before is ever replaced.
    ``exact``: ``text`` is the whole reply (a send that failed, handed back).
    ``greeting_room``: ``text`` begins with blank lines for the agent's greeting (an
    article): typing goes there, or after the kept draft above it, not after the text."""
    from inbox_tui.models import Conversation
    from inbox_tui.services.drafts import get_draft, get_review_edits, join_texts
    from inbox_tui.services.replies import reply_headers

    draft = None if exact else get_draft(session, actor, conversation_id)
    body = join_texts(draft or "", text)
    edits = get_review_edits(session, actor, conversation_id) if draft is not None else {}
    reply_all = reply_all or edits.get("reply_all") is True  # a reply-all draft stays one
    headers = reply_headers(session, conversation_id, config=config, reply_all=reply_all)
    conv = session.get(Conversation, conversation_id)
    from inbox_tui.services.review import reply_review

    review = reply_review(session, actor, conversation_id, config=config, reply_all=reply_all)
    review.apply_edits(edits)  # the recipients, signature, files and time it was left with
    cursor = None
    if greeting_room and text.strip():
        cursor = len(draft.rstrip("\n")) if draft and draft.strip() else 0
    version = conv.version if conv else None
    return ReplyStart(body, headers, draft is not None, version, review, cursor)


def start_note(session: Session, actor: str, conversation_id: int) -> ReplyStart:
    """The note composer's text: the agent's kept note draft, if any, with the files
    attached to it in its review."""
    from inbox_tui.services.drafts import get_draft, get_review_edits
    from inbox_tui.services.review import note_review

    draft = get_draft(session, actor, conversation_id, kind="note")
    review = note_review(conversation_id)
    if draft is not None:
        review.apply_edits(get_review_edits(session, actor, conversation_id, kind="note"))
    return ReplyStart(draft or "", [], draft is not None, review=review)
