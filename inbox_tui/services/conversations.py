"""Reading conversations: filtered lists with keyset paging, counts, and threads.

The list is ordered newest activity first; a page is fetched by "everything before this
(last_activity_at, id)" rather than OFFSET, so page 5,000 costs what page 1 costs.
The "waiting" order (``ConversationFilter.order``) lists the conversations that need a
reply, waiting longest first, paged the same way by (waiting since, id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.models import (
    FORWARD_SOURCE,
    Agent,
    Contact,
    ContactAttribute,
    Conversation,
    ConversationTag,
    Event,
    EventKind,
    Message,
    Outbox,
    OutboxStatus,
    Status,
    Tag,
    TagKind,
    utcnow,
)
from inbox_tui.services import bugrefs
from inbox_tui.services.core import conversation_not_found
from inbox_tui.services.drafts import conversations_with_drafts
from inbox_tui.services.fulltext import LIKE_ESCAPE, like_contains, text_conditions
from inbox_tui.services.listing import ConversationRow, Cursor
from inbox_tui.services.mentions import mentioned_conversations, unread_in
from inbox_tui.services.sla import SlaPolicy, due_for, matching_ids
from inbox_tui.services.sla import current as current_sla

WAITING = "waiting"  # ConversationFilter.order: needs a reply, waiting longest first


@dataclass
class ConversationFilter:
    """What a view or a search asks for. Empty means everything."""

    statuses: set[str] | None = None
    assignee: str | None = None  # a username
    unassigned: bool = False
    tags: list[str] = field(default_factory=list)  # all required
    without_tags: list[str] = field(default_factory=list)
    channel: str | None = None
    from_contains: str | None = None  # matched against the contact's email and name
    contact_id: int | None = None  # contact:ID, one customer exactly
    after: datetime | None = None
    before: datetime | None = None
    # Words in the subject or any message of the conversation, each matched as a prefix
    # ("prin" finds "printer"); every word must match, not necessarily in one message.
    text: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)  # exact phrases, same places
    ids: list[int] | None = None
    # Linked to each of these bug references (services/bugrefs), or to none of these.
    issues: list[str] = field(default_factory=list)
    without_issues: list[str] = field(default_factory=list)
    no_category: bool = False  # carrying no tag of kind category (services/repeats)
    # Response targets (services/sla.py): "breached", "at_risk" or "due" (within
    # ``sla_within``), judged by ``sla_policy`` at ``sla_now``.
    sla_state: str | None = None
    sla_within: timedelta | None = None
    sla_policy: SlaPolicy | None = None
    sla_now: datetime | None = None
    mentioned: str | None = None  # a username: conversations with a note naming them
    # The customer's attributes (contact.plan:enterprise): (name, lower-case value).
    contact_attrs: list[tuple[str, str]] = field(default_factory=list)
    without_contact_attrs: list[tuple[str, str]] = field(default_factory=list)
    # Needs a reply: the latest message that is not a note is the customer's.
    needs_reply: bool = False
    # None: newest activity first. WAITING: only those that need a reply, waiting
    # longest first (services/sla.waiting_since, stored on the conversation), id
    # breaking ties.
    order: str | None = None


@dataclass
class ThreadMessage:
    id: int
    direction: str
    author_name: str
    author_email: str | None
    agent: str | None
    sent_at: datetime
    subject: str
    body: str
    message_id: str | None
    attachments: list[dict[str, object]]
    to: list[list[str]]
    cc: list[list[str]]
    waiting_until: datetime | None = None  # a reply still in the outbox: goes out then
    forwarded: bool = False  # a forward to someone else (To says whom), not a reply
    links: list[str] = field(default_factory=list)  # a note's bug references (bugrefs.links)

    def addressees(self) -> str:
        """The To (and Cc) line, cleaned and folded when long, of a message with someone
        else on it (on Cc, or a second To: reply-all keeps them) or of a forward (the
        thread says whom it went to); "" for a plain exchange with the customer."""
        from inbox_tui.sanitize import people

        if not (self.cc or self.forwarded or len(self.to) > 1):
            return ""
        parts = [f"To {people(self.to)}"] if self.to else []
        parts += [f"Cc {people(self.cc)}"] if self.cc else []
        return " · ".join(parts)


@dataclass
class Thread:
    conversation: ConversationRow
    messages: list[ThreadMessage]
    version: int
    earlier: int = 0  # older messages not loaded (get_thread's ``newest``)
    customer_clock: str = ""  # "their time 03:12 (UTC+02:00), night there" (services/clock)
    customer_offset: int | None = None  # their offset (minutes east of UTC), when known
    # Why things happened by themselves: each rule that fired here, newest last, as
    # "“Invoices to billing”: tagged billing, assigned to sam" (cleaned).
    rules_fired: list[str] = field(default_factory=list)


def _apply_filter(stmt, flt: ConversationFilter, session: Session, ordered: bool = True):  # type: ignore[no-untyped-def]
    """``stmt`` narrowed to ``flt``. ``ordered``: the query reads in list order and stops at
    a page (False for counts), which picks the full-text plan on SQLite."""
    if flt.ids is not None:
        stmt = stmt.where(col(Conversation.id).in_(flt.ids))
    for ref in flt.issues:
        stmt = stmt.where(col(Conversation.id).in_(bugrefs.mentioned(session, ref)))
    for ref in flt.without_issues:
        stmt = stmt.where(col(Conversation.id).not_in(bugrefs.mentioned(session, ref)))
    if flt.no_category:
        stmt = stmt.where(
            col(Conversation.id).not_in(
                select(ConversationTag.conversation_id)
                .join(Tag, col(Tag.id) == ConversationTag.tag_id)
                .where(Tag.kind == TagKind.CATEGORY.value)
            )
        )
    stmt = _apply_people(stmt, flt)
    if flt.needs_reply or flt.order == WAITING:
        # The stored copy of sla.waiting_since (store/waiting.py), indexed.
        stmt = stmt.where(col(Conversation.waiting_since).is_not(None))
    if flt.sla_state is not None and flt.sla_policy is not None:
        now = flt.sla_now or utcnow()
        found = matching_ids(session, flt.sla_policy, flt.sla_state, now, flt.sla_within)
        stmt = stmt.where(col(Conversation.id).in_(found))
    if flt.statuses:
        stmt = stmt.where(col(Conversation.status).in_(sorted(flt.statuses)))
    if flt.unassigned:
        stmt = stmt.where(col(Conversation.assignee_id).is_(None))
    elif flt.assignee:
        sub = select(Agent.id).where(Agent.username == flt.assignee).scalar_subquery()
        stmt = stmt.where(Conversation.assignee_id == sub)
    for name in flt.tags:
        stmt = stmt.where(
            col(Conversation.id).in_(
                select(ConversationTag.conversation_id)
                .join(Tag, col(Tag.id) == ConversationTag.tag_id)
                .where(Tag.name == name.lower())
            )
        )
    for name in flt.without_tags:
        stmt = stmt.where(
            col(Conversation.id).not_in(
                select(ConversationTag.conversation_id)
                .join(Tag, col(Tag.id) == ConversationTag.tag_id)
                .where(Tag.name == name.lower())
            )
        )
    if flt.channel:
        stmt = stmt.where(Conversation.channel == flt.channel)
    if flt.contact_id is not None:
        stmt = stmt.where(Conversation.contact_id == flt.contact_id)
    if flt.from_contains:
        needle = like_contains(flt.from_contains)
        stmt = stmt.where(
            col(Conversation.contact_id).in_(
                select(Contact.id).where(
                    or_(
                        func.lower(Contact.key).like(needle, escape=LIKE_ESCAPE),
                        func.lower(Contact.name).like(needle, escape=LIKE_ESCAPE),
                    )
                )
            )
        )
    if flt.after:
        stmt = stmt.where(Conversation.last_activity_at >= flt.after)
    if flt.before:
        stmt = stmt.where(Conversation.last_activity_at < flt.before)
    # With required tags (or ids) SQLite drives the query from that short list of
    # conversations, not by the activity order a page is read in.
    in_order = ordered and not flt.tags and flt.ids is None and flt.sla_state is None
    in_order = in_order and flt.order is None
    terms = [(t, True) for t in flt.text] + [(t, False) for t in flt.phrases]
    for condition in text_conditions(session, terms, ordered=in_order):
        stmt = stmt.where(condition)
    return stmt


def _apply_people(stmt, flt: ConversationFilter):  # type: ignore[no-untyped-def]
    """Who is behind it: notes naming an agent, the customer's attributes."""
    if flt.mentioned:
        stmt = stmt.where(col(Conversation.id).in_(mentioned_conversations(flt.mentioned)))
    for name, value in flt.contact_attrs:
        stmt = stmt.where(col(Conversation.contact_id).in_(_with_attribute(name, value)))
    for name, value in flt.without_contact_attrs:
        stmt = stmt.where(
            or_(
                col(Conversation.contact_id).is_(None),
                col(Conversation.contact_id).not_in(_with_attribute(name, value)),
            )
        )
    return stmt


