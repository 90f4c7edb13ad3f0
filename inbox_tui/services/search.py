"""The search language agents type after ``/``, learnable in a minute:

    printer jam "exact phrase"      words and phrases in the subject or any message, or in
                                    the customer's name or address (zoe larsen, fjord); a
                                    word also matches as a prefix, so "prin" finds "printer"
    is:open  is:pending  is:snoozed  is:closed
    tag:bug  -tag:spam              with / without a tag (quote tags with spaces: tag:"feature request")
    issue:ENG-4812  -issue:ENG-4812 linked / not linked to a bug (a note names it, or an incident)
    category:none                   no tag of kind category (is:closed category:none: closed uncategorised)
    assignee:me  assignee:sam  assignee:none
    from:@acme.com  from:ann        the customer's address or name contains this
    contact:42                      one customer (what c searches when from: cannot)
    contact.plan:enterprise         customers with this attribute (import contacts); -contact.plan:free
    after:2026-01-01  before:2026-02-01T09:30   (on your clock unless a zone is given)
    after:3d  after:12h  after:09:30  activity within the last 3 days / 12 hours / since 09:30 today
    channel:chat  channel:email
    sla:breached  sla:at-risk  sla:due<2h   response targets (the config's [sla]): past due,
                                    due within its at_risk time, due within 2 hours
                                    (overdue included); is:breached is sla:breached
    -TERM                           any term with "-" before it leaves out what it finds:
                                    -assignee:sam (the unassigned stay), -is:closed,
                                    -from:acme, -password, -"exact phrase", -sla:breached

Unknown ``key:value`` terms are searched as text, so nothing typed is silently dropped.
A known operator with a value it cannot take (``is:bogus``, ``channel:fax``) is one
sentence saying what it takes. A search run as a whole (the CLI, a saved view:
``complete=True``) also refuses an operator with no value (``tag:``) and a quote left
open; while it is being typed in the TUI those are read as not finished yet.
Any input gives results or one sentence (``QueryError``): a search is at most
``MAX_QUERY_CHARS`` characters and ``MAX_TERMS`` terms (each term is one more condition
in the query; thousands of them would exhaust the database's expression limits), and
every value reaches the database as a bound parameter, ``%`` and ``_`` included.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import Session

from inbox_tui.errors import UserError
from inbox_tui.sanitize import clean
from inbox_tui.services.conversations import (
    ConversationFilter,
    ConversationRow,
    count_conversations,
    list_conversations,
)

STATUSES = {"open", "pending", "snoozed", "closed"}
_CLOCK = re.compile(r"\d\d:\d\d(:\d\d)?")
_TERM = re.compile(r'(-?)([\w.]+):("([^"]*)"|\S+)|(-?)"([^"]*)"|(\S+)')
# Operators with a negation of their own (their "-" form reads one list); any other
# "-" term is the conversations matching it, left out (ConversationFilter.excluded).
_OWN_NEGATION = {"tag", "issue"}
# "-" then a letter, digit or quote: "--" and "-@" are punctuation to look for.
_NEGATED = re.compile(r'-[\w"]')
# "sla:", "tag:" with nothing after yet: an operator half typed, not a word to look
# for (searching "sla:" as text showed the Slack chats while "sla:due<2h" was typed).
_OPERATOR_BEING_TYPED = re.compile(r"-?[\w.]+:")


# The saved-search column holds 2,000 characters; a search is no longer than that.
MAX_QUERY_CHARS = 2000
MAX_TERMS = 40


class QueryError(UserError, ValueError):
    """A search that cannot be run, in one sentence (a ValueError too, for callers that
    treat any bad input alike)."""


# The values an operator with a fixed set of them takes (is:breached is sla:breached).
CHOICES = {
    "is": ("open", "pending", "snoozed", "closed", "breached"),
    "channel": ("chat", "email"),
    "category": ("none",),
}
# The operators, each with an example of its value: "tag:" alone in a whole search is
# a mistake ("'tag:' needs a value, like tag:bug"), not a word to look for.
EXAMPLES = {
    "is": "is:open",
    "sla": "sla:breached",
    "tag": "tag:bug",
    "category": "category:none",
    "issue": "issue:ENG-4812",
    "assignee": "assignee:me",
    "from": "from:@acme.com",
    "contact": "contact:42",
    "after": "after:2026-01-31",
    "before": "before:2026-01-31",
    "channel": "channel:email",
}


def parse_query(
    query: str, me: str, *, complete: bool = False, zone: str = "UTC"
) -> ConversationFilter:
    """Turn the search text into a filter. Raises QueryError (a plain sentence) for a
    value that cannot be understood, such as a bad date or ``is:bogus``. ``zone``: the
    agent's (``agent_clock``), where the times typed in ``after:``/``before:`` are.

    ``complete``: the search is run as a whole (the CLI, a saved view), not read at
    each keystroke: an operator with no value and an open quote are refused too."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            f"The search is {len(query):,} characters long; the limit is {MAX_QUERY_CHARS:,}."
        )
    # No control characters reach a parameter (PostgreSQL refuses NUL in text).
    query = clean(query)
    terms = list(_TERM.finditer(query))
    if len(terms) > MAX_TERMS:
        raise QueryError(
            f"The search has {len(terms):,} terms; use at most {MAX_TERMS} "
            "(each word, phrase and key:value is one)."
        )
    if complete and query.count('"') % 2:
        raise QueryError('The search has a quote (") that is not closed; close it or remove it.')
    flt = ConversationFilter()
    for m in terms:
        neg, key, raw_value, quoted_value, _neg_phrase, phrase, word = m.groups()
        if _negated_alone(m.group(0), key):
            # The term read on its own, then left out: -assignee:sam, -is:open, -from:x,
            # -password, -"exact phrase" mean what the term finds, excluded.
            sub = parse_query(m.group(0)[1:], me, complete=complete, zone=zone)
            if sub != ConversationFilter():
                flt.excluded.append(sub)
        elif key is not None:
            # An unbalanced quote (tag:"feature) is a quote typed, not meant.
            value = quoted_value if quoted_value is not None else raw_value.strip('"')
            key = key.lower()
            _check_choice(key, value.lower(), complete)
            if key == "is" and value.lower() in STATUSES:
                flt.statuses = (flt.statuses or set()) | {value.lower()}
            elif key == "sla" or (key == "is" and value.lower() == "breached"):
                _sla_term(flt, value.lower())
            elif key == "tag":
                (flt.without_tags if neg else flt.tags).append(value.lower())
            elif key == "category" and value.lower() == "none":
                flt.no_category = True
            elif key == "issue" and value:
                (flt.without_issues if neg else flt.issues).append(value)
            elif key == "assignee":
                if value.lower() in ("none", "nobody", "unassigned"):
                    flt.unassigned = True
                else:
                    flt.assignee = me if value.lower() == "me" else value
            elif key == "from":
                flt.from_contains = value.lower()
            elif key == "contact" and value.isdigit() and len(value) < 19:
                flt.contact_id = int(value)
            elif key.startswith("contact.") and len(key) > 8 and value:
                pair = (key[8:], value.lower())
                (flt.without_contact_attrs if neg else flt.contact_attrs).append(pair)
            elif key in ("after", "before"):
                setattr(flt, key, _date(value, zone=zone))
            elif key == "channel" and value.lower() in ("chat", "email"):
                flt.channel = value.lower()
            else:
                flt.text.append(m.group(0))
        elif phrase is not None:
            if phrase.strip():
                flt.phrases.append(phrase)
        elif word == "-" and not complete:
            pass  # a "-" typed, its term not yet
        elif word and _OPERATOR_BEING_TYPED.fullmatch(word):
            name = word.lstrip("-")[:-1].lower()
            if complete and name in EXAMPLES:
                raise QueryError(f"'{word[:40]}' needs a value, like {EXAMPLES[name]}.")
            if complete:  # not an operator: a word ending in a colon, looked for as text
                flt.text.append(word)
        elif word:
            flt.text.append(word)
    return flt


