"""The conversations behind one number of the Stats screen: what a selected number
stands for (``DrillRequest``) and the list of those conversations (``DrillScreen``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from inbox_tui.sanitize import one_line
from inbox_tui.tui.gateway import Gateway, Loaded
from inbox_tui.tui.widgets.heatmap import WEEKDAYS
from inbox_tui.tui.widgets.key_list import KeyList
from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.services.stats import DrillRow

# The drill list shows this many rows at most (the title gives the full count): a
# six-month team figure can stand for tens of thousands of conversations.
DRILL_LIMIT = 1000
LABELS = {
    "replies_sent": "replies",
    "notes_written": "notes",
    "conversations_closed": "conversations closed",
    "handled": "conversations handled",
    "first_response": "first responses",
    "time_to_close": "closes (time to close)",
    "csat": "ratings",
    "incoming": "incoming messages",
    "tag": "conversations tagged",
    "repeat": "closes followed by a repeat contact",
    "gap": "closed with no help article sent",
    "breached": "replies after their target (the longest overrun shown)",
}


@dataclass
class DrillRequest:
    """What a selected number stands for, as arguments of ``conversations_behind``."""

    figure: str
    agent: str | None = None
    tag: str | None = None
    cell: tuple[int, int] | None = None
    ids: tuple[int, ...] | None = None  # a repeat-contact row: its conversations
    zone: str = "UTC"  # the heatmaps' zone: a cell is (weekday, hour) there
    # A breaches row: conversation id -> [late replies, most seconds late] (sla.BreachReport)
    late: dict[int, list[float]] | None = None

    def describe(self) -> str:
        what = LABELS.get(self.figure, self.figure)
        if self.tag is not None:
            what += f" {one_line(self.tag, 30)}"
        if self.cell is not None:
            wd, hour = self.cell
            zone = one_line(self.zone, 40)
            what += f", {WEEKDAYS[wd]} {hour:02d}:00–{(hour + 1) % 24:02d}:00 {zone}"
        return f"{one_line(self.agent, 20) if self.agent else 'Team'} · {what}"


class KeysFooter(Footer):
    """The keys, and the palette's key only where it fits: under 80 columns it sat over
    the last keys ("3 6 mont▏^p Command palette"; : and ctrl+p still open it)."""

    def on_resize(self) -> None:
        show = self.size.width >= 80
        if show != self.show_command_palette:
            self.show_command_palette = show
            # Footer composes its keys only when the bindings change: a terminal made
            # narrower on this screen kept the palette's key over the last ones (walk10).
            self.call_after_refresh(self.recompose)


class DrillLoaded(Loaded):
    pass


class DrillScreen(Screen[int | None]):
    """The conversations behind one number. Dismisses with the id to open, or None."""

    BINDINGS = [Binding("escape,q", "close", "Back", id="stats.drill.close")]

    def __init__(
        self,
        request: DrillRequest,
        period: str,
        gateway: Gateway,
        since: datetime,
        until: datetime,
        row: int = 0,
    ) -> None:
        super().__init__()
        self.request = request
        self.row = row  # the highlighted conversation (kept when one is opened)
        self.period = period
        self.gateway = gateway
        self.since, self.until = since, until

    def compose(self) -> ComposeResult:
        yield Static(Text(self.request.describe() + " · loading…"), id="drill-title")
        yield KeyList(id="drill-list")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._fetch()

    def _fetch(self) -> None:
        from inbox_tui.services.repeats import conversations
        from inbox_tui.services.sla import breach_rows
        from inbox_tui.services.stats import conversations_behind

        r = self.request
        self.gateway.read(
            self,
            lambda s: (
                breach_rows(s, r.late)
                if r.late is not None
                else conversations(s, list(r.ids))
                if r.ids is not None
                else conversations_behind(
                    s,
                    self.since,
                    self.until,
                    r.figure,
                    agent=r.agent,
                    tag=r.tag,
                    cell=r.cell,
                    zone=r.zone,
                )
            ),
            reply=DrillLoaded,
            exclusive=True,
        )

    def on_drill_loaded(self, message: DrillLoaded) -> None:
        from inbox_tui.services.stats import human

        rows: list[DrillRow] = message.value
        total = sum(r.count for r in rows)
        title = Text(self.request.describe(), style="bold")
        title.append(f", {self.period}")
        shown = count(len(rows), "conversation")
        title.append(f"\n{shown}" if total == len(rows) else f"\n{total:,} in {shown}", style="dim")
        if len(rows) > DRILL_LIMIT:
            title.append(f" (showing the first {DRILL_LIMIT:,})", style="dim")
        title.append(" · Enter opens one · Esc back", style="dim")
        self.query_one("#drill-title", Static).update(title)
        options = []
        for r in rows[:DRILL_LIMIT]:
            line = Text(f"#{r.conversation_id:<7}", style="dim")
            line.append(one_line(r.subject, 60) or "(no subject)")
            if r.seconds is not None:
                line.append(f"  {human(r.seconds)}", style="cyan")
            if r.count > 1:
                line.append(f"  ×{r.count}", style="cyan")
            options.append(Option(line, id=str(r.conversation_id)))
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(options)
        if options:
            listing.highlighted = min(self.row, len(options) - 1)

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.row = event.option_index
            self.dismiss(int(event.option.id))

    def action_close(self) -> None:
        self.dismiss(None)
