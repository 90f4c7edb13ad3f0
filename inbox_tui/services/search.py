"""The search language agents type after ``/``, learnable in a minute:

    printer jam "exact phrase"      words and phrases in the subject or any message; a word
                                    also matches as a prefix, so "prin" finds "printer"
    is:open  is:pending  is:snoozed  is:closed
    tag:bug  -tag:spam              with / without a tag (quote tags with spaces: tag:"feature request")
    assignee:me  assignee:sam  assignee:none
    from:@acme.com  from:ann        the customer's address or name contains this
    after:2026-01-01  before:2026-02-01
    channel:chat  channel:email

Unknown ``key:value`` terms are searched as text, so nothing typed is silently dropped.

The work a query asks for is bounded: at most ``MAX_QUERY_CHARS`` characters and
``MAX_TERMS`` terms (each term is a condition in the SQL; a thousand pasted words made
SQLite refuse the statement); more is one sentence, not a crash.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from inbox_tui.errors import UserError
from inbox_tui.sanitize import one_line
from inbox_tui.services.conversations import ConversationFilter

STATUSES = {"open", "pending", "snoozed", "closed"}
MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
_TERM = re.compile(r'(-?)(\w+):("([^"]*)"|\S+)|"([^"]*)"|(\S+)')


class QueryError(UserError, ValueError):
    """A search the app will not run; the message is the sentence to show."""


def parse_query(query: str, me: str) -> ConversationFilter:
    """Turn the search text into a filter. Raises QueryError (a plain sentence) for a
    value that cannot be understood, such as a bad date."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            f"The search is {len(query):,} characters long; at most {MAX_QUERY_CHARS:,} are searched."
        )
    flt = ConversationFilter()
    terms = list(_TERM.finditer(query))
    if len(terms) > MAX_TERMS:
        raise QueryError(
            f"The search has {len(terms):,} terms; at most {MAX_TERMS} can be combined."
        )
    for m in terms:
        neg, key, raw_value, quoted_value, phrase, word = m.groups()
        if key is not None:
            value = quoted_value if quoted_value is not None else raw_value
            key = key.lower()
            if key == "is" and value.lower() in STATUSES:
                flt.statuses = (flt.statuses or set()) | {value.lower()}
            elif key == "tag":
                (flt.without_tags if neg else flt.tags).append(value.lower())
            elif key == "assignee":
                if value.lower() in ("none", "nobody", "unassigned"):
                    flt.unassigned = True
                else:
                    flt.assignee = me if value.lower() == "me" else value
            elif key == "from":
                flt.from_contains = value.lower()
            elif key in ("after", "before"):
                setattr(flt, key, _date(value))
            elif key == "channel" and value.lower() in ("chat", "email"):
                flt.channel = value.lower()
            else:
                flt.text.append(m.group(0))
        elif phrase is not None:
            if phrase.strip():
                flt.phrases.append(phrase)
        elif word:
            flt.text.append(word)
    return flt


def _date(value: str) -> datetime:
    """A date or date-time; without a zone it is UTC (the store compares aware times)."""
    try:
        when = datetime.fromisoformat(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise QueryError(f"'{one_line(value, 40)}' is not a date like 2026-01-31.") from exc