def _negated_alone(term: str, key: str | None) -> bool:
    """``term`` is a "-" term that is negated as a whole: not an operator that has its
    own "-" form, not "-" alone, not an operator still being typed ("-tag:")."""
    if not _NEGATED.match(term) or _OPERATOR_BEING_TYPED.fullmatch(term):
        return False
    if key is None:
        return True
    key = key.lower()
    return key not in _OWN_NEGATION and not key.startswith("contact.")


def _check_choice(key: str, value: str, complete: bool) -> None:
    """QueryError for ``key:value`` when ``key`` takes one of a few values and ``value``
    is none of them (nor, while it is being typed, the start of one)."""
    choices = CHOICES.get(key)
    if choices is None or value in choices:
        return
    if not complete and value and any(c.startswith(value) for c in choices):
        return  # "is:op" on the way to "is:open": searched as text until then
    named = [f"{key}:{c}" for c in choices]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    raise QueryError(f"There is no '{key}:{value[:40]}' to search for; use {listed}.")


def _sla_term(flt: ConversationFilter, value: str) -> None:
    """``sla:breached``, ``sla:at-risk``, ``sla:due<2h`` onto ``flt`` (one per search)."""
    from inbox_tui.services.sla import AT_RISK, BREACHED, current
    from inbox_tui.when import parse_duration

    policy = current()
    if policy is None:
        raise QueryError(
            "No response targets are set, so sla: finds nothing; add an [sla] section to the "
            "config (see docs/config.md)."
        )
    if flt.sla_state is not None:
        raise QueryError("Use one sla: term per search.")
    flt.sla_policy = policy
    if value in ("breached", "overdue"):
        flt.sla_state = BREACHED
    elif value in ("at-risk", "at_risk", "risk"):
        flt.sla_state = AT_RISK
    elif value.startswith("due<"):
        try:
            flt.sla_within = parse_duration(value[4:])
        except ValueError:
            raise QueryError(f"'{value[:40]}' is not like sla:due<2h (30m, 4h, 2d).") from None
        flt.sla_state = "due"
    else:
        raise QueryError(f"'sla:{value[:40]}' is not sla:breached, sla:at-risk or sla:due<2h.")


