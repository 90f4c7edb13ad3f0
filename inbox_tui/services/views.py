"""Views: the built-in ones, one per tag and the saved searches; their counts; and the
filter that a view plus the search box's text stands for. The TUI's view list and
search box call these, and the command line may too."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from inbox_tui import sanitize
from inbox_tui.models import Agent, SavedSearch, Tag
from inbox_tui.services.conversations import ConversationFilter, count_conversations, view_filter
from inbox_tui.services.mentions import unread_count
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


# Views with counts of their own: "mentions" lists the conversations whose notes name
# me, and its count is my unread mentions (services/mentions.py).
MENTIONS = ("mentions", "Mentions")


def view_label(view: str) -> str:
    """The name a view is shown under: "All open", "#billing", a saved search's name."""
    if view.startswith("tag:"):
        return f"#{view[4:]}"
    return dict([*VIEWS, MENTIONS]).get(view) or view.removeprefix("saved:")


def list_views(session: Session, me: str) -> ViewList:
    counts = {v: count_conversations(session, view_filter(v, me)) for v, _ in VIEWS}
    counts[MENTIONS[0]] = unread_count(session, me)
    return ViewList(counts=counts, tags=list_tags(session), saved=saved_searches(session))


def list_tags(session: Session) -> list[str]:
    return [t.name for t in session.exec(select(Tag).order_by(Tag.name)).all()]


def saved_searches(session: Session) -> dict[str, str]:
    # The database is untrusted too: a search saved before queries were cleaned.
    return {
        sanitize.one_line(x.name, 100): sanitize.one_line(x.query, 2000)
        for x in session.exec(select(SavedSearch)).all()
    }


def list_agents(session: Session) -> list[AgentChoice]:
    return [
        AgentChoice(a.username, a.name or a.username)
        for a in session.exec(select(Agent).order_by(Agent.name)).all()
    ]


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
    q.mentioned = q.mentioned or base.mentioned
    return q
