"""The composer: write a reply or a note inline (or in $EDITOR), then review it: send,
send and close, edit or discard. It returns a ``Draft`` through ``dismiss`` and never
touches the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from inbox_tui.errors import UserError
from inbox_tui.sanitize import one_line
from inbox_tui.services.agent_clock import agent_zone
from inbox_tui.tui.typeahead import retype, run_binding_now

if TYPE_CHECKING:
    from inbox_tui.config import Config
    from inbox_tui.services.mentions import Completion
    from inbox_tui.services.review import Review


@dataclass
class Draft:
    action: str  # send | send_close | note | closed (Esc: not sent, text kept)
    text: str
    # False: closed before its starting text (a kept draft) arrived, so ``text`` is only
    # what was typed meanwhile; the caller keeps it after the stored draft.
    complete: bool = True
    review: Review | None = None  # a reply's or forward's recipients, signature, files


class _Body(TextArea):
    """The text: Tab indents, except while an @name is offered (``_on_key`` completes it
    then, in the order typed)."""

    closed = False  # an Esc here closed the composer: what follows it is for the screen

    # ctrl+e is $EDITOR here, not the TextArea's end of line (#17); as a binding of the
    # text box it runs in the order typed (``_on_key`` runs bindings at once).
    BINDINGS = [Binding("ctrl+e", "editor", show=False)]

    def action_editor(self) -> None:
        composer = self.screen
        if isinstance(composer, Composer):
            composer.action_editor()

    async def _on_key(self, event: events.Key) -> None:
        """A key that is not text (ctrl+s, Esc, an arrow) runs its binding here, in the
        order typed: left to bubble up to the composer, ctrl+s ran after the letters
        typed behind it had gone into the text; Esc, a priority binding, ran before the
        letters typed ahead of it had (walk8: "r Sofia two Esc Esc" kept no draft)."""
        if self.closed:
            retype(self.app, event)
            return
        composer = self.screen
        if isinstance(composer, Composer) and composer.reviewing:  # the review's, in order
            if composer.review_key(event):
                event.stop()
                event.prevent_default()
                return
            if not event.is_printable:  # Esc (back to the text), ctrl+s: in order too
                await run_binding_now(self.app, event)
            return
        if event.key == "tab" and isinstance(composer, Composer) and composer.complete_now():
            event.stop()  # an @name offered for the text typed so far: taken
            event.prevent_default()
            return
        if self.read_only or event.is_printable or event.key in ("enter", "tab"):
            return  # TextArea's own handler inserts it
        await run_binding_now(self.app, event)


class Composer(ModalScreen[Draft | None]):
    """Write a reply or a note inline (or in $EDITOR), then review: send / edit / discard.

    It opens at once, on the keypress (``loading``), and its starting text (a kept draft,
    a macro's reply) arrives through ``fill``. What the agent types meanwhile is held by
    the app (``HOLDS_KEYS``, tui/typeahead.py) and shown in the text box (``show_held``);
    once the text is in, the held keys are typed onto it in order, so each lands exactly
    where it would have typed after the text had come (walk9: a fast " more" onto the
    draft "hello" read "hello\n\n more"), and ctrl+s and the review's keys act in their
    turn. It sits on the lower part of the screen, so the thread behind it keeps the
    customer's last message in sight."""

    BINDINGS = [
        # Run by the text box in the order typed (``_Body._on_key``), so "r Hi ctrl+s y" in
        # one burst reviews "Hi" and the "y" sends it (it went into the reply: walk3, walk4).
        Binding("ctrl+s", "review", "Review", id="compose.review"),
        # Run by the text box in the order typed (``_Body``'s own ctrl+e, which replaces
        # the TextArea's end of line, #17): a priority binding ran as the key arrived,
        # before the letters typed ahead of it were in the text (walk12: the editor got
        # "Hi Y", the rest went to the review as keys).
        Binding("ctrl+e", "editor", "$EDITOR", id="compose.editor"),
        # Run by the text box in the order typed too (the text area's own Esc, leaving
        # itself, never runs: _Body takes it first).
        Binding("escape", "escape", "Close", id="compose.escape"),
        # Tab takes the @name offered (run by the text box in the order typed, after the
        # letters before it: a priority binding ran first and indented "@sa Tab" at once).
        Binding("tab", "complete", "Complete @name", id="compose.complete"),
    ]

    # How often typed text is handed to ``autosave`` (a draft in the store), at most.
    AUTOSAVE_SECONDS = 2.0

    def __init__(
        self,
        title: str,
        text: str = "",
        *,
        is_note: bool = False,
        save_label: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        autosave: Callable[[str], None] | None = None,
        save_now: Callable[[str, bool], None] | None = None,
        editor_command: list[str] | None = None,
        open_editor: bool = False,
        loading: bool = False,
        review: Review | None = None,
        config: Config | None = None,
        check: Callable[[str], str | None] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__()
        # What the text is about, in the hint line: a note's "@name mentions an agent"
        # unless another is given (the macro editor's placeholders).
        self.hint_extra = (
            hint if hint is not None else ("@name mentions an agent" if is_note else "")
        )
        # What is wrong with the text (one sentence), asked before the composer closes:
        # a refused save keeps it open with the edits (it closed, and came back ~1 s
        # later when the store refused, while the keys typed meanwhile went elsewhere).
        self.check = check
        self.review = review  # the review step's headers (services.review), edited here
        self.config = config
        # The agent's time zone: a send-at time is typed and shown on their clock.
        self.zone = agent_zone(config.agent.timezone if config is not None else None)
        self.waiting = loading  # the starting text has not arrived yet (see ``fill``)
        self.holding = loading  # ... and the app holds the keys typed meanwhile
        self.hint_failed = ""  # ... and will not: why (``load_failed``)
        self.save_label = save_label
        self.title_text = title
        self.initial = text
        self.is_note = is_note
        self.reviewing = False
        self.editor_notices: list[str] = []  # what the editor's return says, in the review
        self.headers = headers or []  # shown in the $EDITOR file, never obeyed
        self.autosave = autosave
        self.save_now = save_now  # blocking: used when the app quits with the text open
        self.editor_command = editor_command
        self.open_editor = open_editor
        self._saved_text = text
        self._typed_meanwhile = ""  # held by the app while the text loads (``show_held``)
        self.mention_names: list[str] = []  # agents' usernames, for @name completion
        self._completion: Completion | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title(), id="composer-title")
            yield Static(self._hint(), id="composer-hint")
            yield _Body(self.initial, id="body", soft_wrap=True, tab_behavior="indent")
            yield Static(id="mention-hint")
            with Horizontal(id="review"):
                yield Static(id="review-text")

    # Keys wait while the starting text loads, Esc too (in its turn, after the keys typed
    # before it); at most this long, then they go into the text box as typed, and the
    # text goes before them when it comes (``fill``). The app reads both attributes.
    HOLDS_ESCAPE = True
    HOLD_SECONDS = 2.0

    @property
    def HOLDS_KEYS(self) -> bool:
        return self.waiting and self.holding

    def show_held(self, typed: str) -> None:
        """The app holds ``typed`` until the starting text has come: shown meanwhile."""
        self._typed_meanwhile = typed
        if self.HOLDS_KEYS and self.is_mounted:
            ta = self.query_one(TextArea)
            ta.text = typed
            ta.move_cursor(ta.document.end)

    def _stop_holding(self) -> None:
        """The text is late (or will not come): the held keys go into the box now, typed
        on what they showed (nothing: they type it again)."""
        if self.waiting and self.holding:
            self.holding = False
            self.query_one(TextArea).text = ""

    def load_failed(self, sentence: str) -> None:
        """The starting text will not come: the hint says so, the keys go into the box,
        and Esc keeps what was typed after the kept draft, as while it loaded."""
        self.hint_failed = one_line(sentence, 120)
        for hint in self.query("#composer-hint").results(Static):  # else composed with it
            hint.update(self._hint())
        if self.is_mounted:
            self._stop_holding()

    def _title(self) -> Text:
        return Text(self.title_text, style="bold", overflow="ellipsis")

    def _hint(self) -> Text:
        hint = "ctrl+s review · ctrl+e edit in $EDITOR · esc close"
        if self.hint_extra:
            hint += f" · {self.hint_extra}"
        if self.waiting and self.hint_failed:
            hint = f"Not loaded: {self.hint_failed} · esc keeps what you typed"
        elif self.waiting:
            hint = "Loading… (type away: what you type is kept) · esc close"
        return Text(hint, style="dim", overflow="ellipsis")

    _filled = False  # the starting text has come (``fill``), with its cursor

    def on_mount(self) -> None:
        ta = self.query_one(TextArea)
        if self.HOLDS_KEYS and self._typed_meanwhile:  # held before the text box was up
            ta.text = self._typed_meanwhile
        if not self._filled:  # filled before its mount (a fast read): fill placed it
            ta.move_cursor(ta.document.end)  # typing goes on after the text it opened with
        ta.focus()
        if self.hint_failed:
            self._stop_holding()
        elif self.waiting:
            self.set_timer(self.HOLD_SECONDS, self._stop_holding)
        if self.autosave is not None:
            self.set_interval(self.AUTOSAVE_SECONDS, self._autosave)
        if self.open_editor and not self.waiting:  # [compose] editor = true: into $EDITOR
            self.call_after_refresh(self.action_editor)

    def fill(
        self,
        text: str,
        *,
        headers: list[tuple[str, str]] | None = None,
        title: str | None = None,
        cursor: int | None = None,
    ) -> None:
        """The starting text arrived, with the cursor at its end (or at ``cursor``: the
        greeting's line above an article): the keys held meanwhile are typed there next
        (the app releases them, in order, now that the composer no longer
        ``HOLDS_KEYS``). Keys that went into the box (the text was late) stay after it."""
        if not self.waiting:
            return
        self.waiting = False
        self._filled = True
        ta = self.query_one(TextArea)
        ta.text = text if self.holding else text + ta.text
        ta.move_cursor(ta.document.end if cursor is None else _location(text, cursor))
        self._saved_text = text  # the autosave keeps what was typed on top of it
        self.headers = headers or self.headers
        if title is not None:
            self.title_text = title
            self.query_one("#composer-title", Label).update(self._title())
        self.query_one("#composer-hint", Static).update(self._hint())
        if self.open_editor:
            self.call_after_refresh(self.action_editor)

    def keep_now(self) -> None:
        """The app is quitting: keep the text at once (no worker will run later)."""
        text = self.text
        if self.save_now is not None and (self.waiting or text != self._saved_text):
            self._saved_text = text
            self.save_now(text, not self.waiting)  # False: only what was typed meanwhile

    def _autosave(self) -> None:
        """Typed text goes to the store every few seconds, so a crash keeps it."""
        text = self.text
        if self.waiting:  # the kept draft is not here yet: saving now would replace it
            return
        if self.autosave is not None and text != self._saved_text:
            self._saved_text = text
            self.autosave(text)

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @property
    def forwarding(self) -> bool:
        return self.review is not None and self.review.kind == "forward"

    def _still_loading(self) -> bool:
        if self.waiting and self.hint_failed:
            self.notify(f"Not loaded: {self.hint_failed}", severity="warning", markup=False)
        elif self.waiting:
            self.notify("The text is still loading; a moment.", severity="warning")
        return self.waiting

    # -- @name completion (notes) ------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Tab completes only while a name is offered; else it indents as before.
        return action != "complete" or self._completion is not None

    def on_text_area_changed(self) -> None:
        self._offer()

    def on_text_area_selection_changed(self) -> None:
        self._offer()

    def _offer(self) -> None:
        """The agents whose username starts with the @word before the cursor."""
        from inbox_tui.services.mentions import complete

        if not self.is_note or not self.mention_names or self.reviewing:
            found = None
        else:
            ta = self.query_one(TextArea)
            cursor = len(ta.get_text_range((0, 0), ta.cursor_location))
            found = complete(ta.text, cursor, self.mention_names)
        self._completion = found
        hint = self.query_one("#mention-hint", Static)
        hint.set_class(found is not None, "shown")
        if found is not None:
            names = " ".join(f"@{one_line(n, 30)}" for n in found.names[:6])
            more = f" +{len(found.names) - 6}" if len(found.names) > 6 else ""
            hint.update(Text(f"Tab: {names}{more}", style="bold"))

    def complete_now(self) -> bool:
        """Tab in the text: the @name offered for all the text typed so far (the offer of
        the letters' Changed messages may not be shown yet) replaces the @word; False
        when none is offered (Tab indents)."""
        self._offer()
        if self._completion is None:
            return False
        self.action_complete()
        return True

    def action_complete(self) -> None:
        """Tab: the first agent offered replaces the @word being typed."""
        found = self._completion
        if found is None:
            return
        ta = self.query_one(TextArea)
        ta.replace(
            f"@{found.names[0]} ", _location(ta.text, found.start), _location(ta.text, found.end)
        )
        self._offer()

    def action_review(self) -> None:
        if self._still_loading():  # not from a key: keys wait for the text (HOLDS_KEYS)
            return
        if not self.text.strip() and not self.forwarding:  # a forward's note may be empty
            self.notify("Nothing to send: the text is empty.", severity="warning")
            return
        self.reviewing = True
        self._show_review()
        self.query_one("#review").add_class("shown")
        self.call_after_refresh(self._show_review)  # shown now: fitted to its real width
        # the headers of a reply or forward need the room; a note's files line does not
        self.set_class(self.review is not None and self.review.kind != "note", "-reviewing")
        # The text keeps the focus (a screen cannot take it), read-only: its keys are
        # the review's from now on, run in the order typed (``_Body._on_key``).
        self.query_one(TextArea).read_only = True

    def _show_review(self) -> None:
        what = self.save_label or ("Save note" if self.is_note else "Send")
        if self.is_note:
            keys = "y save · e edit · d discard"
        elif self.forwarding:
            keys = "y send · e edit · d discard"
        else:
            keys = "y send · c send and close · e edit · d discard"
            keys += " · w send at" if self._schedulable() else ""
        if self.review is None:
            shown = Text(f"{what}? {keys}", style="bold")
        else:
            from inbox_tui.tui.screens.review import review_text

            box = self.query_one("#review-text", Static)
            width = box.size.width or max(self.app.size.width - 8, 20)
            more = ""
            if len(f"{what}? {keys}") > width and keys.endswith(" · w send at"):
                keys, more = keys.removesuffix(" · w send at"), "w send at"  # on the next line
            shown = review_text(self.review, f"{what}? {keys}", width, more, self.zone)
        if self.editor_notices:
            said = [Text(one_line(n, 300), style="yellow") for n in self.editor_notices]
            shown = Text("\n").join([*said, shown])
        self.query_one("#review-text", Static).update(shown)

    def on_resize(self) -> None:
        if self.reviewing:  # the review's lines are fitted to the width: fit them again
            self.call_after_refresh(self._show_review)

    def _send(self, action: str) -> None:
        problem = self.review.missing() if self.review is not None else None
        if problem:
            self.notify(problem, severity="warning", markup=False)
            return
        problem = self.check(self.text) if self.check is not None else None
        if problem:
            self._back_to_edit()
            shown = Text(one_line(problem, 300), style="bold red")
            self.query_one("#composer-hint", Static).update(shown)
            return
        self.dismiss(Draft(action, self.text, review=self.review))

    def on_key(self, event: object) -> None:
        if self.reviewing and isinstance(event, events.Key) and self.review_key(event):
            event.stop()

    def review_key(self, event: events.Key) -> bool:
        """A key typed in the review (True: it was the review's). The text box hands its
        keys here as they come (``_Body._on_key``): left to bubble up, "e!" typed together
        lost the "!" (it reached the box, still read-only, before the "e" had reached
        the review)."""
        from inbox_tui.tui.screens.review import review_keys

        if self.app.screen is not self:
            # Typed in the same burst as f, a or w, before their dialog took the focus:
            # it belongs to that dialog (a path holding "y" sent the reply, and crashed).
            retype(self.app, event)
            return True
        key = event.key
        if key == "y":
            self._send("note" if self.is_note else "send")
        elif key == "c" and not self.is_note and not self.forwarding:
            self._send("send_close")
        elif self.review is not None and key in review_keys(self.review):
            self._edit_review(key)
        elif key == "w" and self._schedulable():
            self._ask_send_at()
        elif key == "e":
            self._back_to_edit()
        elif key == "d":
            self.dismiss(None)
        else:
            return False
        return True

    def _edit_review(self, key: str) -> None:
        """The review step's own keys: recipients, signature, files."""
        from inbox_tui.tui.screens.review import PathPrompt, RecipientsForm

        review = self.review
        assert review is not None
        if key == "s":
            review.sign = not review.sign
            review.edited.add("sign")
            self._show_review()
        elif key == "a":

            def edited(result: tuple[list, list, list] | None) -> None:
                if result is not None:
                    review.to, review.cc, review.bcc = result
                    review.edited.add("recipients")
                self._show_review()

            self.app.push_screen(RecipientsForm(review), edited)
        elif key == "f":

            def attached(path: str | None) -> None:
                if path:
                    review.files.append(path)
                    review.edited.add("files")
                self._show_review()

            self.app.push_screen(PathPrompt("Attach a file", self._check_file), attached)
        elif key == "F" and review.files:
            review.files.pop()
            review.edited.add("files")
            self._show_review()

    def _schedulable(self) -> bool:
        r = self.review
        return r is not None and r.kind == "reply" and not r.chat and not self.is_note

    def _ask_send_at(self) -> None:
        """``w``: "send at": now, the customer's 9:00 (when their offset is known) or a
        typed time (``services/schedule``)."""
        from datetime import UTC, datetime

        from inbox_tui.services import schedule
        from inbox_tui.services.agent_clock import as_understood, read_time
        from inbox_tui.tui.widgets.dialogs import FuzzyPicker, PickItem, Prompt

        review = self.review
        assert review is not None
        now = getattr(self.app, "clock", lambda: datetime.now(UTC))()
        zone = self.zone
        found = schedule.choices(review.customer_offset, now, zone)
        at = {c.value: c.at for c in found}

        def typed(value: str) -> datetime:  # on the agent's clock
            when = read_time(value, now, zone)
            schedule.due(when, now, 0)  # past or too far ahead: one sentence
            return when

        def check(value: str) -> str | None:
            try:
                typed(value)
            except (ValueError, UserError) as exc:
                return str(exc)
            return None

        def custom(value: str | None) -> None:
            if value and check(value) is None:
                review.send_at = typed(value)
                review.edited.add("send_at")  # kept with the draft (Esc, restart)
            self._show_review()

        def answer(text: str) -> PickItem | None:  # "3h" typed in the choices: that time
            when = schedule.typed_send_at(text, now, zone)
            if when is None:
                return None  # it only filters the choices
            at["typed"] = when
            return PickItem("typed", as_understood(when, now, zone))

        def chosen(value: str | None) -> None:
            if value == "custom":  # with what was typed, and why it does not read
                self.app.push_screen(Prompt(f"Send at ({schedule.SEND_AT_HINT})",
                    value=picker.typed_beyond(value), check=check), custom)  # fmt: skip
                return
            if value is not None:
                review.send_at = at.get(value)
                review.edited.add("send_at")
            self._show_review()

        items = [PickItem(c.value, c.label, c.hint) for c in found]
        picker = FuzzyPicker("Send at", items, typed=answer)
        self.app.push_screen(picker, chosen)

    def _check_file(self, path: str) -> str | None:
        from inbox_tui.services.review import check_file

        assert self.review is not None and self.config is not None
        try:
            check_file(path, self.review.files, self.config)
        except UserError as exc:
            return str(exc)
        return None

    def _back_to_edit(self) -> None:
        self.reviewing = False
        self.editor_notices = []  # said in the review that closes
        self.remove_class("-reviewing")
        self.query_one("#review").remove_class("shown")
        ta = self.query_one(TextArea)
        ta.read_only = False
        ta.focus()

    def action_escape(self) -> None:
        """Esc in the review goes back to the text; Esc in the text closes the composer
        and hands the text back (``closed``), so the caller keeps it as a draft."""
        if self.reviewing:
            self._back_to_edit()
        elif self.waiting:  # the text is late or failed: what was typed, kept after it
            self.waiting = False  # a late ``fill`` does nothing
            self.query_one(_Body).closed = True
            self.dismiss(Draft("closed", self.text, complete=False, review=self.review))
        else:
            self.query_one(_Body).closed = True
            self.dismiss(Draft("closed", self.text, review=self.review))

    def action_editor(self) -> None:
        """Edit the text in $EDITOR (headers visible on top): the app hands the terminal
        over and takes it back; the text comes back into the composer, then review."""
        from textual.app import SuspendNotSupported

        from inbox_tui.services.editor import EditedReply, edit_reply

        if self._still_loading():
            return

        def run() -> EditedReply:
            return edit_reply(self.headers, self.text, command=self.editor_command)

        try:
            try:
                with self.app.suspend():
                    edited = run()
            except SuspendNotSupported:  # headless (tests): no terminal to hand over
                edited = run()
        except UserError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        ta = self.query_one(TextArea)
        ta.text = edited.body
        ta.move_cursor(ta.document.end)  # typing goes on after the text, as before the editor
        self._autosave()
        # Headers changed or not readable: said in the review's lines, where the text is
        # read before sending (a toast lay over the text, on top in the review: walk11 H)
        self.editor_notices = edited.notices()
        self.action_review()
        if not self.reviewing:  # the review did not open (no text): toasts, above the text
            for notice in self.editor_notices:
                self.notify(notice, severity="warning", markup=False)
            self.editor_notices = []


def _location(text: str, index: int) -> tuple[int, int]:
    """(row, column) of a character offset, as the text area counts them."""
    before = text[:index]
    return before.count("\n"), len(before) - (before.rfind("\n") + 1)
