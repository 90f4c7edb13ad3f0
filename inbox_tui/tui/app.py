"""The triage TUI. Glue over the services: every database call runs in a thread worker
and comes back to the UI thread; nothing here decides business rules.

One table (``ACTIONS``) defines every action once: its binding id (remappable in the
config's ``[keys]``), default keys, and description; bindings, the ``?`` help screen and
the command palette are all generated from it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from inbox_tui.errors import UserError
from inbox_tui.sanitize import one_line
from inbox_tui.tui.conversation_list import PAGE, ConversationList
from inbox_tui.tui.dialogs import Composer, Draft, FuzzyPicker, HelpScreen, PickItem, Prompt
from inbox_tui.tui.side_pane import PaneData, SidePane
from inbox_tui.tui.thread_view import WINDOW, ThreadView

if TYPE_CHECKING:
    from inbox_tui.cli import Context
    from inbox_tui.config import Config
    from inbox_tui.services.conversations import ConversationFilter, ConversationRow, Thread
    from inbox_tui.store import Store


@dataclass(frozen=True)
class Action:
    id: str
    keys: str
    action: str
    description: str
    short: str = ""  # footer label; empty keeps it out of the footer


ACTIONS: list[Action] = [
    Action("open", "enter", "open", "Open the conversation", "Open"),
    Action("back", "escape,u", "go_back", "Back to the list / close search"),
    Action("reply", "r", "reply", "Reply to the customer", "Reply"),
    Action("note", "n", "note", "Write an internal note", "Note"),
    Action("tag", "t", "tag", "Tag (fuzzy picker; Enter toggles)", "Tag"),
    Action("assign", "a", "assign", "Assign to an agent (picker)", "Assign"),
    Action("assign_me", "i", "assign_me", "Assign to me"),
    Action("status", "s", "status", "Set status: open, pending, closed", "Status"),
    Action("snooze", "z", "snooze", "Snooze (presets or custom, e.g. 3h, 2d)", "Snooze"),
    Action("close_next", "e", "close_next", "Close and go to the next conversation", "Close"),
    Action("article", "h", "article", "Insert a suggested help article into a reply", "Article"),
    Action(
        "macro", "m", "macro", "Apply a macro (picker with preview; 1-9 for pinned ones)", "Macro"
    ),
    Action("edit_macro", "M", "edit_macro", "Edit a macro's text"),
    Action("contact", "c", "contact", "This customer's other conversations", "Customer"),
    # Side panes: F-keys, as in htop and Midnight Commander (terminal apps whose panels and
    # dialogs sit on function keys); every letter near t/m/h/c is already an action here.
    # Not in the footer: at 160 columns it would push "? Help" off the line; ? lists them.
    Action("pane_tags", "f2", "pane_tags", "Side pane: tags and likely tags"),
    Action("pane_macros", "f3", "pane_macros", "Side pane: macros with preview"),
    Action("pane_articles", "f4", "pane_articles", "Side pane: suggested help articles"),
    Action("pane_contact", "f5", "pane_contact", "Side pane: the customer and their history"),
    Action("select", "x", "select", "Select for bulk actions (tag, assign, close, snooze, macro)"),
    Action("search", "slash", "search", "Search (is:open tag:bug from:@acme.com …)", "Search"),
    Action(
        "views", "v", "views", "Choose a view (Unassigned, Mine, tags, saved searches)", "Views"
    ),
    Action("stats", "S", "stats", "Stats: per-agent figures, busiest hours, tag costs", "Stats"),
    Action("save_search", "ctrl+s", "save_search", "Save the current search as a view"),
    Action("palette", "colon", "command_palette", "Command palette (also ctrl+p)"),
    Action("refresh", "ctrl+r", "refresh", "Refresh now"),
    Action("help", "question_mark", "help", "This help", "Help"),
    Action("quit", "ctrl+q", "quit", "Quit"),
]

VIEWS = [
    ("unassigned", "Unassigned"),
    ("mine", "Mine"),
    ("open", "All open"),
    ("pending", "Pending"),
    ("snoozed", "Snoozed"),
    ("closed", "Closed"),
    ("all", "Everything"),
]

SNOOZE_PRESETS = [
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    ("tomorrow", "Tomorrow 09:00 UTC"),
    ("2d", "2 days"),
    ("1w", "Next week"),
    ("custom", "Custom…"),
]

INTRO = 'The list shows the current view; j/k move, Enter opens, Esc goes back. Actions apply to the open or highlighted conversation, or to every selected (x) one. Keys can be remapped in the config file\'s [keys] table, e.g. reply = "R".'


# The narrowest screen on which a pane sits beside the list or thread (a 38-column pane
# leaves the thread 60 columns); below it the pane replaces them.
PANE_BESIDE_MIN_WIDTH = 100


class MainScreen(Screen[None]):
    # Triage keys live on this screen, so they never fire on the Stats screen or in a dialog.
    BINDINGS = [
        Binding(a.keys, f"app.{a.action}", a.short or a.description, show=bool(a.short), id=a.id)
        for a in ACTIONS
        if a.id not in ("help", "quit", "palette")
    ]
    DEFAULT_CSS = """
    #top { height: 1; background: $primary-background; padding: 0 1; }
    #views { width: 26; border-right: solid $primary; display: none; }
    #views.shown { display: block; }
    #center { width: 1fr; }
    #search { display: none; }
    #search.shown { display: block; }
    ThreadView { width: 1fr; display: none; border-left: solid $primary; }
    MainScreen.-wide ThreadView { display: block; width: 45%; }
    MainScreen.-reading ThreadView { display: block; }
    MainScreen.-reading.-narrow #center { display: none; }
    MainScreen.-pane SidePane { display: block; }
    MainScreen.-wide.-pane ThreadView { width: 40%; }
    /* Under 100 columns a pane beside the thread would leave it too narrow to read:
       the pane takes the whole width instead, and Esc (or its key) gives it back. */
    MainScreen.-pane.-cramped SidePane { width: 1fr; border-left: none; }
    MainScreen.-pane.-cramped #center { display: none; }
    MainScreen.-pane.-cramped ThreadView { display: none; }
    #status { height: 1; padding: 0 1; color: $text-muted; }
    #keys { height: 1; padding: 0 1; background: $panel; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="top")
        with Horizontal():
            yield OptionList(id="views")
            with Vertical(id="center"):
                yield Input(
                    placeholder='search: words "phrase" is:open tag:bug -tag:spam assignee:me from:@acme.com after:2026-01-01 channel:chat',
                    id="search",
                )
                app = self.app
                assert isinstance(app, InboxApp)
                yield ConversationList(app.fetch_page, app.count, clock=app.clock, id="list")
            yield ThreadView(id="thread")
            yield SidePane(id="pane")
        yield Static(id="status")
        # A plain line of key hints: Textual's Footer builds a widget per key, which
        # costs about 0.1 s of start-up; every action is also in the palette and on ?.
        app = self.app
        assert isinstance(app, InboxApp)
        yield Static(app.key_hints(), id="keys")

    def on_resize(self, event: Any) -> None:
        wide = event.size.width >= 140
        self.set_class(wide, "-wide")
        self.set_class(not wide, "-narrow")
        self.set_class(event.size.width < PANE_BESIDE_MIN_WIDTH, "-cramped")


