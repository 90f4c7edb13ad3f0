"""Durations and snooze times: the one parser for macros (``snooze = "2d"``), the TUI's
snooze picker and the command line. Pure: no store, no textual."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

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

# The snooze picker's presets: (value understood by snooze_until, label). Wall-clock
# ones ("tomorrow") are read on the agent's clock (services/agent_clock.snooze_presets).
SNOOZE_PRESETS = [
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    ("tomorrow", "Tomorrow 09:00"),
    ("2d", "2 days"),
    ("1w", "Next week"),
]
SNOOZE_HINT = "3h, 2d, tomorrow 2pm, friday, or 2026-12-01 09:00"


def parse_duration(text: str) -> timedelta:
    """``30m``, ``4h``, ``2d``, ``1w`` (or spelled out: ``3 hours``) → timedelta.
    Raises ValueError."""
    m = _DURATION.match(str(text))
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _SPELLINGS.get(unit[:1], set()):
        raise ValueError(f"'{text}' is not a duration like 30m, 4h, 2d or 1w")
    if int(m.group(1)) <= 0:  # it reads as one, so say what is wrong with it (walk7)
        raise ValueError(f"'{text}' is not a duration: it must be longer than 0, like 30m or 4h")
    try:
        return timedelta(**{_UNITS[unit[:1]]: int(m.group(1))})
    except OverflowError:
        raise ValueError(f"'{text}' is longer than any snooze") from None


_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
# "9am", "9 am", "2:30pm", "17:00", "9.30"; "at" is allowed in front ("friday at 2pm").
_CLOCK = re.compile(r"^(?:at\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$", re.I)
# First words that say "this is a time, not a filter of the presets": when text that
# starts with one of them does not parse, it is refused instead of matching a preset
# ("friday" once snoozed for the "2 days" preset, "tomorrow 2pm" for 09:00).
_TIME_WORDS = {"tomorrow", "today", "tonight", "in", "at", *_WEEKDAYS}


def _clock(text: str, bare_hour: bool = False) -> tuple[int, int] | None:
    """ "2pm" → (14, 0); "17:30" → (17, 30); a bare number is a time only with am/pm or
    minutes ("9" alone could be anything), or after a day word (``bare_hour``: "tomorrow
    9" is 09:00 on the 24-hour clock every other time here is shown on; walk7 had it
    refused)."""
    m = _CLOCK.match(text.strip())
    if not m or (m.group(2) is None and m.group(3) is None and not bare_hour):
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _wall_clock(text: str, now: datetime, zone: tzinfo) -> datetime | None:
    """Day words and clock times read on the agent's wall clock (``zone``): "tomorrow",
    "tomorrow 2pm", "today 17:00", "friday", "next monday 10:00", "2pm" (today, or
    tomorrow when that has passed), "in 3 hours". None when the text is none of these."""
    words = text.lower().split()
    if not words:
        return None
    if words[0] == "in":
        try:
            return now + parse_duration(" ".join(words[1:]))
        except ValueError:
            return None
    local = now.astimezone(zone)
    day, rest, default = None, words, (9, 0)
    if words[0] in ("today", "tonight"):
        day, rest = local.date(), words[1:]
        default = (20, 0) if words[0] == "tonight" else (9, 0)
    elif words[0] == "tomorrow":
        day, rest = local.date() + timedelta(days=1), words[1:]
    else:
        nxt = 1 if words[0] == "next" else 0
        if len(words) > nxt and words[nxt] in _WEEKDAYS:
            ahead = (_WEEKDAYS[words[nxt]] - local.weekday()) % 7 or 7
            day, rest = local.date() + timedelta(days=ahead), words[nxt + 1 :]
    hm = _clock(" ".join(rest), bare_hour=day is not None) if rest else default
    if hm is None:
        return None
    if day is None:  # a clock time alone: the next time the clock shows it
        day = local.date()
        if (hm[0], hm[1]) <= (local.hour, local.minute):
            day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hm[0], hm[1], tzinfo=zone).astimezone(UTC)


def typed_snooze(text: str, now: datetime, zone: tzinfo = UTC) -> str | None:
    """Text typed in the snooze picker: the value to snooze with when it is a time ("3h",
    "tomorrow 2pm", "friday", "2026-12-01 09:00"); None when it only filters the presets
    ("week"); ValueError (one sentence) when it reads as a time but is not one ("3 hourz",
    "friday 25pm"), so a typo is refused instead of matching a preset."""
    text = text.strip()
    first = text.split()[0].lower() if text else ""
    try:
        snooze_until(text, now, zone)
    except ValueError:
        if text and (text[0].isdigit() or first in _TIME_WORDS or _misspelt_day(text)):
            raise
        return None
    return text


# Day words a near miss of which is a typo, not a filter ("thursdy" snoozed for the
# "4 hours" preset, "on frday" opened an empty Custom prompt, "next mnday" took "2 days").
_DAY_WORDS = ("today", "tonight", "tomorrow", *(w for w in _WEEKDAYS if len(w) >= 6))


def _misspelt_day(text: str) -> bool:
    from rapidfuzz import fuzz

    words = [w for w in text.lower().split() if len(w) >= 4 and w not in _TIME_WORDS]
    return any(fuzz.ratio(w, day) >= 80 for w in words for day in _DAY_WORDS)


def snooze_until(value: str, now: datetime, zone: tzinfo = UTC) -> datetime:
    """'3h', '2d', '1w', '30m', 'tomorrow', 'tomorrow 2pm', 'friday', 'next mon 10:00',
    '17:00', 'in 3 hours', or an ISO date/time; wall-clock times are read in ``zone``.
    Raises ValueError with a plain sentence."""
    value = value.strip()
    try:
        return now + parse_duration(value)
    except ValueError:
        pass
    when = _wall_clock(value, now, zone)
    if when is None:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"“{value}” is not a snooze time; try {SNOOZE_HINT}.") from None
        if when.tzinfo is None:
            if len(value) <= 10:  # a date alone: the start of the working morning
                when = when.replace(hour=9)
            when = when.replace(tzinfo=zone)
    if when <= now:
        raise ValueError("That time is in the past; pick a later one.")
    return when


def in_words(span: timedelta) -> str:
    """How far ahead a time is, as an agent says it: "in 45 minutes", "in 3 hours", "in 1
    hour 30 minutes", "in 2 days 3 hours" (the two largest units; minutes dropped from a
    span of days)."""

    def unit(n: int, name: str) -> str:
        return f"{n} {name}" + ("" if n == 1 else "s")

    minutes = max(0, round(span.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        parts = [unit(days, "day")] + ([unit(hours, "hour")] if hours else [])
    elif hours:
        parts = [unit(hours, "hour")] + ([unit(minutes, "minute")] if minutes else [])
    else:
        parts = [unit(minutes, "minute")]
    return "in " + " ".join(parts)


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
