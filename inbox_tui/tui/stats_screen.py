"""The Stats screen: per-agent table, daily volume sparkline, weekday x hour heatmap and
tag ranking for a chosen period, each figure with its definition. Selecting an agent
drills down to their conversations in the main list. All numbers come from
``services.stats``; this screen only lays them out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from inbox_tui.sanitize import one_line
from inbox_tui.services.stats_definitions import DEFINITIONS

if TYPE_CHECKING:
    from inbox_tui.services.stats import Report

PERIODS = {"7d": 7, "30d": 30, "6m": 182}
SPARK = "▁▂▃▄▅▆▇█"
SHADES = " ░▒▓█"


def sparkline(values: list[int]) -> str:
    top = max(values) if values else 0
    if not top:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1)))] for v in values)


class StatsScreen(Screen[str | None]):
    """Dismisses with an agent username to drill down to, or None."""

    BINDINGS = [
        Binding("escape,q", "close", "Back", id="stats.close"),
        Binding("1", "period('7d')", "7 days", id="stats.7d"),
        Binding("2", "period('30d')", "30 days", id="stats.30d"),
        Binding("3", "period('6m')", "6 months", id="stats.6m"),
    ]
    DEFAULT_CSS = """
    StatsScreen DataTable { height: auto; max-height: 14; }
    StatsScreen .block { padding: 1 1 0 1; height: auto; }
    """

    def __init__(
        self, store: Any, me: str, clock: Any = None, business_hours: dict[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.me = me
        self.clock = clock or (lambda: datetime.now(UTC))
        self.business_hours = business_hours
        self.period_name = "30d"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="title", classes="block")
            yield DataTable(id="agents", cursor_type="row", zebra_stripes=True)
            yield Static(id="volume", classes="block")
            yield Static(id="heat", classes="block")
            yield Static(id="tags", classes="block")
            yield Static(id="defs", classes="block")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.focus()
        table.add_columns(
            "agent",
            "replies",
            "notes",
            "closed",
            "per day",
            "1st resp median",
            "p90",
            "n",
            "close median",
            "csat +/~/-",
        )
        self.load()

    def action_period(self, name: str) -> None:
        self.period_name = name
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        from inbox_tui.services.stats import BusinessHours, compute_report

        until = self.clock()
        since = until - timedelta(days=PERIODS[self.period_name])
        bh = BusinessHours.from_config(self.business_hours)
        with self.store.read() as s:
            report = compute_report(s, since, until, business_hours=bh)
        self.app.call_from_thread(self._show, report)

    def _show(self, report: Report) -> None:
        from inbox_tui.services.stats import WEEKDAYS, human

        title = Text()
        title.append("Stats ", style="bold")
        title.append(
            f"{report.since:%d %b} – {report.until:%d %b %Y} ({self.period_name}) · 1 7 days · 2 30 days · 3 6 months · Enter on an agent shows their conversations",
            style="dim",
        )
        self.query_one("#title", Static).update(title)
        table = self.query_one(DataTable)
        table.clear()
        for a in [*sorted(report.agents.values(), key=lambda a: a.agent), report.team]:
            r = report.agent_row(a)
            fr, tc, c = r["first_response"], r["time_to_close"], r["csat"]
            table.add_row(
                Text(one_line(r["agent"], 20)),
                str(r["replies_sent"]),
                str(r["notes_written"]),
                str(r["conversations_closed"]),
                "—" if r["handled_per_day"] is None else str(r["handled_per_day"]),
                human(fr["median"]),
                human(fr["p90"]),
                str(fr["count"]),
                human(tc["median"]),
                f"{c['good']}/{c['ok']}/{c['bad']}",
                key=r["agent"],
            )
        prev = report.previous.agent_row(report.previous.team) if report.previous else None
        vol = Text("Incoming per day  ", style="bold")
        vol.append(sparkline(report.daily_incoming), style="cyan")
        vol.append(f"  {sum(report.daily_incoming)} messages")
        if prev is not None:
            vol.append(
                f" · previous period: {prev['replies_sent']} replies, {prev['conversations_closed']} closed, median first response {human(prev['first_response']['median'])}",
                style="dim",
            )
        self.query_one("#volume", Static).update(vol)
        heat = Text("Incoming by weekday and hour (UTC)\n", style="bold")
        top = max((max(row) for row in report.incoming_heatmap), default=0) or 1
        heat.append(
            "     " + "".join(f"{h:<3}" if h % 3 == 0 else "   " for h in range(24)) + "\n",
            style="dim",
        )
        for day, row in zip(WEEKDAYS, report.incoming_heatmap, strict=True):
            heat.append(f"{day}  ")
            for v in row:
                heat.append(SHADES[min(4, round(v / top * 4))] * 3, style="magenta")
            heat.append("\n")
        self.query_one("#heat", Static).update(heat)
        tags = Table(title="Where the time goes", title_justify="left", box=None)
        for col in ("tag", "conversations", "median handle time"):
            tags.add_column(col)
        for t in report.tags[:10]:
            tags.add_row(
                Text(one_line(t["tag"], 30)),
                str(t["conversations"]),
                human(t["median_handle_time"]),
            )
        self.query_one("#tags", Static).update(tags)
        defs = Text("Definitions\n", style="bold")
        for name, sentence in DEFINITIONS.items():
            defs.append(f"{name}: ", style="cyan")
            defs.append(sentence + "\n", style="dim")
        self.query_one("#defs", Static).update(defs)

    @on(DataTable.RowSelected)
    def _drill(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        self.dismiss(None if key in (None, "team") else key)