def _with_attribute(name: str, value: str):  # type: ignore[no-untyped-def]
    """The customers whose attribute ``name`` is ``value`` (case-insensitive)."""
    return (
        select(ContactAttribute.contact_id)
        .where(ContactAttribute.name == name.lower())
        .where(func.lower(ContactAttribute.value) == value.lower())
    )


def list_conversations(
    session: Session,
    flt: ConversationFilter | None = None,
    after: Cursor | None = None,
    limit: int = 100,
    drafts_for: str | None = None,
) -> list[ConversationRow]:
    """One page of conversations, newest activity first, strictly after ``after``.
    ``drafts_for``: mark the rows where this agent has a draft (the list's "draft")
    or an unread mention (the list's "@")."""
    flt = flt or ConversationFilter()
    key = _order_key(flt)
    stmt = (
        core_select(Conversation, col(Agent.username), col(Contact.name), col(Contact.email), key)
        .outerjoin(Agent, col(Agent.id) == Conversation.assignee_id)
        .outerjoin(Contact, col(Contact.id) == Conversation.contact_id)
    )
    stmt = _apply_filter(stmt, flt, session)
    if after is not None:
        stmt = stmt.where(_after(flt, key, after))
    stmt = _ordered(stmt, flt, key).limit(limit)
    rows = [tuple(r) for r in session.execute(stmt).all()]
    tags = _tags_for(session, [r[0].id for r in rows])
    drafted = (
        conversations_with_drafts(session, drafts_for, [r[0].id for r in rows])
        if drafts_for
        else set()
    )
    named = unread_in(session, drafts_for, [r[0].id for r in rows]) if drafts_for else set()
    out = [
        ConversationRow(
            id=conv.id,
            subject=conv.subject,
            status=conv.status,
            channel=conv.channel,
            last_activity_at=conv.last_activity_at,
            message_count=conv.message_count,
            assignee=username,
            contact_name=cname or "",
            contact_email=cemail,
            snoozed_until=conv.snoozed_until,
            tags=tags.get(conv.id, []),
            draft=conv.id in drafted,
            mentioned=conv.id in named,
            waiting_since=_aware(since) if flt.order == WAITING else None,
            customer_at=_aware(conv.last_customer_at or conv.created_at),
        )
        for conv, username, cname, cemail, since in rows
    ]
    policy = current_sla()
    if policy is not None and out:
        due = due_for(session, policy, [r.id for r in out])
        for r in out:
            r.sla_at_risk = policy.at_risk
            r.sla_hours = policy.hours
            r.sla_due_at = due[r.id].due_at if r.id in due else None
    return out


