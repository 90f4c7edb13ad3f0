"""Opening a conversation in the thread view, and leaving it: the main screen's base
for reading (MainScreen provides the rest). Enter on the list switches the screen to
the thread when its messages have arrived, not before: one layout and paint instead of
two (the previous thread, then this one), and the read in its worker does not compete
with that paint for the interpreter (a 900-message thread's read took 12 ms alone and
60-330 ms while the screen repainted). Esc before then stays in the list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import on

from inbox_tui.tui.gateway import Loaded
from inbox_tui.tui.restyle import focus_in_this_frame, set_state_class, warm_state_class
from inbox_tui.tui.screens.flows import FlowsBase, OpenChanged
from inbox_tui.tui.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    from inbox_tui.tui.screens.stats_trips import StatsReturn
    from inbox_tui.tui.typeahead import Asked, Awaited
    from inbox_tui.tui.widgets.conversation_list import ConversationList


def thread_of(
    session: Any,
    conv_id: int,
    window: int,
    me: str,
    now: datetime | None = None,
    bug_pattern: str | None = None,
) -> tuple[Any, Any]:
    from inbox_tui.services.conversations import open_thread

    return open_thread(session, conv_id, window, me, now, bug_pattern)


class ThreadLoaded(Loaded):
    """value: (thread, viewers); flow: (conversation id, window asked for)."""


class ThreadOpening(FlowsBase):
    """Opening and leaving a conversation (MainScreen provides the rest)."""

    conv_list: ConversationList
    thread_view: ThreadView
    _stats_return: StatsReturn | None
    _thread_return: int | None
    _opening: int | None  # opened from the list, its thread not here yet
    _opening_reads: Awaited  # ... and keys wait for it (MainScreen.answer_pending)
    _hide_pane: Callable[[], None]
    _follow_cursor: Callable[[], None]
    _show_keys: Callable[[], None]
    mentions_shown: Callable[[], None]

    def warm_opening(self) -> None:
        """Once the first page is painted (the app is idle): what the first thread
        opened would otherwise work out inside its frame, once per app (~2 ms of CPU of
        that open): which rules name the reading class and which select by focus
        (restyle's caches), and the thread's scrollbar (created hidden, as Textual
        does when it is first needed)."""
        warm_state_class(self, "-reading")
        self.thread_view.vertical_scrollbar  # noqa: B018 (created on first access)

    def _load_thread(self, conv_id: int, request: Asked | None = None) -> None:
        window = self.thread_view.window_for(conv_id)
        self.gateway.read(
            self, thread_of, conv_id, window, self.me, self.clock(), self.config.bug_pattern,
            reply=ThreadLoaded,
            flow=(conv_id, window), group="thread", exclusive=True, request=request,
        )  # fmt: skip

    def on_thread_loaded(self, message: ThreadLoaded) -> None:
        thread, viewers = message.value
        conv_id, window = message.flow
        if conv_id != self.open_id:
            return  # a slower answer for a conversation the agent has moved away from
        self.thread_view.show(thread, viewers, window)
        if self._opening == conv_id:  # Enter on the list: the thread is here, show it
            self._opening = None
            self._enter_reading()
        self.mentions_shown()  # opened (or refreshed while open), it reads them

    @on(ThreadView.OlderWanted)
    def _older(self) -> None:
        if self.open_id is not None:
            self._load_thread(self.open_id)

    def action_open(self) -> None:
        row = self.conv_list.current_row()
        if row is None:
            return
        if self._stats_return is not None and self._stats_return.conversation is not None:
            self._stats_return = None  # the agent went on from the list
        self.open_conversation(row.id, when_read=True)

    def open_conversation(
        self, conv_id: int, from_pane: bool = False, when_read: bool = False
    ) -> None:
        """Open a conversation by id in the thread view (it need not be in the list: the
        customer's history, a stats drill-down). ``when_read`` (Enter on the list): the
        screen switches to the thread when its messages arrive, not before: one layout
        and paint instead of two (the old thread, then the new one), and the read does
        not compete with that paint for the interpreter. Esc before then cancels it."""
        was = self.open_id if self.has_class("-reading") else None
        # Esc from a conversation the covering pane opened goes back to the one before.
        self._thread_return = was if from_pane and was != conv_id else None
        self.open_id = conv_id
        self._opening = None
        # The list follows what the agent opened: back from the thread, the cursor is on
        # it (B opened the reply taken back while the cursor sat on another row).
        self.conv_list.keep_on(conv_id)
        shown = self.thread_view.thread
        previewed = self.has_class("-wide") and shown and shown.conversation.id == conv_id
        request = None
        if when_read and not previewed:
            self._opening = conv_id
            # Keys typed behind Enter are for the thread: they wait for it (Enter j r at
            # once moved the list's cursor and replied to the conversation below).
            request = self._opening_reads.ask()
        else:
            self._enter_reading(from_pane)
        self._load_thread(conv_id, request)  # its mentions are read when it is shown
        self.post_message(OpenChanged(settled=True))

    def _enter_reading(self, from_pane: bool = False) -> None:
        set_state_class(self, True, "-reading")
        if from_pane and self.has_class("-cramped"):
            self._hide_pane()  # the pane covered the thread
        elif from_pane:
            self.refresh_pane(force=False)  # the same customer; marks the one now open
            return  # the agent stays in the pane, walking the history
        focus_in_this_frame(self.thread_view)
        # The footer now, in this frame: after the focus event it cost another paint.
        self._show_keys()
        self.refresh_pane(force=False)

    def opening_failed(self, flow: object) -> None:
        """A thread read failed: an open waiting for it stays in the list (the error is
        said by the caller)."""
        if isinstance(flow, tuple) and flow and flow[0] == self._opening:
            self._cancel_opening()

    def _cancel_opening(self) -> None:
        self._opening = None
        if not self.has_class("-wide"):
            self.open_id = None
            self.post_message(OpenChanged(settled=True))  # presence: not viewing it after all

    def leave_thread(self) -> None:
        """Back from the thread to the list (beside it on a wide screen, it stays)."""
        self._opening = None
        set_state_class(self, False, "-reading")
        # Leaving the thread leaves the pane that was open beside it: at 140 columns the
        # thread stays as a preview, and with the pane still there Esc seemed to do nothing.
        self._hide_pane()
        if not self.has_class("-wide") and self.open_id is not None:
            self.open_id = None
            # Presence said "viewing" it until the next heartbeat (15 s); said once the
            # agent stays in the list (an open and an Esc at once write nothing).
            self.post_message(OpenChanged(settled=True))
        focus_in_this_frame(self.conv_list)
        self._show_keys()  # in this frame, as on the way in
        self._follow_cursor()
