"""Which conversations mention a bug reference: the one lookup behind ``inbox-tui issue``
(``services/buglinks``) and the search term ``issue:ENG-4812`` (``services/search``).

A conversation mentions ``ref`` when one of its internal notes contains it as a whole
token (``ENG-48`` is not found in ``ENG-4812``, nor ``.../issues/12`` in
``.../issues/123``), or when it was confirmed as part of an incident whose bug is
``ref`` (``services/incidents``). Customers' own messages do not link: agents do.
Depends on the tables only, so the conversation list can use it without a circle.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import text
from sqlmodel import Session

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
    token = re.compile(r"(?<![\w-])" + re.escape(ref) + r"(?![\w-])")
    found = {
        int(cid)
        for cid, body in session.execute(_NOTES_WITH, {"like": like(ref)}).all()
        if token.search(body or "")
    }
    for cid, data in session.execute(_INCIDENTS_WITH, {"like": like(ref)}).all():
        if json.loads(data or "{}").get("bug") == ref:
            found.add(int(cid))
    return sorted(found)