class StoreChanged(Message):
    """Another agent (or a sync) committed a change: look now rather than at the poll."""


class InboxApp(App[int]):
    TITLE = "inbox-tui"
    BINDINGS = [
        Binding(a.keys, a.action, a.short or a.description, show=bool(a.short), id=a.id)
        for a in ACTIONS
        if a.id in ("help", "quit", "palette")
    ]
    # Textual's own ctrl+p palette stays; ':' opens it too.
    COMMAND_PALETTE_BINDING = "ctrl+p"

    def __init__(
        self,
        store: Store | Callable[[], Store],
        config: Config,
        me: str,
        *,
        clock: Callable[[], datetime] | None = None,
        poll_seconds: float = 2.0,
    ) -> None:
        super().__init__()
        # A factory is opened in a worker after the first frame, so the database layer's
        # imports and the schema check never delay the first paint.
        self._store: Store | None = None if callable(store) else store
        self._store_factory = store if callable(store) else None
        self.config = config
        self.me = me
        self.clock = clock or (lambda: datetime.now(UTC))
        self.poll_seconds = poll_seconds
        self.view = "open"
        self.query_text = ""
        self.open_id: int | None = None
        self._listen_stop = threading.Event()  # ends the LISTEN thread with the app
        # (conversation, messages shown): a reload keeps what the reader expanded.
        self._thread_window: tuple[int | None, int] = (None, WINDOW)
        self.open_version: int | None = None
        self._token: tuple[int, int, int] | None = None
        self._saved: dict[str, str] = {}
        self._list_request: ConversationFilter | None = None  # the filter last asked for
        self.exit_after_first_frame = False
        self.exit_after_first_paint = False
        self._started = False
        self.paint_stream: Any = None
        self._pane_for: tuple[str, int | None] | None = None
        self._pane_generation = 0

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is not open yet")
        return self._store

    # -- data access used by the list (runs in thread workers) ------------------------

    def current_filter(self) -> ConversationFilter:
        from inbox_tui.services.conversations import view_filter
        from inbox_tui.services.search import parse_query

        if self.view.startswith("saved:"):
            return parse_query(self._saved.get(self.view[6:], ""), self.me)
        base = view_filter(self.view, self.me)
        if self.query_text.strip():
            q = parse_query(self.query_text, self.me)
            if q.statuses is None:
                q.statuses = base.statuses
            if not (q.assignee or q.unassigned):
                q.assignee, q.unassigned = base.assignee, base.unassigned
            q.tags = [*base.tags, *q.tags]
            return q
        return base

    def fetch_page(
        self, flt: ConversationFilter, page: int, after: ConversationRow | None
    ) -> list[ConversationRow]:
        from inbox_tui.services.conversations import list_conversations, row_cursor_at

        with self.store.read() as s:
            cursor = after.cursor if after is not None else None
            if cursor is None and page > 0:
                # A jump (G, PageDown far away): find the page's anchor by offset once.
                cursor = row_cursor_at(s, flt, page * PAGE - 1)
                if cursor is None:
                    return []
            return list_conversations(s, flt, after=cursor, limit=PAGE)

    def count(self, flt: ConversationFilter) -> int:
        from inbox_tui.services.conversations import count_conversations

        with self.store.read() as s:
            return count_conversations(s, flt)

    # -- lifecycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.config.keys:
            self.set_keymap(self.config.keys)
        if self._store is None:
            self._open_store()  # overlaps the database layer's start-up with the first paint
        self.main = MainScreen()
        self.push_screen(self.main)
        self.call_after_refresh(self._start)

    def key_hints(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for a in ACTIONS:
            if a.short:
                key = self._keys_for(a).split(" / ")[0].replace("enter", "⏎")
                text.append(f" {key} ", style="bold reverse")
                text.append(f" {a.short} ")
        return text

    def _start(self) -> None:
        self.conv_list.focus()
        if self.exit_after_first_paint:  # benchmarks: start to first paint
            self.call_after_refresh(self._painted)
        self._started = True
        if self._store is None:
            self.set_status("Opening the store…")
            return  # _open_store calls _store_ready when it is done
        self._store_ready()

    def _painted(self) -> None:
        import time

        print(f"PAINT {time.time()}", file=self.paint_stream, flush=True)
        self.exit()

    @work(thread=True, exclusive=True, group="open")
    def _open_store(self) -> None:
        assert self._store_factory is not None
        try:
            store = self._store_factory()
        except UserError as exc:
            self.call_from_thread(self.exit, None, 2, f"inbox-tui: {exc}")
            return
        self._store = store
        self.call_from_thread(self._store_opened)

    def _store_opened(self) -> None:
        if self._started:  # else _start, once the screen is up, carries on
            self._store_ready()

    def _store_ready(self) -> None:
        self.set_status("")
        self.reload(first=True)
        self.set_interval(self.poll_seconds, self._poll)
        if self.store.url.startswith("postgresql"):
            self._poll()  # the baseline token, so the first notice already counts
            self._listen()  # other agents' changes at once; the poll stays as the fallback
        self.set_interval(15, self._heartbeat)
        self._load_views()
        if self.config.accounts and not self.config.demo:
            self._watch_mail()
            self.set_interval(30, self.flush_outbox)

    @work(exclusive=True, group="sync")
    async def _watch_mail(self) -> None:
        """Background IMAP sync: new mail appears in the list by itself (the poll sees it)."""
        import asyncio

        from inbox_tui.services.mailsync import SyncReport, watch

        self._sync_stop = asyncio.Event()

        def on_report(report: SyncReport) -> None:
            when = self.clock().strftime("%H:%M")
            if report.errors:
                self.set_status(f"Mail sync at {when}: {report.errors[-1]}")
            else:
                self.set_status(f"Mail synced at {when}: {report.imported} new.")

        try:
            await watch(self.config, self.store, on_report, self._sync_stop)
        except UserError as exc:
            self.set_status(str(exc))

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Workers hand their results to the UI here. A result that arrives while the app
        shuts down (its widgets already gone) is dropped: quitting mid-refresh used to end
        in a NoMatches traceback."""

        def while_running() -> Any:
            if self.is_running:
                return callback(*args, **kwargs)
            return None

        return super().call_from_thread(while_running)

    @property
    def conv_list(self) -> ConversationList:
        return self.main.query_one(ConversationList)

    @property
    def thread_view(self) -> ThreadView:
        return self.main.query_one(ThreadView)

    def set_status(self, text: str) -> None:
        self.main.query_one("#status", Static).update(Text(one_line(text, 300)))

    def _set_top(self, total: int, exact: bool = True) -> None:
        label = dict(VIEWS).get(self.view) or (
            f"#{self.view[4:]}"
            if self.view.startswith("tag:")
            else self.view.removeprefix("saved:")
        )
        text = Text()
        text.append("inbox-tui ", style="bold")
        text.append(f"· {label} ({total:,}{'' if exact else '+'})")
        if self.query_text:
            text.append(f" · search: {one_line(self.query_text, 60)}", style="italic")
        sel = len(self.conv_list.selected)
        if sel:
            text.append(f" · {sel} selected", style="bold yellow")
        text.append(f" · {one_line(self.me, 30)}", style="dim")
        self.main.query_one("#top", Static).update(text)

    # -- loading ---------------------------------------------------------------------

    def reload(self, first: bool = False, keep_id: int | None = None) -> None:
        try:
            flt = self.current_filter()
        except ValueError as exc:
            self.set_status(str(exc))
            return
        self._list_request = flt
        self._load_list(flt, keep_id)

    @work(thread=True, exclusive=True, group="list")
    def _load_list(self, flt: ConversationFilter, keep_id: int | None) -> None:
        # Search reloads per keystroke, and the count reads every match (hundreds of ms
        # for a common word on a big store) while the first page stops early. So the
        # page is shown first; a page shorter than PAGE is the whole result and needs
        # no count at all.
        rows = self.fetch_page(flt, 0, None)
        exact = len(rows) < PAGE
        self.call_from_thread(self._show_list, flt, len(rows), rows, keep_id, exact)
        if not exact:
            self.call_from_thread(self._show_total, flt, self.count(flt))

    def _show_total(self, flt: ConversationFilter, total: int) -> None:
        if flt is not self._list_request or flt is not self.conv_list.filter:
            return  # the agent searched for something else meanwhile (see _show_list)
        self.conv_list.set_total(total)
        self._set_top(total)

    def _show_list(
        self,
        flt: ConversationFilter,
        total: int,
        rows: list[ConversationRow],
        keep_id: int | None,
        exact: bool = True,
    ) -> None:
        if flt is not self._list_request:
            # A thread worker cannot be stopped mid-query: "exclusive" only marks the
            # old one cancelled, and it still finishes. Its answer is for text the agent
            # has typed past; showing it would flash old results over newer ones.
            return
        self.conv_list.set_filter(flt, total, rows, keep_id)
        self._set_top(total, exact)
        if self.exit_after_first_frame:  # benchmarks: start to first page of data
            self.exit_after_first_frame = False
            self.call_after_refresh(self._painted)

    @work(thread=True, exclusive=True, group="thread")
    def _load_thread(self, conv_id: int) -> None:
        from inbox_tui.services.conversations import get_thread
        from inbox_tui.services.presence import others_by_conversation

        shown_id, shown = self._thread_window
        try:
            with self.store.read() as s:
                thread = get_thread(s, conv_id, newest=shown if shown_id == conv_id else WINDOW)
                viewers = others_by_conversation(s, self.me).get(conv_id, [])
        except UserError as exc:
            self.call_from_thread(self.set_status, str(exc))
            return
        self.call_from_thread(self._show_thread, thread, viewers)

    def _show_thread(self, thread: Thread, viewers: list[tuple[str, str]]) -> None:
        self.open_version = thread.version
        self._thread_window = (thread.conversation.id, len(thread.messages))
        self.thread_view.show(thread, viewers)

    @on(ThreadView.OlderWanted)
    def _older(self) -> None:
        shown_id, shown = self._thread_window
        if self.open_id is not None and shown_id == self.open_id:
            self._thread_window = (shown_id, shown + WINDOW)
            self._load_thread(shown_id)

    def _listen(self) -> None:
        """Listen for other agents' changes in a daemon thread. Not a Textual worker: it
        runs for the app's whole life, and a worker that never completes would make every
        wait for "all workers done" (tests, benchmarks) wait forever."""
        from inbox_tui.services.changes import listen_for_changes

        stop = self._listen_stop

        def changed() -> None:
            # post_message, not call_from_thread: that blocks until the UI answers, and
            # during shutdown it never does, which would keep this thread alive forever.
            if not stop.is_set():
                self.post_message(StoreChanged())

        def run() -> None:
            try:
                listen_for_changes(self.store.url, changed, stop.is_set)
            except Exception as exc:  # no LISTEN (a pooler, a restart): the poll carries on
                import logging

                logging.getLogger(__name__).info("live refresh off: %s", exc)

        threading.Thread(target=run, name="inbox-tui-listen", daemon=True).start()

    def on_unmount(self) -> None:
        self._listen_stop.set()

    def on_store_changed(self, _message: StoreChanged) -> None:
        self._poll()

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        from inbox_tui.services.changes import change_token
        from inbox_tui.services.presence import others_by_conversation
        from inbox_tui.services.triage import wake_snoozed

        try:
            woken = self.store.run(wake_snoozed)
            with self.store.read() as s:
                token = change_token(s)
                presence = others_by_conversation(s, self.me)
        except Exception as exc:  # a dead database server: say so, keep running
            self.call_from_thread(
                self.set_status, f"Cannot reach the store: {exc.__class__.__name__}. Retrying…"
            )
            return
        changed = token != self._token and self._token is not None
        self._token = token
        self.call_from_thread(self._after_poll, changed or bool(woken), presence)

    def _after_poll(self, changed: bool, presence: dict[int, list[tuple[str, str]]]) -> None:
        self.conv_list.presence = presence
        self.conv_list.refresh()
        if changed:
            self._refresh_list_in_place()
            if self.open_id is not None:
                self._load_thread(self.open_id)
            self.refresh_pane()

    @work(thread=True, exclusive=True, group="list")
    def _refresh_list_in_place(self) -> None:
        lst = self.conv_list
        flt = lst.filter
        if flt is None:
            return
        total = self.count(flt)
        pages: dict[int, list[ConversationRow]] = {}
        wanted = sorted({lst.cursor // PAGE, *lst.loaded_pages()})[:5]
        for page in wanted:
            pages[page] = self.fetch_page(
                flt, page, pages.get(page - 1, [None])[-1] if page - 1 in pages else None
            )  # type: ignore[arg-type]
        self.call_from_thread(self._apply_refresh, flt, total, pages)

    def _apply_refresh(
        self, flt: ConversationFilter, total: int, pages: dict[int, list[ConversationRow]]
    ) -> None:
        if flt is not self.conv_list.filter or flt is not self._list_request:
            return  # the agent searched for something else meanwhile (see _show_list)
        self.conv_list.reload_keep_cursor(total, pages)
        self._set_top(total)

    @work(thread=True, group="heartbeat")
    @work(thread=True, exclusive=True, group="presence")
    def _heartbeat(self) -> None:
        # A write transaction (and its fsync) must not hold the UI thread: opening a
        # thread waited on it, and on a busy store it could freeze the screen.
        from inbox_tui.services.presence import heartbeat

        try:
            self.store.run(heartbeat, self.me, self.open_id, "viewing")
        except Exception:
            return

    @work(thread=True, group="views")
    def _load_views(self) -> None:
        from sqlmodel import select

        from inbox_tui.models import SavedSearch, Tag
        from inbox_tui.services.conversations import count_conversations, view_filter

        with self.store.read() as s:
            counts = {v: count_conversations(s, view_filter(v, self.me)) for v, _ in VIEWS}
            tags = [t.name for t in s.exec(select(Tag).order_by(Tag.name)).all()]
            saved = {x.name: x.query for x in s.exec(select(SavedSearch)).all()}
        self.call_from_thread(self._fill_views, counts, tags, saved)

    def _fill_views(self, counts: dict[str, int], tags: list[str], saved: dict[str, str]) -> None:
        self._saved = saved
        ol = self.main.query_one("#views", OptionList)
        ol.clear_options()
        opts = [Option(Text(f"{label} ({counts.get(v, 0):,})"), id=v) for v, label in VIEWS]
        opts += [Option(Text(f"#{one_line(t, 20)}"), id=f"tag:{t}") for t in tags]
        opts += [Option(Text(f"★ {one_line(n, 20)}"), id=f"saved:{n}") for n in saved]
        ol.add_options(opts)
        ids = [o.id for o in opts]
        ol.highlighted = ids.index(self.view) if self.view in ids else 0

    # -- the list and the thread -----------------------------------------------------

    @on(ConversationList.Highlighted)
    def _highlighted(self, event: ConversationList.Highlighted) -> None:
        if event.row is not None and self.main.has_class("-wide") and event.row.id != self.open_id:
            self.open_id = event.row.id
            self._load_thread(event.row.id)
        self.refresh_pane(force=False)

    @on(ConversationList.Opened)
    def _opened(self, event: ConversationList.Opened) -> None:
        self.action_open()

    @on(OptionList.OptionSelected, "#views")
    def _view_chosen(self, event: OptionList.OptionSelected) -> None:
        self.view = event.option.id or "open"
        self.query_text = ""
        self.main.query_one("#views").remove_class("shown")
        self.conv_list.selected.clear()
        self.conv_list.focus()
        self.reload()

    def action_open(self) -> None:
        row = self.conv_list.current_row()
        if row is None:
            return
        self.open_conversation(row.id)

    def open_conversation(self, conv_id: int, from_pane: bool = False) -> None:
        """Open a conversation by id in the thread view (it need not be in the list: the
        customer's history, a stats drill-down)."""
        self.open_id = conv_id
        self.main.add_class("-reading")
        self._load_thread(conv_id)
        self._heartbeat()
        if from_pane and self.main.has_class("-cramped"):
            self._hide_pane()  # the pane covered the thread
        elif from_pane:
            self.refresh_pane(force=False)  # the same customer; marks the one now open
            return  # the agent stays in the pane, walking the history
        self.thread_view.focus()
        self.refresh_pane(force=False)

    def action_go_back(self) -> None:
        if self.pane_shown() and (self._pane_has_focus() or self.main.has_class("-cramped")):
            # Esc leaves the pane: back to the thread or list beside it, or, where the
            # pane covers them, closes it.
            if self.main.has_class("-cramped"):
                self._hide_pane()
            else:
                self._focus_main()
            return
        search = self.main.query_one("#search", Input)
        if search.has_focus or search.has_class("shown"):
            search.remove_class("shown")
            if self.query_text:
                self.query_text = ""
                search.value = ""
                self.reload()
            self.conv_list.focus()
            return
        if self.main.query_one("#views").has_class("shown"):
            self.main.query_one("#views").remove_class("shown")
            self.conv_list.focus()
            return
        self.main.remove_class("-reading")
        if not self.main.has_class("-wide"):
            self.open_id = None
        self.conv_list.focus()
        self.refresh_pane(force=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_rows(), INTRO))

    def help_rows(self) -> list[tuple[str, str]]:
        rows = [(self._keys_for(a), a.description) for a in ACTIONS]
        rows += [
            ("j / k", "Move down / up"),
            ("g / G", "First / last"),
            ("PgDn / PgUp", "Page down / up"),
            ("q", "Show or hide quoted text in a thread"),
            ("o", "Show 30 earlier messages of a long thread"),
        ]
        return rows

    def _keys_for(self, a: Action) -> str:
        keys = self.config.keys.get(a.id, a.keys)
        keys = ",".join(k.upper() if re.fullmatch(r"f\d+", k) else k for k in keys.split(","))
        return (
            keys.replace("question_mark", "?")
            .replace("slash", "/")
            .replace("colon", ":")
            .replace(",", " / ")
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for a in ACTIONS:
            if a.id in ("palette",):
                continue
            yield SystemCommand(
                f"{a.description.split(' (')[0]}  [{self._keys_for(a)}]",
                a.description,
                getattr(self, f"action_{a.action}"),
            )

    # -- the side pane ---------------------------------------------------------------

    @property
    def side_pane(self) -> SidePane:
        return self.main.query_one(SidePane)

    def pane_shown(self) -> bool:
        return self.main.has_class("-pane")

    def pane_target(self) -> int | None:
        """The one conversation the pane is about: the open one, else the highlighted
        one. A bulk selection does not count: the pane shows one conversation's data."""
        if self.open_id is not None and (
            self.main.has_class("-reading") or self.main.has_class("-wide")
        ):
            return self.open_id
        row = self.conv_list.current_row()
        return row.id if row else None

    def action_pane_tags(self) -> None:
        self._toggle_pane("tags")

    def action_pane_macros(self) -> None:
        self._toggle_pane("macros")

    def action_pane_articles(self) -> None:
        self._toggle_pane("articles")

    def action_pane_contact(self) -> None:
        self._toggle_pane("contact")

    def _toggle_pane(self, kind: str) -> None:
        if self.pane_shown() and self.side_pane.kind == kind:
            self._hide_pane()
        else:
            self._show_pane(kind)

    def _show_pane(self, kind: str) -> None:
        self.side_pane.set_kind(kind)
        self.main.add_class("-pane")
        self.refresh_pane()
        # Opening a pane is asking to act in it: the keys go there (Esc or Tab leave).
        self.side_pane.choices.focus()

    def _hide_pane(self) -> None:
        had_focus = self._pane_has_focus()
        self.main.remove_class("-pane")
        self._pane_for = None
        if had_focus or self.main.has_class("-cramped"):
            self._focus_main()

    def _uncover_list(self) -> None:
        if self.pane_shown() and self.main.has_class("-cramped"):
            self._hide_pane()

    def _focus_main(self) -> None:
        if self.main.has_class("-reading"):
            self.thread_view.focus()
        else:
            self.conv_list.focus()

    def _pane_has_focus(self) -> bool:
        focused = self.main.focused
        return focused is not None and self.side_pane in focused.ancestors_with_self

    def refresh_pane(self, force: bool = True) -> None:
        """Load the shown pane's data for its conversation (in a worker). Without
        ``force`` nothing happens when neither the pane nor its conversation changed."""
        if not self.pane_shown():
            return
        cid = self.pane_target()
        key = (self.side_pane.kind, cid)
        if not force and key == self._pane_for:
            return
        self._pane_for = key
        self._pane_generation += 1
        if cid is None:
            self.side_pane.show_message("No conversation is highlighted.")
            return
        self._load_pane(self.side_pane.kind, cid, self._pane_generation)

    @work(thread=True, exclusive=True, group="pane")
    def _load_pane(self, kind: str, cid: int, generation: int) -> None:
        try:
            with self.store.read() as s:
                data = _pane_data(s, kind, cid, self.me, self.clock())
        except UserError as exc:
            self.call_from_thread(self._pane_failed, generation, str(exc))
            return
        self.call_from_thread(self._pane_loaded, generation, data)

    def _pane_loaded(self, generation: int, data: PaneData) -> None:
        # A newer request (the agent moved on) wins over a slower older one.
        if generation == self._pane_generation:
            self.side_pane.show(data)

    def _pane_failed(self, generation: int, message: str) -> None:
        if generation == self._pane_generation:
            self.side_pane.show_message(message)

    @on(SidePane.TabClicked)
    def _pane_tab_clicked(self, event: SidePane.TabClicked) -> None:
        if event.kind != self.side_pane.kind:
            self._show_pane(event.kind)

    @on(SidePane.Chosen)
    def _pane_chosen(self, event: SidePane.Chosen) -> None:
        data = self.side_pane.data
        cid, value = event.conversation_id, event.value
        if event.kind == "tags":
            if data is not None and value in data.marked:
                self._run(_for_each, _untag, [cid], (self.me, value), ok=f"Removed tag {value}.")
            else:
                self._run(_for_each, _tag, [cid], (self.me, value), ok=f"Tagged {value}.")
        elif event.kind == "macros":
            self._apply_macro([cid], value)
        elif event.kind == "articles" and data is not None and value in data.payload:
            self._compose_reply(cid, "\n\n" + data.payload[value] + "\n", article_id=int(value))
        elif event.kind == "contact":
            self.open_conversation(int(value), from_pane=True)

    def action_stats(self) -> None:
        from inbox_tui.tui.stats_screen import StatsScreen

        def drill(result: str | int | None) -> None:
            if isinstance(result, int):  # a conversation picked behind a number
                self.open_conversation(result)
            elif result:  # an agent: their conversations in the list
                self._search_for(f"assignee:{result}", "all")

        self.push_screen(
            StatsScreen(self.store, self.me, self.clock, self.config.business_hours), drill
        )

    def action_contact(self) -> None:
        ids = self.targets()
        if len(ids) != 1:
            return
        self._show_contact(ids[0])

    @work(thread=True, group="pickers")
    def _show_contact(self, conv_id: int) -> None:
        from inbox_tui.models import Contact, Conversation

        with self.store.read() as s:
            conv = s.get(Conversation, conv_id)
            contact = s.get(Contact, conv.contact_id) if conv and conv.contact_id else None
        if contact is None:
            self.call_from_thread(
                self.notify, "This conversation has no known customer.", severity="warning"
            )
            return
        who = contact.email or contact.name or contact.key
        self.call_from_thread(self._search_for, f"from:{who}", "all")

    def _search_for(self, query: str, view: str) -> None:
        self.view = view
        self.query_text = query
        self._uncover_list()
        search = self.main.query_one("#search", Input)
        search.value = query
        search.add_class("shown")
        self.main.remove_class("-reading")
        self.conv_list.focus()
        self.reload()

    def action_views(self) -> None:
        self._uncover_list()
        views = self.main.query_one("#views", OptionList)
        views.add_class("shown")
        views.focus()
        self._load_views()

    def action_search(self) -> None:
        self._uncover_list()
        search = self.main.query_one("#search", Input)
        search.add_class("shown")
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self.reload()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.conv_list.focus()

    def action_save_search(self) -> None:
        if not self.query_text.strip():
            self.notify("Type a search first (/), then save it as a view.", severity="warning")
            return

        def done(name: str | None) -> None:
            if name and name.strip():
                self._run(
                    _save_search,
                    name.strip()[:100],
                    self.query_text,
                    ok=f"Saved the search as the view “{name.strip()}”.",
                )
                self._load_views()

        self.push_screen(Prompt("Name for this view", "e.g. Angry billing"), done)

    def action_refresh(self) -> None:
        row = self.conv_list.current_row()
        self.reload(keep_id=row.id if row else None)
        if self.open_id:
            self._load_thread(self.open_id)

    def action_select(self) -> None:
        self.conv_list.toggle_selected()
        self._set_top(self.conv_list.total)
        self.conv_list.action_cursor_down()

    # -- triage actions --------------------------------------------------------------

    def targets(self) -> list[int]:
        """The conversations an action applies to: the selection, else the open or
        highlighted one."""
        if self.conv_list.selected:
            return sorted(self.conv_list.selected)
        if self.main.has_class("-reading") and self.open_id is not None:
            return [self.open_id]
        row = self.conv_list.current_row()
        return [row.id] if row else []

    def _run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        ok: str | None = None,
        after: Callable[[Any], None] | None = None,
    ) -> None:
        self._run_worker(fn, args, ok, after)

    @work(thread=True, group="actions")
    def _run_worker(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        ok: str | None,
        after: Callable[[Any], None] | None,
    ) -> None:
        try:
            result = self.store.run(fn, *args)
        except UserError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        except Exception as exc:
            import logging

            from inbox_tui.errors import explain_unexpected

            logging.getLogger(__name__).exception("action failed")
            self.call_from_thread(
                self.notify, explain_unexpected(exc), severity="error", markup=False
            )
            return
        if ok:
            self.call_from_thread(self.notify, ok, markup=False)
        if after is not None:
            self.call_from_thread(after, result)
        self.call_from_thread(self._after_change)

    def _after_change(self) -> None:
        row = self.conv_list.current_row()
        self.reload(keep_id=row.id if row else None)
        if self.open_id is not None and (
            self.main.has_class("-reading") or self.main.has_class("-wide")
        ):
            self._load_thread(self.open_id)
        self.refresh_pane()

    def _bulk(self, fn: Callable[..., Any], *args: Any, what: str) -> None:
        ids = self.targets()
        if not ids:
            self.notify("No conversation is highlighted.", severity="warning")
            return
        self._run(
            _for_each,
            fn,
            ids,
            args,
            ok=f"{what} ({len(ids)} conversation{'s' if len(ids) > 1 else ''}).",
        )
        if len(ids) > 1:
            self.conv_list.selected.clear()

    def action_assign_me(self) -> None:
        self._bulk(_assign, self.me, self.me, what="Assigned to you")

    def action_close_next(self) -> None:
        ids = self.targets()
        self._bulk(_close, self.me, what="Closed")
        if len(ids) == 1 and self.main.has_class("-reading"):
            self.conv_list.action_cursor_down()
            self.call_after_refresh(self.action_open)

    def action_tag(self) -> None:
        ids = self.targets()
        if not ids:
            return
        self._pick_tag(ids)

    @work(thread=True, group="pickers")
    def _pick_tag(self, ids: list[int]) -> None:
        from inbox_tui.services.suggest import tag_choices

        with self.store.read() as s:
            choices = tag_choices(s, ids[0])
        # Likely tags first (learned from the team's own tagging), then the rest. On a
        # bulk selection nothing is marked as applied: it differs from one to the next.
        single = len(ids) == 1
        items = [PickItem(c.name, c.name, c.hint, c.applied and single) for c in choices]
        if not single:
            items = [
                PickItem(c.name, c.name, c.kind)
                for c in sorted(choices, key=lambda c: (c.kind, c.name))
            ]

        def chosen(value: str | None) -> None:
            if not value:
                return
            if len(ids) == 1 and any(it.value == value and it.checked for it in items):
                self._bulk(_untag, self.me, value, what=f"Removed tag {value}")
            else:
                self._bulk(_tag, self.me, value, what=f"Tagged {value}")

        self.call_from_thread(
            self.push_screen,
            FuzzyPicker(
                "Tag (Enter toggles; type a new name to create it)", items, allow_new="Create tag"
            ),
            chosen,
        )

    def action_assign(self) -> None:
        if self.targets():
            self._pick_agent()

    @work(thread=True, group="pickers")
    def _pick_agent(self) -> None:
        from sqlmodel import select

        from inbox_tui.models import Agent

        with self.store.read() as s:
            agents = s.exec(select(Agent).order_by(Agent.name)).all()
        items = [PickItem("\x00none", "Nobody (unassign)")] + [
            PickItem(
                a.username,
                a.name or a.username,
                a.username + (" (me)" if a.username == self.me else ""),
            )
            for a in agents
        ]

        def chosen(value: str | None) -> None:
            if value is None:
                return
            who = None if value == "\x00none" else value
            self._bulk(_assign, self.me, who, what=f"Assigned to {who}" if who else "Unassigned")

        self.call_from_thread(self.push_screen, FuzzyPicker("Assign to", items), chosen)

    def action_status(self) -> None:
        if not self.targets():
            return
        items = [
            PickItem("open", "Open"),
            PickItem("pending", "Pending (waiting on the customer)"),
            PickItem("closed", "Closed"),
        ]

        def chosen(value: str | None) -> None:
            if value:
                self._bulk(_status, self.me, value, what=f"Set {value}")

        self.push_screen(FuzzyPicker("Status", items), chosen)

    def action_snooze(self) -> None:
        if not self.targets():
            return
        items = [PickItem(v, label) for v, label in SNOOZE_PRESETS]

        def chosen(value: str | None) -> None:
            if value == "custom":
                self.push_screen(
                    Prompt("Snooze for (30m, 3h, 2d, 1w) or until (2026-12-01 09:00)", "2d"),
                    lambda v: self._snooze(v),
                )
            elif value:
                self._snooze(value)

        self.push_screen(
            FuzzyPicker("Snooze until… (wakes early if the customer replies)", items), chosen
        )

    def _snooze(self, value: str | None) -> None:
        if not value:
            return
        try:
            until = snooze_until(value.strip(), self.clock())
        except ValueError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._bulk(
            _snooze, self.me, until, self.clock(), what=f"Snoozed until {until:%a %d %b %H:%M} UTC"
        )

    def action_note(self) -> None:
        ids = self.targets()
        if len(ids) != 1:
            self.notify("Open or highlight one conversation to write a note.", severity="warning")
            return

        def done(draft: Draft | None) -> None:
            if draft and draft.text.strip():
                self._run(_note, self.me, ids[0], draft.text, ok="Note saved.")

        self.push_screen(
            Composer(f"Internal note on #{ids[0]} (never sent to the customer)", is_note=True), done
        )

    def action_reply(self) -> None:
        ids = self.targets()
        if len(ids) != 1:
            self.notify("Open or highlight one conversation to reply.", severity="warning")
            return
        self._compose_reply(ids[0], "")

    def _compose_reply(
        self, conv_id: int, text: str, macro: str | None = None, article_id: int | None = None
    ) -> None:
        seen = self.open_version if conv_id == self.open_id else None
        self._heartbeat_replying(conv_id)

        def done(draft: Draft | None) -> None:
            if draft is None or not draft.text.strip():
                return
            then = "closed" if draft.action == "send_close" else "pending"
            self._send(conv_id, draft.text, then, seen, macro, force=False, article_id=article_id)

        self.push_screen(
            Composer(f"Reply to #{conv_id}" + (f" (macro {macro})" if macro else ""), text), done
        )

    @work(thread=True, group="heartbeat")
    def _heartbeat_replying(self, conv_id: int) -> None:
        from inbox_tui.services.presence import heartbeat

        try:
            self.store.run(heartbeat, self.me, conv_id, "replying")
        except Exception:
            return

    @work(thread=True, group="actions")
    def _send(
        self,
        conv_id: int,
        text: str,
        then: str,
        seen: int | None,
        macro: str | None,
        force: bool,
        article_id: int | None = None,
    ) -> None:
        from inbox_tui.services import replies
        from inbox_tui.services.macros import apply_macro

        outbox_id: int | None
        try:
            if macro:
                applied = self.store.run(
                    lambda s: apply_macro(
                        s,
                        self.me,
                        conv_id,
                        macro,
                        config=self.config,
                        body=text,
                        seen_version=seen,
                        force=force,
                    )
                )
                outbox_id = applied.outbox_id
            else:
                outbox_id = self.store.run(
                    lambda s: replies.queue_reply(
                        s,
                        self.me,
                        conv_id,
                        text,
                        config=self.config,
                        then_status=then,
                        seen_version=seen,
                        force=force,
                    )
                )
        except replies.Collision as exc:
            self.call_from_thread(self._collision, conv_id, text, then, macro, exc.changes)
            return
        except UserError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", markup=False, timeout=10)
            return
        if article_id is not None:
            from inbox_tui.services.suggest import record_article_sent

            self.store.run(record_article_sent, self.me, conv_id, article_id)
        self.call_from_thread(self.notify, self._sent_message(outbox_id), markup=False)
        self.call_from_thread(self._after_change)
        self.call_from_thread(self.flush_outbox)

    def _sent_message(self, outbox_id: int | None) -> str:
        from inbox_tui.models import Outbox, OutboxStatus

        with self.store.read() as s:
            row = s.get(Outbox, outbox_id) if outbox_id else None
        if row is not None and row.status == OutboxStatus.LOGGED.value:
            if self.config.demo:
                return "Reply recorded. This is the demo inbox, so nothing was sent."
            return "Chat replies are logged in the conversation but not delivered to the chat."
        return "Reply queued; it is sent in the background."

    def _collision(
        self, conv_id: int, text: str, then: str, macro: str | None, changes: list[str]
    ) -> None:
        items = [
            PickItem("send", "Send anyway"),
            PickItem("edit", "Edit the reply"),
            PickItem("discard", "Discard the reply"),
        ]
        title = "Someone else acted on this conversation since you opened it: " + "; ".join(changes)

        def chosen(value: str | None) -> None:
            if value == "send":
                self._send(
                    conv_id, text, then, None, macro, force=True
                )  # collision: the article stays in the text
            elif value == "edit" or value is None:
                self._load_thread(conv_id)
                self._compose_reply(conv_id, text, macro)

        self.push_screen(FuzzyPicker(title, items), chosen)

    @work(exclusive=True, group="outbox")
    async def flush_outbox(self) -> None:
        from inbox_tui.services.outbox import flush_outbox

        try:
            report = await flush_outbox(self.store, self.config)
        except UserError as exc:
            self.set_status(str(exc))
            return
        # The error carries the SMTP server's own text: one plain line, in the status
        # line (where the agent looks for background news) and, when final, a toast.
        if report.failed:
            text = f"{report.failed} reply(ies) could not be sent: {report.last_error}"
            self.set_status(text)
            self.notify(one_line(text, 300), severity="error", markup=False, timeout=15)
        elif report.retrying:
            self.set_status(f"{report.retrying} reply(ies) will be retried: {report.last_error}")
        elif report.sent:
            self.set_status(f"{report.sent} reply(ies) sent.")

    def action_article(self) -> None:
        ids = self.targets()
        if len(ids) != 1:
            self.notify(
                "Open or highlight one conversation to insert a help article.", severity="warning"
            )
            return
        self._pick_article(ids[0])

    @work(thread=True, group="pickers")
    def _pick_article(self, conv_id: int) -> None:
        from inbox_tui.services.suggest import article_choices

        with self.store.read() as s:
            found = article_choices(s, conv_id, 8)
        if not found:
            self.call_from_thread(
                self.notify,
                "No help article matches this conversation; import a help centre with 'inbox-tui import articles PATH'.",
                severity="warning",
                markup=False,
            )
            return
        texts = {str(f.suggestion.id): f.insert_text for f in found}
        previews = {str(f.suggestion.id): f.preview for f in found}
        items = [
            PickItem(str(f.suggestion.id), f.suggestion.title, f.suggestion.reason) for f in found
        ]

        def chosen(value: str | None) -> None:
            if value:
                self._compose_reply(conv_id, "\n\n" + texts[value] + "\n", article_id=int(value))

        self.call_from_thread(
            self.push_screen,
            FuzzyPicker(
                "Suggested help articles (Enter inserts into a reply)", items, preview=previews
            ),
            chosen,
        )

    def action_edit_macro(self) -> None:
        self._pick_macro_to_edit()

    @work(thread=True, group="pickers")
    def _pick_macro_to_edit(self) -> None:
        from inbox_tui.services.macros import list_macros

        with self.store.read() as s:
            macros = list_macros(s)
        items = [PickItem(m.slug, m.name, m.body_kind) for m in macros]
        by_slug = {m.slug: m for m in macros}

        def chosen(slug: str | None) -> None:
            if not slug:
                return
            m = by_slug[slug]

            def saved(draft: Draft | None) -> None:
                if draft is not None:
                    self._run(
                        _save_macro,
                        m.slug,
                        m.name,
                        draft.text,
                        m.actions,
                        ok=f"Macro “{m.name}” saved.",
                    )

            self.push_screen(
                Composer(
                    f"Edit macro “{m.name}” (placeholders like {{{{contact.first_name}}}} are checked on save)",
                    m.body,
                    is_note=True,
                    save_label="Save macro",
                ),
                saved,
            )

        self.call_from_thread(self.push_screen, FuzzyPicker("Edit which macro?", items), chosen)

    def action_macro(self) -> None:
        ids = self.targets()
        if ids:
            self._pick_macro(ids)

    @work(thread=True, group="pickers")
    def _pick_macro(self, ids: list[int]) -> None:
        from inbox_tui.services.macros import macro_choices

        with self.store.read() as s:
            choices = macro_choices(s, self.me, ids[0])
        macros = [c.info for c in choices]
        previews = {c.info.slug: c.preview for c in choices}
        items = [
            PickItem(
                m.slug,
                (f"[{m.pinned}] " if m.pinned else "") + m.name,
                ", ".join(m.describe_actions()),
            )
            for m in macros
        ]

        def chosen(slug: str | None) -> None:
            if slug:
                self._apply_macro(ids, slug)

        self.call_from_thread(
            self.push_screen,
            FuzzyPicker(
                "Macro (type a pinned macro's number to apply it)",
                items,
                preview=previews,
                pins={str(m.pinned): m.slug for m in macros if m.pinned},
            ),
            chosen,
        )

    def _apply_macro(self, ids: list[int], slug: str) -> None:
        self._apply_macro_worker(ids, slug)

    @work(thread=True, group="actions")
    def _apply_macro_worker(self, ids: list[int], slug: str) -> None:
        from inbox_tui.services.macros import get_macro, preview

        with self.store.read() as s:
            info = get_macro(s, slug)
            p = preview(s, self.me, ids[0], slug) if info.body else None
        if info.body and info.body_kind == "reply" and len(ids) == 1:
            if p is not None and p.asks:
                self.call_from_thread(self._ask_then_compose, ids[0], slug, p.asks, {})
                return
            if p is not None and p.text is None:
                self.call_from_thread(
                    self.notify,
                    "This macro cannot be used here: it needs " + ", ".join(p.missing) + ".",
                    severity="error",
                    markup=False,
                )
                return
            self.call_from_thread(self._compose_reply, ids[0], p.text if p else "", slug)
            return
        self.call_from_thread(
            self._run,
            _apply_macro_all,
            self.me,
            ids,
            slug,
            self.config,
            ok=f"Applied “{info.name}” to {len(ids)} conversation(s).",
        )

    def _ask_then_compose(
        self, conv_id: int, slug: str, asks: list[str], answers: dict[str, str]
    ) -> None:
        if not asks:
            self._render_with_answers(conv_id, slug, answers)
            return

        def got(value: str | None) -> None:
            if value is None or not value.strip():
                self.notify(
                    f"The macro needs “{asks[0]}”; nothing was sent.",
                    severity="warning",
                    markup=False,
                )
                return
            self._ask_then_compose(conv_id, slug, asks[1:], {**answers, asks[0]: value})

        self.push_screen(Prompt(f"Macro needs: {asks[0]}"), got)

    @work(thread=True, group="actions")
    def _render_with_answers(self, conv_id: int, slug: str, answers: dict[str, str]) -> None:
        from inbox_tui.services.macros import preview

        with self.store.read() as s:
            p = preview(s, self.me, conv_id, slug, answers)
        if p.text is None:
            self.call_from_thread(
                self.notify,
                "This macro needs " + ", ".join(p.missing) + ".",
                severity="error",
                markup=False,
            )
            return
        self.call_from_thread(self._compose_reply, conv_id, p.text, slug)


# -- store operations run in workers (module level so they stay free of widget state) --


def _pane_data(session: Any, kind: str, cid: int, me: str, now: datetime) -> PaneData:
    from inbox_tui.tui import side_pane

    if kind == "tags":
        from inbox_tui.services.suggest import tag_choices

        return side_pane.tags_data(cid, tag_choices(session, cid))
    if kind == "macros":
        from inbox_tui.services.macros import macro_choices

        return side_pane.macros_data(cid, macro_choices(session, me, cid))
    if kind == "articles":
        from inbox_tui.services.suggest import article_choices

        return side_pane.articles_data(cid, article_choices(session, cid))
    from inbox_tui.services.contacts import contact_card

    return side_pane.contact_data(cid, contact_card(session, cid), now)


def _for_each(session: Any, fn: Callable[..., Any], ids: list[int], args: tuple[Any, ...]) -> int:
    return sum(1 for cid in ids if fn(session, cid, *args))


def _assign(session: Any, cid: int, actor: str, who: str | None) -> bool:
    from inbox_tui.services.triage import assign

    return assign(session, actor, cid, who)


def _tag(session: Any, cid: int, actor: str, name: str) -> bool:
    from inbox_tui.services.triage import tag

    return tag(session, actor, cid, name)


def _untag(session: Any, cid: int, actor: str, name: str) -> bool:
    from inbox_tui.services.triage import untag

    return untag(session, actor, cid, name)


def _status(session: Any, cid: int, actor: str, status: str) -> bool:
    from inbox_tui.models import Status
    from inbox_tui.services.triage import set_status

    return set_status(session, actor, cid, Status(status))


def _close(session: Any, cid: int, actor: str) -> bool:
    from inbox_tui.services.triage import close

    return close(session, actor, cid)


def _snooze(session: Any, cid: int, actor: str, until: datetime, now: datetime) -> bool:
    from inbox_tui.services.triage import snooze

    # "now" is the app's clock, so the snooze is judged against the time it was picked at.
    return snooze(session, actor, cid, until, at=now)


def _note(session: Any, actor: str, cid: int, text: str) -> int:
    from inbox_tui.services.triage import add_note

    return add_note(session, actor, cid, text)


def _save_search(session: Any, name: str, query: str) -> None:
    from sqlmodel import select

    from inbox_tui.models import SavedSearch

    row = session.exec(select(SavedSearch).where(SavedSearch.name == name)).first()
    if row is None:
        session.add(SavedSearch(name=name, query=query))
    else:
        row.query = query


def _save_macro(session: Any, slug: str, name: str, body: str, actions: dict[str, Any]) -> None:
    from inbox_tui.services.macros import save_macro

    save_macro(session, slug, name, body, actions)


def _apply_macro_all(session: Any, actor: str, ids: list[int], slug: str, config: Config) -> int:
    from inbox_tui.services.macros import apply_macro

    for cid in ids:
        apply_macro(session, actor, cid, slug, config=config)
    return len(ids)


def snooze_until(value: str, now: datetime) -> datetime:
    """'3h', '2d', '1w', '30m', 'tomorrow', or an ISO date/time (UTC). Raises ValueError
    with a plain sentence."""
    from inbox_tui.macros.files import parse_duration

    if value == "tomorrow":
        return (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    try:
        return now + parse_duration(value)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"“{value}” is not a snooze time; try 3h, 2d, 1w or 2026-12-01 09:00."
        ) from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    if when <= now:
        raise ValueError("That time is in the past; pick a later one.")
    return when


def run_app(ctx: Context) -> int:
    app = InboxApp(lambda: ctx.store, ctx.config, ctx.agent)
    app.run()
    return app.return_code or 0
