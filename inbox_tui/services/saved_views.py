"""Saved views: a search saved under a name, with the view it was typed in (its scope),
so the view shows what the search showed when it was saved. Team-wide (``agent_id``
None), as the TUI has always saved them. Rename and delete keep names unique.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import SavedSearch
from inbox_tui.services.conversations import view_filter
from inbox_tui.services.search import parse_query
from inbox_tui.store import insert_or_get

MAX_NAME = 100
EVERYTHING = "all"


@dataclass(frozen=True)
class SavedView:
    name: str
    query: str
    scope: str  # a built-in view ("open", "mine", "tag:bug", ...); "all" is everything


def list_saved_views(session: Session) -> list[SavedView]:
    rows = session.exec(select(SavedSearch).order_by(col(SavedSearch.name))).all()
    return [SavedView(r.name, sanitize.one_line(r.query, 2000), r.scope) for r in rows]


def get_saved_view(session: Session, name: str) -> SavedView:
    row = _find(session, name)
    return SavedView(row.name, sanitize.one_line(row.query, 2000), row.scope)


def save_view(session: Session, name: str, query: str, scope: str = EVERYTHING) -> SavedView:
    """Save ``query`` as the view ``name`` over ``scope`` (replacing a view of that
    name). Raises UserError for an empty name, an unknown scope or a search that cannot
    run (the same sentence the search would give)."""
    clean = _name(name)
    query = sanitize.one_line(query, 2000)  # no control characters stored
    _check_scope(scope)
    parse_query(query, "me")  # QueryError: the search itself cannot run
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
    """How a scope reads on screen and in the CLI."""
    return "everything" if scope == EVERYTHING else sanitize.one_line(scope, 60)


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
