"""Views: the built-in ones, one per tag and the saved views; their counts; and the
filter that a view plus the search box's text stands for. The TUI's view list and
search box call these, and ``inbox-tui views`` too.

A saved view is a search saved under a name with the view it was typed in (its scope),
so it shows what the search showed when it was saved. Team-wide (``agent_id`` None), as
the TUI has always saved them; names are unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import Agent, SavedSearch, Tag
from inbox_tui.services.conversations import ConversationFilter, count_conversations, view_filter
from inbox_tui.services.listing import EVERYTHING, MENTIONS, VIEWS
from inbox_tui.services.listing import view_label as view_label  # re-exported
from inbox_tui.services.mentions import unread_count
from inbox_tui.services.search import QueryError, parse_query
from inbox_tui.store import insert_or_get

MAX_NAME = 100


@dataclass(frozen=True)
class SavedView:
    name: str
    query: str
    scope: str  # a built-in view ("open", "mine", "tag:bug", ...); "all" is everything
    # Its row, not part of what the view is: a view renamed elsewhere is followed by it.
    id: int | None = field(default=None, compare=False)


@dataclass
class ViewList:
    counts: dict[str, int] = field(default_factory=dict)  # built-in view id → conversations
    tags: list[str] = field(default_factory=list)
    saved: dict[str, SavedView] = field(default_factory=dict)  # by name


@dataclass
class AgentChoice:
    username: str
    name: str


# Views with counts of their own: "mentions" lists the conversations whose notes name
# me, and its count is my unread mentions (services/mentions.py).


def list_views(session: Session, me: str) -> ViewList:
    counts = {v: count_conversations(session, view_filter(v, me)) for v, _ in VIEWS}
    counts[MENTIONS[0]] = unread_count(session, me)
    saved = {v.name: v for v in list_saved_views(session)}
    return ViewList(counts=counts, tags=list_tags(session), saved=saved)


def list_tags(session: Session) -> list[str]:
    return [t.name for t in session.exec(select(Tag).order_by(Tag.name)).all()]


def list_agents(session: Session) -> list[AgentChoice]:
    return [
        AgentChoice(a.username, a.name or a.username)
        for a in session.exec(select(Agent).order_by(Agent.name)).all()
    ]


def resolve_filter(
    view: str, query: str, me: str, saved: dict[str, SavedView] | None = None, zone: str = "UTC"
) -> ConversationFilter:
    """The filter for a view with the search box's text on top: the search narrows the
    view (its status, assignee and tags stay unless the search names its own). A saved
    view is its search over its scope, narrowed the same way by what is typed. Raises
    ValueError (QueryError) for bad search text, and for a saved view not in ``saved``
    (renamed or deleted): read as a search over everything, it listed every
    conversation under the view's name."""
    if view.startswith("saved:"):
        found = (saved or {}).get(view[6:])
        if found is None:
            raise QueryError(
                f"There is no saved view called “{sanitize.one_line(view[6:], 60)}” any more; "
                "pick a view with v."
            )
        base = resolve_filter(found.scope, found.query, me, zone=zone)
    else:
        base = view_filter(view, me)
    if not query.strip():
        return base
    return _narrow(base, parse_query(query, me, zone=zone))  # times typed: the agent's


def _narrow(base: ConversationFilter, q: ConversationFilter) -> ConversationFilter:
    """``q`` within ``base``: every condition of both, ``q``'s own status, assignee,
    channel, sender and dates where it names them. Every field of the filter is
    handled: list fields (tags, words, issues, customer attributes) keep the conditions
    of both; any other field is the search's own where it names one, else the view's
    (a field added later is kept from the view unless the search sets it)."""
    from dataclasses import fields

    assignee_named = bool(q.assignee or q.unassigned)
    for f in fields(ConversationFilter):
        mine, theirs = getattr(q, f.name), getattr(base, f.name)
        if f.default_factory is list:  # tags, words, issues, customer attributes…
            setattr(q, f.name, [*theirs, *mine])
        elif f.name in ("assignee", "unassigned"):
            if not assignee_named:
                setattr(q, f.name, theirs)
        elif mine is None or mine is False or mine == "":
            setattr(q, f.name, theirs)
    return q


