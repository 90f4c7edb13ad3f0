"""The composer's send: one transaction for a reply, or a macro's reply with its actions,
plus the help article it carries. It sits above replies, macros and suggest (each of
which it calls), so none of them has to import another back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from inbox_tui.models import Outbox, OutboxStatus
from inbox_tui.services.macros import apply_macro
from inbox_tui.services.replies import delivery_sentence, queue_reply
from inbox_tui.services.suggest import record_article_sent

if TYPE_CHECKING:
    from inbox_tui.config import Config


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
) -> Sent:
    """The composer's send: a plain reply, or a macro's reply with its actions, plus the
    help article it carries, in one transaction. ``then_status`` None is the default
    (pending, or the macro's own status); "closed" is send and close. Raises Collision
    when someone else acted since ``seen_version`` (unless ``force``)."""
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
        )
    if article_id is not None:
        record_article_sent(session, actor, conversation_id, article_id)
    row = session.get(Outbox, outbox_id) if outbox_id else None
    if row is None:
        return Sent(outbox_id, False, "Reply queued.")
    logged = row.status == OutboxStatus.LOGGED.value
    delay = 0.0 if logged else config.mail.undo_seconds
    return Sent(outbox_id, logged, delivery_sentence(row.status, row.channel, config), delay)


@dataclass
class ReplyStart:
    """What the composer opens with: the text (the agent's kept draft, then whatever the
    flow brings: a macro's or an article's text) and the headers the reply will have."""

    text: str
    headers: list[tuple[str, str]]
    had_draft: bool
    version: int | None = None  # the conversation as the reply started (collision check)


def start_reply(
    session: Session,
    actor: str,
    conversation_id: int,
    text: str = "",
    *,
    config: Config,
    exact: bool = False,
    reply_all: bool = False,
) -> ReplyStart:
    """The composer's text for a reply: a kept draft comes back, and text a flow adds (a
    macro, an article) goes after it, so nothing typed before is ever replaced.
    ``exact``: ``text`` is the whole reply (a send that failed, handed back)."""
    from inbox_tui.models import Conversation
    from inbox_tui.services.drafts import get_draft, join_texts
    from inbox_tui.services.replies import reply_headers

    draft = None if exact else get_draft(session, actor, conversation_id)
    body = join_texts(draft or "", text)
    headers = reply_headers(session, conversation_id, config=config, reply_all=reply_all)
    conv = session.get(Conversation, conversation_id)
    return ReplyStart(body, headers, draft is not None, conv.version if conv else None)


def start_note(session: Session, actor: str, conversation_id: int) -> ReplyStart:
    """The note composer's text: the agent's kept note draft, if any."""
    from inbox_tui.services.drafts import get_draft

    draft = get_draft(session, actor, conversation_id, kind="note")
    return ReplyStart(draft or "", [], draft is not None)