def _date(value: str, now: datetime | None = None, zone: str = "UTC") -> datetime:
    """``2026-01-31`` (its midnight), ``2026-01-31T09:30`` (unless it has a zone) and
    ``09:30`` (today's) on the agent's clock, ``zone``; or ``3d`` / ``12h`` / ``30m`` /
    ``1w`` ago. In UTC."""
    from inbox_tui.services.agent_clock import zone_of
    from inbox_tui.when import parse_duration

    now = now or datetime.now(UTC)
    try:
        return now - parse_duration(value)
    except (ValueError, OverflowError):
        pass
    try:
        text, tz = value, zone_of(zone)
        if _CLOCK.fullmatch(value):  # a time alone: today's on the agent's clock
            text = f"{now.astimezone(tz):%Y-%m-%d}T{value}"
        when = datetime.fromisoformat(text)
        if when.tzinfo is None:
            return when.replace(tzinfo=tz).astimezone(UTC)
        return when.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        shown = value if len(value) <= 40 else value[:39] + "…"
        raise QueryError(
            f"'{shown}' is not a date or time like 2026-01-31, 2026-01-31T09:30, 09:30 or 3d."
        ) from exc


def search_conversations(
    session: Session, query: str, me: str, *, limit: int = 50, zone: str = "UTC"
) -> tuple[list[ConversationRow], int]:
    """The conversations ``query`` finds among every conversation (newest activity
    first, at most ``limit``) and how many match in all (typed times on ``zone``'s
    clock). Raises QueryError."""
    flt = parse_query(query, me, complete=True, zone=zone)
    check_names(session, flt, me)
    return list_conversations(session, flt, limit=limit), count_conversations(session, flt)


def check_names(session: Session, flt: ConversationFilter, me: str) -> None:
    """QueryError when the search names an assignee that is no agent: it can find
    nothing, and said nothing of why (walk11: ``assignee:nobody-at-all``, 0 results).
    Read with the search's first page (a name is checked against the store). ``me``
    is the agent searching: the Mine view and assignee:me name them before their first
    action has made their row."""
    from sqlmodel import col, select

    from inbox_tui.models import Agent

    names = [f.assignee for f in (flt, *flt.excluded) if f.assignee and f.assignee != me]
    if not names:
        return
    known = set(session.exec(select(Agent.username).where(col(Agent.username).in_(names))))
    unknown = next((name for name in names if name not in known), None)
    if unknown is not None:
        raise QueryError(
            f"No agent is called '{unknown[:40]}'; use an agent's username, "
            "assignee:me or assignee:none."
        )