def saved_query(
    view: str, query: str, saved: dict[str, SavedView], everywhere: bool = False
) -> tuple[str, str]:
    """(query, scope) to save for what is on screen: a search typed in a saved view
    keeps that view's search and scope; one that searched everything (Tab) is saved
    over everything, as it showed."""
    if everywhere:
        return query, EVERYTHING
    found = saved.get(view[6:]) if view.startswith("saved:") else None
    if found is None:
        return query, view
    return f"{found.query} {query}".strip(), found.scope


# -- saved views ----------------------------------------------------------------------


def list_saved_views(session: Session) -> list[SavedView]:
    rows = session.exec(select(SavedSearch).order_by(col(SavedSearch.name))).all()
    # The database is untrusted too: a search saved before queries were cleaned.
    return [_view(r) for r in rows]


def get_saved_view(session: Session, name: str) -> SavedView:
    return _view(_find(session, name))


def save_view(session: Session, name: str, query: str, scope: str = EVERYTHING) -> SavedView:
    """Save ``query`` as the view ``name`` over ``scope`` (replacing a view of that
    name). Raises UserError for an empty name, an unknown scope or a search that cannot
    run (the same sentence the search would give)."""
    clean = _name(name)
    # No control characters stored; not cut short either (a search over the limit is
    # refused in one sentence by parse_query, not saved as a different search).
    query = sanitize.one_line(query, len(query) + 1)
    _check_scope(scope)
    parse_query(query, "me", complete=True)  # QueryError: the search itself cannot run
    if not query.strip():
        raise UserError("Type a search first (/), then save it as a view.")
    lookup = select(SavedSearch).where(SavedSearch.name == clean)
    row = session.exec(lookup.with_for_update()).first()
    if row is None:
        row = insert_or_get(session, SavedSearch(name=clean, query=query, scope=scope), lookup)
    row.query, row.scope = query, scope
    session.add(row)
    return SavedView(clean, query, scope)


def rename_view(session: Session, old: str, new: str) -> SavedView:
    row = _find(session, old)
    clean = _name(new)
    if clean == row.name:
        return SavedView(row.name, row.query, row.scope)
    if session.exec(select(SavedSearch.id).where(SavedSearch.name == clean)).first():
        raise UserError(f"There is already a view called “{clean}”; pick another name.")
    row.name = clean
    session.add(row)
    return SavedView(row.name, row.query, row.scope)


def delete_view(session: Session, name: str) -> None:
    session.delete(_find(session, name))


def scope_label(scope: str) -> str:
    """How a scope reads on screen and in the CLI: under the view's own name ("Saved …
    (in All open)"; walk7 read "(in open)" where the views panel says "All open")."""
    return sanitize.one_line(view_label(scope), 60)


def _view(row: SavedSearch) -> SavedView:
    return SavedView(
        sanitize.one_line(row.name, MAX_NAME),
        sanitize.one_line(row.query, 2000),
        row.scope,
        row.id,
    )


def _find(session: Session, name: str) -> SavedSearch:
    row = session.exec(
        select(SavedSearch).where(SavedSearch.name == sanitize.one_line(name, MAX_NAME))
    ).first()
    if row is None:
        raise UserError(f"There is no saved view called “{sanitize.one_line(name, 60)}”.")
    return row


def _name(name: str) -> str:
    clean = sanitize.one_line(name, 10_000)
    if not clean:
        raise UserError("A view needs a name.")
    if len(clean) > MAX_NAME:
        raise UserError(f"A view's name is at most {MAX_NAME} characters.")
    return clean


def _check_scope(scope: str) -> None:
    try:
        view_filter(scope, "me")
    except ValueError:
        raise UserError(
            f"“{sanitize.one_line(scope, 60)}” is not a view to save a search in."
        ) from None
