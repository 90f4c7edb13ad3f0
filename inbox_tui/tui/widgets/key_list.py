"""An option list that moves with j/k and g/G as the conversation list does: every list
the agent walks (a stats drill-down, the views) answers the same keys (j/k did nothing
in the drill-down; only the arrows moved)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import OptionList


class KeyList(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="options.down"),
        Binding("k", "cursor_up", "Up", show=False, id="options.up"),
        Binding("g", "first", "First", show=False, id="options.first"),
        Binding("G", "last", "Last", show=False, id="options.last"),
    ]


class PickList(KeyList):
    """A list in a panel or dialog, moving with ctrl+n / ctrl+p too, as the pickers do
    (walk11: ctrl+p opened the command palette over the views panel). Not the stats
    drill-down: a screen whose footer offers ctrl+p for the palette."""

    BINDINGS = [
        Binding("ctrl+n", "cursor_down", "Down", show=False, id="options.next"),
        Binding("ctrl+p", "cursor_up", "Up", show=False, id="options.previous"),
    ]
