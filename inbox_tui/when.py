"""Durations and snooze times: the one parser for macros (``snooze = "2d"``), the TUI's
snooze picker and the command line. Pure: no store, no textual."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

# The snooze picker's presets: (value understood by snooze_until, label).
SNOOZE_PRESETS = [
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    ("tomorrow", "Tomorrow 09:00 UTC"),
    ("2d", "2 days"),
    ("1w", "Next week"),
]
SNOOZE_HINT = "30m, 3h, 2d, 1w or 2026-12-01 09:00"


def parse_duration(text: str) -> timedelta:
    """``30m``, ``4h``, ``2d``, ``1w`` → timedelta. Raises ValueError."""
    m = _DURATION.match(str(text))
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"'{text}' is not a duration like 30m, 4h, 2d or 1w")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def snooze_until(value: str, now: datetime) -> datetime:
    """'3h', '2d', '1w', '30m', 'tomorrow', or an ISO date/time (UTC). Raises ValueError
    with a plain sentence."""
    value = value.strip()
    if value.lower() == "tomorrow":
        return (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    try:
        return now + parse_duration(value)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"“{value}” is not a snooze time; try {SNOOZE_HINT}.") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    if when <= now:
        raise ValueError("That time is in the past; pick a later one.")
    return when
