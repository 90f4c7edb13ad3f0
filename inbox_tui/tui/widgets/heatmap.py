"""A weekday x hour heatmap for the Stats screen: incoming messages (shades of the
busiest hour) or median first response (shades by how long), with a cursor cell that
arrows move and Enter selects (``Selected``: the screen lists the conversations behind
it). It fits 80 and 60 columns by giving each hour fewer characters."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import RenderResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from inbox_tui.words import count

SHADES = " ░▒▓█"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Median first response shades: under 30 min, 2 h, 8 h, and longer.
RESPONSE_STEPS = [(30 * 60, "░"), (2 * 3600, "▒"), (8 * 3600, "▓")]


def response_shade(seconds: float | None) -> str:
    if seconds is None:
        return " · "
    for limit, shade in RESPONSE_STEPS:
        if seconds < limit:
            return shade * 3
    return "█" * 3


class HeatMap(Widget, can_focus=True):
    """A weekday x hour grid with a cursor cell (arrows move it, Enter selects it)."""

    BINDINGS = [
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("enter", "select", "List", show=False),
    ]
    # No right padding: 5 + 24 x 3 columns just fit an 80-column terminal with the scrollbar.
    cursor: reactive[tuple[int, int]] = reactive((0, 0))

    class Selected(Message):
        def __init__(self, heatmap: HeatMap, weekday: int, hour: int) -> None:
            super().__init__()
            self.heatmap = heatmap
            self.weekday = weekday
            self.hour = hour

    def __init__(self, title: str, kind: str, *, id: str) -> None:
        super().__init__(id=id)
        self.title = title
        self.kind = kind  # "count" or "seconds"
        self.values: list[list[Any]] = [[None] * 24 for _ in range(7)]

    def set_values(self, values: list[list[Any]]) -> None:
        self.values = values
        self.refresh(layout=True)

    def action_move(self, rows: int, cols: int) -> None:
        wd, hour = self.cursor
        self.cursor = ((wd + rows) % 7, (hour + cols) % 24)

    def action_select(self) -> None:
        self.post_message(self.Selected(self, *self.cursor))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def watch_cursor(self) -> None:
        self.refresh()

    def _cell(self, value: Any, top: float, width: int) -> tuple[str, str]:
        """An hour's cell, ``width`` characters (3 to 1: the map fits 80 or 60 columns)."""
        if self.kind == "seconds":
            shade = response_shade(value)
            return (shade[1].center(width) if value is None else shade[0] * width), "yellow"
        return SHADES[min(4, round((value or 0) / top * 4))] * width, "magenta"

    def render(self) -> RenderResult:
        from inbox_tui.services.stats import human

        # 5 + 24 cells: 3 characters an hour at 80 columns, 2 at 60, 1 narrower (the
        # map was cut at 60 columns, the evening hours off the edge).
        width = 3 if self.size.width >= 77 else 2 if self.size.width >= 53 else 1
        every = 3 if width > 1 else 6  # hours between labels
        text = Text(self.title + "\n", style="bold")
        labels = "".join(f"{h:<{every * width}}" for h in range(0, 24, every))
        text.append("     " + labels + "\n", style="dim")
        top = max((v or 0 for row in self.values for v in row), default=0) or 1
        for wd, (day, row) in enumerate(zip(WEEKDAYS, self.values, strict=True)):
            text.append(f"{day}  ")
            for hour, value in enumerate(row):
                cell, style = self._cell(value, top, width)
                if self.has_focus and (wd, hour) == self.cursor:
                    style = "reverse bold"
                text.append(cell, style=style)
            text.append("\n")
        wd, hour = self.cursor
        value = self.values[wd][hour]
        where = f"{WEEKDAYS[wd]} {hour:02d}:00–{(hour + 1) % 24:02d}:00"
        if self.kind == "seconds":
            text.append("· none  ░ under 30m  ▒ under 2h  ▓ under 8h  █ longer\n", style="dim")
        # Always one line here, so focusing the map does not shift the screen.
        if not self.has_focus:
            hint = "Tab here, then arrows and Enter: the conversations behind a cell"
            if len(hint) > self.size.width:
                hint = "Tab, arrows, Enter: the conversations behind a cell"
            text.append(hint, style="dim")
        elif self.kind == "seconds":
            text.append(f"{where}: median {human(value)} · Enter lists the first responses")
        else:
            text.append(f"{where}: {count(value or 0, 'message')} · Enter lists them")
        return text
