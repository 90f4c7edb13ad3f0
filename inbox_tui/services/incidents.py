"""Incidents: many customers, one problem.

A burst is a group of similar new conversations (``services/clusters``: by meaning when
the embedding model is available, else by words) that arrived in the last ``window``
far more often than such conversations arrive in the same hours of the week.

- The conversations whose first message is in the window, and those in the same window
  1..``weeks`` weeks back (the same hours of the week), are grouped together.
- A group's normal rate is the mean of its members per past window, with half a
  conversation added over the whole history (so a group never seen before has a small,
  non-zero rate instead of none).
- The group is a burst when at least ``min_size`` of its members are in the window and,
  under a Poisson law with the normal rate, that many or more would arrive with
  probability below ``ALPHA``. Five password questions on a Monday morning, when every
  Monday morning brings five, are not an incident.

Spam-tagged conversations are left out (quarantined mail is never a conversation), and so
are conversations already confirmed as, or dismissed from, an incident: every decision
is an ``incident`` event on each of its conversations (data: action, name, bug).
Confirming also tags them ``incident:<name>`` (so a view, search and the tag's stats
show them) and can answer all of them with one macro.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from inbox_tui import sanitize
from inbox_tui.config import Config
from inbox_tui.errors import UserError
from inbox_tui.models import EventKind, TagKind, utcnow
from inbox_tui.services import clusters, core, macros, triage
from inbox_tui.store.aggregates import from_us, to_us

DEFAULT_WINDOW = timedelta(hours=3)
DEFAULT_WEEKS = 4
MIN_SIZE = 3
ALPHA = 0.001
PRIOR = 0.5  # conversations added to a group's whole history (see the docstring)
SPAM_TAGS = ("spam",)
MAX_RECENT = 2000  # newest conversations of the window that are looked at
WEEK = timedelta(weeks=1)


class IncidentError(UserError):
    pass


@dataclass
class Burst:
    """A group of similar new conversations arriving faster than usual. ``key`` (its
    lowest conversation id) names it to ``confirm`` and ``dismiss``."""

    key: int
    subject: str
    conversations: list[int]
    past: list[int]  # members in each past window, 1 week back first
    expected: float  # normal count per window
    p_value: float
    method: str
    window_start: datetime
    window_end: datetime
    since: datetime | None = None  # the first of its conversations arrived then
    count: int = field(init=False)

    def __post_init__(self) -> None:
        self.count = len(self.conversations)

    def since_text(self, zone: str = "UTC") -> str:
        """When its first conversation arrived, in ``zone``: "since 13:05 CET"."""
        if self.since is None:
            return ""
        from inbox_tui.services.agent_clock import agent_time, zone_of

        tz = zone_of(zone)
        same_day = self.since.astimezone(tz).date() == self.window_end.astimezone(tz).date()
        return f"since {agent_time(self.since, zone, '%H:%M' if same_day else '%a %H:%M')}"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["subject"] = sanitize.one_line(self.subject, 200)
        out["window_start"] = self.window_start.isoformat()
        out["window_end"] = self.window_end.isoformat()
        out["since"] = self.since.isoformat() if self.since else None
        return out


def poisson_tail(n: int, rate: float) -> float:
    """P(X >= n) for X ~ Poisson(rate)."""
    if n <= 0:
        return 1.0
    term = math.exp(-rate)
    below = 0.0
    for k in range(n):
        below += term
        term *= rate / (k + 1)
    return max(0.0, 1.0 - below)


_NEW_IN = text(
    "SELECT sc.conversation_id, c.subject, sc.first_message_us FROM stat_conversation sc "
    "JOIN conversation c ON c.id = sc.conversation_id "
    "WHERE sc.first_message_us >= :lo AND sc.first_message_us < :hi "
    "AND NOT EXISTS (SELECT 1 FROM conversationtag ct JOIN tag t ON t.id = ct.tag_id "
    "  WHERE ct.conversation_id = sc.conversation_id AND t.name IN :spam) "
    "ORDER BY sc.first_message_us DESC, sc.conversation_id DESC LIMIT :cap"
).bindparams(bindparam("spam", expanding=True))
_DECIDED = text("SELECT DISTINCT conversation_id FROM event WHERE kind = 'incident'")


def detect(
    session: Session,
    *,
    now: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
    weeks: int = DEFAULT_WEEKS,
    min_size: int = MIN_SIZE,
    method: str = "auto",
) -> list[Burst]:
    """The bursts of the window ending ``now`` (see the module docstring), biggest first."""
    if window <= timedelta(0) or window > timedelta(days=2):
        raise IncidentError("The window must be between a minute and two days.")
    if not 1 <= weeks <= 12:
        raise IncidentError("The history must be between 1 and 12 weeks.")
    if min_size < 2:
        raise IncidentError("A burst needs at least 2 conversations.")
    end = now or utcnow()
    decided = {int(r[0]) for r in session.execute(_DECIDED)}
    ids: list[int] = []
    week_of: list[int] = []
    subjects: dict[int, str] = {}
    arrived: dict[int, int] = {}  # first message, microseconds
    for k in range(weeks + 1):
        hi = end - k * WEEK
        rows = session.execute(
            _NEW_IN,
            {"lo": to_us(hi - window), "hi": to_us(hi), "cap": MAX_RECENT, "spam": list(SPAM_TAGS)},
        ).all()
        for cid, subject, first_us in rows:
            if k == 0 and cid in decided:
                continue
            ids.append(int(cid))
            week_of.append(k)
            subjects[int(cid)] = subject or ""
            arrived[int(cid)] = int(first_us)
    if sum(1 for k in week_of if k == 0) < min_size:
        return []
    grouping = clusters.group_conversations(session, ids, method=method)
    bursts = []
    for group in grouping.groups:
        recent = sorted(ids[i] for i in group if week_of[i] == 0)
        if len(recent) < min_size:
            continue
        past = [sum(1 for i in group if week_of[i] == k) for k in range(1, weeks + 1)]
        expected = (sum(past) + PRIOR) / weeks
        p = poisson_tail(len(recent), expected)
        if p >= ALPHA:
            continue
        common = Counter(sanitize.base_subject(subjects[c]) for c in recent).most_common(1)
        subject = next(
            (subjects[c] for c in recent if sanitize.base_subject(subjects[c]) == common[0][0]),
            subjects[recent[0]],
        )
        since = from_us(min(arrived[c] for c in recent))
        bursts.append(
            Burst(
                recent[0], subject, recent, past, expected, p, grouping.method, end - window, end,
                since,
            )
        )  # fmt: skip
    bursts.sort(key=lambda b: (b.p_value, -b.count, b.key))
    return bursts


def _find(session: Session, key: int, **detect_args: Any) -> Burst:
    for burst in detect(session, **detect_args):
        if burst.key == key:
            return burst
    raise IncidentError(
        f"There is no burst {key} now; `inbox-tui incidents` lists the current ones."
    )


_NAME = re.compile(r"[^a-z0-9]+")


def incident_tag(name: str) -> str:
    """The tag a confirmed incident's conversations carry: ``incident:<slug of name>``."""
    slug = _NAME.sub("-", sanitize.one_line(name, 80).lower()).strip("-")
    if not slug:
        raise IncidentError("An incident needs a name with a letter or digit in it.")
    return f"incident:{slug}"


