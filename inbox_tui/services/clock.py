"""The customer's clock: their local time, from the UTC offset their own messages carried.

The offset is the one of the customer's most recent message that had one (a mail's
Date header, a chat log's zone), across all their conversations: a customer who
travels shows where they wrote from last. Messages without one (``-0000``, a chat log
without zones, mail stored before migration 0009) do not count. It is night for them
between 22:00 and 07:00 their time, when a reply will likely wait for their morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlmodel import Session

NIGHT_FROM, NIGHT_UNTIL = 22, 7

# Through the customer's conversations (indexed by contact) and each one's messages
# (indexed by conversation and time): no scan of the message table.
_LATEST_OFFSET = text(
    "SELECT m.utc_offset FROM conversation c2 JOIN message m ON m.conversation_id = c2.id "
    "WHERE (c2.id = :conv OR c2.contact_id = "
    "  (SELECT c.contact_id FROM conversation c WHERE c.id = :conv)) "
    "AND m.direction = 'in' AND m.utc_offset IS NOT NULL "
    "ORDER BY m.sent_at DESC, m.id DESC LIMIT 1"
)


@dataclass(frozen=True)
class CustomerClock:
    offset_minutes: int
    local: datetime  # now, in the customer's offset

    @property
    def night(self) -> bool:
        return self.local.hour >= NIGHT_FROM or self.local.hour < NIGHT_UNTIL

    @property
    def offset(self) -> str:
        sign = "-" if self.offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(self.offset_minutes), 60)
        return f"UTC{sign}{hours:02d}:{minutes:02d}"

    def describe(self) -> str:
        """ "their time 03:12 (UTC+02:00), night there"."""
        night = ", night there" if self.night else ""
        return f"their time {self.local:%H:%M} ({self.offset}){night}"


def clock_at(offset_minutes: int, now: datetime) -> CustomerClock:
    zone = timezone(timedelta(minutes=offset_minutes))
    return CustomerClock(offset_minutes, now.astimezone(zone))


def customer_clock(session: Session, conversation_id: int, now: datetime) -> CustomerClock | None:
    """The clock of the conversation's customer at ``now``, or None when none of their
    messages said their offset."""
    row = session.execute(_LATEST_OFFSET, {"conv": conversation_id}).first()
    return None if row is None or row[0] is None else clock_at(int(row[0]), now)
