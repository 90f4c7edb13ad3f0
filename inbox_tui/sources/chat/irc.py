"""IRC logs, irssi/weechat style: ``[HH:MM] <nick> text`` and ``[HH:MM] * nick action``
(also ``* nick action`` without a time). The date comes from a ``YYYY-MM-DD`` in the file
name or a "Day changed"/"Log opened" line, else the file's modification day. ``===`` /
``-!-`` notices (joins, quits, nick changes) are skipped with a reason."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from inbox_tui.sources.chat import ChatLine, Skip, bounded_lines, too_long, unreadable

_MSG = re.compile(r"^\[(\d{1,2}):(\d{2})(?::(\d{2}))?\]\s+<\s*[@+%~&]?([^>\s]+)>\s?(.*)$")
_ACTION = re.compile(r"^(?:\[(\d{1,2}):(\d{2})(?::(\d{2}))?\]\s+)?\*\s+(\S+)\s+(.*)$")
_NOTICE = re.compile(r"^(?:\[\d{1,2}:\d{2}(?::\d{2})?\]\s+)?(===|-!-|--\s|<--|-->)")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DAY_CHANGED = re.compile(r"(Day changed|Log opened).*?(\d{4})[-/ ](\d{2}|\w{3})[-/ ](\d{2})", re.I)
_ADDRESS = re.compile(r"^([^\s:,]{1,40})[:,]\s")

LOOKS_LIKE = _MSG


def sniff(head: str) -> bool:
    lines = [ln for ln in head.splitlines()[:20] if ln.strip()]
    return sum(
        1 for ln in lines if _MSG.match(ln) or _ACTION.match(ln) or _NOTICE.match(ln)
    ) >= max(1, len(lines) // 2)


def parse(path: Path, channel: str | None = None) -> Iterator[ChatLine | Skip]:
    m = _DATE.search(path.name)
    day = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
    if m:
        with contextlib.suppress(ValueError):  # 2026-13-45 in a name is not a date
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    chan = channel or f"irc:{path.stem.split('.')[0]}"
    last_minutes = -1
    seen: dict[str, int] = {}
    with path.open("rb") as fh:
        for line_no, raw_bytes in bounded_lines(fh):
            where = f"{path}:{line_no + 1}"
            if raw_bytes is None:
                yield too_long(where)
                continue
            try:
                raw = raw_bytes.decode("utf-8", errors="replace").rstrip("\r\n")
                if not raw.strip():
                    yield Skip(where, "blank line")
                    continue
                dm = _DAY_CHANGED.search(raw)
                if dm and raw.startswith(("---", "--", "***", "Day", "Log")):
                    with contextlib.suppress(ValueError):
                        day = datetime.strptime(" ".join(dm.groups()[1:]), "%Y %m %d").date()
                    yield Skip(where, "day marker")
                    continue
                if _NOTICE.match(raw):
                    yield Skip(where, "join/part/nick notice")
                    continue
                mm = _MSG.match(raw)
                if mm:
                    hh, mi, ss, nick, text = mm.groups()
                else:
                    am = _ACTION.match(raw)
                    if not am:
                        yield Skip(where, "not an IRC log line", problem=True)
                        continue
                    hh, mi, ss, nick, action = am.groups()
                    text = f"* {nick} {action}"
                if hh is not None:
                    minutes = int(hh) * 60 + int(mi)
                    if minutes < last_minutes - 60:  # the clock went round midnight
                        day += timedelta(days=1)
                    last_minutes = minutes
                    at = datetime(
                        day.year,
                        day.month,
                        day.day,
                        int(hh) % 24,
                        int(mi),
                        int(ss or 0),
                        tzinfo=UTC,
                    )
                else:
                    at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                        minutes=max(last_minutes, 0)
                    )
                # Stable id: the line's content and how many identical lines came before it.
                digest = hashlib.sha1(f"{at.date()}|{raw}".encode()).hexdigest()[:20]
                seen[digest] = seen.get(digest, 0) + 1
                addressed = []
                ad = _ADDRESS.match(text)
                if ad:
                    addressed.append(ad.group(1))
                yield ChatLine(
                    channel=chan,
                    author=nick,
                    handle=f"irc:{nick}",
                    text=text,
                    at=at,
                    external_id=f"{chan}:{digest}:{seen[digest]}",
                    addressed=addressed,
                    line_no=line_no,
                )
            except Exception as exc:  # one bad line never aborts the file
                yield unreadable(where, exc)
