"""The Stats screen: per-agent table, daily volume sparkline, two weekday x hour heatmaps
(incoming messages, median first response) and the tag ranking for a chosen period,
each figure with its definition.

Every number is selectable: Enter on a cell of the agent table, a tag row or a heatmap
cell lists the conversations behind it (``services.stats.conversations_behind``, which
adds up to the number), and Enter on one opens it in the main screen's thread view.
Enter on an agent's name lists their conversations in the main list. All numbers come
from ``services.stats``; this screen only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from inbox_tui.sanitize import one_line
from inbox_tui.services.stats_definitions import DEFINITIONS
from inbox_tui.services.stats_layout import Column, fit_columns, fit_series
from inbox_tui.tui.gateway import Gateway, Loaded
from inbox_tui.tui.screens.stats_drill import DrillRequest, DrillScreen, KeysFooter
from inbox_tui.tui.widgets.heatmap import HeatMap
from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.services.stats import Report

PERIODS = {"7d": 7, "30d": 30, "6m": 182}
SPARK = "▁▂▃▄▅▆▇█"

# Agent table columns: short headings and ranks say what gives way on a narrow screen
# (services/stats_layout.py); at 80 columns the table was cut after "close med".
COLUMNS: list[Column] = [
    Column("agent", "agent", rank=0, min_width=8),
    Column("replies", "replies", rank=1),
    Column("notes", "notes", rank=3),
    Column("closed", "closed", rank=1),
    Column("per_day", "per day", "/day", rank=3),
    Column("fr_median", "1st resp median", "1st resp", rank=1),
    Column("fr_p90", "p90", rank=4),
    Column("fr_n", "n", rank=5),
    Column("close_median", "close median", "close", rank=2),
    Column("csat", "csat +/~/-", "csat", rank=2),
]
# The figure a cell drills into (None: the agent's name, their inbox).
FIGURES: dict[str, str | None] = {
    "agent": None,
    "replies": "replies_sent",
    "notes": "notes_written",
    "closed": "conversations_closed",
    "per_day": "handled",
    "fr_median": "first_response",
    "fr_p90": "first_response",
    "fr_n": "first_response",
    "close_median": "time_to_close",
    "csat": "csat",
}
TAG_COLUMNS = [
    Column("tag", "Where the time goes: tag", "Tag (time spent)", rank=0, min_width=10),
    Column("conversations", "conversations", "convs", rank=0),
    Column("handle", "median handle time", "handle", rank=1),
]
# Focus order, top to bottom of the screen: the tables, then the maps.
SECTIONS = ("agents", "tags", "repeats", "gaps", "breaches", "heat", "fr-heat")
# Tags shown in the repeat-contact table (worst first); articles: the worst and the best
# as many (which answers are followed by fewer repeat contacts: #23).
REPEAT_ROWS = 5


def sparkline(values: list[int] | list[float]) -> str:
    top = max(values) if values else 0
    if not top:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1)))] for v in values)


@dataclass
class StatsPlace:
    """Where the agent was on the Stats screen, to come back to after a conversation or
    an agent's list opened from it (Esc there used to land in the main list)."""

    period: str = "30d"
    focus: str = "agents"
    cursors: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # row, column
    maps: dict[str, tuple[int, int]] = field(default_factory=dict)
    drill: DrillRequest | None = None
    drill_row: int = 0
    since: datetime | None = None
    until: datetime | None = None


class ReportLoaded(Loaded):
    pass


class RepeatsLoaded(Loaded):
    pass


class GapsLoaded(Loaded):
    """value: groups of similar conversations closed without an article (repeats.gap_groups)."""


class BreachesLoaded(Loaded):
    """value: ``sla.breach_report`` for the period (replies after their target)."""


class _Page(VerticalScroll, can_focus=False):
    """The screen's scrolling page: not a Tab stop of its own (an invisible one between
    the last map and the agent table), so Tab goes through the tables then the maps in
    reading order; g/G and PgUp/PgDn scroll it from anywhere."""


