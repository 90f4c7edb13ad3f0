"""A demo store knows it is one (``store_meta``: ``demo`` = "1"), so whatever opens it
(``inbox-tui demo``, or any command and the TUI with ``--db``) behaves as the demo:
replies are recorded and never sent through the accounts of the config that happens to
be loaded (its customers have made-up addresses), and it has response targets to show
when the config sets none. walk3: ``sla`` and ``conv reply`` on the demo store said no
targets and no account were set up, while the TUI on it had both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from inbox_tui.models import StoreMeta

if TYPE_CHECKING:
    from inbox_tui.config import Config

DEMO_KEY = "demo"

# The demo's response targets ([sla]), used when the config sets none: the list then
# shows time left and overdue, and "Needs reply" and sla: searches have something to do.
DEMO_SLA = {
    "first_response": "4h",
    "next_response": "8h",
    "at_risk": "1h",
    "business_hours": False,
    "tags": {"deal blocker": {"first_response": "1h", "next_response": "2h"}},
}


def mark_demo(session: Session) -> None:
    """Mark this store as a demo store (``build_demo``; ``inbox-tui demo`` on a demo store
    built before stores could say so)."""
    if session.get(StoreMeta, DEMO_KEY) is None:
        session.add(StoreMeta(key=DEMO_KEY, value="1"))


def is_demo_store(session: Session) -> bool:
    row = session.get(StoreMeta, DEMO_KEY)
    return row is not None and row.value == "1"


def use_demo_settings(config: Config) -> None:
    """What the demo changes in the config: nothing is sent, and the demo's response
    targets where the config has none (time left, Needs reply, ``sla:``)."""
    from inbox_tui.services import sla

    config.demo = True
    if not config.sla:
        config.sla = DEMO_SLA
        sla.configure(sla.SlaPolicy.from_config(DEMO_SLA, config.business_hours))
