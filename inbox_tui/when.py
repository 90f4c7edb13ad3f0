"""Durations and snooze times: the one parser for macros (``snooze = "2d"``), the TUI's
snooze picker and the command line. Pure: no store, no textual."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# "3h", "3 h", "3 hours", "3hrs", "90 min", "2 days", "1 week": the first letter names
# the unit; the rest must be one of that unit's spellings.
_DURATION = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$", re.I)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SPELLINGS = {
    "m": {"m", "min", "mins", "minute", "minutes"},
    "h": {"h", "hr", "hrs", "hour", "hours"},
    "d": {"d", "day", "days"},
    "w": {"w", "wk", "wks", "week", "weeks"},
}

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
    """``30m``, ``4h``, ``2d``, ``1w`` (or spelled out: ``3 hours``) → timedelta.
    Raises ValueError."""
    m = _DURATION.match(str(text))
    unit = m.group(2).lower() if m else ""
    if not m or int(m.group(1)) <= 0 or unit not in _SPELLINGS.get(unit[:1], set()):
        raise ValueError(f"'{text}' is not a duration like 30m, 4h, 2d or 1w")
    try:
        return timedelta(**{_UNITS[unit[:1]]: int(m.group(1))})
    except OverflowError:
        raise ValueError(f"'{text}' is longer than any snooze") from None


def typed_snooze(text: str, now: datetime) -> str | None:
    """Text typed in the snooze picker: the value to snooze with when it is a time ("3h",
    "tomorrow", "2026-12-01 09:00"); None when it only filters the presets ("week");
    ValueError (one sentence) when it reads as a time but is not one ("3 hourz"), so
    a typo is refused instead of matching the "1 hour" preset."""
    text = text.strip()
    if not text or not (text[0].isdigit() or text.lower() == "tomorrow"):
        return None
    snooze_until(text, now)
    return text


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


def local_zone_name(configured: str | None = None) -> str:
    """The agent's own time zone as an IANA name, for what the TUI shows in local time
    (the Stats screen's heatmaps): ``[agent] timezone`` when set, else the system's
    (``$TZ``, else where ``/etc/localtime`` points), else ``UTC``. A name that is not a
    known zone is skipped."""
    import os
    from zoneinfo import ZoneInfo

    candidates = [configured, (os.environ.get("TZ") or "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        if "/zoneinfo/" in target:
            candidates.append(target.split("/zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if not name:
            continue
        try:
            ZoneInfo(name)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            continue
        return "UTC" if name in ("Etc/UTC", "Etc/Universal", "UCT", "Zulu", "Etc/Zulu") else name
    return "UTC"
