"""The triage TUI's application: it opens the store (after the first frame), pushes the
main screen and runs the background loops: the change poll and PostgreSQL LISTEN, the
presence heartbeat, the outbox and the IMAP watch. Screens own their keys and state
(``screens/``); service calls go through ``gateway.py``; actions are listed once in
``actions.py``; every style is in ``inbox.tcss``.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.app import App, SystemCommand
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from inbox_tui.errors import UserError
from inbox_tui.sanitize import for_display, one_line
from inbox_tui.tui import actions, paste
from inbox_tui.tui.gateway import Gateway, ServiceFailed, StoreLike
from inbox_tui.tui.screens.flows import NEWS_SECONDS, OpenChanged, ReplySent
from inbox_tui.tui.screens.main import ListShown, MainScreen, Polled, StatusNews
from inbox_tui.tui.screens.teamwork import MentionNews
from inbox_tui.tui.typeahead import KeysFollowFocus
from inbox_tui.tui.widgets.conversation_list import PAGE as LIST_PAGE
from inbox_tui.tui.widgets.dialogs import HelpScreen, SaysInside
from inbox_tui.words import count

if TYPE_CHECKING:
    from textual.timer import Timer

    from inbox_tui.config import Config
    from inbox_tui.services.changes import Token
    from inbox_tui.services.listing import ConversationRow

log = logging.getLogger(__name__)
REOFFER_EVERY = 30.0  # seconds between looks for agents away ([assignment] reoffer_after)
# How long a worker waits for the store to open (a large store's migration takes minutes).
STORE_WAIT_SECONDS = 900.0
# Opening or leaving a thread reaches the other agents' presence this much later (their
# screens learn it at their next poll, seconds apart, anyway).
PRESENCE_SETTLE = 0.5


class StoreChanged(Message):
    """Another agent (or a sync) committed a change: look now rather than at the poll."""


class StoreOpened(Message):
    def __init__(self, store: StoreLike) -> None:
        self.store = store
        super().__init__()


class EarlyPage(Message):
    """The Open view's first page, read before the store opened (None: it could not be)."""

    def __init__(self, rows: list[ConversationRow] | None) -> None:
        self.rows = rows
        super().__init__()


class StoreFailed(Message):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__()