class StatsScreen(Screen[str | int | None]):
    """Dismisses with an agent username to list in the main screen, a conversation id
    to open, or None. ``exit_place`` then says where the agent was (``place`` brings a
    new screen back there)."""

    BINDINGS = [
        Binding("escape,q", "close", "Back", id="stats.close"),
        Binding("1", "period('7d')", "7 days", id="stats.7d"),
        Binding("2", "period('30d')", "30 days", id="stats.30d"),
        Binding("3", "period('6m')", "6 months", id="stats.6m"),
        # Not in the footer: at 80 columns it pushed "? Help" off; the title names it.
        Binding("i", "incidents", "Incidents in/out", show=False, id="stats.incidents"),
        # The screen scrolls, not the table in focus: a table takes PgUp and Home for its
        # own cursor, so once one had focus nothing went back to the top but shift+Tab.
        Binding("g,home", "edge(False)", "Top", show=False, priority=True),
        Binding("G,end", "edge(True)", "Bottom", show=False, priority=True),
        Binding("pageup", "page(-1)", "Page up", show=False, priority=True),
        Binding("pagedown", "page(1)", "Page down", show=False, priority=True),
    ]

    def __init__(
        self,
        gateway: Gateway,
        me: str,
        clock: Any = None,
        business_hours: dict[str, Any] | None = None,
        repeat_days: int = 7,
        place: StatsPlace | None = None,
        sla: dict[str, Any] | None = None,
        zone: str = "UTC",
    ) -> None:
        super().__init__()
        self.zone = zone  # the heatmaps' hours are the agent's (when.local_zone_name)
        self.repeat_days = repeat_days
        self.sla = sla  # [sla]: response targets (None: no breaches table)
        self.gateway = gateway
        self.me = me
        self.clock = clock or (lambda: datetime.now(UTC))
        self.business_hours = business_hours
        self.period_name = place.period if place else "30d"
        self.exclude_incidents = False  # i: outages skew the times (#23)
        self.since: datetime | None = None
        self.until: datetime | None = None
        self._restore = place  # applied once the first figures are laid out
        self.exit_place: StatsPlace | None = None
        # What each table shows (row key, cells), kept to lay it out again on a resize.
        self._rows: dict[str, list[tuple[str, list[str]]]] = {}
        self._daily: list[int] = []
        self._previous = ""

    def compose(self) -> ComposeResult:
        with _Page():
            yield Static(id="title", classes="block")
            yield Static(id="volume", classes="block")
            yield DataTable(id="agents", cursor_type="cell", zebra_stripes=True)
            yield Static(id="agents-note", classes="note")
            yield DataTable(id="tags", cursor_type="row")
            yield DataTable(id="repeats", cursor_type="row")
            yield DataTable(id="gaps", cursor_type="row")
            yield DataTable(id="breaches", cursor_type="row")
            zone = one_line(self.zone, 40)
            yield HeatMap(f"Incoming by weekday and hour ({zone})", "count", id="heat")
            yield HeatMap(
                f"Median first response by weekday and hour of the first message ({zone})",
                "seconds",
                id="fr-heat",
            )
            yield Static(id="defs", classes="block")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#agents", DataTable).focus()
        days = self.repeat_days
        self.columns = {
            "agents": COLUMNS,
            "tags": TAG_COLUMNS,
            "repeats": [
                Column(
                    "key",
                    f"Repeat contacts within {days} days of a close",
                    f"Repeat contacts ({days} days)",
                    rank=0,
                    min_width=12,
                ),
                Column("closes", "closes", rank=0),
                Column("rate", "repeat rate", "rate", rank=0),
                Column("nocat", "closed without category", "no category", rank=1),
                Column("handoffs", "handoffs", "handoffs", rank=2),
            ],
            "gaps": [
                Column(
                    "key",
                    "Help-content gaps: closed with no article sent",
                    "No article sent",
                    rank=0,
                    min_width=12,
                ),
                Column("n", "conversations", "convs", rank=0),
                Column("rate", "repeat rate", "rate", rank=1),
            ],
            "breaches": [
                Column(
                    "key",
                    "Replies after their response target",
                    "Late replies",
                    rank=0,
                    min_width=10,
                ),
                Column("late", "late", rank=0),
                Column("judged", "replies judged", "judged", rank=0),
                Column("share", "late share", "share", rank=1),
            ],
        }
        self.repeat_ids: dict[str, list[int]] = {}
        self.gap_ids: dict[str, list[int]] = {}
        self._gap_tags: list[tuple[str, list[str]]] = []
        self.breach_late: dict[str, dict[int, list[float]]] = {}
        self.query_one("#breaches", DataTable).display = False  # shown with targets
        self.load()
        place = self._restore
        if place is not None and place.drill is not None and place.since and place.until:
            self._drill(place.drill, place.since, place.until, place.drill_row)

    def action_period(self, name: str) -> None:
        self.period_name = name
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_edge(self, end: bool) -> None:
        """Top (g, Home): the first table, its first row; bottom (G, End): the last map."""
        scroll = self.query_one(VerticalScroll)
        shown = [w for w in scroll.query("DataTable, HeatMap") if w.display]
        if shown:
            shown[-1 if end else 0].focus(scroll_visible=False)
        (scroll.scroll_end if end else scroll.scroll_home)(animate=False)

    def action_page(self, pages: int) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.scroll_to(y=scroll.scroll_y + pages * max(1, scroll.size.height - 2), animate=False)

    def action_incidents(self) -> None:
        self.exclude_incidents = not self.exclude_incidents
        self.load()

    def on_resize(self) -> None:
        for table_id in self._rows:
            self._lay_out(table_id)
        self._show_volume()

    def load(self) -> None:
        from inbox_tui.services.continuity import handoffs
        from inbox_tui.services.repeats import gap_groups
        from inbox_tui.services.repeats import report as repeats_report
        from inbox_tui.services.stats import BusinessHours, compute_report

        until = self.clock()
        since = until - timedelta(days=PERIODS[self.period_name])
        bh = BusinessHours.from_config(self.business_hours)
        days, out, zone = self.repeat_days, self.exclude_incidents, self.zone
        # detail=False: no feature-request grouping, which this screen does not show.
        self.gateway.read(
            self,
            lambda s: compute_report(
                s,
                since,
                until,
                business_hours=bh,
                detail=False,
                exclude_incidents=out,
                zone=zone,
            ),
            reply=ReportLoaded,
            exclusive=True,
        )
        self.gateway.read(
            self,
            lambda s: (
                repeats_report(s, since, until, days=days, now=until, gaps=False),
                handoffs(s, since, until),
            ),
            reply=RepeatsLoaded,
            group="repeats",
            exclusive=True,
        )
        # Grouping by meaning takes longest: its rows join the gaps table when ready.
        self.gateway.read(
            self, lambda s: gap_groups(s, since, until), reply=GapsLoaded, group="gaps",
            exclusive=True,
        )  # fmt: skip
        self._load_breaches(since, until)

    def _has_targets(self) -> bool:
        from inbox_tui.services import sla

        return sla.SlaPolicy.from_config(self.sla, self.business_hours) is not None

    def _load_breaches(self, since: datetime, until: datetime) -> None:
        from inbox_tui.services import sla

        policy = sla.SlaPolicy.from_config(self.sla, self.business_hours)
        if policy is not None:
            self.gateway.read(
                self,
                lambda s: sla.breach_report(s, policy, since, until, until),
                reply=BreachesLoaded,
                group="breaches",
                exclusive=True,
            )

    def on_breaches_loaded(self, message: BreachesLoaded) -> None:
        """Per agent (most late first), the team, then per tag."""
        rep = message.value
        self.breach_late = rep.late
        laid: list[tuple[str, list[str]]] = []

        def row(key: str, label: str, judged: int, late: int) -> None:
            share = f"{late / judged:.0%}" if judged else "—"
            laid.append((key, [one_line(label, 40), str(late), str(judged), share]))

        def worst(book: dict[str, list[int]]) -> list[tuple[str, list[int]]]:
            return sorted(book.items(), key=lambda kv: (-kv[1][1], kv[0]))

        for name, (judged, late) in worst(rep.by_agent):
            row(f"agent:{name}", name, judged, late)
        row("team", "team", rep.responses, rep.breached)
        for name, (judged, late) in worst(rep.by_tag)[:10]:
            row(f"tag:{name}", f"tag {name}", judged, late)
        self.query_one("#breaches", DataTable).display = True
        self._rows["breaches"] = laid
        self._lay_out("breaches")
        self._restore_place()

    # -- laying out the tables to the width ------------------------------------------

    def _lay_out(self, table_id: str) -> None:
        """Fill a table with what fits the screen's width: short headings, cut names,
        then the least important columns left out (named under the agent table)."""
        table = self.query_one(f"#{table_id}", DataTable)
        columns, rows = self.columns[table_id], self._rows.get(table_id, [])
        # The screen's scrollbar and the table's own (a long table) take 2 each.
        fitted = fit_columns(columns, [cells for _, cells in rows], self.size.width - 4)
        row, col = table.cursor_coordinate
        old = list(table.columns)
        col_key = old[col].value if col < len(old) else None
        table.clear(columns=True)
        for c, heading in fitted.shown:
            table.add_column(heading, key=c.key)
        index = {c.key: i for i, c in enumerate(columns)}
        for key, cells in rows:
            out: list[str | Text] = []
            for c, _ in fitted.shown:
                cell = cells[index[c.key]]
                if c.min_width and fitted.name_width is not None:
                    cell = one_line(cell, fitted.name_width)
                # Names (from the store) as Text, never read as markup; figures as str.
                out.append(Text(cell) if c.min_width else cell)
            table.add_row(*out, key=key)
        keys = [c.key for c, _ in fitted.shown]
        table.move_cursor(row=row, column=keys.index(col_key) if col_key in keys else 0)
        if table_id == "agents":
            note = self.query_one("#agents-note", Static)
            # A short heading that is not the start of the long one is spelled out.
            short = " · ".join(
                f"{h} = {c.heading}" for c, h in fitted.shown if not c.heading.startswith(h)
            )
            hidden = ", ".join(c.heading for c in fitted.hidden)
            if hidden:
                short += f"{' · ' if short else ''}not shown at this width: {hidden}"
            note.update(Text(short))
            note.display = bool(short)

    def _show_volume(self) -> None:
        """The daily line: beside its label when the days fit, else on a line of its
        own as N-day averages (six months wrapped at 160 columns; 60 left it 2 wide)."""
        width = self.size.width - 4  # the screen's scrollbar and the block's padding
        total = count(sum(self._daily), "message")
        label = "Incoming per day  "
        if len(label) + len(self._daily) + 2 + len(total) <= width:
            vol = Text(label, style="bold")
            vol.append(sparkline(self._daily), style="cyan")
            vol.append(f"  {total}")
        else:
            values, days = fit_series(self._daily, max(1, width))
            vol = Text(
                "Incoming per day" + (f", averaged over {days} days" if days > 1 else ""),
                style="bold",
            )
            vol.append(f" · {total}\n")
            vol.append(sparkline(values), style="cyan")
        if self._previous:
            vol.append("\n" + self._previous, style="dim")
        self.query_one("#volume", Static).update(vol)

    # -- the figures -------------------------------------------------------------------

    def on_repeats_loaded(self, message: RepeatsLoaded) -> None:
        rep, handed = message.value
        uncat = {u.agent: u.as_dict() for u in rep.uncategorised}
        moved = {h.agent: str(h.handoffs) for h in handed}

        def pct(value: float | None) -> str:
            return "—" if value is None else f"{value:.0%}"

        self.repeat_ids = {}
        worst_tags = [r for r in rep.tags if r.closes][:REPEAT_ROWS]
        sent = [r for r in rep.articles if r.closes]  # worst first: the best ones too
        worst_articles = (
            sent if len(sent) <= 2 * REPEAT_ROWS else sent[:REPEAT_ROWS] + sent[-REPEAT_ROWS:]
        )
        rows = [("agent", r) for r in rep.agents] + [("team", rep.team)]
        rows += [("tag", r) for r in worst_tags] + [("article", r) for r in worst_articles]
        laid = []
        for kind, r in rows:
            key = f"{kind}:{r.key}"
            self.repeat_ids[key] = r.repeated_ids
            label = r.key if kind in ("agent", "team") else f"{kind} {r.key}"
            nocat = pct(uncat.get(r.key, {}).get("share")) if kind in ("agent", "team") else ""
            hand = moved.get(r.key, "0") if kind in ("agent", "team") else ""
            laid.append((key, [one_line(label, 40), str(r.closes), pct(r.rate), nocat, hand]))
        self._rows["repeats"] = laid
        self._lay_out("repeats")
        # The groups' rows and ids come from their own worker, before or after these.
        groups = {k: v for k, v in self.gap_ids.items() if k.startswith("group:")}
        self.gap_ids = {f"tag:{k}": ids for k, ids in rep.gap_ids.items()} | groups
        self._gap_tags = [
            (f"tag:{r.key}", [one_line(f"tag {r.key}", 40), str(len(rep.gap_ids.get(r.key, []))), pct(r.rate)])
            for r in rep.tags_without_article
        ]  # fmt: skip
        self._show_gaps(self._rows.get("gaps", []))
        self._restore_place()

    def on_gaps_loaded(self, message: GapsLoaded) -> None:
        groups = []
        self.gap_ids = {k: v for k, v in self.gap_ids.items() if not k.startswith("group:")}
        for i, g in enumerate(message.value[:10]):
            self.gap_ids[f"group:{i}"] = list(g["conversations"])
            label = f"like “{one_line(g['subject'], 60)}”"
            groups.append((f"group:{i}", [label, str(g["count"]), ""]))
        self._show_gaps(groups)

    def _show_gaps(self, rows: list[tuple[str, list[str]]]) -> None:
        """The help-content gaps: category tags, then groups of similar conversations,
        closed with no article sent (``rows``: the groups, when known)."""
        groups = [r for r in rows if r[0].startswith("group:")]
        self._rows["gaps"] = self._gap_tags + groups
        self._lay_out("gaps")

    def on_report_loaded(self, message: ReportLoaded) -> None:
        from inbox_tui.services.stats import human

        report: Report = message.value
        self.since, self.until = report.since, report.until
        title = Text()
        title.append("Stats ", style="bold")
        if report.excluded_incidents is not None:
            title.append(
                f"times without {report.excluded_incidents} incident conversations ",
                style="bold yellow",
            )
        title.append(
            f"{report.since:%d %b} – {report.until:%d %b %Y} ({self.period_name}) · i incidents {'in' if report.excluded_incidents is not None else 'out'} · 1 7 days · 2 30 days · 3 6 months · Enter on a number lists its conversations, on an agent their inbox · Tab next table or map",
            style="dim",
        )
        self.query_one("#title", Static).update(title)
        agents = []
        for a in [*sorted(report.agents.values(), key=lambda a: a.agent), report.team]:
            r = report.agent_row(a)
            fr, tc, c = r["first_response"], r["time_to_close"], r["csat"]
            cells = [
                one_line(r["agent"], 20),
                str(r["replies_sent"]),
                str(r["notes_written"]),
                str(r["conversations_closed"]),
                "—" if r["handled_per_day"] is None else str(r["handled_per_day"]),
                human(fr["median"]),
                human(fr["p90"]),
                str(fr["count"]),
                human(tc["median"]),
                f"{c['good']}/{c['ok']}/{c['bad']}",
            ]
            agents.append((r["agent"] if a is not report.team else "\x00team", cells))
        self._rows["agents"] = agents
        self._lay_out("agents")
        prev = report.previous.agent_row(report.previous.team) if report.previous else None
        self._daily = list(report.daily_incoming)
        self._previous = (
            f"previous period: {prev['replies_sent']} replies, {prev['conversations_closed']} closed, median first response {human(prev['first_response']['median'])}"
            if prev is not None
            else ""
        )
        self._show_volume()
        self.query_one("#heat", HeatMap).set_values(report.incoming_heatmap)
        self.query_one("#fr-heat", HeatMap).set_values(report.first_response_heatmap)
        self._rows["tags"] = [
            (t["tag"], [one_line(t["tag"], 30), str(t["conversations"]), human(t["median_handle_time"])])
            for t in report.tags[:10]
        ]  # fmt: skip
        self._lay_out("tags")
        defs = Text("Definitions\n", style="bold")
        for name, sentence in DEFINITIONS.items():
            defs.append(f"{name}: ", style="cyan")
            defs.append(sentence + "\n", style="dim")
        self.query_one("#defs", Static).update(defs)
        self._restore_place()

    # -- where the agent was ---------------------------------------------------------

    def place(self, drill: DrillRequest | None = None, drill_row: int = 0) -> StatsPlace:
        focused = self.focused.id if self.focused is not None else None
        cursors: dict[str, tuple[int, str | None]] = {}
        for table in self.query(DataTable):
            row, col = table.cursor_coordinate
            keys = list(table.columns)
            cursors[table.id or ""] = (row, keys[col].value if col < len(keys) else None)
        return StatsPlace(
            period=self.period_name,
            focus=focused if focused in SECTIONS else "agents",
            cursors=cursors,
            maps={m.id or "": m.cursor for m in self.query(HeatMap)},
            drill=drill,
            drill_row=drill_row,
            since=self.since,
            until=self.until,
        )

    def _restore_place(self) -> None:
        """Once both loads are in: the cursors, the maps and the focus as they were."""
        place = self._restore
        waiting = ["repeats", "agents"] + (["breaches"] if self._has_targets() else [])
        if place is None or any(table not in self._rows for table in waiting):
            return
        self._restore = None
        for table in self.query(DataTable):
            row, col_key = place.cursors.get(table.id or "", (0, None))
            keys = [k.value for k in table.columns]
            table.move_cursor(row=row, column=keys.index(col_key) if col_key in keys else 0)
        for m in self.query(HeatMap):
            m.cursor = place.maps.get(m.id or "", (0, 0))
        self.query_one(f"#{place.focus}").focus()

    # -- drill-down ---------------------------------------------------------------

    def _drill(
        self,
        request: DrillRequest,
        since: datetime | None = None,
        until: datetime | None = None,
        row: int = 0,
    ) -> None:
        since, until = since or self.since, until or self.until
        if since is None or until is None:
            return
        screen = DrillScreen(
            request, f"{since:%d %b} – {until:%d %b %Y}", self.gateway, since, until, row
        )

        def opened(conv_id: int | None) -> None:
            if conv_id is not None:
                self.exit_place = self.place(request, screen.row)
                self.exit_place.since, self.exit_place.until = since, until
                self.dismiss(conv_id)

        self.app.push_screen(screen, opened)

    @on(DataTable.CellSelected, "#agents")
    def _agent_cell(self, event: DataTable.CellSelected) -> None:
        agent = event.cell_key.row_key.value
        figure = FIGURES.get(str(event.cell_key.column_key.value))
        is_team = agent == "\x00team"
        if figure is None:  # the agent's name: their conversations in the main list
            self.exit_place = self.place()
            self.dismiss(None if is_team else agent)
            return
        self._drill(DrillRequest(figure, agent=None if is_team else agent))

    @on(DataTable.RowSelected, "#tags")
    def _tag_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._drill(DrillRequest("tag", tag=event.row_key.value))

    @on(DataTable.RowSelected, "#repeats")
    def _repeat_row(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        kind, _, name = key.partition(":")
        agent = name if kind == "agent" else None
        tag = f"{kind} {name}" if kind in ("tag", "article") else None
        ids = tuple(self.repeat_ids.get(key, []))
        self._drill(DrillRequest("repeat", agent=agent, tag=tag, ids=ids))

    @on(DataTable.RowSelected, "#gaps")
    def _gap_row(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        kind, _, name = key.partition(":")
        label = f"tag {name}" if kind == "tag" else None
        self._drill(DrillRequest("gap", tag=label, ids=tuple(self.gap_ids.get(key, []))))

    @on(DataTable.RowSelected, "#breaches")
    def _breach_row(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        kind, _, name = key.partition(":")
        late = dict(self.breach_late.get(key, {}))
        agent = name if kind == "agent" else None
        self._drill(
            DrillRequest("breached", agent=agent, tag=name if kind == "tag" else None, late=late)
        )

    @on(HeatMap.Selected)
    def _heat_cell(self, event: HeatMap.Selected) -> None:
        figure = "incoming" if event.heatmap.id == "heat" else "first_response"
        self._drill(DrillRequest(figure, cell=(event.weekday, event.hour), zone=self.zone))
