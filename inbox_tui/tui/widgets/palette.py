"""The command palette (``:``, ctrl+p), with Enter acting on the rows for all the text.

Textual's palette searches in a worker: its rows arrive after the keys typed with the
text. An Enter typed in the same burst chose the top row for part of it (walk7:
": assign to me Enter j" ran "A message's original HTML"). As the pickers do
(``FuzzyPicker.answer_pending``): an Enter (or Down, Up, PageDown…) that comes before the
rows for the whole text waits for them and then acts on them, and keys typed after an
Enter are held (``tui/typeahead``) until the command it chooses has run, so they go where
that command leaves the agent.
"""

from __future__ import annotations

import time
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.command import CommandInput, CommandList, SearchIcon
from textual.command import CommandPalette as TextualPalette
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, LoadingIndicator
from textual.worker import get_current_worker

from inbox_tui.tui.typeahead import ANSWER_SECONDS, InOrderInput

_GATHER = getattr(TextualPalette._gather_commands, "__wrapped__")  # noqa: B009  (the undecorated search)


class PaletteInput(CommandInput, InOrderInput):
    """The palette's box, in order like every box of the app: its Enter was run only once
    the key had bubbled up to the app, after the letters typed behind it had gone in
    (walk7: "assign to me Enter j" searched "assign to mej"). CommandInput first: Textual
    finds it by that name (its focus, its queries)."""


class CommandPalette(TextualPalette):
    """Textual's palette (same name: tests and the app's look-ups know it by it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown_for: str | None = None  # the text whose rows are all in the list
        self._enter_typed = False  # an Enter came before those rows: it chooses then
        self._choosing = False  # a row was chosen: keys wait for its command
        self._choosing_since = 0.0
        self._moves: list[str] = []  # Down/Up typed before the rows: done on them

    def compose(self) -> ComposeResult:  # Textual's, with the in-order box
        with Vertical(id="--container"):
            with Horizontal(id="--input"):
                yield SearchIcon()
                yield PaletteInput(placeholder=self._placeholder)
                if not self.run_on_select:
                    yield Button("\u25b6")
            with Vertical(id="--results"):
                yield CommandList()
                yield LoadingIndicator()

    @property
    def answer_pending(self) -> bool:
        """An Enter waits for the rows of the text, or its command is about to run: keys
        typed now are held for where the command leaves the agent."""
        late = time.monotonic() - self._choosing_since > ANSWER_SECONDS  # closed otherwise
        return self._enter_typed or (self._choosing and not late)

    def _text(self) -> str:
        return self.query_one(CommandInput).value.strip()  # what Textual searches for

    @work(exclusive=True, group=TextualPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        await _GATHER(self, search_value)
        if get_current_worker().is_cancelled:
            return
        self._shown_for = search_value
        if search_value != self._text():
            return  # more was typed: its search is on its way
        moves, self._moves = self._moves, []
        for move in moves:
            self._move(move)
        if self._enter_typed:
            self._enter_typed = False
            self._choose()

    def _behind(self) -> bool:
        """The rows shown are not (all) for the text typed."""
        return self._shown_for != self._text()

    def _move(self, move: str) -> None:
        if move == "down":
            super()._action_cursor_down()
        else:
            super()._action_command_list(move)

    def _action_cursor_down(self) -> None:
        if self._behind() or self._moves:  # on the rows for all the text, once here
            self._moves.append("down")
        else:
            super()._action_cursor_down()

    def _action_command_list(self, action: str) -> None:
        if action != "select" and (self._behind() or self._moves):
            self._moves.append(action)
        else:
            super()._action_command_list(action)

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Runs before Textual's own handler; stops it while the rows are behind."""
        if not self._behind() and not self._enter_typed and not self._moves:
            self._chosen_by_enter()
            return  # Textual's handler chooses, as it always did
        event.stop()
        event.prevent_default()
        self._enter_typed = True

    def _choose(self) -> None:
        self._chosen_by_enter()
        self._select_or_command()

    def _chosen_by_enter(self) -> None:
        """An Enter on a row runs its command (the palette closes): keys wait for it.
        With no row (no matches) the palette stays open and nothing waits."""
        rows = self.query_one(CommandList)
        chosen = rows.highlighted is not None or rows.option_count == 1
        no_matches = rows.option_count and rows.get_option_at_index(0).id == self._NO_MATCHES
        self._choosing = self._list_visible and chosen and not no_matches
        self._choosing_since = time.monotonic()
