"""The way to the Stats screen and back. A conversation or an agent's list opened from
the stats remembers where the agent was there (``StatsPlace``); Esc on it goes back to
the stats as they were (it used to land in the main list, or in Everything with the
search cleared), and the list behind returns to what it showed before S.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.widgets import Input

from inbox_tui.tui.restyle import set_state_class
from inbox_tui.tui.screens.teamwork import TeamFlows

if TYPE_CHECKING:
    from inbox_tui.tui.screens.stats import StatsPlace


@dataclass
class StatsReturn:
    """The way back to the Stats screen from what it opened."""

    place: StatsPlace
    before: tuple[str, str, bool]  # the list's view, search and scope before S
    conversation: int | None = None
    query: str | None = None


class StatsTrips(TeamFlows):
    """The main screen's base for the trips to the stats; MainScreen provides the rest."""

    search_everywhere: bool
    _stats_return: StatsReturn | None
    _hide_pane: Callable[[], None]
    _follow_cursor: Callable[[], None]
    open_conversation: Callable[..., None]

    def action_stats(self) -> None:
        self.open_stats()

    def open_stats(self, place: StatsPlace | None = None) -> None:
        """The Stats screen (at ``place``, coming back). A conversation or an agent's
        list opened from it remembers the way back: Esc there returns to the stats."""
        from inbox_tui.tui.screens.stats import StatsScreen

        before = (self.view, self.query_text, self.search_everywhere)
        screen = StatsScreen(
            self.gateway,
            self.me,
            self.clock,
            self.config.business_hours,
            repeat_days=self.config.repeat_days,
            place=place,
            sla=self.config.sla,
            zone=self.zone,
        )

        def drill(result: str | int | None) -> None:
            self._stats_return = None
            if result is None or screen.exit_place is None:
                return
            if isinstance(result, int):  # a conversation picked behind a number
                self.open_conversation(result)
                self._stats_return = StatsReturn(screen.exit_place, before, conversation=result)
            else:  # an agent: their conversations in the list
                query = f"assignee:{result}"
                self.search_for(query, "all")
                self._stats_return = StatsReturn(screen.exit_place, before, query=query)
            self.set_status("From the stats: Esc goes back to them.")

        self.app.push_screen(screen, drill)

    def _back_to_stats(self) -> bool:
        """Esc on what the Stats screen opened (that conversation, or that agent's
        list) goes back to the stats as they were, and the list to what it was."""
        ret = self._stats_return
        if ret is None:
            return False
        search = self.query_one("#search", Input)
        if ret.conversation is not None:
            if not (self.has_class("-reading") and self.open_id == ret.conversation):
                return False
        elif self.has_class("-reading") or not (
            search.has_class("shown") and self.query_text == ret.query
        ):  # a thread opened from the agent's list goes back to that list first
            return False
        self._stats_return = None
        self.set_status("")
        set_state_class(self, False, "-reading")
        self._hide_pane()
        if ret.query is not None:
            self.view, self.query_text, self.search_everywhere = ret.before
            search.value = self.query_text
            search.set_class(bool(self.query_text), "shown")
            self.reload()
        if not self.has_class("-wide"):
            self.open_id = None
        self.conv_list.focus()
        self._follow_cursor()
        self.open_stats(ret.place)
        return True
