"""Response targets (the config's ``[sla]``): by when each conversation needs a reply.

A conversation *waits* when it is open and a customer wrote after the last reply an
agent sent (notes are not replies). It waits for its **first response** while no agent
has replied yet, else for its **next response**; the clock starts at the first customer
message not yet answered (``waiting_since``, the one definition, kept stored on the
conversation: ``store/waiting.py``). The due time is that start plus the target, counted
in the ``[business_hours]`` working time when that section is set (``add_business_time``,
DST-correct like the stats), else in wall-clock time. A tag, a source or a customer
attribute with its own targets replaces the default; several take the shortest. A rule's
``then.target`` sets targets for one conversation (``set_targets``), over all of those.

States: **breached** (due time passed), **at risk** (no more than ``at_risk`` left),
ok. Time left or overdue (``time_left``: the list's mark, ``describe``, the JSON) is
counted as the targets are: working time when business hours are set.
The search terms ``sla:breached``, ``sla:at-risk`` and ``sla:due<2h`` select by them
(``matching_ids``); ``waiting`` lists them most urgent first.

The policy comes from the config; the CLI and the TUI set it once (``configure``) so the
search language, which has no config, can use it (``current``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from inbox_tui.errors import UserError
from inbox_tui.models import (
    FORWARD_SOURCE,
    ContactAttribute,
    Conversation,
    ConversationTag,
    Direction,
    Message,
    Outbox,
    OutboxStatus,
    Status,
    Tag,
)
from inbox_tui.services.stats import BusinessHours, DrillRow, load_subjects
from inbox_tui.store.waiting import waiting_since  # the one definition, kept stored
from inbox_tui.when import parse_duration

BREACHED = "breached"
AT_RISK = "at_risk"
OK = "ok"
CHUNK = 500  # ids per IN list


@dataclass(frozen=True)
class Targets:
    first: timedelta | None = None
    next: timedelta | None = None

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> Targets:
        def get(key: str) -> timedelta | None:
            value = section.get(key)
            return parse_duration(value) if value else None

        return cls(get("first_response"), get("next_response"))


@dataclass(frozen=True)
class SlaPolicy:
    default: Targets
    at_risk: timedelta = timedelta(hours=1)
    tags: dict[str, Targets] = field(default_factory=dict)
    sources: dict[str, Targets] = field(default_factory=dict)
    # Customer attributes: (name, lower-case value) -> targets ([sla.contacts."plan=x"]).
    contacts: dict[tuple[str, str], Targets] = field(default_factory=dict)
    hours: BusinessHours | None = None

    @classmethod
    def from_config(
        cls, sla: dict[str, Any] | None, business_hours: dict[str, Any] | None = None
    ) -> SlaPolicy | None:
        """The policy of a validated ``[sla]`` section (None when there is none)."""
        if not sla:
            return None
        hours = (
            BusinessHours.from_config(business_hours) if sla.get("business_hours", True) else None
        )
        return cls(
            default=Targets.from_config(sla),
            at_risk=parse_duration(sla.get("at_risk") or "1h"),
            tags={
                k.strip().lower(): Targets.from_config(v)
                for k, v in (sla.get("tags") or {}).items()
            },
            sources={k: Targets.from_config(v) for k, v in (sla.get("sources") or {}).items()},
            contacts={
                _pair(k): Targets.from_config(v) for k, v in (sla.get("contacts") or {}).items()
            },
            hours=hours if hours is not None and hours.days else None,
        )

    def targets_for(
        self,
        tags: Sequence[str],
        source: str,
        attributes: dict[str, str] | None = None,
        own_targets: Targets | None = None,
    ) -> Targets:
        """The targets of a conversation: its tags', source's and customer's attributes'
        own (the shortest of them), else the default; and over all of them, the targets
        set for this conversation alone (a rule's ``then.target``: ``own_targets``)."""
        found = self._configured(tags, source, attributes)
        if own_targets is None:
            return found
        return Targets(
            own_targets.first if own_targets.first is not None else found.first,
            own_targets.next if own_targets.next is not None else found.next,
        )

    def _configured(
        self, tags: Sequence[str], source: str, attributes: dict[str, str] | None
    ) -> Targets:
        own = [self.tags[t] for t in tags if t in self.tags]
        own += [t for prefix, t in self.sources.items() if source.startswith(prefix)]
        own += [
            t for (name, value), t in self.contacts.items() if (attributes or {}).get(name) == value
        ]

        def pick(values: list[timedelta | None], default: timedelta | None) -> timedelta | None:
            set_ = [v for v in values if v is not None]
            return min(set_) if set_ else default

        return Targets(
            pick([t.first for t in own], self.default.first),
            pick([t.next for t in own], self.default.next),
        )

    def shortest(self, own: timedelta | None = None) -> timedelta | None:
        """The shortest target anywhere (``own``: the shortest set on a conversation):
        nothing can be due sooner after it starts."""
        every = [self.default, *self.tags.values(), *self.sources.values()]
        every += self.contacts.values()
        values = [v for t in every for v in (t.first, t.next) if v is not None]
        values += [own] if own is not None else []
        return min(values) if values else None

    def longest(self) -> timedelta | None:
        """The longest target configured (a conversation's own target aside): nothing
        without one of its own is due later after it starts."""
        every = [self.default, *self.tags.values(), *self.sources.values()]
        every += self.contacts.values()
        values = [v for t in every for v in (t.first, t.next) if v is not None]
        return max(values) if values else None

    def due(self, start: datetime, target: timedelta) -> datetime:
        if self.hours is None:
            return start + target
        return add_business_time(self.hours, start, target)


def add_business_time(hours: BusinessHours, start: datetime, amount: timedelta) -> datetime:
    """The instant at which ``amount`` of working time has passed since ``start``
    (the inverse of ``BusinessHours.seconds_between``). Each day's window is built in
    local time, so a DST change moves the window, not the amount."""
    left = amount
    day = start.astimezone(hours.zone).date()
    for _ in range(3700):  # ten years of days: no target is longer
        if day.weekday() in hours.days:
            open_ = datetime.combine(day, hours.start, hours.zone).astimezone(UTC)
            close = datetime.combine(day, hours.end, hours.zone).astimezone(UTC)
            lo = max(start.astimezone(UTC), open_)
            if close > lo:
                if close - lo >= left:
                    return lo + left
                left -= close - lo
        day += timedelta(days=1)
    raise UserError("The response target is longer than ten years of working time.")


def time_left(due_at: datetime, now: datetime, hours: BusinessHours | None) -> timedelta:
    """How long until ``due_at`` (negative: how long overdue), counted as the targets
    are: in working time when ``[business_hours]`` is set (a target due Friday 16:00
    is one working hour overdue at Monday 10:00, not 66 hours), else by the clock."""
    if hours is None:
        return due_at - now
    if due_at >= now:
        return timedelta(seconds=hours.seconds_between(now, due_at))
    return -timedelta(seconds=hours.seconds_between(due_at, now))


@dataclass
class Due:
    """One waiting conversation: what it waits for, since when, and by when."""

    conversation_id: int
    subject: str
    kind: str  # "first" or "next" response
    waiting_since: datetime
    due_at: datetime | None  # None: no target for this kind
    hours: BusinessHours | None = None  # the working time the targets count in

    def left(self, now: datetime) -> timedelta | None:
        """Time left (negative: overdue), in working time when that is set."""
        return time_left(self.due_at, now, self.hours) if self.due_at is not None else None

    def state(self, now: datetime, at_risk: timedelta) -> str:
        """Breached once the due time has passed; at risk when no more than ``at_risk``
        of (working) time is left."""
        if self.due_at is None:
            return OK
        if self.due_at <= now:
            return BREACHED
        left = self.left(now)
        return AT_RISK if left is not None and left <= at_risk else OK

    def as_dict(self, now: datetime, policy: SlaPolicy) -> dict[str, Any]:
        # In working time when that is set, as the targets count ("state" says breached
        # even when no working time has passed since the due time).
        left = self.left(now)
        seconds = left.total_seconds() if left is not None else None
        return {
            "kind": self.kind,
            "waiting_since": self.waiting_since.isoformat(),
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "seconds_left": seconds,
            "state": self.state(now, policy.at_risk),
        }


_POLICY: list[SlaPolicy | None] = [None]


def configure(policy: SlaPolicy | None) -> None:
    """The policy the search terms use in this process (set from the config)."""
    _POLICY[0] = policy


def current() -> SlaPolicy | None:
    return _POLICY[0]


def waiting(
    session: Session,
    policy: SlaPolicy,
    *,
    ids: Sequence[int] | None = None,
    started_before: datetime | None = None,
) -> list[Due]:
    """Every waiting conversation (or those of ``ids``), most urgent first: due time,
    then waiting longest. ``started_before`` keeps those waiting since before it.
    Since when each waits is read from the stored copy of ``waiting_since`` (indexed)."""
    last_out = waiting_since()[1]
    since = col(Conversation.waiting_since)
    stmt = (
        core_select(
            col(Conversation.id),
            col(Conversation.subject),
            col(Conversation.source),
            since,
            last_out,
            col(Conversation.target_first),
            col(Conversation.target_next),
        )
        .where(col(Conversation.status) == Status.OPEN.value)
        .where(since.is_not(None))
    )
    if started_before is not None:
        stmt = stmt.where(since <= started_before)
    rows = []
    for chunk in _chunks(ids):
        part = stmt if chunk is None else stmt.where(col(Conversation.id).in_(chunk))
        rows += [tuple(r) for r in session.execute(part).all() if r[3] is not None]
    tags = _tags(session, [r[0] for r in rows])
    attrs = _attributes(session, policy, [r[0] for r in rows])
    found = []
    for cid, subject, source, start, replied, first, next_ in rows:
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        own = own_targets(first, next_)
        targets = policy.targets_for(tags.get(cid, []), source or "", attrs.get(cid), own)
        kind, target = ("first", targets.first) if replied is None else ("next", targets.next)
        due = policy.due(start, target) if target is not None else None
        found.append(Due(cid, subject, kind, start, due, policy.hours))
    far = datetime.max.replace(tzinfo=UTC)
    found.sort(key=lambda d: (d.due_at or far, d.waiting_since, d.conversation_id))
    return found


def own_targets(first: int | None, next_: int | None) -> Targets | None:
    """The targets stored on a conversation (seconds; a rule's ``then.target``)."""
    if first is None and next_ is None:
        return None
    return Targets(
        timedelta(seconds=first) if first is not None else None,
        timedelta(seconds=next_) if next_ is not None else None,
    )


def set_targets(
    session: Session,
    conversation_id: int,
    first: timedelta | None,
    next_: timedelta | None,
) -> list[str]:
    """Set this conversation's own response targets (a rule's ``then.target``; None
    leaves that one as it is). Returns what changed, in words, for the rule's history
    line (the ``rule_fired`` event records it and bumps the version)."""
    from inbox_tui.services.core import lock_conversation

    conv = lock_conversation(session, conversation_id)
    changed = []
    for kind, attr, value in (("first", "target_first", first), ("next", "target_next", next_)):
        seconds = int(value.total_seconds()) if value is not None else None
        if seconds is not None and getattr(conv, attr) != seconds:
            setattr(conv, attr, seconds)
            changed.append(f"{kind} reply target {amount(value)}")  # type: ignore[arg-type]
    return [f"set {' and '.join(changed)}"] if changed else []


def set_by_hand(
    session: Session,
    actor: str,
    conversation_id: int,
    first: timedelta | None,
    next_: timedelta | None,
    clear: bool = False,
) -> list[str]:
    """An agent sets this conversation's own response targets, as a rule's
    ``then.target`` does (None leaves that one as it is), or with ``clear`` removes
    them (the ``[sla]`` ones apply again). A ``target_set`` event names the agent and
    what changed. Returns what changed, in words ([]: nothing)."""
    from inbox_tui.models import EventKind
    from inbox_tui.services.core import ensure_agent, lock_conversation, record

    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    if clear:
        changed = [
            f"cleared the {kind} reply target ({amount(timedelta(seconds=value))})"
            for kind, value in (("first", conv.target_first), ("next", conv.target_next))
            if value is not None
        ]
        conv.target_first = conv.target_next = None
        session.add(conv)
    else:
        changed = set_targets(session, conversation_id, first, next_)
    if changed:
        data = {"first": conv.target_first, "next": conv.target_next, "changes": changed}
        record(session, conv, agent, EventKind.TARGET_SET, data)
    return changed


def target_time(text: str) -> timedelta:
    """A hand-set target, in the rules' words (a time like 30m, at most a year), or
    one sentence (UserError)."""
    from inbox_tui import sanitize
    from inbox_tui.rules import MAX_TARGET

    try:
        amount_ = parse_duration(text)
    except ValueError:
        amount_ = None
    if amount_ is None or amount_ > MAX_TARGET:
        raise UserError(
            f"“{sanitize.one_line(text, 40)}” is not a time like 30m, 4h or 2d (at most a "
            "year); nothing was changed."
        )
    return amount_


def target_words(text: str) -> tuple[timedelta | None, timedelta | None, bool]:
    """What is typed in the TUI's target prompt as (first, next, clear): "30m" for both
    replies, "first 1h next 8h" (or "first=1h", either alone), "none" to clear. Raises
    UserError, one sentence."""
    words = text.replace("=", " ").replace(",", " ").lower().split()
    if words in ([], ["none"], ["clear"]):
        return None, None, True
    if len(words) == 1:
        both = target_time(words[0])
        return both, both, False
    found: dict[str, timedelta] = {}
    pairs = list(zip(words[::2], words[1::2], strict=False))
    keys = [k for k, _ in pairs]
    if len(words) % 2 or len(set(keys)) < len(keys) or set(keys) - {"first", "next"}:
        raise UserError('Type a time (30m), "first 1h next 8h", or none.')
    for key, value in pairs:
        found[key] = target_time(value)
    return found.get("first"), found.get("next"), False


def targets_set(session: Session, conversation_id: int) -> str:
    """Who last set this conversation's own targets by hand, and what: "sam set first
    reply target 30m" (cleaned; "" when nobody did)."""
    from inbox_tui import sanitize
    from inbox_tui.models import Agent, Event, EventKind

    row = session.exec(
        select(Event.data, Agent.username)
        .outerjoin(Agent, col(Agent.id) == Event.agent_id)
        .where(Event.conversation_id == conversation_id)
        .where(Event.kind == EventKind.TARGET_SET.value)
        .order_by(col(Event.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return ""
    raw, who = row
    try:
        changes = json.loads(raw).get("changes") if raw else None
    except (ValueError, AttributeError):
        changes = None
    listed = changes[:2] if isinstance(changes, list) else []
    did = ", ".join(sanitize.one_line(str(c), 80) for c in listed) or "changed the targets"
    return f"{sanitize.one_line(who or 'someone', 40)} {did}"


def _chunks(ids: Sequence[int] | None) -> list[list[int] | None]:
    if ids is None:
        return [None]
    unique = sorted(set(ids))
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]


def _tags(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        assert chunk is not None
        for cid, name in session.exec(
            select(ConversationTag.conversation_id, Tag.name)
            .join(Tag, col(Tag.id) == ConversationTag.tag_id)
            .where(col(ConversationTag.conversation_id).in_(chunk))
        ).all():
            out.setdefault(cid, []).append(name)
    return out


def _pair(key: str) -> tuple[str, str]:
    name, _, value = key.partition("=")
    return name.strip().lower(), value.strip().lower()


def _attributes(session: Session, policy: SlaPolicy, ids: list[int]) -> dict[int, dict[str, str]]:
    """The customer attributes the policy's targets name, per conversation."""
    if not policy.contacts or not ids:
        return {}
    names = sorted({name for name, _ in policy.contacts})
    out: dict[int, dict[str, str]] = {}
    for chunk in _chunks(ids):
        assert chunk is not None
        for cid, name, value in session.exec(
            select(Conversation.id, ContactAttribute.name, ContactAttribute.value)
            .join(ContactAttribute, col(ContactAttribute.contact_id) == Conversation.contact_id)
            .where(col(Conversation.id).in_(chunk))
            .where(col(ContactAttribute.name).in_(names))
        ).all():
            out.setdefault(int(cid or 0), {})[name] = value.lower()
    return out


def due_for(session: Session, policy: SlaPolicy, ids: Sequence[int]) -> dict[int, Due]:
    """The waiting state of these conversations (those not waiting are absent)."""
    return {d.conversation_id: d for d in waiting(session, policy, ids=ids)} if ids else {}


def matching_ids(
    session: Session, policy: SlaPolicy, state: str, now: datetime, within: timedelta | None = None
) -> list[int]:
    """The conversations a search term selects: ``breached``, ``at_risk``, or due
    within ``within`` from ``now`` (``sla:due<2h``, overdue ones included)."""
    horizon = {BREACHED: timedelta(0), AT_RISK: policy.at_risk}.get(state, within or timedelta(0))
    shortest = policy.shortest(_shortest_own(session))
    if shortest is None:
        return []
    # Working time never runs faster than the clock: what started later than this
    # cannot be due by the horizon, so the database leaves it out.
    candidates = waiting(session, policy, started_before=now + horizon - shortest)
    if state == BREACHED:
        return [d.conversation_id for d in candidates if d.state(now, policy.at_risk) == BREACHED]
    if state == AT_RISK:
        return [d.conversation_id for d in candidates if d.state(now, policy.at_risk) == AT_RISK]
    # Due within the horizon of working time when that is set, as the targets count.
    return [
        d.conversation_id
        for d in candidates
        if (left := d.left(now)) is not None and left <= horizon
    ]


def _shortest_own(session: Session) -> timedelta | None:
    """The shortest target a rule set on any open conversation."""
    values = [
        session.exec(select(func.min(column)).where(Conversation.status == Status.OPEN.value)).one()
        for column in (col(Conversation.target_first), col(Conversation.target_next))
    ]
    found = [int(v) for v in values if v is not None]
    return timedelta(seconds=min(found)) if found else None


def describe(due: Due, now: datetime) -> str:
    """``overdue 3h 10m`` or ``due in 40m`` (first or next reply), in working time when
    ``[business_hours]`` is set, as the targets are counted."""
    left = due.left(now)
    if left is None:
        return f"waiting {span(now - due.waiting_since)}"
    if due.due_at is not None and due.due_at <= now:
        return f"overdue {span(-left)}"
    return f"due in {span(left)}"


def amount(delta: timedelta) -> str:
    """A target as written: ``30m``, ``4h``, ``1h 30m``, ``2d``."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    parts = [(days, "d"), *zip(divmod(rest, 60), ("h", "m"), strict=True)]
    return " ".join(f"{n}{unit}" for n, unit in parts if n) or "0m"


def span(delta: timedelta) -> str:
    """``3h 05m``, ``2d 4h``, ``40m``."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    if days:
        return f"{days}d {h}h"
    return f"{h}h {m:02d}m" if h else f"{m}m"


@dataclass
class BreachReport:
    """Responses that came after their due time in a period, per agent who sent them (by
    username, as the stats' rows) and per tag; and the conversations overdue now, per
    assignee."""

    responses: int = 0
    breached: int = 0
    by_agent: dict[str, list[int]] = field(default_factory=dict)  # name -> [responses, breached]
    by_tag: dict[str, list[int]] = field(default_factory=dict)
    overdue_now: dict[str, int] = field(default_factory=dict)  # assignee ("" = nobody)
    # The late replies behind each row ("agent:NAME", "team", "tag:NAME"), for the
    # Stats screen's drill-down: conversation id -> [late replies, most seconds late].
    late: dict[str, dict[int, list[float]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def rows(d: dict[str, list[int]]) -> list[dict[str, Any]]:
            return [{"name": k, "responses": v[0], "breached": v[1]} for k, v in sorted(d.items())]

        return {
            "responses": self.responses,
            "breached": self.breached,
            "by_agent": rows(self.by_agent),
            "by_tag": rows(self.by_tag),
            "overdue_now": dict(sorted(self.overdue_now.items())),
        }


def breach_report(
    session: Session, policy: SlaPolicy, since: datetime, until: datetime, now: datetime
) -> BreachReport:
    """Every agent reply sent in [since, until) judged against the target it answered
    (first or next response, from the first unanswered customer message), counted per
    agent and per tag of its conversation; and who has overdue conversations now."""
    from inbox_tui.models import Agent

    out = BreachReport()
    conv_ids = sorted(
        set(
            session.exec(
                select(Message.conversation_id)
                .where(Message.direction == Direction.OUTBOUND.value)
                .where(Message.source != FORWARD_SOURCE)
                .where(col(Message.sent_at) >= since)
                .where(col(Message.sent_at) < until)
            ).all()
        )
    )
    names = {a.id: a.username for a in session.exec(select(Agent)).all()}
    tags = _tags(session, conv_ids)
    sources: dict[int, Any] = {}
    for chunk in _chunks(conv_ids):
        assert chunk is not None
        for cid, source, first, next_ in session.exec(
            select(
                Conversation.id,
                Conversation.source,
                Conversation.target_first,
                Conversation.target_next,
            ).where(col(Conversation.id).in_(chunk))
        ).all():
            sources[int(cid or 0)] = (source or "", own_targets(first, next_))
    from inbox_tui.services.outbox import not_gone

    in_outbox = not_gone(session)
    for chunk in _chunks(conv_ids):
        assert chunk is not None
        rows = _gone(
            session.execute(
                core_select(
                    col(Message.conversation_id),
                    col(Message.direction),
                    col(Message.sent_at),
                    col(Message.agent_id),
                    col(Message.id),
                    col(Outbox.status),
                    col(Outbox.sent_at),
                )
                .outerjoin(  # by conversation first: outbox.conversation_id is indexed
                    Outbox,
                    and_(
                        col(Outbox.conversation_id) == Message.conversation_id,
                        col(Outbox.message_row_id) == Message.id,
                    ),
                )
                .where(col(Message.conversation_id).in_(chunk))
                .where(col(Message.direction) != Direction.NOTE.value)
                .where(col(Message.source) != FORWARD_SOURCE)  # no response, so not judged as one
            ).all(),
            in_outbox,
        )
        attrs = _attributes(session, policy, chunk)
        _judge(out, policy, rows, tags, sources, names, since, until, attrs)
    for d in waiting(session, policy):
        if d.state(now, policy.at_risk) == BREACHED:
            conv = session.get(Conversation, d.conversation_id)
            who = names.get(conv.assignee_id, "") if conv and conv.assignee_id else ""
            out.overdue_now[who] = out.overdue_now.get(who, 0) + 1
    return out


# An outbox row in these has gone out (the demo records instead of sending).
GONE = (OutboxStatus.SENT.value, OutboxStatus.LOGGED.value)


def _gone(rows: Any, waiting: set[int]) -> list[tuple[Any, ...]]:
    """The messages in order, a reply that waited in the outbox at the time it went (as
    the stats count it: ``store.aggregates``); one still waiting, failed or given up on
    (``waiting``: ``outbox.not_gone``) has not answered anyone, and is left out."""
    out = []
    for cid, direction, sent_at, agent_id, mid, status, went in rows:
        if mid in waiting or (status is not None and status not in GONE):
            continue
        out.append((cid, direction, went or sent_at, agent_id, mid))
    out.sort(key=lambda r: (r[0], r[2] if r[2].tzinfo else r[2].replace(tzinfo=UTC), r[4]))
    return [r[:4] for r in out]


def _judge(out, policy, rows, tags, sources, names, since, until, attrs) -> None:  # type: ignore[no-untyped-def]
    current, start, answered = None, None, False
    for cid, direction, sent_at, agent_id in rows:
        sent_at = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
        if cid != current:
            current, start, answered = cid, None, False
        if direction == Direction.INBOUND.value:
            start = start or sent_at
            continue
        if start is not None and since <= sent_at < until:
            source, own = sources.get(cid) or ("", None)
            targets = policy.targets_for(tags.get(cid, []), source, attrs.get(cid), own)
            target = targets.next if answered else targets.first
            if target is not None:
                due = policy.due(start, target)
                late = int(sent_at > due)
                out.responses += 1
                out.breached += late
                agent = names.get(agent_id, "?")
                for key, book in [
                    (agent, out.by_agent),
                    *((t, out.by_tag) for t in tags.get(cid, [])),
                ]:
                    counts = book.setdefault(key, [0, 0])
                    counts[0] += 1
                    counts[1] += late
                if late:
                    over = (sent_at - due).total_seconds()
                    for row in ("team", f"agent:{agent}", *(f"tag:{t}" for t in tags.get(cid, []))):
                        seen = out.late.setdefault(row, {}).setdefault(cid, [0, 0.0])
                        seen[0] += 1
                        seen[1] = max(seen[1], over)
        start, answered = None, True


def breach_rows(session: Session, late: dict[int, list[float]]) -> list[DrillRow]:
    """The conversations behind a row of the breaches table (``BreachReport.late``): how
    many replies came late in each and the most late one's overrun, worst first."""

    rows = [DrillRow(cid, "", int(n), secs) for cid, (n, secs) in late.items()]
    rows.sort(key=lambda r: (-(r.seconds or 0), -r.conversation_id))
    if rows:
        load_subjects(session, rows)
    return rows
