"""What the conversation list shows, without the database layer: a row, the cursor a
page is read after, the built-in views and their names. The TUI uses them before
SQLAlchemy and the models are loaded (``services/first_page``); ``conversations`` and
``views`` re-export them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.services.stats import BusinessHours

# (last_activity_at, id) of the last row of the previous page; (waiting since, id) in
# the "waiting" order; (the order's key, id) in the time-left order.
Cursor = tuple[datetime, int]

VIEWS = [
    ("unassigned", "Unassigned"),
    ("mine", "Mine"),
    ("open", "All open"),
    ("pending", "Pending"),
    ("snoozed", "Snoozed"),
    ("closed", "Closed"),
    ("all", "Everything"),
    ("needs-reply", "Needs reply, oldest first"),
    ("no-category", "Closed without a category"),  # #23: every conversation has one
]
EVERYTHING = "all"
MENTIONS = ("mentions", "Mentions")


@dataclass
class ConversationRow:
    id: int
    subject: str
    status: str
    channel: str
    last_activity_at: datetime
    message_count: int
    assignee: str | None
    contact_name: str
    contact_email: str | None
    snoozed_until: datetime | None
    tags: list[str]
    draft: bool = False  # the agent the list is for has an unsent reply here
    mentioned: bool = False  # a note names that agent and they have not read it yet
    # Response targets ([sla], set by ``sla.configure``): when the reply is due (None:
    # not waiting), and how long before that it is at risk (None: no targets set).
    sla_due_at: datetime | None = None
    sla_at_risk: timedelta | None = None
    # The working time the targets count in ([business_hours]; None: the clock), so
    # the list's mark counts time left or overdue the same way (``sla_left``).
    sla_hours: BusinessHours | None = None
    # In the WAITING order: since when it has waited (the order's key).
    waiting_since: datetime | None = None
    # The age column counts from here: when the customer last wrote, else when the
    # conversation began. Our own replies, notes and a reply taken back (B) do not move
    # it (it counted from the last activity, so a note reset it to 0m).
    customer_at: datetime | None = None
    # In the time-left order (services/due_order): the order's key.
    order_at: datetime | None = None

    def sla_left(self, now: datetime) -> timedelta | None:
        """Time left until the reply is due (negative: overdue), counted as the targets
        are (working time when set); None when not waiting."""
        if self.sla_due_at is None:
            return None
        from inbox_tui.services.sla import time_left  # the database layer: not at start

        return time_left(self.sla_due_at, now, self.sla_hours)

    @property
    def cursor(self) -> Cursor:
        if self.order_at is not None:
            return (self.order_at, self.id)
        if self.waiting_since is not None:
            return (self.waiting_since, self.id)
        return (self.last_activity_at, self.id)


def view_label(view: str) -> str:
    """The name a view is shown under: "All open", "#billing", a saved search's name."""
    if view.startswith("tag:"):
        return f"#{view[4:]}"
    if view.startswith("burst:"):
        return "Burst of similar conversations"
    return dict([*VIEWS, MENTIONS]).get(view) or view.removeprefix("saved:")


def list_title(view: str, query: str, everywhere: bool) -> str:
    """What the list shows, as its header names it: the view ("All open"), or the search
    and where it looks ("Search: foo in Everything"; it said "All open" over a search of
    everything)."""
    query = query.strip()
    if not query:
        return view_label(view)
    return f"Search: {query} in {view_label(EVERYTHING if everywhere else view)}"


def other_scope(view: str, everywhere: bool) -> str | None:
    """Where Tab in the search box takes a search: from the view to Everything and back;
    nowhere from Everything itself (walk8: it offered "Tab: Everything" there)."""
    if view == EVERYTHING:
        return None
    return view if everywhere else EVERYTHING
