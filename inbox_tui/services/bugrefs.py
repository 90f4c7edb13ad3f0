"""Which conversations mention a bug reference: the one lookup behind ``inbox-tui issue``
(``services/buglinks``) and the search term ``issue:ENG-4812`` (``services/search``).

A conversation mentions ``ref`` when one of its internal notes contains it as a whole
token (``ENG-48`` is not found in ``ENG-4812``, nor ``.../issues/12`` in
``.../issues/123``), or when it was confirmed as part of an incident whose bug is
``ref`` (``services/incidents``). Customers' own messages do not link: agents do.
Depends on the tables only, so the conversation list and the thread can use it without
a circle. ``links`` is what one note links (the thread shows it under the note, the note's
toast says it, ``known_refs`` counts it): the pattern's references that ``mentioned``
finds there too, so what is shown, counted and acted on agree.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import text
from sqlmodel import Session

from inbox_tui.errors import UserError

# JIRA/Linear-style keys (ENG-4812) and issue-tracker URLs.
DEFAULT_PATTERN = (
    r"\b[A-Z][A-Z0-9]{1,9}-\d{1,7}\b"
    r"|https?://[^\s/]+/\S*?(?:issues|pull|browse|tickets?)/[\w.-]+"
)
MAX_REF = 300
# Ordinary support prose: a pattern that finds a "bug" in it would link everything.
_PROSE = (
    "Hello, thanks for writing to us. I am sorry the export did not work; we are looking "
    "into it today and will get back to you. Best regards, Sam from the support team."
)


class BugLinkError(UserError):
    pass


def compile_pattern(pattern: str | None) -> re.Pattern[str]:
    """The bug pattern, checked: it must compile, and must match neither nothing at all
    nor ordinary prose (a pattern like ``.*`` or ``\\w+`` would link every note)."""
    source = DEFAULT_PATTERN if pattern is None else pattern
    try:
        compiled = re.compile(source)
    except re.error as exc:
        raise BugLinkError(
            f"The bug pattern {source!r} is not a valid regular expression: {exc}."
        ) from exc
    if compiled.search("") is not None or compiled.search(_PROSE) is not None:
        raise BugLinkError(
            f"The bug pattern {source!r} matches ordinary text; it must match only bug "
            "references such as ENG-4812."
        )
    return compiled


def refs_in(body: str, pattern: re.Pattern[str]) -> list[str]:
    """The pattern's matches in a text, in order, each once."""
    seen: dict[str, None] = {}
    for m in pattern.finditer(body or ""):
        seen.setdefault(m.group(0)[:MAX_REF], None)
    return list(seen)


def _token(ref: str) -> re.Pattern[str]:
    """``ref`` as a whole token (``ENG-48`` is not in ``ENG-4812`` nor ``ENG-48-2``)."""
    return re.compile(r"(?<![\w-])" + re.escape(ref) + r"(?![\w-])")


def links(body: str, pattern: re.Pattern[str]) -> list[str]:
    """The bug references a note's ``body`` links its conversation to, in order, each
    once: the pattern's matches that ``mentioned`` finds in it (module docstring)."""
    return [ref for ref in refs_in(body, pattern) if _token(ref).search(body or "")]


_NOTES_WITH = text(
    "SELECT DISTINCT conversation_id, body FROM message WHERE direction = 'note' "
    "AND body LIKE :like ESCAPE '\\'"
)
_INCIDENTS_WITH = text(
    "SELECT DISTINCT conversation_id, data FROM event WHERE kind = 'incident' "
    "AND data LIKE :like ESCAPE '\\'"
)


def like(ref: str) -> str:
    """A LIKE pattern for text containing ``ref`` (``%``, ``_`` and ``\\`` escaped)."""
    return "%" + ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def mentioned(session: Session, ref: str) -> list[int]:
    """The ids of the conversations that mention ``ref`` (module docstring)."""
    if not ref:
        return []
    token = _token(ref)
    found = {
        int(cid)
        for cid, body in session.execute(_NOTES_WITH, {"like": like(ref)}).all()
        if token.search(body or "")
    }
    for cid, data in session.execute(_INCIDENTS_WITH, {"like": like(ref)}).all():
        if json.loads(data or "{}").get("bug") == ref:
            found.add(int(cid))
    return sorted(found)