def confirm(
    session: Session,
    actor: str,
    key: int,
    name: str,
    *,
    bug: str | None = None,
    macro: str | None = None,
    config: Config | None = None,
    category: str | None = None,
    **detect_args: Any,
) -> Burst:
    """Confirm burst ``key`` as an incident: each conversation is tagged
    ``incident:<name>`` and gets an ``incident`` event (name, bug); with ``macro``, the
    macro is applied to each (its reply goes through the outbox; ``config`` names the
    sending account; ``category``: for a macro that closes, tagged on those without
    one). One transaction: a macro that cannot be sent changes nothing."""
    tag = incident_tag(name)
    if macro is not None:
        macros.get_macro(session, macro)  # an unknown macro is refused before any change
    burst = _find(session, key, **detect_args)
    agent = core.ensure_agent(session, actor)
    data = {"action": "confirmed", "name": sanitize.one_line(name, 200), "bug": bug}
    # A modifier, not a category: an outage is how a conversation is, not what it is
    # about, so it neither counts as its category nor is offered as one on close.
    triage.ensure_tag(session, tag, TagKind.MODIFIER)
    for cid in burst.conversations:
        triage.tag(session, actor, cid, tag)
        core.record(session, core.lock_conversation(session, cid), agent, EventKind.INCIDENT, data)
    if macro is not None:
        macros.apply_macro_many(
            session, actor, burst.conversations, macro, config=config, category=category
        )
    return burst


