""" "Send at": a reply scheduled to arrive at a time in the customer's morning.

The outbox already holds every reply for ``[mail] undo_seconds``; a scheduled one is
held until its time instead (its outbox row's ``next_attempt_at``, and its Date header),
so a sender claims it then and no earlier, exactly once like any other, and until then
undo send (``B``, ``outbox cancel``) can take it back. The customer's 9:00 comes from
the offset their own mail carried (``services/clock``); a typed time is read on the
agent's clock (``services/agent_clock.read_time``: ``3h``, ``tomorrow``, ``2026-12-01
09:00`` in ``[agent] timezone``, else the system's), and every time is shown in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from inbox_tui.errors import UserError
from inbox_tui.services.agent_clock import agent_time, read_time, zone_of
from inbox_tui.services.clock import clock_at

MAX_AHEAD = timedelta(days=30)
MORNING = 9  # the customer's hour a reply is offered to arrive at
SEND_AT_HINT = (
    "3h, tomorrow (9:00), friday 2pm, 2026-12-01 09:00, your time"  # <= 60: hints are cut there
)


class BadSendTime(UserError):
    """A "send at" time that cannot be used (past, too far ahead, a chat reply)."""


def customers_morning(offset_minutes: int, now: datetime, hour: int = MORNING) -> datetime:
    """The next ``hour``:00 on the customer's clock after ``now``, in UTC."""
    local = clock_at(offset_minutes, now).local
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(UTC)


def due(send_at: datetime | None, now: datetime, undo_seconds: float) -> datetime | None:
    """When a reply scheduled for ``send_at`` may go: None when it is not scheduled (or
    the time is within the undo delay anyway). Raises BadSendTime for a time in the
    past or more than 30 days ahead."""
    if send_at is None:
        return None
    if send_at.tzinfo is None:
        send_at = send_at.replace(tzinfo=UTC)
    if send_at <= now:
        raise BadSendTime("That send time is in the past; pick a later one.")
    if send_at - now > MAX_AHEAD:
        raise BadSendTime("A reply can be scheduled at most 30 days ahead.")
    return send_at if send_at > now + timedelta(seconds=undo_seconds) else None


@dataclass
class SendAtChoice:
    value: str  # "now", "morning", "custom"
    label: str
    hint: str
    at: datetime | None = None


def describe(at: datetime, offset_minutes: int | None, zone: str) -> str:
    """ "Thu 19 Nov 09:00 their time (Thu 01:00 CET)": the customer's time first, then
    the agent's (``zone``); on the agent's clock alone when the customer's offset is not
    known."""
    if offset_minutes is None:
        return agent_time(at, zone)
    local = clock_at(offset_minutes, at).local
    return f"{local:%a %d %b %H:%M} their time ({agent_time(at, zone, '%a %H:%M')})"


def describe_for_agent(at: datetime, zone_name: str, offset_minutes: int | None) -> str:
    """When a scheduled reply goes, for the agent: in their own zone (``zone_name``, as
    ``agent_clock.agent_zone`` gives it), then in the customer's time when their offset
    is known: "Tue 08 Dec 10:00 CET, Tue 18:00 their time"."""
    shown = agent_time(at, zone_name)
    if offset_minutes is not None:
        theirs = clock_at(offset_minutes, at).local
        shown += f", {theirs:%a %H:%M} their time"
    return shown


def choices(offset_minutes: int | None, now: datetime, zone: str) -> list[SendAtChoice]:
    """What the review step's "send at" offers: now (after the undo delay), the
    customer's 9:00 (only when their offset is known; with the agent's time, ``zone``),
    or a typed time."""
    out = [SendAtChoice("now", "As soon as it can go", "after the undo delay")]
    if offset_minutes is not None:
        at = customers_morning(offset_minutes, now)
        clock = clock_at(offset_minutes, now)
        out.append(
            SendAtChoice(
                "morning",
                f"Customer's {MORNING}:00: {describe(at, offset_minutes, zone)}",
                f"their time now {clock.local:%H:%M} ({clock.offset})",
                at,
            )
        )
    out.append(SendAtChoice("custom", "Another time…", SEND_AT_HINT))
    return out


def send_at_for(
    session: Session, conversation_id: int, value: str, now: datetime, zone: str
) -> datetime:
    """A "send at" typed on the command line: ``morning`` (the customer's 9:00, when
    their mail said their zone) or a time on the agent's clock (``zone``,
    ``agent_clock.read_time``). Raises BadSendTime."""
    from inbox_tui.services.clock import customer_clock

    if value.strip().lower() == "morning":
        clock = customer_clock(session, conversation_id, now)
        if clock is None:
            raise BadSendTime(
                f"#{conversation_id}'s customer never said their time zone; give a time instead."
            )
        return customers_morning(clock.offset_minutes, now)
    try:
        return read_time(value, now, zone)
    except ValueError as exc:
        raise BadSendTime(str(exc).replace("snooze", "send")) from None


def typed_send_at(text: str, now: datetime, zone: str) -> datetime | None:
    """Text typed in the review's "send at" choices: the time it names when it reads as
    one ("3h", "tomorrow 2pm"), so Enter schedules that (it chose "Another time…", which
    matched the filter, and opened an empty prompt); None when it only filters the
    choices ("customer"). Raises BadSendTime (one sentence) for what starts like a time
    and does not read ("3 hourz"), a past time, or one more than 30 days ahead. Wall-clock
    times are read on the agent's clock (``zone``)."""
    from inbox_tui.when import typed_snooze

    try:
        value = typed_snooze(text, now, zone_of(zone))
        if value is None:
            return None
        when = read_time(value, now, zone)
    except ValueError as exc:
        raise BadSendTime(str(exc).replace("snooze", "send")) from None
    due(when, now, 0)  # past, or too far ahead: one sentence
    return when
