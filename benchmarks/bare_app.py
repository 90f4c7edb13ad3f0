"""The baseline every TUI benchmark compares with: a bare Textual app showing a 200-row
DataTable, the smallest thing that looks like our list."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult
from textual.widgets import DataTable


class Bare(App[None]):
    def __init__(self, exit_after_paint: bool = False) -> None:
        super().__init__()
        self.exit_after_paint = exit_after_paint

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        t = self.query_one(DataTable)
        t.add_columns("status", "age", "who", "subject", "assignee")
        for i in range(200):
            t.add_row("open", f"{i}m", f"Customer {i}", f"Subject number {i}", "sam")
        t.focus()
        if self.exit_after_paint:
            self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        print(f"PAINT {time.time()} {time.process_time()}", flush=True)
        self.exit()
