"""An option list that moves with j/k and g/G as the conversation list does: every list
the agent walks (a stats drill-down, the views) answers the same keys (j/k did nothing
in the drill-down; only the arrows moved), and ctrl+n / ctrl+p as the pickers do (walk11:
ctrl+p opened the command palette over the views panel)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import OptionList


class KeyList(OptionList):
    BINDINGS = [
        Binding("j,ctrl+n", "cursor_down", "Down", show=False, id="options.down"),
        Binding("k,ctrl+p", "cursor_up", "Up", show=False, id="options.up"),
        Binding("g", "first", "First", show=False, id="options.first"),
        Binding("G", "last", "Last", show=False, id="options.last"),
    ]