class InboxApp(KeysFollowFocus, App[int]):
    TITLE = "inbox-tui"
    CSS_PATH = "inbox.tcss"
    BINDINGS = actions.bindings(on_app=True)
    COMMANDS = {actions.PlainCommands}

    def __init__(
        self,
        store: StoreLike | Callable[[], StoreLike],
        config: Config,
        me: str,
        *,
        clock: Callable[[], datetime] | None = None,
        poll_seconds: float = 2.0,
    ) -> None:
        super().__init__()
        paste.install()  # a paste arrives whole, in order, without its escapes
        # A factory is opened in a worker after the first frame, so the database layer's
        # imports and the schema check never delay the first paint.
        self._store: StoreLike | None = None if callable(store) else store
        self._store_factory = store if callable(store) else None
        self.gateway = Gateway(lambda: self.store)
        self.config = config
        self.me = me
        self.clock = clock or (lambda: datetime.now(UTC))
        self.poll_seconds = poll_seconds
        self._listen_stop = threading.Event()  # ends the LISTEN thread with the app
        self._token: Token | None = None
        self._store_down = False  # the last poll could not reach the store
        self._mentions_seen: int | None = None  # the newest mention toasted (or the baseline)
        self._assign_looked = False  # the first poll gives out what waited before the start
        self._reoffer_looked = time.monotonic()  # the first poll looks anyway
        self.exit_after_first_frame = False
        self.exit_after_first_paint = False
        self._started = False
        self._said_words_only = False
        self.paint_stream: Any = None
        self._frozen = False  # start-up's objects out of the collector's way (_freeze)
        # The store as soon as its worker has it, for workers that wait for it (a key
        # pressed on the early first page); set on failure too, so none waits in vain.
        self._opened: StoreLike | None = None
        self._store_opened = threading.Event()
        self._presence_said: tuple[int | None, str] | None = None  # the last heartbeat's
        self._presence_timer: Timer | None = None  # a settled OpenChanged to say

    @property
    def store(self) -> StoreLike:
        if self._store is None:
            # A worker asked before the store was open (a key on the first page read
            # early, services/first_page) waits for it; the UI thread never waits.
            if threading.current_thread() is not threading.main_thread():
                self._store_opened.wait(STORE_WAIT_SECONDS)
                if self._opened is not None:
                    return self._opened
            raise RuntimeError("the store is not open yet")
        return self._store

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast, from any screen: plain text (never markup) and cleaned. Toasts
        carry subjects, tag, agent and file names, and servers' and the store's words;
        one call site that forgot ``markup=False`` or ``one_line`` put them on the
        terminal as they came. An undo notice replaces the one before it (five sends
        or five ctrl+z piled five toasts on top of each other)."""
        del markup  # a toast's text is never markup
        text = for_display(message)[:2000]
        if self._said_in_dialog(text, severity):
            return
        if _undo_notice(text):
            for old in [n for n in self._notifications if _undo_notice(n.message)]:
                self._unnotify(old, refresh=False)
        super().notify(
            text,
            title=one_line(title, 80),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _said_in_dialog(self, text: str, severity: SeverityLevel) -> bool:
        """A dialog that is open says the notice on its own line (``SaysInside``): a
        toast would cover its border and text."""
        try:
            screen = self.screen
        except Exception:  # no screen yet (starting) or any more (closing)
            return False
        if not isinstance(screen, SaysInside):
            return False
        screen.say(text, error=severity != "information")
        return True

    # -- lifecycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.config.keys:
            self.set_keymap(self.config.keys)
        self.main = MainScreen(self.gateway, self.config, self.me, self.clock)
        self.push_screen(self.main)
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        if self._store is None and not self._first_page_early():
            # After the first frame: the database layer's start-up (importing SQLAlchemy
            # and the models) is CPU work under the same GIL, so begun while the screen
            # was built it only delayed the first frame, never sped up the first page.
            self._open_store()
        self.main.conv_list.focus()
        if self.exit_after_first_paint:  # benchmarks: start to first paint
            self.call_after_refresh(self._painted)
        self._started = True
        if self._store is None:
            self.main.set_status("Opening the store…")
            return  # on_store_opened carries on
        self._store_ready()

    def _painted(self) -> None:
        import time

        print(f"PAINT {time.time()} {time.process_time()}", file=self.paint_stream, flush=True)
        self.exit()

    def _first_page_early(self) -> bool:
        """On SQLite without response targets, the Open view's first page is read with
        the standard library before the store opens (services/first_page): the store's
        start-up (SQLAlchemy, the models, the schema check: ~0.4 s of CPU) follows its
        paint instead of preceding it. True when that read was started."""
        from inbox_tui.services.first_page import sqlite_path, store_url

        if self.config.sla or self.config.demo or not sqlite_path(store_url(self.config.db_url)):
            return False
        self._read_first_page_early()
        return True

    @work(thread=True, group="early")
    def _read_first_page_early(self) -> None:
        from inbox_tui.services.first_page import open_view_first_page, store_url

        rows = open_view_first_page(store_url(self.config.db_url), self.me, LIST_PAGE)
        self.post_message(EarlyPage(rows))

    def on_early_page(self, message: EarlyPage) -> None:
        if message.rows is not None:
            self.main.show_early_page(message.rows)
        self.call_after_refresh(self._open_store)  # after that paint, not competing with it

    @work(thread=True, exclusive=True, group="open")
    def _open_store(self) -> None:
        assert self._store_factory is not None
        try:
            store = self._store_factory()
        except UserError as exc:
            self._store_opened.set()
            self.post_message(StoreFailed(f"inbox-tui: {exc}"))
            return
        self._opened = store
        self._store_opened.set()
        self.main.prefetch_first_page(store)
        # The store is handed over on the UI thread (on_store_opened), so _start never
        # sees it half-ready.
        self.post_message(StoreOpened(store))

    def on_store_failed(self, message: StoreFailed) -> None:
        self.exit(None, 2, message.text)

    def on_store_opened(self, message: StoreOpened) -> None:
        self._store = message.store
        if self._started:  # else _start, once the screen is up, carries on
            self._store_ready()

    def _store_ready(self) -> None:
        self.main.set_status("")
        # A world-readable store and the like: the person who can fix it should see it
        # (the commands print the same sentences on stderr).
        for warning in getattr(self.store, "warnings", []):
            self.notify(warning, severity="warning", timeout=20, markup=False)
        self._baseline()
        self.main.store_ready()
        self._load_rules()
        self.set_interval(self.poll_seconds, self._poll)
        if self.store.url.startswith("postgresql"):
            self._poll()  # the baseline token, so the first notice already counts
            self._listen()  # other agents' changes at once; the poll stays as the fallback
        self.set_interval(15, self._heartbeat)
        if self.config.accounts and not self.config.demo:
            self._watch_mail()
            self.set_interval(30, self.flush_outbox)
        if self.config.demo:  # demo replies wait out the undo delay, then are recorded
            self.flush_outbox()
            self.set_interval(30, self.flush_outbox)
        self.call_after_refresh(self._warm_semantic)  # after the first page's paint
        self.set_interval(300, self._warm_semantic)  # conversations tagged since, new articles

    def _baseline(self) -> None:
        """The change token before the first page is read, so the first poll sees what
        changed since (the background sync's first round landed between the first page
        and the first poll, which took it as the baseline: the list stayed empty)."""
        from inbox_tui.services.changes import change_token

        try:
            self._token = self.gateway.call(change_token)
        except Exception as exc:  # the poll says the store is unreachable
            log.info("no change baseline: %s", exc)

    def _load_rules(self) -> None:
        """The config's [rules] file, once per session: the background sync and the tag
        key fire them. A broken file is said once; the mail still comes in."""
        from inbox_tui.services.rules import configured_rules

        rules, problem = configured_rules(self.config)
        self.main.rules = tuple(rules)
        if problem:
            self.notify(problem, severity="error", markup=False, timeout=30)

    def on_list_shown(self, _message: ListShown) -> None:
        if self.exit_after_first_frame:  # benchmarks: start to first page of data
            self.exit_after_first_frame = False
            self.call_after_refresh(self._painted)
        if not self._frozen:
            self._frozen = True
            self.call_after_refresh(self._freeze)

    def _freeze(self) -> None:
        """Once the first page is on screen, what start-up made (Textual, SQLAlchemy, the
        models, the screens: ~the whole heap) is never garbage-collected again: Python's
        full collection walked all of it every few hundred keys, 70-240 ms of one key
        (profiled: one thread open in eight took 230-420 ms instead of ~200). Undone when
        the app ends (a test process runs many apps)."""
        gc.freeze()

    def on_service_failed(self, message: ServiceFailed) -> None:
        """A failure no screen handled (the stats screen's, say): one plain sentence."""
        self.notify(message.text, severity="error", markup=False, timeout=10)

    # -- background loops ------------------------------------------------------------

    @work(exclusive=True, group="sync")
    async def _watch_mail(self) -> None:
        """Background IMAP sync: new mail appears in the list by itself (the poll sees it)."""
        import asyncio

        from inbox_tui.services.agent_clock import agent_time
        from inbox_tui.services.mailsync import SyncReport, watch

        self._sync_stop = asyncio.Event()
        rules = self.main.rules  # loaded once with the store (_load_rules)

        last_new: list[str] = []  # the latest round that brought mail, as said

        def on_report(report: SyncReport) -> None:
            when = agent_time(self.clock(), self.main.zone, "%H:%M", named=False)
            self.main.post_message(StatusNews(sync_line(report, when, last_new), None))

        try:
            await watch(self.config, cast(Any, self.store), on_report, self._sync_stop, rules=rules)

        except UserError as exc:
            self.main.set_status(str(exc))

    @work(thread=True, exclusive=True, group="semantic", exit_on_error=False)
    def _warm_semantic(self) -> None:
        """Load the embedding model and embed the articles and tagged conversations that
        have no (or a stale) vector, after the first frame and off the UI thread. When
        the model cannot load, the status line says that suggestions rank by words only."""
        from inbox_tui.services import embeddings, semantic, static_embeddings, suggest

        if not embeddings.enabled():
            return  # turned off on purpose: nothing to say
        embeddings.preload()
        if not embeddings.loaded():
            if not self._said_words_only:  # once, not at every catch-up
                self._said_words_only = True
                self.main.post_message(StatusNews(embeddings.status(), None))
            return
        try:
            preparing = not static_embeddings.available() and static_embeddings.problem() is None
            if preparing:  # the table is distilled first (a minute of CPU, once per machine)
                self.main.post_message(StatusNews(static_embeddings.PREPARING, None))
            semantic.catch_up(cast(Any, self.store))
            problem = static_embeddings.problem()
            if problem and not self._said_words_only:  # once, not at every catch-up
                self._said_words_only = True
                self.main.post_message(StatusNews(problem, None))
            elif preparing and not problem:
                self.main.post_message(StatusNews(embeddings.status()))
            with self.store.read() as s:  # the help centre's vectors in memory, ready
                index = semantic.article_index(s)
            if index is not None:
                index.prepare()
            suggest.warm_tag_models(self.store)
        except Exception:  # a cache to fill: suggestions work without it
            log.warning("embedding the help centre and tagged conversations failed", exc_info=True)

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
        if self._frozen:
            gc.unfreeze()

    def on_store_changed(self, _message: StoreChanged) -> None:
        self._poll()

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        from inbox_tui.services.changes import poll_changes

        try:
            token, woken, presence = self.gateway.commit(poll_changes, self.me)
        except Exception as exc:  # a dead database server: say so, keep running
            text = f"Cannot reach the store: {exc.__class__.__name__}. Retrying…"
            self._store_down = True
            self.main.post_message(StatusNews(text, None))  # until it answers again
            return
        if self._store_down:
            self._store_down = False
            self.main.post_message(StatusNews("The store answers again."))
        changed = token != self._token and self._token is not None
        views = changed and self._token is not None and token.views != self._token.views
        self._token = token
        self.main.post_message(Polled(changed or bool(woken), presence, views=views))
        if changed or not self._assign_looked or self._reoffer_due():
            self._give_out()
        if changed or self._mentions_seen is None:
            self._mention_news()

    def _give_out(self) -> None:
        """With ``[assignment]`` on, new conversations are given out as they arrive (at
        the poll that sees them; every TUI does, the agents' lock keeps it fair and no
        conversation is given twice). The assignments show at the next poll."""
        from inbox_tui.services.autoassign import AssignPolicy, give_out, reoffer_lapsed

        self._assign_looked = True
        try:
            policy = AssignPolicy.from_config(self.config.assignment)
        except UserError as exc:  # [assignment] search that cannot run: said, not run
            self.main.post_message(StatusNews(str(exc), None))  # until the config is fixed
            return
        if policy is None:
            return
        try:
            # An agent away longer than reoffer_after: their unanswered work first.
            given = reoffer_lapsed(cast(Any, self.store), policy, limit=200)
            given += give_out(cast(Any, self.store), policy, limit=200)
        except Exception as exc:  # the poll says the store is unreachable
            log.info("auto-assignment not run: %s", exc)
            return
        mine = [cid for cid, agent in given if agent == self.me]
        if mine:
            shown = ", ".join(f"#{cid}" for cid in mine[:5])
            self.main.post_message(StatusNews(f"Given to you ({policy.mode}): {shown}."))

    def _reoffer_due(self) -> bool:
        """With ``[assignment] reoffer_after`` set, absences are looked for every 30 s
        even when nothing changed (a presence lapses without any change to see)."""
        if not (self.config.assignment or {}).get("reoffer_after"):
            return False
        now = time.monotonic()
        if now - self._reoffer_looked < REOFFER_EVERY:
            return False
        self._reoffer_looked = now
        return True

    def _mention_news(self) -> None:
        """Notes naming me since the last look: a toast each (at PostgreSQL's notice,
        or the SQLite poll). The first look only sets the baseline."""
        from inbox_tui.services.mentions import newest_id, unread_since

        try:
            if self._mentions_seen is None:
                self._mentions_seen = self.gateway.call(newest_id)
                return
            news = self.gateway.call(unread_since, self.me, self._mentions_seen)
        except Exception as exc:  # the poll says the store is unreachable; not twice
            log.info("mentions not checked: %s", exc)
            return
        if news:
            self._mentions_seen = news[-1].id
            self.main.post_message(MentionNews(news))

    def _heartbeat(self) -> None:
        # A write transaction (and its fsync) must not hold the UI thread: opening a
        # thread waited on it, and on a busy store it could freeze the screen.
        from inbox_tui.services.presence import heartbeat

        if self._store is not None:
            self._presence_said = self.main.presence_now()
            self.gateway.fire(self, heartbeat, self.me, *self._presence_said, group="presence")

    def on_open_changed(self, message: OpenChanged) -> None:
        if not message.settled:
            self._heartbeat()
            return
        # Said once the agent has stayed PRESENCE_SETTLE seconds, what is open then: the
        # write (a worker, a transaction) was ~1 ms of CPU inside each thread open's
        # frame, and an open left at once needs none. Each change starts the wait again:
        # counted from the first change, an agent going from thread to thread had the
        # write land inside the next open's frame (a third idle window of 20 ms in 1 of
        # ~8 opens of `tui_latency`).
        if self._presence_timer is not None:
            self._presence_timer.stop()
        self._presence_timer = self.set_timer(PRESENCE_SETTLE, self._presence_settled)

    def _presence_settled(self) -> None:
        self._presence_timer = None
        if self._store is not None and self.main.presence_now() != self._presence_said:
            self._heartbeat()

    def on_reply_sent(self, message: ReplySent) -> None:
        if message.delay > 0:  # undo send: it may be taken back until then
            self.set_timer(message.delay + 0.5, self.flush_outbox)
        else:
            self.flush_outbox()

    @work(exclusive=True, group="outbox")
    async def flush_outbox(self) -> None:
        from inbox_tui.services.outbox import flush_outbox

        try:
            # Any app delivers any agent's due rows; it announces its own agent's.
            report = await flush_outbox(cast(Any, self.store), self.config, me=self.me)
        except UserError as exc:
            self.main.set_status(str(exc))
            return
        # The error carries the SMTP server's own text: one plain line, in the status
        # line (where the agent looks for background news) and, when final, a toast.
        if report.failed:
            text = f"{report.what('failed')} could not be sent: {report.last_error}"
            self.main.set_status(text)
            self.notify(one_line(text, 300), severity="error", markup=False, timeout=15)
        elif report.retrying:
            self.main.set_status(f"{report.what('retrying')} will be retried: {report.last_error}")
        elif report.sent:
            self.main.set_status(f"{report.what('sent')} sent.", seconds=NEWS_SECONDS)
        elif report.logged:
            self.main.set_status(
                f"{report.what('logged')} recorded (demo: nothing is sent).",
                seconds=NEWS_SECONDS,
            )
        elif report.others_failed():
            self.main.set_status(one_line(report.others_failed(), 300))

    # -- help and the command palette ------------------------------------------------

    async def action_quit(self) -> None:
        """Quit, from anywhere (the composer too): an open reply's text is kept as a
        draft first, so ctrl+q never loses what was typed since the last autosave."""
        from inbox_tui.tui.screens.composer import Composer

        for screen in self.screen_stack:
            if isinstance(screen, Composer):
                screen.keep_now()
        self.exit()

    def action_help(self) -> None:
        self.push_screen(
            HelpScreen(actions.help_rows(self.config.keys), actions.INTRO, actions.LEGEND)
        )

    def action_command_palette(self) -> None:
        """Textual's, with our palette: an Enter typed with the text acts on its rows."""
        from textual.command import CommandPalette as Open

        from inbox_tui.tui.widgets.palette import CommandPalette

        if self.use_command_palette and not isinstance(self.screen, Open):
            self.push_screen(CommandPalette(id="--command-palette"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in actions.SHADOWED_SYSTEM_COMMANDS:
                yield command
        for a, title, help_text in actions.command_titles(self.config.keys):
            target = self if a.id in actions.APP_ACTIONS else self.main
            yield SystemCommand(title, help_text, getattr(target, f"action_{a.action}"))


def _ask_terminal_about_images() -> None:
    """With ``INBOX_TUI_IMAGES=auto``, ask the terminal (before Textual owns it) whether
    it shows sixel or kitty graphics, so image previews use them. Off by default: the
    questions cost 0.6-0.9 s at start in tmux (measured), which answers neither, and a key
    typed meanwhile may be lost; previews then use half-blocks, which work everywhere."""
    import os
    import sys

    if os.environ.get("INBOX_TUI_IMAGES") != "auto":
        return
    if not (sys.__stdout__ and sys.__stdout__.isatty()):
        return
    try:
        import textual_image.widget  # noqa: F401
    except Exception:  # not installed, or a terminal that answers nonsense: half-blocks
        log.info("image previews: terminal graphics not detected", exc_info=True)


def run_app(ctx: Any) -> int:
    """Run the TUI for the command line's context (its store, config and agent)."""
    from inbox_tui.services import embeddings

    actions.check_keymap(ctx.config.keys)  # a bad [keys] stops here, in one sentence
    _ask_terminal_about_images()
    embeddings.never_wait()  # the app's background worker loads the model; keys never wait
    app = InboxApp(lambda: ctx.store, ctx.config, ctx.agent)
    try:
        app.run()
    finally:
        _leave(app)
    return app.return_code or 0


def _leave(app: InboxApp) -> None:
    """The agent is gone from every other agent's screen at once (walk5: their ◉ stayed
    on the others' lists until the heartbeat went stale, a minute). Only when the store
    was opened: a store that could not be, or is gone, is not waited for again; a killed
    app still drops off by staleness."""
    from inbox_tui.services.presence import leave

    if app._store is None:
        return
    try:
        app.gateway.commit(leave, app.me)
    except Exception:  # the store went away while the app ran: staleness will do
        log.info("presence not cleared on quit", exc_info=True)


def _undo_notice(text: str) -> bool:
    """A notice of an undo, or of how long a send can be taken back: only the newest
    matters, so each replaces the one before it."""
    return text.startswith(("Undone", "Took back", "Nothing to undo")) or "take it back" in text


def sync_line(report: Any, when: str, last_new: list[str]) -> str:
    """The status line after a sync round. A quiet round says so without hiding the
    last one that brought mail ("0 new" right after an import overwrote its count)."""
    if report.errors:
        return f"Mail sync at {when}: {report.errors[-1]}"
    if report.imported:
        last_new[:] = [f"{count(report.imported, 'new message')} at {when}"]
        return f"Mail synced at {when}: {count(report.imported, 'new message')}."
    return f"Mail checked at {when}: nothing new" + (
        f" (last: {last_new[0]})." if last_new else "."
    )