def dismiss(session: Session, actor: str, key: int, **detect_args: Any) -> Burst:
    """Not an incident: its conversations are not raised again."""
    burst = _find(session, key, **detect_args)
    agent = core.ensure_agent(session, actor)
    for cid in burst.conversations:
        core.record(
            session,
            core.lock_conversation(session, cid),
            agent,
            EventKind.INCIDENT,
            {"action": "dismissed"},
        )
    return burst


@dataclass
class Confirmed:
    """An incident confirmed since a time: its name, tag, bug, conversations, when the
    first of them was confirmed and by whom (``inbox-tui incidents --confirmed``)."""

    name: str
    tag: str
    bug: str | None
    conversations: list[int]
    confirmed_at: datetime
    by: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": sanitize.one_line(self.name, 200),
            "tag": self.tag,
            "bug": sanitize.one_line(self.bug, 200) if self.bug else None,
            "conversations": self.conversations,
            "confirmed_at": self.confirmed_at.isoformat(),
            "by": self.by,
        }


_CONFIRMED = text(
    "SELECT e.conversation_id, e.at, e.data, a.username FROM event e "
    "LEFT JOIN agent a ON a.id = e.agent_id "
    "WHERE e.kind = 'incident' AND e.at >= :since ORDER BY e.at, e.id"
)


def confirmed(session: Session, since: datetime) -> list[Confirmed]:
    """The incidents confirmed since ``since``, newest first (a burst is listed by
    ``detect`` only until it is decided: after that it is one of these)."""
    from sqlmodel.sql.sqltypes import UTCDateTime

    out: dict[str, Confirmed] = {}
    rows = session.execute(
        _CONFIRMED.bindparams(bindparam("since", since, type_=UTCDateTime()))
    ).all()
    for conv_id, at, data, who in rows:
        info = json.loads(data or "{}")
        if info.get("action") != "confirmed" or conv_id is None:
            continue
        name = str(info.get("name") or "")
        tag = incident_tag(name) if _NAME.sub("", name.lower()) else "incident:"
        when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        entry = out.setdefault(tag, Confirmed(name, tag, info.get("bug"), [], when, who or "?"))
        if conv_id not in entry.conversations:
            entry.conversations.append(int(conv_id))
        entry.bug = entry.bug or info.get("bug")
    return sorted(out.values(), key=lambda c: c.confirmed_at, reverse=True)


def confirmation_list(session: Session, actor: str, burst: Burst) -> list[core.Listed]:
    """How the incident's confirmation lists the burst's conversations: each one we have
    answered since the burst's first message marked "already answered" (a macro's reply
    there is a second one; walk8: the confirmation did not say), and each holding
    ``actor``'s unsent reply draft marked (the macro's reply leaves it as it is)."""
    from inbox_tui.services.drafts import DRAFT_MARK, drafted

    ids = burst.conversations
    since = burst.since or burst.window_start
    marks = {
        core.ANSWERED_MARK: core.answered(session, ids, since),
        DRAFT_MARK: drafted(session, actor, ids),
    }
    return core.listed(ids, core.labels(session, ids), marks)


def burst_view(burst: Burst) -> str:
    """The list view of a burst's conversations (``conversations.view_filter``)."""
    return f"burst:{burst.key}:" + ",".join(str(c) for c in burst.conversations)


def suggested_name(burst: Burst) -> str:
    """A name to start from: the burst's common subject without Re:/Fwd:."""
    return sanitize.one_line(sanitize.base_subject(burst.subject), 60) or f"burst {burst.key}"