def row_cursor_at(session: Session, flt: ConversationFilter, index: int) -> Cursor | None:
    """The keyset cursor of the row at ``index`` (0-based) in list order, found by
    OFFSET: used only to jump far (``G``), after which paging is by keyset again."""
    # Not "ordered": a far jump reads past most matches anyway, so the plan that stops
    # early at a page would test every conversation one by one instead.
    key = _order_key(flt)
    stmt = _apply_filter(select(key, Conversation.id), flt, session, ordered=False)
    row = session.exec(_ordered(stmt, flt, key).offset(index).limit(1)).first()
    if row is None:
        return None
    at = _aware(row[0])
    return (at, row[1]) if at is not None else None


def _order_key(flt: ConversationFilter):  # type: ignore[no-untyped-def]
    """The column the list is ordered by, before the id."""
    if flt.order == WAITING:
        return col(Conversation.waiting_since).label("order_key")
    return col(Conversation.last_activity_at).label("order_key")


def _ordered(stmt, flt: ConversationFilter, key):  # type: ignore[no-untyped-def]
    if flt.order == WAITING:
        return stmt.order_by(key.asc(), col(Conversation.id).asc())
    return stmt.order_by(key.desc(), col(Conversation.id).desc())


def _after(flt: ConversationFilter, key, after: Cursor):  # type: ignore[no-untyped-def]
    """The keyset condition: strictly after ``after`` in the list's order."""
    at, cid = after
    expr = key.element
    if flt.order == WAITING:
        return or_(expr > at, and_(expr == at, col(Conversation.id) > cid))
    return or_(expr < at, and_(expr == at, col(Conversation.id) < cid))


