"""What the main screen's flows share: the conversations an action is for (``Flow``,
fixed when it starts and named before it touches more than one), the flow records that
come back with the gateway's answers, and ``FlowsBase``, the state and the helpers every
flow uses. The flows themselves are in ``replying`` (notes, replies, drafts, undo) and
``triage`` (tags, assignment, status, snooze, macros, articles)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from inbox_tui.sanitize import one_line
from inbox_tui.services import wording
from inbox_tui.tui.gateway import Answered, Loaded
from inbox_tui.tui.widgets.conversation_list import ConversationList
from inbox_tui.tui.widgets.dialogs import Confirm
from inbox_tui.tui.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    from inbox_tui.config import Config
    from inbox_tui.tui.gateway import Gateway
    from inbox_tui.tui.typeahead import Awaited


@dataclass
class Flow:
    """The conversations one action applies to, fixed when it starts."""

    ids: list[int]
    subjects: list[str] = field(default_factory=list)
    bulk: bool = False  # from the selection: the selection ends when the action is done
    after: Callable[[], None] | None = None  # UI step once the write committed
    seen: dict[int, str] = field(default_factory=dict)  # a selection's statuses when picked


@dataclass
class SendFlow:
    """A reply on its way: enough to reopen the composer with the text if it fails."""

    conv_id: int
    text: str
    then: str | None
    seen: int | None
    macro: str | None = None
    article_id: int | None = None
    reply_all: bool = False
    review: Any = None  # services.review.Review: recipients, signature, files as reviewed
    category: str | None = None  # the send closes: the category chosen for it


@dataclass
class TakeBackFlow:
    """Undo send: the agent's newest waiting reply is being taken back (the result,
    ``undo_send.TakenBack``, says which conversation)."""


@dataclass
class NoteFlow:
    """A note being saved; if saving fails, n on the conversation brings the text back."""

    conv_id: int
    text: str
    review: Any = None  # services.review.Review: the files attached in the review step


@dataclass
class UndoFlow:
    """An undo on its way; the answer is the sentence saying what was put back."""


# How long news that only matters now ("2 replies sent") stays in the status line.
NEWS_SECONDS = 20.0


class StatusNews(Message):
    """A line for the status bar from a background loop or worker. It goes after
    ``seconds`` (news: "12 of 12 follow-ups queued…" stayed for the rest of the
    session); ``seconds=None`` for a state that stays true until said otherwise (the
    last sync, a dead store, suggestions by words only)."""

    def __init__(self, text: str, seconds: float | None = NEWS_SECONDS) -> None:
        self.text = text
        self.seconds = seconds
        super().__init__()


class ReplyStarted(Loaded):
    """value: services.compose.ReplyStart; flow: (the composer to fill, a callback taking
    the ReplyStart or None)."""


class OpenChanged(Message):
    """What the agent has open changed (a conversation, a composer): presence says so at
    once (the app's heartbeat sends ``MainScreen.presence_now``). ``settled``: a thread
    opened or left, said once the agent has stayed ``PRESENCE_SETTLE`` seconds (the app):
    the write no longer shares the open's frame, and a thread left at once (Enter, Esc)
    writes nothing."""

    def __init__(self, settled: bool = False) -> None:
        self.settled = settled
        super().__init__()


class BulkChecked(Loaded):
    """value: services.triage.BulkTargets; flow: (Flow, question, then)."""


class SelectionChecked(Loaded):
    """value: the selected ids the new list does not show; flow: the filter."""


class ReplySent(Message):
    """A reply was queued: the app flushes the outbox once its undo delay is over
    (``delay`` seconds) rather than at its timer."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        super().__init__()


class FlowsBase(Screen[None]):
    """The main screen's state the flows read (MainScreen provides it) and the helpers
    they share: whom an action is for, confirming, acting."""

    gateway: Gateway
    config: Config
    me: str
    clock: Callable[[], datetime]
    zone: str  # the agent's time zone (services/agent_clock): every time shown is in it
    open_id: int | None
    query_text: str
    search_everywhere: bool
    view: str
    _load_thread: Callable[[int], None]
    reload: Callable[..., None]
    refresh_pane: Callable[..., None]
    pane_failed: Callable[[Any, str], None]
    search_for: Callable[[str, str], None]
    search_now: Callable[[str], None]
    saved_views: dict[str, Any]
    replying_to: int | None  # a reply composer is open on it: presence says "replying"
    leave_thread: Callable[[], None]
    open_conversation: Callable[..., None]
    opening_failed: Callable[[object], None]
    load_views: Callable[[], None]
    action_open: Callable[[], None]
    complete_mentions: Callable[[Any], None]  # the note editor's @name completion
    _list_request: Any  # the filter the list last asked for
    _list_reads: Awaited  # the list's rows asked for: keys wait for the newest
    _set_top: Callable[..., None]
    _status_said = ""
    _status_count = 0  # how many lines were said: news fades only if it is still the last
    _status_news = False  # the line is news (it fades), not a state that stays true
    _unrunnable: str | None = None  # the sentence of a search that could not run
    rules: tuple[Any, ...] = ()  # the config's [rules] (set by the app): tagging fires them

    def _check_selection(self, flt: Any) -> None:
        """A selection is only ever what the list shows: after a search or view change
        the service says which selected rows are out of sight, and the selection ends."""
        from inbox_tui.services.conversations import not_in_view

        selected = sorted(self.conv_list.selected)
        if selected:
            self.gateway.read(
                self, not_in_view, flt, selected, reply=SelectionChecked, flow=flt,
                group="selection", exclusive=True,
            )  # fmt: skip

    def store_write(
        self, fn: Callable[..., Any], *args: Any, ok: Any = None, flow: Any = None
    ) -> None:
        """Every change this screen makes to the store. Its answer reads the list's rows
        again (``on_store_written`` reloads), so keys for the list wait for them: walk6,
        ``e t`` typed at once tagged the conversation just closed, still on the row
        under the cursor until the refresh."""
        request = self._list_reads.ask()
        self.gateway.write(self, fn, *args, ok=ok, flow=flow, request=request)

    def on_answered(self, message: Answered) -> None:
        """A request's answer has been handled (its rows shown, its failure said): keys
        that waited for it go on, unless a newer request is on its way."""
        message.stop()
        message.request.answer()

    def set_status(self, text: str, seconds: float | None = None) -> None:
        """The status line. News that only matters now ("2 replies sent") goes after
        ``seconds`` unless something else was said since: it stayed for minutes."""
        self._status_said = text
        self._status_count += 1
        self._status_news = seconds is not None
        said = self._status_count
        status = self.query_one("#status", Static)
        status.update(Text(one_line(text, 300)))
        if seconds is not None:

            def fade() -> None:
                if self._status_count == said:  # nothing said since (the same words again)
                    self._status_said = ""
                    self._status_news = False
                    status.update("")

            self.set_timer(seconds, fade)

    def news_overtaken(self, sentence: str) -> None:
        """What the status line's news counted has changed since (B took back a
        follow-up: "13 of 13 follow-ups queued" stayed, no longer true; walk11): the
        line says ``sentence`` instead. A state that stays true (the last sync) stays."""
        if self._status_news:
            self.set_status(sentence, NEWS_SECONDS)

    def show_unrunnable(self, sentence: str) -> None:
        """A search that cannot run shows nothing and says why: it once left the rows of
        the text typed before it ("sla:" matched Slack chats) under a stale title. The
        selection, now out of sight, ends as it does for any list that hides it."""
        self._list_request = None  # answers still on their way are for older text
        if self.conv_list.selected:
            self._end_selection(sorted(self.conv_list.selected))
        self.conv_list.show_nothing()
        self._set_top(0)
        self.set_status(sentence)
        self._unrunnable = sentence

    def unrunnable_read(self, flow: object, error: BaseException, text: str) -> bool:
        """The list's read found the search cannot run (it names no agent:
        ``services.search.check_names``): said as any search that cannot run. True
        when it was that."""
        from inbox_tui.services.search import QueryError

        wanted = self._list_request
        ours = isinstance(flow, tuple) and bool(flow) and flow[0] is wanted
        if wanted is None or not ours or not isinstance(error, QueryError):
            return False
        self.show_unrunnable(text)
        return True

    def runnable_again(self) -> None:
        """The query runs now: the sentence about the one before it goes (typing
        ``sla:breached`` passed through ``sla:breache``, whose sentence stayed under the
        right results), unless something else was said since."""
        said, self._unrunnable = self._unrunnable, None
        if said is not None and self._status_said == said:
            self.set_status("")

    def on_selection_checked(self, message: SelectionChecked) -> None:
        hidden = [i for i in message.value if i in self.conv_list.selected]
        if not hidden or message.flow is not self._list_request:
            return
        self._end_selection(hidden)

    def _end_selection(self, hidden: list[int]) -> None:
        """The selection ends, saying which of it (``hidden``) the list no longer shows."""
        n = len(self.conv_list.selected)
        names = ", ".join(f"#{i}" for i in hidden[:5]) + (" …" if len(hidden) > 5 else "")
        self.conv_list.clear_selection()
        self.notify(
            f"Selection cleared ({n}): {names} not in this list, so no action will touch it.",
            severity="warning", markup=False,
        )  # fmt: skip

    @property
    def conv_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @property
    def thread_view(self) -> ThreadView:
        return self.query_one(ThreadView)

    def conversation_label(self, cid: int) -> str:
        """How a dialog names the conversation it acts on: number and subject (cleaned)."""
        from inbox_tui.sanitize import one_line

        thread = self.thread_view.thread
        row = self.conv_list.current_row()
        if thread is not None and thread.conversation.id == cid:
            subject = thread.conversation.subject
        elif row is not None and row.id == cid:
            subject = row.subject
        else:
            return f"#{cid}"
        return f"#{cid} “{one_line(subject, 50)}”"

    # -- whom an action is for ---------------------------------------------------------

    def begin(self, single: bool = False) -> Flow | None:
        """The open conversation while a thread is read; else the selection; else the
        highlighted row. ``single`` actions (reply, note) never take a selection."""
        lst = self.conv_list
        if self.has_class("-reading") and self.open_id is not None:
            thread = self.thread_view.thread
            # A thread a pane just opened may not be here yet: the one shown is the one
            # before (walk9: "Tagged “Calendar sync…”" for a tag that went on #93).
            shown = thread is not None and thread.conversation.id == self.open_id
            subject = thread.conversation.subject if thread and shown else f"#{self.open_id}"
            return Flow([self.open_id], [subject])
        if lst.selected and not single:
            ids = sorted(lst.selected)
            subjects = [lst.selected_subjects.get(i, f"#{i}") for i in ids]
            seen = {i: s for i in ids if (s := lst.selected_status.get(i))}
            return Flow(ids, subjects, bulk=True, seen=seen)
        row = lst.current_row()
        if row is None:
            self.notify("No conversation is highlighted.", severity="warning")
            return None
        return Flow([row.id], [row.subject])

    def ask_category(
        self,
        ids: list[int],
        then: Callable[[str | None], None],
        *,
        then_status: str | None = "closed",
        macro: str | None = None,
        on_cancel: Callable[[], None] | None = None,
        on_skip: Callable[[], None] | None = None,
    ) -> None:
        """Before an action that may close ``ids`` (``then_status``, or ``macro``'s
        actions): ``then(category)``, once asked for those that need one
        (``InsightFlows`` asks; here nothing is asked)."""
        then(None)

    def confirmed(
        self, flow: Flow, what: str, then: Callable[[], None], replies: bool = False
    ) -> None:
        """Run ``then`` at once for one conversation; for a selection, once it has been
        checked again (a conversation closed since it was selected is left out, and the
        dialog says so) and the agent saw how many and which and said yes. ``replies``:
        the action sends each a reply (those answered already are marked)."""
        if not flow.bulk and len(flow.ids) == 1:
            then()
            return
        from inbox_tui.services.triage import bulk_targets

        self.gateway.read(
            self, bulk_targets, list(flow.ids), dict(flow.seen), self.me, replies,
            reply=BulkChecked, flow=(flow, what, then), group="actions",
        )  # fmt: skip

    def on_bulk_checked(self, message: BulkChecked) -> None:
        flow, what, then = message.flow
        targets = message.value
        subjects = dict(zip(flow.ids, flow.subjects, strict=False))
        flow.ids = targets.kept
        flow.subjects = [subjects.get(i, f"#{i}") for i in targets.kept]
        shown = targets.listed(flow.subjects)  # each with its marks (draft, answered)
        if not flow.ids:
            self.notify("Nothing was changed: " + " ".join(targets.dropped), markup=False)
            self.conv_list.clear_selection()
            return
        row = self.conv_list.current_row()
        if len(flow.ids) == 1 and not targets.dropped and row is not None and row.id in flow.ids:
            then()  # one selected and highlighted: the agent sees it; else it is named
            return
        n = len(flow.ids)

        def answered(yes: bool | None) -> None:
            if yes:
                then()
            else:
                self.notify("Nothing was changed.", markup=False)

        left_out = (
            [f"Left out ({len(targets.dropped)}):", *targets.dropped] if targets.dropped else []
        )
        self.app.push_screen(Confirm(wording.question(what, n), shown, left_out), answered)

    def act(
        self, flow: Flow, ask: str, done: str | Callable[[Any], str], fn: Callable[..., Any],
        *args: Any,
    ) -> None:  # fmt: skip
        """Confirm if several, then ``fn(session, me, ids, *args)`` in one transaction.
        ``ask`` and ``done`` are actions with ``{on}`` where the conversations go
        (services/wording): "Tag {on} with billing?" asks "Tag these 2 conversations with
        billing?", and "Tagged {on} with billing" is the toast. ``done`` may instead
        make the toast from ``fn``'s value (to say who)."""
        wording.phrase(ask, 1)  # ValueError now, not after a dialog
        if not callable(done):
            wording.phrase(done, 1)

        def run() -> None:
            n = len(flow.ids)  # after the confirmation: some may have been left out
            name = wording.subject(flow.subjects[0]) if n == 1 and flow.subjects else None
            ok = done if callable(done) else wording.report(done, n, name)
            self.store_write(fn, self.me, flow.ids, *args, ok=ok, flow=flow)

        self.confirmed(flow, ask, run)
