"""The agent's clock: every time the TUI and the CLI show an agent (a snooze's wake time,
a message's date, a scheduled reply, a conflict's "changed at"), and every wall-clock
time they type ("tomorrow", "friday 2pm", "17:00", "2026-12-01 09:00"), is on their own
clock: ``[agent] timezone``, else the system's (``when.local_zone_name``). Times are kept
in UTC; this is the one place they become the agent's. The customer's clock is
``services/clock``.

Pure: no store, no textual (the list imports it before the store is open).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from inbox_tui.when import SNOOZE_PRESETS, in_words, local_zone_name, snooze_until

DAY_TIME = "%a %d %b %H:%M"  # "Mon 07 Dec 09:00"


@lru_cache(maxsize=64)
def zone_of(name: str) -> tzinfo:
    """The zone named (an IANA name, as ``agent_zone`` gives it); UTC when it is not a
    known zone, which its abbreviation then says."""
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return UTC


def agent_zone(configured: str | None) -> str:
    """The agent's zone name: ``[agent] timezone`` when set, else the system's."""
    return local_zone_name(configured)


def agent_time(at: datetime, zone: str, fmt: str = DAY_TIME, *, named: bool = True) -> str:
    """``at`` on the agent's clock in ``fmt``, followed by the zone's abbreviation
    ("Mon 07 Dec 09:00 CET"; across a DST change the abbreviation changes with it).
    ``named=False`` leaves the abbreviation out (a column of dates)."""
    if at.tzinfo is None:  # the store's times are UTC
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(zone_of(zone))
    shown = local.strftime(fmt)
    return f"{shown} {local.tzname() or zone}" if named else shown


# A UTC time inside a stored sentence (a rule's history: "snoozed until 2026-12-07 10:00
# UTC"): stored for every agent alike, shown on the reader's clock.
_STORED_UTC = re.compile(r"\b(\d{4}-\d\d-\d\d \d\d:\d\d) UTC\b")


def stored_times(text: str, zone: str) -> str:
    """``text`` with each UTC time it keeps ("2026-12-07 10:00 UTC", as a rule's
    history stores what its macro snoozed to) on the agent's clock ("2026-12-07 11:00
    CET"); the rest unchanged."""

    def local(m: re.Match[str]) -> str:
        at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        return agent_time(at, zone, "%Y-%m-%d %H:%M")

    return _STORED_UTC.sub(local, text)


def read_time(value: str, now: datetime, zone: str) -> datetime:
    """A time the agent typed (``3h``, ``tomorrow 2pm``, ``friday``, ``2026-12-01
    09:00``), wall-clock times read on their clock; in UTC. Raises ValueError."""
    return snooze_until(value, now, zone_of(zone))


def snooze_presets(now: datetime, zone: str) -> list[tuple[str, str, str]]:
    """The snooze picker's presets with the time each wakes at on the agent's clock:
    ``(value, label, "Tue 08 Dec 09:00 CET")``."""
    return [
        (value, label, agent_time(read_time(value, now, zone), zone))
        for value, label in SNOOZE_PRESETS
    ]


def as_understood(until: datetime, now: datetime, zone: str) -> str:
    """A typed time as it will be read, for the row Enter takes: "in 3 hours — Wed 18 Nov
    18:30 CET" (walk8: with "3h" typed the first row was still the "1 hour" preset)."""
    return f"{in_words(until - now)} — {agent_time(until, zone)}"


def typed_time(text: str, now: datetime, zone: str) -> tuple[str, str] | None:
    """Text typed in the snooze picker as ``(value, the time as understood)`` when it is
    a time ("3h" → "in 3 hours — …"); None when it only filters the presets; ValueError
    (one sentence) when it reads as a time but is not one (``when.typed_snooze``)."""
    from inbox_tui.when import typed_snooze

    value = typed_snooze(text, now, zone_of(zone))
    if value is None:
        return None
    return value, as_understood(read_time(value, now, zone), now, zone)
