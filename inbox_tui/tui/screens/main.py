"""The main screen: the conversation list, the open thread, search, views and the side
pane. It owns their state and its key bindings; the triage flows (pickers, composer)
come from ``TriageFlows``. Data comes through the gateway as messages; nothing here
opens a session or decides a business rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from inbox_tui.sanitize import one_line
from inbox_tui.services.agent_clock import agent_zone
from inbox_tui.tui import actions
from inbox_tui.tui.gateway import Gateway, Loaded, StoreLike
from inbox_tui.tui.restyle import KeptLines, repaint_in_this_frame, set_state_class
from inbox_tui.tui.screens.flows import OpenChanged, StatusNews
from inbox_tui.tui.screens.insight import InsightFlows
from inbox_tui.tui.screens.pane_flows import PANE_SECONDS, PaneFlows
from inbox_tui.tui.screens.reading import ThreadOpening
from inbox_tui.tui.screens.stats_trips import StatsReturn, StatsTrips
from inbox_tui.tui.screens.views_panel import ViewsList, ViewsPanel
from inbox_tui.tui.typeahead import ANSWER_SECONDS, Asked, Awaited, InOrderInput, focus_now
from inbox_tui.tui.widgets.conversation_list import PAGE, ConversationList
from inbox_tui.tui.widgets.side_pane import SidePane
from inbox_tui.tui.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    from inbox_tui.config import Config
    from inbox_tui.services.conversations import ConversationFilter, ConversationRow
    from inbox_tui.services.views import SavedView

log = logging.getLogger(__name__)

# The narrowest screen on which a pane sits beside the list or thread (a 38-column pane
# leaves the thread 60 columns); below it the pane replaces them.
PANE_BESIDE_MIN_WIDTH = 100
SEARCH_PLACEHOLDER = 'search: words "phrase" is:open tag:bug -tag:spam assignee:me from:@acme.com after:2026-01-01 channel:chat'


class ListLoaded(Loaded):
    """value: the first page; flow: (filter, keep_id, what: ``MainScreen._what``)."""


class TotalCounted(Loaded):
    """value: the count; flow: the filter it is for."""


class ListRefreshed(Loaded):
    """value: (total, pages); flow: the filter."""


class Polled(Message):
    """The app's poll looked at the store (posted to this screen by the app's worker)."""

    def __init__(
        self, changed: bool, presence: dict[int, list[tuple[str, str]]], views: bool = False
    ) -> None:
        self.changed = changed
        self.presence = presence
        self.views = views  # the saved views changed (the CLI or another agent)
        super().__init__()


class ListShown(Message):
    """The first page of a result is on screen (benchmarks wait for it)."""


def page_of(
    session: Any, flt: ConversationFilter, page: int, after: ConversationRow | None, me: str
) -> list[ConversationRow]:
    from inbox_tui.services.conversations import list_conversations, row_cursor_at

    cursor = after.cursor if after is not None else None
    if cursor is None and page > 0:
        # A jump (G, PageDown far away): find the page's anchor by offset once.
        cursor = row_cursor_at(session, flt, page * PAGE - 1)
        if cursor is None:
            return []
    return list_conversations(session, flt, after=cursor, limit=PAGE, drafts_for=me)


def first_page_of(session: Any, flt: ConversationFilter, me: str) -> list[ConversationRow]:
    """A new result set's first page. QueryError for a search that names no agent:
    said as a search that cannot run, not 0 rows without a word (walk11)."""
    from inbox_tui.services.search import check_names

    check_names(session, flt, me)
    return page_of(session, flt, 0, None, me)


def count_of(session: Any, flt: ConversationFilter) -> int:
    from inbox_tui.services.conversations import count_conversations

    return count_conversations(session, flt)


def pages_of(
    session: Any, flt: ConversationFilter, wanted: list[int], me: str
) -> tuple[int, dict[int, list[ConversationRow]]]:
    pages: dict[int, list[ConversationRow]] = {}
    for page in wanted:
        previous = pages.get(page - 1)
        pages[page] = page_of(session, flt, page, previous[-1] if previous else None, me)
    return count_of(session, flt), pages


class SearchBox(InOrderInput):
    """The search field. Tab switches between searching the current view and searching
    everything (issue 17: search said nothing about what it searched)."""

    BINDINGS = [Binding("tab", "toggle_scope", "Search everything", show=False)]

    class ScopeToggled(Message):
        pass

    def action_toggle_scope(self) -> None:
        self.post_message(self.ScopeToggled())

    async def _on_key(self, event: events.Key) -> None:
        """Enter (or Down) moves the focus to the list at once, and keys typed right after it
        (already in this box's queue) go there too: they bubble to the app, which types
        them again to the list (tui/typeahead.py); they went into the query ('loginjj')."""
        focused = self.screen.focused is self  # now: has_focus changes only later
        # Down goes to the rows as Enter does (walk11: it did nothing, so the Enter after
        # it only moved the focus and a second one opened the conversation).
        if event.key in ("enter", "down") and focused:
            event.stop()
            event.prevent_default()
            # The search starts now, not when this box's Changed messages (queued behind
            # the keys typed with Enter) reach the screen: the keys after Enter wait for
            # its results (MainScreen.answer_pending), they moved over the rows before.
            search_now = getattr(self.screen, "search_now", None)
            if callable(search_now):
                search_now(self.value)
            if event.key == "enter":
                self.post_message(self.Submitted(self, self.value))
            focus_now(self.screen.query_one("#list"))
        elif not focused:
            event.prevent_default()  # not typed here: it travels on to the app


class MainScreen(ThreadOpening, StatsTrips, InsightFlows, ViewsPanel, PaneFlows):
    # Triage keys live on this screen, so they never fire on the Stats screen or in a dialog.
    BINDINGS = actions.bindings(on_app=False)
    # The list has the focus from the first frame: Textual gave it to the first focusable
    # widget, the views panel (hidden), and a key typed before the first page (? at
    # start) went into the panel's filter and was lost.
    AUTO_FOCUS = "#list"
    # With the views panel focused, the list's row is not what the agent is looking at:
    # only these screen actions run (a letter typed there closed or noted the
    # conversation behind the panel).
    PANEL_SAFE_ACTIONS = frozenset(
        {"go_back", "views", "search", "stats", "help", "command_palette", "quit", "refresh"}
    )

    def __init__(
        self, gateway: Gateway, config: Config, me: str, clock: Callable[[], datetime]
    ) -> None:
        super().__init__()
        self.gateway, self.config, self.me, self.clock = gateway, config, me, clock
        self.zone = agent_zone(config.agent.timezone)  # every time shown is on this clock
        self.view = "open"
        self.query_text = ""
        self.search_everywhere = False  # Tab in the search box: every conversation
        self.by_time_left = False  # O: the list sorted by time left (services/due_order)
        self.replying_to: int | None = None
        self.open_id: int | None = None
        self.saved_views: dict[str, SavedView] = {}
        self._list_request: ConversationFilter | None = None  # the filter last asked for
        # The first page, read while the screen was being built (prefetch_first_page).
        self._prefetched: tuple[ConversationFilter, list[ConversationRow]] | None = None
        self._pane_for: tuple[str, int | None] | None = None
        # The pane's data asked for: keys typed into the pane wait for the newest (walk6:
        # "j F2 Down Enter" at once tagged the row left, whose data the pane still had).
        self._pane_reads = Awaited(PANE_SECONDS)
        self.bursts = []  # the incident banner's, newest detection
        self._stats_return: StatsReturn | None = None
        # Where a search opened from elsewhere (c, a drill-down) returns on Esc: the
        # view, search, scope and row the agent was on.
        self._search_return: tuple[str, str, bool, int | None] | None = None
        self._thread_return: int | None = None  # the thread a pane's Enter left (Esc)
        self._opening: int | None = None  # opened from the list, its thread not here yet
        self._opening_reads = Awaited(ANSWER_SECONDS)
        self._keys_for: tuple[int, int, bool] | None = None  # what the footer shows
        self._top_count: tuple[int, bool] | None = None  # the header's count (exact or "+")
        self._early = False  # the list shows the first page read before the store opened
        self._shown_what: tuple[str, str, bool, bool] | None = None  # what the list shows
        # The list's rows asked for (each reload, each write, c's search): keys for the
        # list wait for the newest (``answer_pending``). The first set from the start:
        # j typed before the first page moved nothing (the list was empty) and was lost.
        self._list_reads = Awaited(ANSWER_SECONDS)
        self._first_page = self._list_reads.ask()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not isinstance(self.focused, ViewsList) or action in self.PANEL_SAFE_ACTIONS

    def compose(self) -> ComposeResult:
        yield Static(id="top")
        banner = Static(id="incident")
        banner.display = False  # shown only while a burst is going on
        yield banner
        with Horizontal():
            yield ViewsList(id="views")
            with Vertical(id="center"):
                yield SearchBox(placeholder=SEARCH_PLACEHOLDER, id="search")
                yield ConversationList(
                    lambda flt, page, after: self.gateway.call(page_of, flt, page, after, self.me),
                    lambda flt: self.gateway.call(count_of, flt),
                    clock=self.clock,
                    zone=self.zone,
                    id="list",
                )
            yield ThreadView(zone=self.zone, me=self.me, id="thread")
            yield SidePane(id="pane")
        yield Static(id="status")
        # A plain line of key hints: Textual's Footer builds a widget per key, which
        # costs about 0.1 s of start-up; every action is also in the palette and on ?.
        yield KeptLines(id="keys")

    def on_mount(self) -> None:
        self._show_keys()

    def store_ready(self) -> None:
        """The store is open (the app calls this): the first page, then (once it is
        painted: an import and two reads competed with that paint for the GIL) the
        saved views and the incident check. After an early first page the cursor
        stays on its row."""
        self._early = False
        self.reload()  # the same set as the early page: the cursor stays on its row
        self.call_after_refresh(self.call_after_refresh, self._after_first_page)

    def _after_first_page(self) -> None:
        self.load_views()
        self._check_incidents()
        self.warm_opening()

    def on_descendant_focus(self, _event: Any) -> None:
        # Opening or leaving a thread moves the focus: the footer follows (Back or Open).
        self._show_keys()

    def on_resize(self, event: Any) -> None:
        wide = event.size.width >= 140
        self.set_class(wide, "-wide")
        self.set_class(not wide, "-narrow")
        self.set_class(event.size.width < PANE_BESIDE_MIN_WIDTH, "-cramped")
        self._show_keys()
        if self._top_count is not None:  # the header's lines for the new width
            self._set_top(*self._top_count)
        if not self.has_class("-reading"):
            # The layout changed under the cursor: what the thread (a preview at 140
            # columns and wider) and the pane show must be the cursor's conversation,
            # not the one they showed before the resize.
            if wide:
                self._follow_cursor()
            elif self.open_id is not None:
                self.open_id = None  # nothing is open: presence stops saying "viewing"
                self.post_message(OpenChanged())
            self.refresh_pane(force=False)

    @property
    def side_pane(self) -> SidePane:
        return self.query_one(SidePane)

    def _show_keys(self) -> None:
        width = self.size.width - 2  # the footer's padding
        n = len(self.conv_list.selected)
        sel = Text(no_wrap=True, overflow="ellipsis")
        if n:
            sel.append(f" {n} selected ", style="bold black on yellow")
            sel.append(" Esc clears ")
        # The most important keys that fit (? always), whole: at 80 columns the line
        # used to end at "Close" and drop ? Help, the way to every other key.
        reading = self.has_class("-reading")
        if (width, n, reading) == self._keys_for:
            return  # the same line: a focus change need not lay out the footer again
        self._keys_for = (width, n, reading)
        hints = sel + actions.key_hints(self.config.keys, max(0, width - len(sel)), reading)
        keys = self.query_one("#keys", Static)
        keys.update(hints, layout=False)  # height 1 (css)
        repaint_in_this_frame(keys)  # in the paint of what changed them (the thread opened)

    def _set_top(self, total: int, exact: bool = True) -> None:
        from inbox_tui.services.listing import list_title, other_scope, view_label
        from inbox_tui.tui.widgets.top_line import fit_header

        self._top_count = (total, exact)
        shown = list_title(self.view, self.query_text, self.search_everywhere)
        if self.by_time_left:  # "Needs reply, oldest first · by time left" said both
            shown = shown.replace(", oldest first", "")
        parts = [Text(f"{one_line(shown, 100)} ({total:,}{'' if exact else '+'})")]
        if self.by_time_left:
            parts.append(Text("by time left", style="bold"))
        sel = len(self.conv_list.selected)
        if sel:  # before the Tab hint: at 80 columns a long query cut it off the line
            parts.append(Text(f"{sel} selected", style="bold yellow"))
        other = other_scope(self.view, self.search_everywhere)
        if self.query_text.strip() and other is not None:
            parts.append(Text(f"Tab: {one_line(view_label(other), 30)}", style="italic"))
        parts.append(Text(one_line(self.me, 30), style="dim"))
        width = self.size.width - 2 if self.size.width else 1000  # laid out again on resize
        top = fit_header(Text("inbox-tui ", style="bold"), parts, width)
        self.query_one("#top", Static).update(top)

    # -- loading ---------------------------------------------------------------------

    def current_filter(self) -> ConversationFilter:
        from inbox_tui.services.views import resolve_filter

        view = "all" if self.search_everywhere and self.query_text.strip() else self.view
        flt = resolve_filter(view, self.query_text, self.me, self.saved_views, self.zone)
        if self.by_time_left:
            from inbox_tui.services.conversations import by_time_left

            return by_time_left(flt)
        return flt

    def action_sort_time_left(self) -> None:
        """O: the list by time left, most overdue first, or back to the view's order,
        from its top (the most overdue). It needs response targets."""
        if not self.config.sla:
            self.notify(
                "Sorting by time left needs response targets: set [sla] first_response "
                "(and next_response) in the config.",
                markup=False,
            )
            return
        self.by_time_left = not self.by_time_left
        self._shown_what = None  # another order: the list starts at its top, not a refresh
        self.reload()

    def _what(self) -> tuple[str, str, bool, bool]:
        """Which result set the list is asked for: the view, the search, its scope and
        its order. A reload of the set shown is a refresh (the cursor stays on its
        conversation); another set, or the same in another order (O: the most overdue
        first is what it is asked for), starts at its top."""
        everywhere = self.search_everywhere and bool(self.query_text.strip())
        return self.view, self.query_text, everywhere, self.by_time_left

    @property
    def answer_pending(self) -> bool:
        """Keys wait (tui/typeahead.py holds them) for what they are typed for: the
        list's rows (after a search, a view, a write), a thread opened from the list, a
        pane's choice, the pane's data (keys typed into it). Not keys for a text box."""
        if isinstance(self.focused, Input):
            return False
        if self._list_reads.due or self._opening_reads.due or self.side_pane.choosing.due:
            return True
        return self._pane_has_focus() and self._pane_reads.due

    def list_renamed(self, old: str, new: str) -> None:
        """The view shown was renamed: the same set under its new name."""
        if self._shown_what is not None and self._shown_what[0] == old:
            self._shown_what = (new, *self._shown_what[1:])

    def reload(self, keep_id: int | None = None) -> None:
        """Ask for the list's rows again: a refresh of the set shown, or another set
        (a new view or search; ``keep_id``: the row to start on, else the top)."""
        what = self._what()
        try:
            flt = self.current_filter()
        except ValueError as exc:
            self.show_unrunnable(str(exc))
            return
        self.runnable_again()
        request = self._list_reads.ask()
        prefetched, self._prefetched = self._prefetched, None  # good for one reload only
        if prefetched is not None and prefetched[0] == flt:
            self._list_request = prefetched[0]
            self.on_list_loaded(ListLoaded(prefetched[1], (prefetched[0], keep_id, what)))
            request.answer()
            return
        self._list_request = flt
        if what == self._shown_what and self.conv_list.filter is not None:
            self._refresh_list(flt, request)  # the same set: its pages, the cursor kept
            return
        self._check_selection(flt)
        # Search reloads per keystroke and a count reads every match, while the first
        # page stops early: the page is shown first, a short page needs no count.
        self.gateway.read(
            self, first_page_of, flt, self.me, reply=ListLoaded, flow=(flt, keep_id, what), group="list",
            exclusive=True, request=request,
        )  # fmt: skip

    def show_early_page(self, rows: list[ConversationRow]) -> None:
        """The Open view's first page read before the store opened (the app's
        ``_first_page_early``): shown until the store is open, then read again the
        ordinary way; the list pages no further until then."""
        if self.view != "open" or self.query_text or self._list_request is not None:
            return  # the agent went elsewhere meanwhile
        self._early = True
        self._shown_what = self._what()
        self._first_page.answer()
        self.conv_list.show_rows(None, len(rows), {0: rows}, fresh=True)
        self._set_top(len(rows), exact=len(rows) < PAGE)
        self.post_message(ListShown())

    def prefetch_first_page(self, store: StoreLike) -> None:
        """Read the first page of the list as soon as the store is open, in the worker
        that opened it, while the screen is still being built; the first reload shows
        it instead of asking again. A failure is left to that reload to report."""
        try:
            flt = self.current_filter()
            with store.read() as session:
                rows = page_of(session, flt, 0, None, self.me)
        except Exception:
            log.info("first page not prefetched", exc_info=True)
            return
        self._prefetched = (flt, rows)

    def on_list_loaded(self, message: ListLoaded) -> None:
        flt, keep_id, what = message.flow
        rows = message.value
        exact = len(rows) < PAGE
        self._show_list(flt, what, rows, keep_id, exact)
        if not exact and flt is self._list_request:
            self.gateway.read(
                self, count_of, flt, reply=TotalCounted, flow=flt, group="count", exclusive=True
            )

    def on_total_counted(self, message: TotalCounted) -> None:
        self._show_total(message.flow, message.value)

    def _show_total(self, flt: ConversationFilter, total: int) -> None:
        if flt is not self._list_request or flt is not self.conv_list.filter:
            return  # the agent searched for something else meanwhile (see _show_list)
        self.conv_list.set_total(total)
        self._set_top(total)

    def _show_list(
        self,
        flt: ConversationFilter,
        what: tuple[str, str, bool, bool],
        rows: list[ConversationRow],
        keep_id: int | None,
        exact: bool = True,
    ) -> None:
        if flt is not self._list_request:
            # A thread worker cannot be stopped mid-query: "exclusive" only marks the
            # old one cancelled, and it still finishes. Its answer is for text the agent
            # has typed past; showing it would flash old results over newer ones.
            return
        fresh = what != self._shown_what
        self._shown_what = what
        self.conv_list.show_rows(flt, len(rows), {0: rows}, fresh=fresh, keep_id=keep_id)
        self._set_top(len(rows), exact)
        self._rows_changed()
        self.post_message(ListShown())

    def store_changed(self) -> None:
        """Someone (another agent, a sync, the poll waking a snooze) changed the store: fresh
        data in place, cursor and thread kept (a reload on its way is not cancelled)."""
        lst = self.conv_list
        if lst.filter is not None and lst.filter is self._list_request:
            self._refresh_list(lst.filter)
        if self.open_id is not None:
            self._load_thread(self.open_id)
        self.refresh_pane()
        self._check_incidents()

    def _refresh_list(self, flt: ConversationFilter, request: Asked | None = None) -> None:
        """Read the set shown again: the cursor's page, the first (where a conversation
        acted on may have moved) and the loaded pages nearest the cursor, five at most;
        ``ConversationList.show_rows`` keeps the cursor on its conversation. (Only the
        first page was read after an action: a cursor further down stayed at its index,
        on whatever conversation had moved there.)"""
        lst = self.conv_list
        here = lst.cursor // PAGE
        near = sorted(set(lst.loaded_pages()) - {here, 0}, key=lambda p: abs(p - here))
        wanted = sorted({here, 0, *near[:3]})
        self.gateway.read(
            self, pages_of, flt, wanted, self.me, reply=ListRefreshed, flow=flt, group="list",
            exclusive=True, request=request,
        )  # fmt: skip

    def on_list_refreshed(self, message: ListRefreshed) -> None:
        total, pages = message.value
        self._apply_refresh(message.flow, total, pages)

    def _apply_refresh(
        self, flt: ConversationFilter, total: int, pages: dict[int, list[ConversationRow]]
    ) -> None:
        if flt is not self._list_request:
            return  # the agent searched for something else meanwhile (see _show_list)
        self.conv_list.show_rows(flt, total, pages, fresh=False)
        self._set_top(total)
        self._rows_changed()

    def on_polled(self, message: Polled) -> None:
        if not self.query("#list"):
            return  # the app is closing: the widgets are gone already
        self.conv_list.presence = message.presence
        self.conv_list.refresh()
        self.thread_view.set_viewers(message.presence)  # the open thread's "◉ … is viewing"
        if message.changed:
            self.store_changed()
        if message.views:  # a view renamed or deleted elsewhere: the panel and title follow
            self.load_views()

    def on_status_news(self, message: StatusNews) -> None:
        if self.query("#status"):
            self.set_status(message.text, message.seconds)

    # -- the list and the thread -----------------------------------------------------

    @on(ConversationList.Highlighted)
    def _highlighted(self, event: ConversationList.Highlighted) -> None:
        self._follow_cursor()
        self.refresh_pane(force=False)

    def _follow_cursor(self) -> None:
        """At 140 columns and wider the thread beside the list previews the cursor's
        conversation: open it there (the pane follows through ``pane_target``)."""
        if self.has_class("-reading") and not self.conv_list.has_focus:
            return  # a thread being read never changes under the agent (a refresh moved
            # the cursor: the conversation left the view)
        row = self.conv_list.current_row()
        if row is not None and self.has_class("-wide") and row.id != self.open_id:
            self.open_id = row.id
            self._load_thread(row.id)
        elif row is None and self.open_id is not None and not self.has_class("-reading"):
            # No rows (an empty view or search): the preview showed the list before's.
            self.open_id = None
            self.thread_view.show(None)
            self.post_message(OpenChanged())  # presence: not viewing it any more

    def _rows_changed(self) -> None:
        """The list's rows were replaced or refreshed: the preview and the pane follow
        its cursor, and with no rows show no conversation."""
        self._follow_cursor()
        self.refresh_pane(force=False)

    @on(ConversationList.Opened)
    def _opened(self, event: ConversationList.Opened) -> None:
        self.action_open()

    @on(ConversationList.SelectionChanged)
    def _selection_changed(self) -> None:
        self._set_top(self.conv_list.total)
        self._show_keys()

    def action_go_back(self) -> None:
        if self._opening is not None:  # Esc before the opened thread arrived: stay
            self._cancel_opening()
            return
        if self.pane_shown() and (self._pane_has_focus() or self.has_class("-cramped")):
            # Esc leaves the pane: back to the thread or list beside it, or, where the
            # pane covers them, closes it.
            if self.has_class("-cramped"):
                self._hide_pane()
            else:
                self._focus_main()
            return
        if self._back_to_stats():
            return
        search = self.query_one("#search", Input)
        # A thread opened from search results goes back to the results first.
        if search.has_focus or (search.has_class("shown") and not self.has_class("-reading")):
            view, query, everywhere, row = self._search_return or (self.view, "", False, None)
            self._search_return = None
            search.set_class(bool(query), "shown")
            if (view, query, everywhere) != (self.view, self.query_text, self.search_everywhere):
                self.view, self.query_text, self.search_everywhere = view, query, everywhere
                search.value = query
                self.reload(keep_id=row)
            focus_now(self.conv_list)
            return
        if self.query_one("#views").has_class("shown"):
            self.query_one("#views").remove_class("shown")
            focus_now(self.conv_list)
            return
        if not self.has_class("-reading") and self.conv_list.selected:
            self.conv_list.clear_selection()
            return
        if not self.has_class("-reading"):
            if self.pane_shown():  # the pane beside the list: Esc closes it
                self._hide_pane()
            focus_now(self.conv_list)  # from the preview beside the list, say
            return
        if self._thread_return is not None:
            back, self._thread_return = self._thread_return, None
            self.open_conversation(back)
            return
        self.leave_thread()

    def presence_now(self) -> tuple[int | None, str]:
        """What other agents see of this one: replying while a reply composer is open
        (from the thread or the list alike), else viewing the open conversation."""
        if self.replying_to is not None:
            return self.replying_to, "replying"
        return self.open_id, "viewing"

    def action_select(self) -> None:
        self.conv_list.toggle_selected()
        self.conv_list.action_cursor_down()

    def action_refresh(self) -> None:
        self.reload()
        if self.open_id:
            self._load_thread(self.open_id)

    # -- search and views ------------------------------------------------------------

    def search_for(self, query: str, view: str) -> None:
        """Show a search (the customer's history, an agent's list) in place of the list;
        Esc comes back to the view, search and row the agent was on."""
        self._remember_place()
        self.view = view
        self.query_text = query
        self.search_everywhere = False
        self._uncover_list()
        search = self.query_one("#search", Input)
        search.value = query
        search.add_class("shown")
        set_state_class(self, False, "-reading")
        focus_now(self.conv_list)
        self.reload()

    def _remember_place(self) -> None:
        """Where Esc from the search about to start returns (view, search, row)."""
        if self._search_return is None:
            row = self.conv_list.current_row()
            here = (self.view, self.query_text, self.search_everywhere, row.id if row else None)
            self._search_return = here

    def show_view(self, view: str) -> None:
        """Show a view in the list (a burst's conversations, an incident's tag)."""
        self.view, self.query_text, self.search_everywhere = view, "", False
        self._search_return = None
        self._uncover_list()
        self.close_search_box()
        set_state_class(self, False, "-reading")
        self.conv_list.clear_selection()
        focus_now(self.conv_list)
        self.reload()

    def action_views(self) -> None:
        self._uncover_list()
        views = self.query_one("#views", ViewsList)
        views.typed = ""  # a filter typed last time is gone (the views come with the load)
        views.add_class("shown")
        focus_now(views)
        self.load_views()

    def action_search(self) -> None:
        self._uncover_list()
        search = self.query_one("#search", Input)
        if not search.has_class("shown"):
            self._remember_place()  # Esc comes back to this row (it went to the first)
        search.add_class("shown")
        focus_now(search)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        # The box's text now, not the message's: an Enter typed in the same burst has
        # searched for the whole text already (``search_now``), and the messages of the
        # letters before it arrive after it.
        self.search_now(event.input.value)

    def search_now(self, text: str) -> None:
        """Search for ``text`` (typed in the search box) unless it is shown already (or
        set by the screen itself: a view restored, which reloads as it needs)."""
        if text != self.query_text:
            self.query_text = text
            self.reload()

    def catch_up(self) -> None:
        """A key not text in the search box (ctrl+s) acts on all the text before it."""
        if isinstance(self.focused, SearchBox):
            self.search_now(self.focused.value)

    @on(SearchBox.ScopeToggled)
    def _scope_toggled(self) -> None:
        self.search_everywhere = not self.search_everywhere
        self.reload()
        self._set_top(self.conv_list.total)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        focus_now(self.conv_list)
