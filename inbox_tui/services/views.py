"""Views: the built-in ones, one per tag and the saved searches; their counts; and the
filter that a view plus the search box's text stands for. The TUI's view list and
search box call these, and the command line may too."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from inbox_tui.models import Agent, SavedSearch, Tag
from inbox_tui.services.conversations import ConversationFilter, count_conversations, view_filter
from inbox_tui.services.search import parse_query

VIEWS = [
    ("unassigned", "Unassigned"),
    ("mine", "Mine"),
    ("open", "All open"),
    ("pending", "Pending"),
    ("snoozed", "Snoozed"),
    ("closed", "Closed"),
    ("all", "Everything"),
]


@dataclass
class ViewList:
    counts: dict[str, int] = field(default_factory=dict)  # built-in view id → conversations
    tags: list[str] = field(default_factory=list)
    saved: dict[str, str] = field(default_factory=dict)  # saved search name → query


@dataclass
class AgentChoice:
    username: str
    name: str


def view_label(view: str) -> str:
    """The name a view is shown under: "All open", "#billing", a saved search's name."""
    if view.startswith("tag:"):
        return f"#{view[4:]}"
    return dict(VIEWS).get(view) or view.removeprefix("saved:")


def list_views(session: Session, me: str) -> ViewList:
    return ViewList(
        counts={v: count_conversations(session, view_filter(v, me)) for v, _ in VIEWS},
        tags=list_tags(session),
        saved=saved_searches(session),
    )


def list_tags(session: Session) -> list[str]:
    return [t.name for t in session.exec(select(Tag).order_by(Tag.name)).all()]


def saved_searches(session: Session) -> dict[str, str]:
    return {x.name: x.query for x in session.exec(select(SavedSearch)).all()}


def list_agents(session: Session) -> list[AgentChoice]:
    return [
        AgentChoice(a.username, a.name or a.username)
        for a in session.exec(select(Agent).order_by(Agent.name)).all()
    ]


def save_search(session: Session, name: str, query: str) -> None:
    """Create the saved search ``name``, or give an existing one the new query."""
    name = name.strip()[:100]
    row = session.exec(select(SavedSearch).where(SavedSearch.name == name)).first()
    if row is None:
        session.add(SavedSearch(name=name, query=query))
    else:
        row.query = query


def resolve_filter(
    view: str, query: str, me: str, saved: dict[str, str] | None = None
) -> ConversationFilter:
    """The filter for a view with the search box's text on top: the search narrows the
    view (its status, assignee and tags stay unless the search names its own). A saved
    search's view is its query. Raises ValueError (QueryError) for bad search text."""
    if view.startswith("saved:"):
        return parse_query((saved or {}).get(view[6:], ""), me)
    base = view_filter(view, me)
    if not query.strip():
        return base
    q = parse_query(query, me)
    if q.statuses is None:
        q.statuses = base.statuses
    if not (q.assignee or q.unassigned):
        q.assignee, q.unassigned = base.assignee, base.unassigned
    q.tags = [*base.tags, *q.tags]
    return q