def _aware(at: datetime | None) -> datetime | None:
    from datetime import UTC

    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def count_conversations(session: Session, flt: ConversationFilter | None = None) -> int:
    stmt = _apply_filter(
        select(func.count()).select_from(Conversation),
        flt or ConversationFilter(),
        session,
        ordered=False,
    )
    return int(session.exec(stmt).one())


def _tags_for(session: Session, ids: list[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    out: dict[int, list[str]] = {}
    for cid, name in session.exec(
        select(ConversationTag.conversation_id, Tag.name)
        .join(Tag, col(Tag.id) == ConversationTag.tag_id)
        .where(col(ConversationTag.conversation_id).in_(ids))
        .order_by(Tag.name)
    ).all():
        out.setdefault(cid, []).append(name)
    return out


def get_conversation(session: Session, conversation_id: int) -> ConversationRow:
    rows = list_conversations(session, ConversationFilter(ids=[conversation_id]), limit=1)
    if not rows:
        raise conversation_not_found(conversation_id)
    return rows[0]


def _waiting(session: Session, message_ids: list[int | None]) -> dict[int, datetime]:
    """When each of these outgoing messages still waiting in the outbox (queued, never
    tried: undo send can take it back) will go out: a scheduled reply shows it."""
    ids = [i for i in message_ids if i is not None]
    if not ids:
        return {}
    rows = session.exec(
        select(Outbox.message_row_id, Outbox.next_attempt_at)
        .where(col(Outbox.message_row_id).in_(ids))
        .where(Outbox.status == OutboxStatus.QUEUED.value, Outbox.attempts == 0)
    ).all()
    return {int(mid): at for mid, at in rows if mid is not None}


def label(session: Session, conversation_id: int) -> str:
    """How a screen names a conversation it acts on: "#42 “Subject”" (cleaned)."""
    from inbox_tui.services.wording import subject

    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise conversation_not_found(conversation_id)
    return f"#{conversation_id} {subject(conv.subject)}"


def get_thread(
    session: Session,
    conversation_id: int,
    newest: int | None = None,
    bug_pattern: str | None = None,
) -> Thread:
    """The conversation with its messages and notes, oldest first: all of them, or only
    the ``newest`` few (a 900-message thread is read from its end, as Gmail shows it;
    ``earlier`` says how many were left out). Each note carries the bug references it
    links (``bug_pattern``: the configured one), so the thread shows the link."""
    row = get_conversation(session, conversation_id)
    conv = session.get(Conversation, conversation_id)
    assert conv is not None
    stmt = (
        select(Message, Agent.username)
        .outerjoin(Agent, col(Agent.id) == Message.agent_id)
        .where(Message.conversation_id == conversation_id)
    )
    earlier = 0
    if newest is None:
        msgs = list(session.exec(stmt.order_by(col(Message.sent_at), col(Message.id))).all())
    else:
        msgs = list(
            session.exec(
                stmt.order_by(col(Message.sent_at).desc(), col(Message.id).desc()).limit(newest)
            ).all()
        )
        msgs.reverse()
        if len(msgs) == newest:
            total = session.exec(
                select(func.count())
                .select_from(Message)
                .where(Message.conversation_id == conversation_id)
            ).one()
            earlier = total - len(msgs)
    waiting = _waiting(session, [m.id for m, _ in msgs if m.direction == "out"])
    try:
        pattern = bugrefs.compile_pattern(bug_pattern)
    except bugrefs.BugLinkError:
        pattern = None  # a refused pattern links nothing (``issue`` says why)
    return Thread(
        conversation=row,
        version=conv.version,
        earlier=earlier,
        rules_fired=rules_fired(session, conversation_id),
        messages=[
            ThreadMessage(
                id=m.id,  # type: ignore[arg-type]
                direction=m.direction,
                author_name=m.author_name,
                author_email=m.author_email,
                agent=username,
                sent_at=m.sent_at,
                subject=m.subject,
                body=m.body,
                message_id=m.message_id,
                attachments=json.loads(m.attachments) if m.attachments else [],
                to=json.loads(m.to_addrs) if m.to_addrs else [],
                cc=json.loads(m.cc_addrs) if m.cc_addrs else [],
                waiting_until=waiting.get(m.id),  # type: ignore[arg-type]
                forwarded=m.source == FORWARD_SOURCE,
                links=bugrefs.links(m.body, pattern) if pattern and m.direction == "note" else [],
            )
            for m, username in msgs
        ],
    )


def rules_fired(session: Session, conversation_id: int, limit: int = 20) -> list[str]:
    """The rules that fired on this conversation (their ``rule_fired`` events), oldest
    first, the newest ``limit``: the rule's name and what it did, cleaned for display."""
    rows = session.exec(
        select(Event.data)
        .where(Event.conversation_id == conversation_id)
        .where(Event.kind == EventKind.RULE_FIRED.value)
        .order_by(col(Event.id).desc())
        .limit(limit)
    ).all()
    out = []
    for raw in reversed(rows):
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        name = sanitize.one_line(str(data.get("rule") or "?"), 100)
        actions = data.get("actions")
        listed = actions[:10] if isinstance(actions, list) else []
        did = ", ".join(sanitize.one_line(str(a), 60) for a in listed)
        out.append(f"“{name}”: {did}" if did else f"“{name}”")
    return out


def view_filter(view: str, me: str) -> ConversationFilter:
    """The built-in views: unassigned, mine, open, pending, snoozed, closed, all,
    mentions (notes naming me), needs-reply (waiting longest first), no-category (closed
    without a category tag), tag:<name>, burst:<key>:<id,id,...> (an incident's
    conversations, ``services/incidents.burst_view``)."""
    active = {Status.OPEN.value}
    if view == "unassigned":
        return ConversationFilter(statuses=active, unassigned=True)
    if view == "mine":
        return ConversationFilter(statuses=active | {Status.PENDING.value}, assignee=me)
    if view == "open":
        return ConversationFilter(statuses=active)
    if view in ("pending", "snoozed", "closed"):
        return ConversationFilter(statuses={view})
    if view == "all":
        return ConversationFilter()
    if view == "mentions":
        return ConversationFilter(mentioned=me)
    if view == "needs-reply":
        return ConversationFilter(statuses=active | {Status.PENDING.value}, order=WAITING)
    if view == "no-category":
        return ConversationFilter(statuses={Status.CLOSED.value}, no_category=True)
    if view.startswith("tag:"):
        return ConversationFilter(tags=[view[4:]])
    if view.startswith("burst:"):
        ids = view.split(":", 2)[2] if view.count(":") >= 2 else ""
        if ids and all(part.isdigit() for part in ids.split(",")):
            return ConversationFilter(ids=[int(part) for part in ids.split(",")])
    raise ValueError(f"unknown view {view!r}")


def not_in_view(session: Session, flt: ConversationFilter, ids: list[int]) -> list[int]:
    """Which of ``ids`` the list for ``flt`` does not show: a selection made in one view
    or search that is out of sight in the next (an action must never touch them)."""
    if not ids:
        return []
    stmt = select(Conversation.id).where(col(Conversation.id).in_(ids))
    shown = set(session.exec(_apply_filter(stmt, flt, session, ordered=False)).all())
    return sorted(set(ids) - shown)
