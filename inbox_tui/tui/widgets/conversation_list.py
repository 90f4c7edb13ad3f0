"""The conversation list: a virtual Line-API widget over keyset-paged queries.

Only visible lines are rendered, and only the pages around them are fetched (in a thread
worker; results come back as a message), so 100,000 conversations cost what 100 do.
Pages are cached in a small LRU. A page whose predecessor is cached is fetched by keyset
("after this row"), any other by OFFSET, which keeps ``G`` (jump to the end) cheap.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inbox_tui.sanitize import one_line
from inbox_tui.tui.restyle import PaintedWholeWhenLaidOut

if TYPE_CHECKING:  # the store's modules load after the first frame
    from inbox_tui.services.conversations import ConversationFilter, ConversationRow

PAGE = 100
MAX_PAGES = 30

STATUS_MARK = {"open": "●", "pending": "◐", "snoozed": "z", "closed": "✓"}


def limited_colour(app: object) -> bool:
    """True when colours cannot be told apart: NO_COLOR is set, or the terminal has 16
    colours (``TEXTUAL_COLOR_SYSTEM=standard``), where dark greys all become black. Then
    highlights must use attributes (reverse, underline), not a background shade."""
    console = getattr(app, "console", None)
    system = getattr(console, "color_system", "truecolor")
    return bool(getattr(app, "no_color", False)) or system in (None, "standard", "windows")


def age(dt: datetime, now: datetime) -> str:
    seconds = max(0, int((now - dt).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 86400 * 60:
        return f"{seconds // 86400}d"
    return dt.strftime("%b %y")


class ConversationList(PaintedWholeWhenLaidOut, ScrollView, can_focus=True):
    """Rows of conversations; the cursor row is highlighted, ``x`` marks rows for bulk."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "Top", show=False, id="list.top"),
        Binding("G,end", "last", "Bottom", show=False, id="list.bottom"),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False, id="list.page_up"),
    ]

    cursor = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, row: ConversationRow | None) -> None:
            self.row = row
            super().__init__()

    class Opened(Message):
        def __init__(self, row: ConversationRow) -> None:
            self.row = row
            super().__init__()

    class SelectionChanged(Message):
        """Rows were selected or unselected (x, Esc, a bulk action done)."""

    class _PageLoaded(Message):
        def __init__(self, generation: int, page: int, rows: list[ConversationRow]) -> None:
            self.generation = generation
            self.page = page
            self.rows = rows
            super().__init__()

    def __init__(
        self,
        fetch_page: Callable[
            [ConversationFilter, int, ConversationRow | None], list[ConversationRow]
        ],
        count: Callable[[ConversationFilter], int],
        clock: Callable[[], datetime] | None = None,
        zone: str = "UTC",
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._fetch_page = fetch_page
        self._count = count
        self.clock = clock or (lambda: datetime.now(UTC))
        self.zone = zone  # the agent's time zone: a snoozed row's wake time is in it
        self.filter: ConversationFilter | None = None
        self.total = 0
        self._pages: OrderedDict[int, list[ConversationRow]] = OrderedDict()
        self._loading: set[int] = set()
        self._generation = 0
        self.selected: set[int] = set()
        self.selected_subjects: dict[int, str] = {}  # what a bulk confirmation names
        self.selected_status: dict[int, str] = {}  # status when picked (re-checked later)
        self.presence: dict[int, list[tuple[str, str]]] = {}
        # The conversation the cursor is on, or is to go to when a refresh brings it
        # (``keep_on``); None while its page is still on its way.
        self._on_id: int | None = None
        self._limited = False

    # -- data ----------------------------------------------------------------------

    def show_rows(
        self,
        flt: ConversationFilter | None,
        total: int,
        pages: dict[int, list[ConversationRow]],
        *,
        fresh: bool,
        keep_id: int | None = None,
    ) -> None:
        """Every change of the list's rows comes through here: a new result set, a
        refresh of the one shown, the first page read early, nothing (a search that
        cannot run). Pages fetched by the caller's worker; ``total`` counted there.

        A refresh of the set shown (``fresh`` False: after an action, a poll, another
        agent's change) keeps the cursor on its conversation, or on the one the agent
        acted on (``keep_on``), wherever it moved; if that left the view, on the
        neighbour that took its place, never the top. A new set (another view, a
        search) starts at the top, or on ``keep_id`` (a place restored by Esc)."""
        old = self._pages
        self.filter = flt
        self.total = total
        self._generation += 1
        self._pages = OrderedDict(sorted(pages.items()))
        self._loading.clear()
        self.virtual_size = Size(self.size.width, total)
        where = {
            row.id: page * PAGE + i
            for page, rows in self._pages.items()
            for i, row in enumerate(rows)
        }
        if fresh:
            index = where.get(keep_id, min(self.cursor, total - 1)) if keep_id is not None else 0
        else:
            index = self._kept_index(old, where)
        self.cursor = max(0, min(index, total - 1))
        self.refresh()

    def _kept_index(
        self, old: OrderedDict[int, list[ConversationRow]], where: dict[int, int]
    ) -> int:
        """The new index of the conversation the cursor follows; when it has gone, of
        the row the cursor was on (``keep_on`` asked for one not shown), else of its
        nearest neighbour below (the one that took its place), then above; else the
        index it was at."""
        page, offset = divmod(self.cursor, PAGE)
        rows = old.get(page, [])
        on_cursor = rows[offset].id if offset < len(rows) else None
        wanted = [i for i in (self._on_id, on_cursor) if i is not None]
        ids = [row.id for _, rows in sorted(old.items()) for row in rows]
        followed = next((i for i in wanted if i in ids), None)
        if followed is not None:
            near = ids.index(followed)
            wanted += ids[near + 1 : near + 50] + ids[max(0, near - 50) : near][::-1]
        return next((where[i] for i in wanted if i in where), self.cursor)

    def keep_on(self, conv_id: int) -> None:
        """The agent acted on ``conv_id`` (opened it, took back its reply): the cursor
        goes to its row now if shown, and to it when a refresh brings it back."""
        if not self.move_to(conv_id):
            self._on_id = conv_id

    def show_nothing(self) -> None:
        """No result set: a search that cannot run shows an empty list, not the rows of
        the text typed before it. Pages still on their way are for the old set."""
        self.show_rows(None, 0, {}, fresh=True)

    def set_total(self, total: int) -> None:
        """The count of the current result set arrived after its first page."""
        self.total = total
        self.virtual_size = Size(self.size.width, total)
        self.cursor = min(self.cursor, max(0, total - 1))
        self.refresh()

    def move_to(self, conv_id: int) -> bool:
        """Put the cursor on the row of ``conv_id`` if a loaded page shows it."""
        for page, rows in self._pages.items():
            for i, row in enumerate(rows):
                if row.id == conv_id:
                    self._on_id = conv_id
                    # On the row already (Enter on it): setting the cursor again (it
                    # always updates) painted the list once more before the thread.
                    if self.cursor != page * PAGE + i:
                        self.cursor = page * PAGE + i  # watch_cursor repaints
                    return True
        return False

    def loaded_pages(self) -> list[int]:
        return list(self._pages)

    def row_at(self, index: int) -> ConversationRow | None:
        page, offset = divmod(index, PAGE)
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            return None
        self._pages.move_to_end(page)
        return rows[offset] if offset < len(rows) else None

    def current_row(self) -> ConversationRow | None:
        if self.total == 0:
            return None
        return self.row_at(self.cursor)

    def _request(self, page: int) -> None:
        if page in self._loading or page * PAGE >= max(self.total, 1):
            return
        self._loading.add(page)
        previous = self._pages.get(page - 1)
        self._load(
            self._generation, page, previous[-1] if previous and len(previous) == PAGE else None
        )

    @work(thread=True, group="list-pages")
    def _load(self, generation: int, page: int, after: ConversationRow | None) -> None:
        if self.filter is None:
            return
        rows = self._fetch_page(self.filter, page, after)
        self.post_message(self._PageLoaded(generation, page, rows))

    def on_conversation_list__page_loaded(self, msg: _PageLoaded) -> None:
        if msg.generation != self._generation:
            return
        self._loading.discard(msg.page)
        self._pages[msg.page] = msg.rows
        while len(self._pages) > MAX_PAGES:
            oldest = next(iter(self._pages))
            if oldest == self.cursor // PAGE:
                self._pages.move_to_end(oldest)
                continue
            self._pages.popitem(last=False)
        self.refresh()
        if msg.page == self.cursor // PAGE:
            row = self.current_row()
            self._on_id = row.id if row is not None else None
            self.post_message(self.Highlighted(row))

    # -- cursor --------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        row = self.current_row()
        self._on_id = row.id if row is not None else None
        if self.total:
            self.scroll_to_region_y(new)
        self.refresh()
        self.post_message(self.Highlighted(self.current_row()))

    def scroll_to_region_y(self, index: int) -> None:
        """Scroll as little as brings row ``index`` into view, and never past the last
        row: the list shows as many rows as fit. Hidden (a thread or pane over it at 80
        columns), it does not scroll: it read one row of room then and put the cursor's
        row first, and closing the thread showed the rows above it scrolled away, or
        blank space below (walk10); ``on_resize`` brings the cursor in once shown."""
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = int(self.scroll_y)
        if index < top:
            top = index
        elif index >= top + height:
            top = index - height + 1
        top = max(0, min(top, self.total - height))
        if top != int(self.scroll_y):
            self.scroll_to(y=top, animate=False)

    def on_resize(self) -> None:
        if self.total:
            self.scroll_to_region_y(self.cursor)

    def action_cursor_down(self) -> None:
        if self.cursor < self.total - 1:
            self.cursor += 1

    def action_cursor_up(self) -> None:
        if self.cursor > 0:
            self.cursor -= 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(0, self.total - 1)

    def action_page_down(self) -> None:
        self.cursor = min(
            max(0, self.total - 1), self.cursor + max(1, self.scrollable_content_region.height - 1)
        )

    def action_page_up(self) -> None:
        self.cursor = max(0, self.cursor - max(1, self.scrollable_content_region.height - 1))

    def toggle_selected(self) -> None:
        row = self.current_row()
        if row is None:
            return
        if row.id in self.selected:
            self.selected.discard(row.id)
            self.selected_subjects.pop(row.id, None)
            self.selected_status.pop(row.id, None)
        else:
            self.selected.add(row.id)
            self.selected_status[row.id] = row.status
            # Named the way the agent tells them apart: number, subject, customer
            # (several conversations may share a subject).
            who = row.contact_name or row.contact_email or ""
            self.selected_subjects[row.id] = f"#{row.id} {row.subject}" + (
                f" · {who}" if who else ""
            )
        self.refresh()
        self.post_message(self.SelectionChanged())

    def clear_selection(self) -> None:
        if self.selected:
            self.selected.clear()
            self.selected_subjects.clear()
            self.selected_status.clear()
            self.refresh()
            self.post_message(self.SelectionChanged())

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", None)
        if isinstance(y, int):
            index = int(self.scroll_y) + y
            if 0 <= index < self.total:
                if index == self.cursor:
                    row = self.current_row()
                    if row is not None:
                        self.post_message(self.Opened(row))
                self.cursor = index

    # -- rendering -----------------------------------------------------------------

    def on_mount(self) -> None:
        self._limited = limited_colour(self.app)

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if index >= self.total:
            if self.total == 0 and y == 0:
                return Strip(
                    [Segment(" No conversations here.".ljust(width), Style(dim=True))]
                ).crop(0, width)
            return Strip.blank(width, self.rich_style)
        row = self.row_at(index)
        is_cursor = index == self.cursor
        base = (
            Style(reverse=True)
            if is_cursor and self.has_focus
            # Not focused (the thread or a pane has the keys): a shade says "here" in
            # colour; without colour an underline does.
            else Style(bgcolor="grey23", underline=self._limited)
            if is_cursor
            else Style()
        )
        if row is None:
            return Strip([Segment(" …".ljust(width), base + Style(dim=True))]).crop(0, width)
        return Strip(self._segments(row, width, base)).crop(0, width)

    def _segments(self, row: ConversationRow, width: int, base: Style) -> list[Segment]:
        # Columns: mark, status, age, channel, customer, presence, subject, tags, assignee.
        # The subject takes what is left, so tags and assignee always end at the edge.
        wide = width >= 86
        name_w = 18 if wide else 14
        tags_w = 28 if width >= 120 else 20 if wide else 12 if width >= 70 else 0
        assignee_w = 10 if wide else 8
        who = one_line(row.contact_name or row.contact_email or "unknown", 60)
        tags = " ".join(f"#{one_line(t, 40)}" for t in row.tags)
        eye = "◉ " if self.presence.get(row.id) else ""
        head = [
            Segment(
                "▶" if row.id in self.selected else " ", base + Style(bold=True, color="yellow")
            ),
            Segment(
                STATUS_MARK.get(row.status, "?") + " ",
                base + Style(color=_status_colour(row.status)),
            ),
            Segment(
                age(row.customer_at or row.last_activity_at, self.clock()).rjust(4) + " ",
                base + Style(dim=True),
            ),
            *([Segment(m[0], base + m[1])] if (m := sla_marker(row, self.clock())) else []),
            Segment("» " if row.channel == "chat" else "  ", base + Style(color="cyan")),
        ]
        marks = [Segment(eye, base + Style(color="magenta"))]
        if row.mentioned:  # a note names this agent, unread (opening it reads it)
            marks.append(Segment("@ ", base + Style(color="yellow", bold=True)))
        if row.draft:  # an unsent reply of this agent's is kept here (r brings it back)
            marks.append(Segment("draft ", base + Style(color="red", italic=True)))
        tail = (1 + tags_w if tags_w else 0) + 1 + assignee_w
        # What the customer's name and a snoozed row's wake-up time may take: the
        # assignee and tags at the edge are never pushed off it (a snoozed row at 80
        # columns, or in the list beside a thread, showed "m" for mei, or nothing).
        room = width - tail - MIN_SUBJECT - sum(len(seg.text) for seg in (*head, *marks))
        name, wakes = _squeeze(who, name_w, _wakes(row, self.zone), room)
        head.append(Segment(name, base + Style(bold=row.status == "open")))
        head += marks
        if wakes:
            head.append(Segment(wakes, base + Style(color="blue")))
        used = sum(len(seg.text) for seg in head) + tail
        subject = _fit(one_line(row.subject, 300), max(MIN_SUBJECT, width - used))
        segments = [*head, Segment(subject, base)]
        if tags_w:
            segments.append(Segment(" " + _fit(tags, tags_w), base + Style(color="cyan")))
        assignee = _fit(one_line(row.assignee or "—", 40), assignee_w).strip()
        segments.append(Segment(f" {assignee:>{assignee_w}}", base + Style(dim=True)))
        return segments


MIN_SUBJECT = 5


def _wakes(row: ConversationRow, zone: str) -> tuple[str, str]:
    """A snoozed row's wake-up time on the agent's clock (``zone``), in full and short
    (without the weekday; both without the zone's name, which the snooze said)."""
    from inbox_tui.services.agent_clock import agent_time

    if row.status != "snoozed" or row.snoozed_until is None:
        return "", ""
    at = row.snoozed_until
    full, short = (
        agent_time(at, zone, named=False),
        agent_time(at, zone, "%d %b %H:%M", named=False),
    )
    return f"wakes {full} · ", f"wakes {short} · "


def _squeeze(who: str, name_w: int, wakes: tuple[str, str], room: int) -> tuple[str, str]:
    """The customer's column and the wake-up time within ``room`` characters: the full
    time if it fits, else the short one, then a narrower name (never under 6)."""
    full, short = wakes
    text = full if name_w + 1 + len(full) <= room else short
    name_w = max(6, min(name_w, room - 1 - len(text)))
    if name_w + 1 + len(text) > room:
        text = _fit(text, max(0, room - 1 - name_w)).rstrip() if room - 1 - name_w > 3 else ""
        text = f"{text} " if text else ""
    return _fit(who, name_w) + " ", text


def sla_marker(row: ConversationRow, now: datetime) -> tuple[str, Style] | None:
    """The response-target column: ``!2h`` overdue (red), ``~40m`` due soon (yellow),
    ``3h`` time left (dim), blank when not waiting; None when no targets are set. The
    sign says it in 16 colours and under NO_COLOR too. Time left or overdue is counted
    as the targets are: in working time when ``[business_hours]`` is set."""
    if row.sla_at_risk is None:
        return None
    left = row.sla_left(now)
    if left is None or row.sla_due_at is None:
        return " " * 5, Style()
    text = age(now - abs(left), now)
    if row.sla_due_at <= now:
        return f"!{text}".ljust(5), Style(color="red", bold=True)
    if left <= row.sla_at_risk:
        return f"~{text}".ljust(5), Style(color="yellow", bold=True)
    return f" {text}".ljust(5), Style(dim=True)


def _fit(text: str, width: int) -> str:
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(0, width - 1)] + "…"


def _status_colour(status: str) -> str:
    return {"open": "green", "pending": "yellow", "snoozed": "blue", "closed": "bright_black"}.get(
        status, "white"
    )
