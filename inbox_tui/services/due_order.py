"""The list sorted by time left (``ConversationFilter.order == DUE``, the TUI's ``O``;
``conversations.by_time_left``):
the conversations waiting for a reply, most overdue first (their due time under the
response targets, ``services/sla``; equal ones waiting longest first, the order of
``inbox-tui sla``), then those waiting with no target for them
(oldest first), then the rest as the list usually goes (newest activity first). A sort,
not a filter: the view or search keeps every conversation it had.

A due time depends on tags, source, customer attributes, a rule's own target and the
working hours, so it is not a column; but it never comes sooner after the customer
wrote than the shortest target after it (in working time when the targets count so),
nor later than the longest. Pages are read by keyset like the other orders: the waiting
conversations are walked in ``waiting_since`` order (indexed) in batches, their due
times computed, and the walk stops once nothing later can come before the page's last
row (a conversation with its own target, which may be shorter than any configured, is
looked for in that stretch); a page further on starts its walk where the longest
target could still reach its cursor. The key of each row is one instant, so a page's
cursor stays ``(key, id)``:

- waiting with a target: the due time;
- waiting without one: ``waiting_since`` + ``NO_TARGET`` (after every due time);
- not waiting: ``ANCHOR`` - (last activity - ``EPOCH``) (newer activity, smaller key).

Only an open conversation has a due time (``sla.waiting``); when the default targets
are both set every open waiting one has one, so the others (pending, snoozed) are a
plain ``waiting_since`` order after them, read by SQL like the last block.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from inbox_tui.models import Conversation, Status
from inbox_tui.services.listing import Cursor
from inbox_tui.services.sla import SlaPolicy, due_for

DUE = "due"  # ConversationFilter.order: by time left, most overdue first
NO_TARGET = timedelta(days=365 * 1000)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ANCHOR = datetime(9999, 1, 1, tzinfo=UTC)
NOT_WAITING = datetime(5000, 1, 1, tzinfo=UTC)  # keys from here on: not waiting
BATCH = 200
_since = col(Conversation.waiting_since)
_cid = col(Conversation.id)
_open = col(Conversation.status) == Status.OPEN.value
# The list's filter applied to a statement (conversations._apply_filter, unordered).
Narrow = Callable[[Any], Any]
# A walked row's place: (key, waiting since, id); the cursor leaves out the middle.
_Full = tuple[datetime, datetime, int]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class _Blocks:
    """The statements of one filter's blocks (module docstring)."""

    def __init__(self, session: Session, narrow: Narrow, policy: SlaPolicy | None):
        self.session, self.policy = session, policy
        # Every open waiting one has a due time: the rest of the waiting are plain SQL.
        self.complete = bool(policy and policy.default.first and policy.default.next)

        def of(*columns: Any) -> Any:
            return narrow(select(*columns))

        self.of = of
        walked = of(_since, _cid, Conversation.target_first, Conversation.target_next)
        self.walked = walked.where(_since.is_not(None))
        # With ``complete`` False nothing is left for it: every waiting one is walked.
        self.rest_waiting = of(_since, _cid).where(_since.is_not(None)).where(~_open)
        if self.complete:
            self.walked = self.walked.where(_open)
        self.idle = of(Conversation.last_activity_at, _cid).where(_since.is_(None))

    def keys(self, after: Cursor | None, limit: int) -> list[Cursor]:
        out: list[Cursor] = []
        end = NO_TARGET_START if self.complete else NOT_WAITING  # the walked keys' end
        if after is None or after[0] < end:
            out = self.walk(after, limit)
        if self.complete and len(out) < limit and (after is None or after[0] < NOT_WAITING):
            out += self.waiting_plain(after if out == [] else None, limit - len(out))
        if len(out) < limit:
            out += self.idle_page(after if out == [] else None, limit - len(out))
        return out

    def waiting_plain(self, after: Cursor | None, limit: int) -> list[Cursor]:
        stmt = self.rest_waiting
        if after is not None and after[0] >= NO_TARGET_START:
            stmt = stmt.where(_after_since(after[0] - NO_TARGET, after[1]))
        rows = self.session.exec(stmt.order_by(_since.asc(), _cid.asc()).limit(limit)).all()
        return [(_aware(at) + NO_TARGET, int(cid)) for at, cid in rows]

    def idle_page(self, after: Cursor | None, limit: int) -> list[Cursor]:
        stmt = self.idle
        if after is not None and after[0] >= NOT_WAITING:
            at = EPOCH + (ANCHOR - after[0])
            activity = col(Conversation.last_activity_at)
            stmt = stmt.where(or_(activity < at, and_(activity == at, _cid > after[1])))
        stmt = stmt.order_by(col(Conversation.last_activity_at).desc(), _cid.asc())
        rows = self.session.exec(stmt.limit(limit)).all()
        return [(ANCHOR - (_aware(at) - EPOCH), int(cid)) for at, cid in rows]

    def _key(self, row: Any, dues: dict[int, Any]) -> _Full:
        due = dues.get(int(row[1]))
        at = _aware(row[0])
        key = due.due_at if due is not None and due.due_at else at + NO_TARGET
        return (key, at, int(row[1]))

    def _full(self, after: Cursor | None) -> _Full | None:
        """``after`` with its conversation's waiting time: equal due times go waiting
        longest first, as ``inbox-tui sla`` lists them (``sla.waiting``)."""
        if after is None:
            return None
        since = self.session.exec(
            select(Conversation.waiting_since).where(Conversation.id == after[1])
        ).first()
        return (after[0], _aware(since) if since is not None else EPOCH, after[1])

    def walk(self, cursor: Cursor | None, limit: int) -> list[Cursor]:
        """The walked block's part of a page (module docstring)."""
        return [(key, cid) for key, _, cid in self._walk(self._full(cursor), limit)]

    def _walk(self, after: _Full | None, limit: int) -> list[_Full]:
        policy = self.policy
        soonest = policy.shortest() if policy is not None else None
        soonest = min(soonest, NO_TARGET) if soonest is not None else NO_TARGET
        found: list[_Full] = []
        at_start = self.start(after[0] if after is not None else None)
        if at_start is not None:  # before it only their own targets can reach ``after``
            own = self.walked.where(_since < at_start).where(_own())
            found = self._batch(self.session.exec(own).all(), after)
        walked = (at_start, -1) if at_start is not None else None
        size = min(BATCH, limit)  # a page's worth at a time: often one is enough
        while True:
            stmt = self.walked
            if walked is not None:
                stmt = stmt.where(_after_since(*walked))
            batch = list(
                self.session.exec(stmt.order_by(_since.asc(), _cid.asc()).limit(size)).all()
            )
            if not batch:
                return sorted(found)[:limit]
            found = sorted(found + self._batch(batch, after))[:limit]
            walked = (_aware(batch[-1][0]), int(batch[-1][1]))
            if len(batch) < size:
                return found
            if len(found) >= limit and self._sooner(walked[0], soonest) > found[-1][0]:
                # Nothing further can come sooner, but for a target of its own.
                ahead = self.walked.where(_after_since(*walked)).where(_own())
                ahead = ahead.where(_since <= found[-1][0]).limit(1)
                if self.session.exec(ahead).first() is None:
                    return found

    def _sooner(self, start: datetime, soonest: timedelta) -> datetime:
        """The soonest any conversation waiting since ``start`` or later can be due:
        the shortest target after it, in working time when the targets count so."""
        if self.policy is None or soonest >= NO_TARGET:
            return start + soonest
        return self.policy.due(start, soonest)

    def _batch(self, rows: Any, after: _Full | None) -> list[_Full]:
        """The keys of these walked rows that come after ``after``."""
        ids = [int(r[1]) for r in rows]
        dues = due_for(self.session, self.policy, ids) if self.policy and ids else {}
        keys = [self._key(r, dues) for r in rows]
        return [k for k in keys if after is None or k > after]

    def start(self, key: datetime | None) -> datetime | None:
        """Where a walk after the due time ``key`` begins: every conversation that began
        waiting before it (and has no target of its own) is due before ``key``, even with
        the longest target configured. None: from the beginning."""
        if key is None or not self.complete or self.policy is None:
            return None
        longest = self.policy.longest()
        if longest is None:
            return None
        lo, hi = key - timedelta(days=3700), key - longest  # due(hi) >= key
        if self.policy.due(lo, longest) >= key:
            return None
        while hi - lo > timedelta(seconds=1):
            mid = lo + (hi - lo) / 2
            if self.policy.due(mid, longest) < key:
                lo = mid
            else:
                hi = mid
        return lo

    def position(self, index: int) -> Cursor | None:
        """The key of the row at ``index`` (a far jump, ``G``)."""
        counted = self.session.exec(
            self.of(func.count()).select_from(Conversation).where(_since.is_not(None))
        ).one()
        walked = self.session.exec(select(func.count()).select_from(self.walked.subquery())).one()
        if index < walked:
            keys = self.walk(None, index + 1)
            return keys[index] if len(keys) > index else None
        if index < counted:  # past the walked: the rest of the waiting, by offset
            row = self.session.exec(
                self.rest_waiting.order_by(_since.asc(), _cid.asc()).offset(index - walked).limit(1)
            ).first()
            return (_aware(row[0]) + NO_TARGET, int(row[1])) if row is not None else None
        stmt = self.idle.order_by(col(Conversation.last_activity_at).desc(), _cid.asc())
        row = self.session.exec(stmt.offset(index - counted).limit(1)).first()
        return (ANCHOR - (_aware(row[0]) - EPOCH), int(row[1])) if row is not None else None


NO_TARGET_START = datetime(2900, 1, 1, tzinfo=UTC)  # keys from here on: waiting, no target


def _after_since(at: datetime, cid: int) -> Any:
    return or_(_since > at, and_(_since == at, _cid > cid))


def _own() -> Any:
    return or_(
        col(Conversation.target_first).is_not(None), col(Conversation.target_next).is_not(None)
    )


def page(
    session: Session, narrow: Narrow, policy: SlaPolicy | None, after: Cursor | None, limit: int
) -> list[Cursor]:
    """The next ``limit`` rows (key, conversation id) in time-left order, strictly after
    ``after``, of the conversations ``narrow`` keeps (the list's filter)."""
    return _Blocks(session, narrow, policy).keys(after, limit)


def position(
    session: Session, narrow: Narrow, policy: SlaPolicy | None, index: int
) -> Cursor | None:
    """The key of the row at ``index`` (0-based) in time-left order (a far jump, ``G``)."""
    return _Blocks(session, narrow, policy).position(index)
