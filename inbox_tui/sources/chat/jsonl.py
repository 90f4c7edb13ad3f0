"""Our canonical chat format: JSON lines, one message per line.

    {"conversation": "ticket-42", "author": "Ann Lee", "email": "ann@acme.example",
     "ts": "2026-03-02T09:15:00+01:00", "text": "Hi, my export fails",
     "id": "m-1001", "in_reply_to": "m-1000", "channel": "widget",
     "contact": {"plan": "enterprise", "company": "Acme"}}

Required: ``author``, ``ts`` (ISO 8601 with a zone; a bare time is taken as UTC; a
numeric offset such as ``+01:00`` is kept as the writer's zone, for the customer's clock)
and ``text``. ``conversation`` keeps messages together as one conversation; without it the
splitter groups them. ``id`` makes re-imports exact (else the line's content is used).
``contact`` carries the writer's attributes, stored as ``import contacts`` stores a CSV's
(``null`` or ``""`` removes one; a bad name or value is reported and left out).

A rating line is the customer rating the conversation (no ``text`` needed; the import
records it, the latest wins, and it opens nothing):

    {"conversation": "ticket-42", "author": "Ann Lee", "email": "ann@acme.example",
     "ts": "2026-03-02T10:00:00+01:00", "rating": "good", "id": "r-7"}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from inbox_tui.sources import attributes
from inbox_tui.sources.chat import ChatLine, Skip, bounded_lines, too_long, unreadable

RATINGS = ("good", "ok", "bad")


def sniff(head: str) -> bool:
    for line in head.splitlines()[:5]:
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            return False
        return isinstance(obj, dict) and "text" in obj
    return False


def parse(path: Path, channel: str | None = None) -> Iterator[ChatLine | Skip]:
    with path.open("rb") as fh:
        for line_no, raw in bounded_lines(fh):
            where = f"{path}:{line_no + 1}"
            if raw is None:
                yield too_long(where)
                continue
            try:
                yield _line(raw, where, line_no, path, channel)
            except Exception as exc:  # one bad line never aborts the file
                yield unreadable(where, exc)


def _line(raw: bytes, where: str, line_no: int, path: Path, channel: str | None) -> ChatLine | Skip:
    if not raw.strip():
        return Skip(where, "blank line")
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Skip(where, "not UTF-8 text", problem=True)
    except json.JSONDecodeError as exc:
        return Skip(where, f"not valid JSON ({exc.msg})", problem=True)
    except RecursionError:
        return Skip(where, "JSON nested too deeply", problem=True)
    if not isinstance(obj, dict):
        return Skip(where, "not a JSON object", problem=True)
    rating = obj.get("rating")
    wanted = ("author", "ts", "conversation") if rating is not None else ("author", "ts", "text")
    missing = [k for k in wanted if not obj.get(k)]
    if missing:
        what = "a rating line is missing" if rating is not None else "missing"
        return Skip(where, f"{what} {', '.join(missing)}", problem=True)
    if rating is not None and str(rating).strip().lower() not in RATINGS:
        return Skip(where, "'rating' must be good, ok or bad", problem=True)
    try:
        at = datetime.fromisoformat(str(obj["ts"]).replace("Z", "+00:00"))
        # A numeric offset is the writer's own zone (the customer's clock); "Z" is a
        # server's clock and says nothing about them.
        delta = at.utcoffset() if not str(obj["ts"]).endswith("Z") else None
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except (ValueError, OverflowError):
        return Skip(where, f"'ts' {str(obj['ts'])[:40]!r} is not an ISO 8601 time", problem=True)
    chan = str(obj.get("channel") or channel or f"jsonl:{path.stem}")
    ident = str(obj.get("id") or hashlib.sha1(raw.strip()).hexdigest()[:24])
    email = str(obj["email"]).strip().lower() if obj.get("email") else None
    author = str(obj["author"])
    attrs, problems = (
        attributes.clean(obj["contact"], where) if obj.get("contact") is not None else ({}, [])
    )
    return ChatLine(
        channel=chan,
        author=author,
        handle=f"jsonl:{email or author.lower()}",
        text=str(obj.get("text") or ""),
        at=at,
        external_id=f"{chan}:{ident}",
        email=email,
        thread=str(obj["conversation"]) if obj.get("conversation") else None,
        reply_to=f"{chan}:{obj['in_reply_to']}" if obj.get("in_reply_to") else None,
        line_no=line_no,
        utc_offset=int(delta.total_seconds() // 60) if delta is not None else None,
        attributes=attrs,
        problems=problems,
        rating=str(rating).strip().lower() if rating is not None else None,
    )
