"""Reading conversations: filtered lists with keyset paging, counts, and threads.

The list is ordered newest activity first; a page is fetched by "everything before this
(last_activity_at, id)" rather than OFFSET, so page 5,000 costs what page 1 costs.
The "waiting" order (``ConversationFilter.order``) lists the conversations that need a
reply, waiting longest first, paged the same way by (waiting since, id).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, false, func, not_, or_, true
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
    Mention,
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
from inbox_tui.services.due_order import DUE
from inbox_tui.services.fulltext import (
    LIKE_ESCAPE,
    customer_condition,
    like_contains,
    text_conditions,
)
from inbox_tui.services.listing import ConversationRow, Cursor
from inbox_tui.services.mentions import mentioned_conversations, unread_in
from inbox_tui.services.sla import SlaPolicy, due_for, matching_ids, targets_set
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
    # A "-" term the fields above cannot say (-assignee:sam, -is:open, -from:acme,
    # -password, -"exact phrase"): the conversations matching any of these are left out.
    excluded: list[ConversationFilter] = field(default_factory=list)
    # None: newest activity first. WAITING: only those that need a reply, waiting
    # longest first (services/sla.waiting_since, stored on the conversation), id
    # breaking ties. DUE: every one, by time left, most overdue first (services/due_order).
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
    # What reading its date found wrong (an impossible offset ignored, a date in the
    # future, none at all), so the customer's clock is not trusted blindly; cleaned.
    clock_notes: list[str] = field(default_factory=list)

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
    # Its own response targets set by hand: "sam set first reply target 30m" (cleaned).
    target_set: str = ""


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
    stmt = _apply_waiting(_apply_people(stmt, flt), flt, session)
    if flt.statuses:
        stmt = stmt.where(col(Conversation.status).in_(sorted(flt.statuses)))
    if flt.unassigned:
        stmt = stmt.where(col(Conversation.assignee_id).is_(None))
    elif flt.assignee:
        sub = select(Agent.id).where(Agent.username == flt.assignee).scalar_subquery()
        stmt = stmt.where(Conversation.assignee_id == sub)
    for name in flt.tags:
        stmt = stmt.where(col(Conversation.id).in_(_tagged(name)))
    for name in flt.without_tags:
        stmt = stmt.where(col(Conversation.id).not_in(_tagged(name)))
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
    for left_out in flt.excluded:
        stmt = stmt.where(_not_matching(left_out, session))
    # With required tags (or ids) SQLite drives the query from that short list of
    # conversations, not by the activity order a page is read in.
    in_order = ordered and not flt.tags and flt.ids is None and flt.sla_state is None
    in_order = in_order and flt.order is None
    terms = [(t, True) for t in flt.text] + [(t, False) for t in flt.phrases]
    conditions = text_conditions(session, terms, ordered=in_order)
    for (term, prefix), condition in zip(terms, conditions, strict=True):
        # A word is found in the text or in the customer's name or address.
        customer = customer_condition(session, term, prefix)
        stmt = stmt.where(condition if customer is None else or_(condition, customer))
    return stmt


def _tagged(name: str):  # type: ignore[no-untyped-def]
    """The ids of the conversations tagged ``name``."""
    return (
        select(ConversationTag.conversation_id)
        .join(Tag, col(Tag.id) == ConversationTag.tag_id)
        .where(Tag.name == name.lower())
    )


def _not_matching(sub: ConversationFilter, session: Session):  # type: ignore[no-untyped-def]
    """The condition "this conversation does not match ``sub``": the conditions ``sub``
    puts on a conversation row, negated as a whole. A condition that is unknown for a
    row (SQL NULL: no assignee, no contact) does not match, so ``-assignee:sam`` keeps
    the unassigned ones."""
    where = _apply_filter(select(Conversation.id), sub, session, ordered=False).whereclause
    if where is None:  # nothing to leave out ("-" with nothing after it)
        return true()
    return not_(func.coalesce(where, false()))


def _apply_waiting(stmt, flt: ConversationFilter, session: Session):  # type: ignore[no-untyped-def]
    """Waiting for a reply (Needs reply), and the response-target terms (sla:)."""
    if flt.needs_reply or flt.order == WAITING:
        # The stored copy of sla.waiting_since (store/waiting.py), indexed.
        stmt = stmt.where(col(Conversation.waiting_since).is_not(None))
    if flt.sla_state is not None and flt.sla_policy is not None:
        now = flt.sla_now or utcnow()
        found = matching_ids(session, flt.sla_policy, flt.sla_state, now, flt.sla_within)
        stmt = stmt.where(col(Conversation.id).in_(found))
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
    with_due: bool = True,
) -> list[ConversationRow]:
    """One page of conversations, newest activity first, strictly after ``after``.
    ``drafts_for``: mark the rows where this agent has a draft (the list's "draft")
    or an unread mention (the list's "@"). ``with_due``: with response targets, each row's
    due time (False: the caller has them)."""
    flt = flt or ConversationFilter()
    if flt.order == DUE:
        return _by_time_left(session, flt, after, limit, drafts_for)
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
    policy = flt.sla_policy or current_sla()
    if policy is not None and out and with_due:
        due = due_for(session, policy, [r.id for r in out])
        for r in out:
            r.sla_at_risk = policy.at_risk
            r.sla_hours = policy.hours
            r.sla_due_at = due[r.id].due_at if r.id in due else None
    return out


def by_time_left(flt: ConversationFilter) -> ConversationFilter:
    """``flt`` sorted by time left (services/due_order): the same conversations (a view
    of those that need a reply keeps only those), in that order."""
    return replace(flt, order=DUE, needs_reply=flt.needs_reply or flt.order == WAITING)


def _narrow(session: Session, flt: ConversationFilter):  # type: ignore[no-untyped-def]
    """``flt``'s conditions, without its order, for due_order's statements."""
    plain = replace(flt, order=None)
    return lambda stmt: _apply_filter(stmt, plain, session, ordered=False)


def _by_time_left(
    session: Session,
    flt: ConversationFilter,
    after: Cursor | None,
    limit: int,
    drafts_for: str | None,
) -> list[ConversationRow]:
    """A page in time-left order (services/due_order): its keys, then its rows."""
    from inbox_tui.services import due_order

    policy = flt.sla_policy or current_sla()
    keys = due_order.page(session, _narrow(session, flt), policy, after, limit)
    ids = ConversationFilter(ids=[cid for _, cid in keys])
    rows = {
        r.id: r
        for r in list_conversations(
            session, ids, limit=limit, drafts_for=drafts_for, with_due=False
        )
    }
    out = []
    for key, cid in keys:
        if cid in rows:
            row = rows[cid]
            row.order_at = key
            if policy is not None:  # the due times the order was made of
                row.sla_due_at = key if key < due_order.NO_TARGET_START else None
                row.sla_at_risk, row.sla_hours = policy.at_risk, policy.hours
            out.append(row)
    return out


def row_cursor_at(session: Session, flt: ConversationFilter, index: int) -> Cursor | None:
    """The keyset cursor of the row at ``index`` (0-based) in list order, found by
    OFFSET: used only to jump far (``G``), after which paging is by keyset again."""
    # Not "ordered": a far jump reads past most matches anyway, so the plan that stops
    # early at a page would test every conversation one by one instead.
    if flt.order == DUE:
        from inbox_tui.services import due_order

        policy = flt.sla_policy or current_sla()
        return due_order.position(session, _narrow(session, flt), policy, index)
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
    me: str | None = None,
) -> Thread:
    """The conversation with its messages and notes, oldest first: all of them, or only
    the ``newest`` few (a 900-message thread is read from its end, as Gmail shows it;
    ``earlier`` says how many were left out). Each note carries the bug references it
    links (``bug_pattern``: the configured one), so the thread shows the link. With
    ``me``, the conversation's ``mentioned`` says whether a note here names ``me``
    unread (shown, it is read: ``mentions.shown``).

    Read with prebuilt Core statements on the session's connection (the thread is what
    a key opens: through the ORM it was 8 statements and ~4.5 ms of CPU for the
    900-message thread, now ~1 ms): the conversation with its message count, its
    messages with each reply's outbox time, its tags and the rules that fired."""
    conn = session.connection()
    head = conn.execute(_HEAD, {"conv": conversation_id, "me": me}).first()
    if head is None:
        raise conversation_not_found(conversation_id)
    if newest is None:
        rows = list(conn.execute(_MESSAGES_ALL, {"conv": conversation_id}))
    else:
        rows = list(conn.execute(_MESSAGES_NEWEST, {"conv": conversation_id, "n": newest}))
        rows.reverse()
    earlier = head.total - len(rows) if newest is not None and len(rows) == newest else 0
    try:
        pattern = bugrefs.compile_pattern(bug_pattern)
    except bugrefs.BugLinkError:
        pattern = None  # a refused pattern links nothing (``issue`` says why)
    row = _header_row(session, head)
    row.mentioned = bool(head.mentioned)  # always False without ``me``
    has_target = head.target_first is not None or head.target_next is not None
    return Thread(
        conversation=row,
        version=head.version,
        earlier=earlier,
        rules_fired=rules_fired(session, conversation_id),
        target_set=targets_set(session, conversation_id) if has_target else "",
        messages=[_thread_message(m, pattern) for m in rows],
    )


def open_thread(
    session: Session,
    conversation_id: int,
    newest: int | None,
    me: str,
    now: datetime | None = None,
    bug_pattern: str | None = None,
) -> tuple[Thread, list[tuple[str, str]]]:
    """Everything the thread view shows when a conversation is opened: the thread
    (``get_thread``), the customer's clock at ``now`` (none when ``now`` is None), and
    the other agents who have it open (``presence.viewers``), as (name, activity)."""
    from inbox_tui.services.clock import customer_clock
    from inbox_tui.services.presence import viewers

    thread = get_thread(session, conversation_id, newest=newest, bug_pattern=bug_pattern, me=me)
    clock = customer_clock(session, conversation_id, now) if now is not None else None
    thread.customer_clock = clock.describe() if clock else ""
    thread.customer_offset = clock.offset_minutes if clock else None
    return thread, viewers(session, me, conversation_id)


_C = Conversation.__table__  # type: ignore[attr-defined]
_M = Message.__table__  # type: ignore[attr-defined]
_A = Agent.__table__  # type: ignore[attr-defined]
_K = Contact.__table__  # type: ignore[attr-defined]
_O = Outbox.__table__  # type: ignore[attr-defined]
_CT = ConversationTag.__table__  # type: ignore[attr-defined]
_T = Tag.__table__  # type: ignore[attr-defined]
_E = Event.__table__  # type: ignore[attr-defined]
_MN = Mention.__table__  # type: ignore[attr-defined]

# A note here names the reader (``me``), who has not read it: ``mentions.unread_in``.
_NOTE = _M.alias("note")
_NAMED = _A.alias("named")
_MENTIONS_ME = (
    core_select(_MN.c.id)
    .select_from(
        _MN.join(_NOTE, _NOTE.c.id == _MN.c.message_id).join(_NAMED, _NAMED.c.id == _MN.c.agent_id)
    )
    .where(_NOTE.c.conversation_id == _C.c.id)
    .where(_NAMED.c.username == bindparam("me"), _MN.c.read_at.is_(None))
    .exists()
)
_HEAD = (
    core_select(
        _C.c.id,
        _C.c.subject,
        _C.c.status,
        _C.c.channel,
        _C.c.last_activity_at,
        _C.c.message_count,
        _C.c.snoozed_until,
        _C.c.version,
        _C.c.target_first,
        _C.c.target_next,
        _C.c.last_customer_at,
        _C.c.created_at,
        _A.c.username,
        _K.c.name.label("contact_name"),
        _K.c.email.label("contact_email"),
        core_select(func.count())
        .where(_M.c.conversation_id == _C.c.id)
        .scalar_subquery()
        .label("total"),
        _MENTIONS_ME.label("mentioned"),
    )
    .select_from(
        _C.outerjoin(_A, _A.c.id == _C.c.assignee_id).outerjoin(_K, _K.c.id == _C.c.contact_id)
    )
    .where(_C.c.id == bindparam("conv"))
)
_TAGS = (
    core_select(_T.c.name)
    .select_from(_CT.join(_T, _T.c.id == _CT.c.tag_id))
    .where(_CT.c.conversation_id == bindparam("conv"))
    .order_by(_T.c.name)
)
# A reply still in the outbox, never tried (undo send can take it back): when it goes.
_GOES_AT = (
    core_select(_O.c.next_attempt_at)
    .where(_O.c.message_row_id == _M.c.id)
    .where(_O.c.status == OutboxStatus.QUEUED.value, _O.c.attempts == 0)
    .limit(1)
    .scalar_subquery()
)
_MESSAGES = (
    core_select(
        _M.c.id,
        _M.c.direction,
        _M.c.author_name,
        _M.c.author_email,
        _M.c.sent_at,
        _M.c.subject,
        _M.c.body,
        _M.c.message_id,
        _M.c.attachments,
        _M.c.to_addrs,
        _M.c.cc_addrs,
        _M.c.source,
        _M.c.parse_warnings,
        _A.c.username,
        case((_M.c.direction == "out", _GOES_AT), else_=None).label("goes_at"),
    )
    .select_from(_M.outerjoin(_A, _A.c.id == _M.c.agent_id))
    .where(_M.c.conversation_id == bindparam("conv"))
)
_MESSAGES_ALL = _MESSAGES.order_by(_M.c.sent_at, _M.c.id)
_MESSAGES_NEWEST = _MESSAGES.order_by(_M.c.sent_at.desc(), _M.c.id.desc()).limit(bindparam("n"))
_RULES_FIRED = (
    core_select(_E.c.data)
    .where(_E.c.conversation_id == bindparam("conv"))
    .where(_E.c.kind == EventKind.RULE_FIRED.value)
    .order_by(_E.c.id.desc())
    .limit(bindparam("n"))
)


def _header_row(session: Session, head) -> ConversationRow:  # type: ignore[no-untyped-def]
    """The conversation as its list row shows it (``list_conversations`` for one id)."""
    tags = [t for (t,) in session.connection().execute(_TAGS, {"conv": head.id})]
    row = ConversationRow(
        id=head.id,
        subject=head.subject,
        status=head.status,
        channel=head.channel,
        last_activity_at=head.last_activity_at,
        message_count=head.message_count,
        assignee=head.username,
        contact_name=head.contact_name or "",
        contact_email=head.contact_email,
        snoozed_until=head.snoozed_until,
        tags=tags,
        customer_at=_aware(head.last_customer_at or head.created_at),
    )
    policy = current_sla()
    if policy is not None:
        due = due_for(session, policy, [row.id])
        row.sla_at_risk = policy.at_risk
        row.sla_hours = policy.hours
        row.sla_due_at = due[row.id].due_at if row.id in due else None
    return row


def _thread_message(m, pattern: re.Pattern[str] | None) -> ThreadMessage:  # type: ignore[no-untyped-def]
    return ThreadMessage(
        id=m.id,
        direction=m.direction,
        author_name=m.author_name,
        author_email=m.author_email,
        agent=m.username,
        sent_at=m.sent_at,
        subject=m.subject,
        body=m.body,
        message_id=m.message_id,
        attachments=json.loads(m.attachments) if m.attachments else [],
        to=json.loads(m.to_addrs) if m.to_addrs else [],
        cc=json.loads(m.cc_addrs) if m.cc_addrs else [],
        waiting_until=m.goes_at if m.direction == "out" else None,
        forwarded=m.source == FORWARD_SOURCE,
        links=bugrefs.links(m.body, pattern) if pattern and m.direction == "note" else [],
        clock_notes=clock_notes(m.parse_warnings),
    )


_CLOCK_NOTE = re.compile(r"time-zone offset|Date header|in the future")


def clock_notes(parse_warnings: str | None) -> list[str]:
    """The notes reading a message's date left (``mail.parse``), cleaned."""
    from inbox_tui.sanitize import one_line

    lines = (parse_warnings or "").splitlines()
    return [one_line(w, 200) for w in lines if _CLOCK_NOTE.search(w)][:3]


def rules_fired(session: Session, conversation_id: int, limit: int = 20) -> list[str]:
    """The rules that fired on this conversation (their ``rule_fired`` events), oldest
    first, the newest ``limit``: the rule's name and what it did, cleaned for display."""
    rows = [
        d
        for (d,) in session.connection().execute(
            _RULES_FIRED, {"conv": conversation_id, "n": limit}
        )
    ]
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
