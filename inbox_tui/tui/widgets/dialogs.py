"""Modal dialogs: fuzzy pickers, a one-line prompt, a confirmation that names what it
will touch, and the help screen. Each returns its answer through ``dismiss``; none
touches the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from rapidfuzz import fuzz, process
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from inbox_tui.errors import UserError
from inbox_tui.sanitize import for_display, one_line
from inbox_tui.tui.typeahead import InOrderInput

TYPED = "\x00typed"  # the row of text typed as an answer (its value may be a row's too)


@dataclass
class PickItem:
    value: str
    label: str
    hint: str = ""
    checked: bool = False


def rank_items(query: str, items: list[PickItem]) -> list[PickItem]:
    """The choices that match ``query``, best first, the way a typist expects: labels
    that start with it, then labels with a word that starts with it, then labels that
    contain it, then fuzzy look-alikes (rapidfuzz); ties keep the list's own order."""
    q = query.lower()
    labels = {i: f"{it.label} {it.hint}" for i, it in enumerate(items)}
    hits = process.extract(query, labels, scorer=fuzz.WRatio, limit=50, score_cutoff=45)
    scores = {i: score for _, score, i in hits}

    def tier(i: int) -> int:
        label = items[i].label.lower()
        if label.startswith(q):
            return 0
        if any(word.startswith(q) for word in label.split()):
            return 1
        return 2 if q in label else 3

    found = set(scores) | {i for i, it in enumerate(items) if q in it.label.lower()}
    ranked = sorted(found, key=lambda i: (tier(i), -scores.get(i, 100.0), i))
    return [items[i] for i in ranked]


class _Choice:
    """A picker's row: the mark and label, then the hint in its own column, so a hint
    too long for the line wraps under itself (it wrapped to the left edge at 60
    columns, under the labels). ``str()`` is the row as one line of text."""

    def __init__(self, item: PickItem) -> None:
        self.label = Text()
        self.label.append("✔ " if item.checked else "  ", style="green")
        self.label.append(one_line(item.label, 80))
        self.hint = Text(one_line(item.hint, 60), style="dim") if item.hint else None

    def flat(self) -> Text:
        if self.hint is None:
            return self.label
        return Text.assemble(self.label, ("  " + self.hint.plain, "dim"))

    def __str__(self) -> str:
        return self.flat().plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.hint is None or self.label.cell_len + 2 + 12 > options.max_width:
            # No hint, or a label that leaves the hint no room: one text, as it wraps.
            yield self.flat()
            return
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        table.add_row(self.label, self.hint)
        yield table


class SaysInside:
    """A dialog that shows the app's notices on a line of its own while it is open
    (``InboxApp.notify`` hands them to ``say``): a toast covered its border and text
    ("cannot be merged into itself" over the merge picker's). The toasts still shown
    when it opens go; they were about what came before."""

    SAY_LINE = "#prompt-error"  # the Static the sentences go to

    def say(self, sentence: str, error: bool = False) -> None:
        text = Text(one_line(sentence, 300), style="bold red" if error else "yellow")
        screen = cast(ModalScreen[Any], self)
        for line in screen.query(self.SAY_LINE).results(Static):
            line.update(text)
            return
        screen.query_one(Vertical).mount(Static(text, id=self.SAY_LINE.removeprefix("#")))

    def on_screen_resume(self) -> None:
        cast(ModalScreen[Any], self).app.clear_notifications()


class FuzzyPicker(SaysInside, ModalScreen[str | None]):
    """Type to filter (rapidfuzz), arrows or ctrl+n / ctrl+p to move, Enter to choose.
    Letters filter, so j and k cannot move (walk10 tripped on it): the placeholder says
    how to move, and fzf's ctrl+n / ctrl+p do as a trained hand expects."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down,ctrl+n", "down", "Down", show=False, id="picker.down"),
        Binding("up,ctrl+p", "up", "Up", show=False, id="picker.up"),
    ]

    def __init__(
        self,
        title: str,
        items: list[PickItem],
        *,
        allow_new: str | None = None,
        also_new: tuple[str, str] | None = None,
        preview: dict[str, str] | None = None,
        pins: dict[str, str] | None = None,
        # Typed text that is itself an answer ("3h"): the choice it makes, shown as the
        # first row; None when it only filters. May raise ValueError or UserError: the
        # text is meant as an answer but wrong, and the first row says why.
        typed: Callable[[str], PickItem | None] | None = None,
        loading: bool = False,
        with_preview: bool = False,
    ) -> None:
        super().__init__()
        # Opened at once, filled when its data arrives (set_items): keys typed right after
        # the action's key land in the filter, never on the screen behind.
        self.waiting = loading  # not "loading": that is Textual's own loading indicator
        self.with_preview = with_preview or bool(preview)
        self.typed = typed
        self._typed_item: PickItem | None = None  # the typed answer's row, when shown
        self.title_text = title
        self.items = items
        self.allow_new = allow_new  # e.g. "Create tag"
        # A second way to create what was typed, right under the first: (label, key);
        # choosing it answers "\x00key:NAME" ("New category", "category").
        self.also_new = also_new
        self.previews = preview or {}
        self.pins = pins or {}  # "1" → value: typing the digit alone chooses it
        self._enter_typed = False  # Enter pressed while the choices were loading
        self.filter_text = ""  # what is typed in the filter (kept after it closes)
        self._refused_text = False  # the error line is about the text as it was typed

    def compose(self) -> ComposeResult:
        with Vertical():
            # A Static wraps: a long title (the collision dialog's) is read whole.
            yield Static(Text(for_display(self.title_text), style="bold"), id="picker-title")
            yield InOrderInput(placeholder="type to filter · ↑↓ or ctrl+n/p move", id="filter")
            yield OptionList(id="options")
            if self.with_preview:
                yield Static(id="preview", classes="preview")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def set_items(
        self,
        items: list[PickItem],
        *,
        preview: dict[str, str] | None = None,
        pins: dict[str, str] | None = None,
    ) -> None:
        """The choices arrived: show them, filtered by whatever was typed meanwhile.
        For a picker opened with ``loading=True`` (even with provisional items): one whose
        list was shown choosable would let a key typed at once take a row of the list
        this replaces (#17: "e Enter" closed as bug, first by name, not the likely one)."""
        self.items, self.waiting = items, False
        self.previews, self.pins = preview or {}, pins or {}
        typed = self.query_one(Input).value
        if typed in self.pins:
            self.dismiss(self.pins[typed])
            return
        self.filter_text = typed
        self._fill(typed)
        if self._enter_typed:  # Enter came while "Loading…": it chooses now
            self._enter_typed = False
            self._submit(typed)

    @property
    def answer_pending(self) -> bool:
        """The choices are loading, or an Enter came meanwhile (it chooses once they
        are here): keys typed now wait for them (``tui/typeahead`` holds them and types
        them in order once they are shown), so Down moves over the real rows (walk6:
        "import-gap Down Enter" at once lost its Down to "Loading…" and made a modifier)."""
        return self._enter_typed or self.waiting

    def _options(self, query: str) -> list[PickItem]:
        if not query:
            return self.items
        return rank_items(query, self.items)

    def _fill(self, query: str) -> None:
        ol = self.query_one(OptionList)
        ol.clear_options()
        self._shown = self._options(query.strip())
        opts = []
        room = ol.scrollable_content_region.width or min(70, self.app.size.width * 95 // 100) - 8
        for it in self._shown:
            choice = _Choice(it)  # in columns only where it wraps: the rest stay as they were
            flat = choice.flat()
            opts.append(Option(flat if flat.cell_len <= room - 1 else choice, id=it.value))
        new = query.strip()
        typed_row = self._typed_row(new)
        if (
            self.allow_new
            and new
            and not any(
                it.value == new.lower() or it.label.lower() == new.lower() for it in self.items
            )
        ):
            create = [
                Option(
                    Text(f"+ {self.allow_new} “{one_line(new, 60)}”", style="italic"),
                    id=f"\x00new:{new}",
                )
            ]
            if self.also_new:
                label, key = self.also_new
                create.append(
                    Option(
                        Text(f"+ {label} “{one_line(new, 60)}”", style="italic"),
                        id=f"\x00{key}:{new}",
                    )
                )
            # A name no choice contains is a new one: Enter creates it instead of taking
            # a fuzzy look-alike ("urgent" must not tag "feature request").
            contained = any(new.lower() in it.label.lower() for it in self._shown)
            at = len(opts) if contained else 0
            opts[at:at] = create
        if typed_row is not None:
            opts.insert(0, typed_row)
        if self.waiting:
            opts = [Option(Text("Loading…", style="dim"), disabled=True)]
        ol.add_options(opts)
        if opts and not self.waiting and not opts[0].disabled:
            ol.highlighted = 0
        self._update_preview()

    def _typed_row(self, text: str) -> Option | None:
        """The first row for text typed as an answer: the choice it makes, as it will be
        understood ("in 3 hours — Wed 18 Nov 18:30"), highlighted for Enter; or why it is
        no answer ("3 hourz"), not choosable, so Enter says so instead of seeming to take
        the row under it (walk8: "3h" showed the "1 hour" preset first)."""
        self._typed_item = None
        if self.typed is None or not text:
            return None
        try:
            self._typed_item = self.typed(text)
        except (ValueError, UserError) as exc:
            return Option(Text("  " + one_line(str(exc), 120), style="yellow"), disabled=True)
        if self._typed_item is None:
            return None
        row = _Choice(self._typed_item)
        row.label.stylize("bold")
        return Option(row, id=TYPED)

    @on(Input.Changed, "#filter")
    def _changed(self, event: Input.Changed) -> None:
        if event.value != event.input.value or event.value == self.filter_text:
            return  # typed past (catch_up showed a later text), or shown already
        self._filter_to(event.value)

    def catch_up(self) -> None:
        """Show the choices for the filter's text now, ahead of its Changed messages
        (queued behind the keys typed with the text): a Down or Enter typed right after
        the text acts on the rows for all of it (walk6: "import-gap Down Enter" at once
        chose the row under "New tag" as it was for part of the name). InOrderInput calls
        this before it runs such a key."""
        value = self.query_one("#filter", Input).value
        if value != self.filter_text:
            self._filter_to(value)

    def _filter_to(self, value: str) -> None:
        self.filter_text = value
        if self._refused_text:  # the refusal was of the text before this edit (walk7)
            self._refused_text = False
            self.query("#picker-error").remove()
        if value in self.pins:
            self.dismiss(self.pins[value])
            return
        self._fill(value)

    @on(Input.Submitted, "#filter")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.waiting:  # typed ahead of the choices: kept until they arrive
            self._enter_typed = True
            return
        self._submit(event.value)

    def _submit(self, typed: str) -> None:
        """Enter: the highlighted row (the typed answer's, first, when the text is one:
        "3h"); with none, why the text chooses nothing."""
        ol = self.query_one(OptionList)
        if ol.highlighted is not None:
            self._choose(ol.get_option_at_index(ol.highlighted).id)
            return
        text = typed.strip()
        if not text:
            return
        try:  # meant as an answer, but wrong: its own sentence
            if self.typed is not None:
                self.typed(text)
        except (ValueError, UserError) as exc:
            self._refuse(str(exc))
        else:  # walk8: "next blursday" Enter emptied the list and said nothing
            self._refuse(f"Nothing here matches “{text}”; Backspace to see the choices.")
        self._refused_text = True

    def typed_beyond(self, value: str) -> str:
        """What was typed in the filter when the choice ``value`` was taken, less the
        words that only began that choice's label ("cust" for "Custom…"): a value meant
        for the prompt the choice opens ("custom friday 25pm" opened it empty)."""
        label = next((it.label.lower() for it in self.items if it.value == value), "")
        words = self.filter_text.split()
        while words and any(w.startswith(words[0].lower()) for w in label.split()):
            words.pop(0)
        return " ".join(words)

    def say(self, sentence: str, error: bool = False) -> None:
        self._refuse(sentence, "bold red" if error else "yellow")

    def _refuse(self, sentence: str, style: str = "bold red") -> None:
        found = self.query("#picker-error")
        text = Text(one_line(sentence, 300), style=style)
        if found:
            found.first(Static).update(text)
        else:
            self.query_one(Vertical).mount(Static(text, id="picker-error"), after="#filter")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._update_preview()

    def _update_preview(self) -> None:
        if not self.with_preview:
            return
        ol = self.query_one(OptionList)
        text = ""
        if ol.highlighted is not None:
            value = ol.get_option_at_index(ol.highlighted).id or ""
            text = self.previews.get(value, "")
        self.query_one("#preview", Static).update(Text(for_display(text)))

    def _choose(self, value: str | None) -> None:
        if value == TYPED and self._typed_item is not None:
            value = self._typed_item.value
        if value is None:
            return
        self.dismiss(value[5:] if value.startswith("\x00new:") else value)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()
        self._update_preview()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()
        self._update_preview()

    def action_cancel(self) -> None:
        self.dismiss(None)


class Prompt(SaysInside, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        title: str,
        placeholder: str = "",
        value: str = "",
        *,
        check: Callable[[str], str | None] | None = None,
        suggestion: str = "",
    ) -> None:
        super().__init__()
        self.title_text, self.placeholder, self.value = title, placeholder, value
        self.check = check  # the value → an error sentence (the dialog stays), or None
        self._refused_text = False  # the error line is about the text as it was typed
        # A name the app suggests (an incident's): shown greyed in the empty box, taken
        # by Enter, replaced by what is typed (as real text, typing appended to it).
        self.suggestion = one_line(suggestion, 300)

    def compose(self) -> ComposeResult:
        with Vertical():
            # A Static wraps: a long title is read whole (a Label was cut at 80 columns).
            title = Text(one_line(self.title_text, 300), style="bold")
            yield Static(title, id="prompt-title")
            # A value it opens with stays, with the cursor after it (it was selected
            # whole, out of sight, and the first key typed replaced it): ctrl+u clears.
            yield InOrderInput(
                value=one_line(self.value, 2000),
                placeholder=self.suggestion or self.placeholder,
            )
            yield Static(id="prompt-error")

    def on_mount(self) -> None:
        box = self.query_one(Input)
        box.cursor_position = len(box.value)
        box.focus()
        problem = self.check(box.value) if self.check and box.value.strip() else None
        if problem:  # a value typed earlier (in a picker) that does not read: say why
            self._refuse(problem)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value if event.value.strip() or not self.suggestion else self.suggestion
        problem = self.check(value) if self.check and value.strip() else None
        if problem:
            self._refuse(problem)
            return
        self.dismiss(value)

    def _refuse(self, problem: str) -> None:
        self.say(problem, error=True)
        self._refused_text = True

    @on(Input.Changed)
    def _edited(self, event: Input.Changed) -> None:
        """Once the text is edited the refusal was about another text (walk7: "tomorrow
        9" refused, then "tomorrow 9am" still showed it until Enter)."""
        if self._refused_text and event.value != self.value:
            self._refused_text = False
            self.query_one("#prompt-error", Static).update("")

    def action_cancel(self) -> None:
        self.dismiss(None)


class Waiting(ModalScreen[None]):
    """Between two steps of a flow (a macro being prepared, the store asked whether a
    close needs a category): says what is loading. What the agent types meanwhile is
    held by the app (``HOLDS_KEYS``, tui/typeahead.py) and typed, in order, to the next
    step once it is up: nothing reaches the screen behind, nothing is lost. Esc cancels
    the flow (and drops what was held for it)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="waiting.cancel")]
    HOLDS_KEYS = True

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title
        self.cancelled = False

    SHOW_AFTER = 0.4  # seconds: a quick step never flashes a dialog

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield Static(id="waiting-typed")

    def on_mount(self) -> None:
        self.set_timer(self.SHOW_AFTER, lambda: self.add_class("-shown"))

    def show_held(self, typed: str) -> None:
        """The app holds ``typed`` for the next step: show it."""
        found = self.query("#waiting-typed")
        if found:
            shown = one_line(typed.replace("\n", " ⏎ "), 60)
            found.first(Static).update(Text(f"Typed: {shown}" if typed else "", style="dim"))

    def handoff(self) -> str | None:
        """The next step is ready: close (what was typed meanwhile goes to the screen the
        caller opens next, as keys). None when the agent pressed Esc: the flow stops."""
        if self.cancelled:
            return None
        self.cancelled = True  # once: a second answer finds nothing to hand over
        if self.is_attached:
            self.dismiss(None)
        return ""

    def abandon(self) -> None:
        """The next step will not come (a failure): close, and drop the held keys."""
        drop = getattr(self.app, "drop_held", None)
        if self.handoff() is not None and callable(drop):
            drop()

    def action_cancel(self) -> None:
        self.cancelled = True
        self.dismiss(None)


def _two_columns(rows: list[tuple[str, str]], key_style: str) -> Padding:
    """Keys and what they do: a description too long for the line wraps under its own
    column (it wrapped to the left edge, under the keys, at 60 and 80 columns)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style=key_style, no_wrap=True, min_width=12)
    table.add_column(ratio=1)
    for key, text in rows:
        table.add_row(Text(one_line(key, 24)), Text(one_line(text, 300)))
    return Padding(table, (0, 0, 0, 2))


class HelpScreen(ModalScreen[None]):
    """Every key, and the list's marks. It scrolls with the keys a pager's reader tries
    first (walk8: only PgDn and End did, j/k, arrows, space and Home did nothing), and
    its last line, outside the scroll, says which."""

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
        Binding("space,pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("g,home", "edge(False)", "Top", show=False),
        Binding("G,end", "edge(True)", "Bottom", show=False),
    ]
    KEYS = "j/k ↑↓ scroll · Space PgDn PgUp page · g/G Home End · Esc close"

    def __init__(
        self,
        rows: list[tuple[str, str]],
        intro: str,
        legend: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.intro = intro
        self.legend = legend or []

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                yield Static(Text("Keys", style="bold"))
                yield Static(_two_columns(self.rows, "bold cyan"))
                if self.legend:
                    yield Static(Text("\nIn the list", style="bold"))
                    yield Static(_two_columns(self.legend, "bold"))
                yield Static(Text("\n" + self.intro, style="dim"))
            yield Static(Text(self.KEYS, style="dim"), id="help-keys")

    @property
    def _box(self) -> VerticalScroll:
        return self.query_one(VerticalScroll)

    # immediate: Textual defers a scroll to after the next refresh, from the offset of
    # the moment it was asked; ten j in one burst each asked for the same line + 1 and
    # scrolled one line in all (walk11 G). Each key now scrolls before the next is read.
    def action_scroll(self, lines: int) -> None:
        self._box.scroll_relative(y=lines, animate=False, immediate=True)

    def action_page(self, pages: int) -> None:
        # As scroll_page_down / _up do (a page is the box's height), but at once.
        self.action_scroll(pages * self._box.scrollable_content_region.height)

    def action_edge(self, end: bool) -> None:
        if end:
            self._box.scroll_end(animate=False, immediate=True)
        else:
            self._box.scroll_home(animate=False, immediate=True)

    def action_close(self) -> None:
        self.dismiss(None)


class Confirm(SaysInside, ModalScreen[bool]):
    """Ask before acting on several conversations: says what, how many and which, each
    with its marks (``services.core.Listed``: "your unsent draft stays", "already
    answered") shown whole, every line fitted to the dialog's width and the whole to the
    screen's height (the marks were cut at 80 and 160 columns, walk9)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]
    SHOWN = 8  # conversations listed at most; the rest are counted
    NUMBERED = 40  # of the rest, numbers listed
    LABEL_ROOM = 16  # a label shorter than this puts its marks on a line of their own

    def __init__(self, question: str, subjects: list[Any], notes: list[str] | None = None) -> None:
        super().__init__()
        self.question = question
        # Each a plain label, or a ``Listed`` (id, label, marks; not imported here: the
        # services load after the first frame).
        self.items: list[Any] = subjects
        # As the agent reads them, marks whole: "#12 Subject · customer · already answered"
        self.subjects = [_label(s) + "".join(f" · {m}" for m in _marks(s)) for s in subjects]
        self.notes = notes or []  # e.g. which selected conversations were left out, why

    def compose(self) -> ComposeResult:
        width = min(80, self.app.size.width * 95 // 100) - 4  # its CSS: border and padding
        with Vertical():
            yield Static(self._text(width), id="confirm-text")

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        box = self.query_one("#confirm-text", Static)
        if box.size.width:
            box.update(self._text(box.size.width))

    def _text(self, width: int) -> Text:
        """Everything, with as many conversations listed as the screen has room for (a
        line for what ``say`` may add kept free)."""
        width = max(width, 20)
        rows = self.app.size.height - 3
        console = self.app.console
        most = min(self.SHOWN, len(self.items))
        notes = min(len(self.notes), self.SHOWN + 1)
        # Fewer listed first (the rest are named by number), then fewer notes (their
        # first line, how many were left out, stays).
        tries = [(n, notes) for n in range(most, min(most, 1) - 1, -1)]
        tries += [(min(most, 1), n) for n in range(notes - 1, min(notes, 1) - 1, -1)]
        for shown, kept in tries:
            text = self._lines(width, shown, kept)
            if len(text.wrap(console, width)) <= rows:
                break
        return text

    def _lines(self, width: int, shown: int, notes: int) -> Text:
        text = Text()
        text.append(for_display(self.question) + "\n\n", style="bold")
        for item in self.items[:shown]:
            text.append_text(_listed_line(item, width, self.LABEL_ROOM))
        rest = self.items[shown:]
        if rest:
            text.append_text(self._rest(rest))
        if notes:
            text.append("\n" + one_line(self.notes[0], 100) + "\n", style="bold yellow")
            for note in self.notes[1:notes]:
                text.append(f"  • {one_line(note, 100)}\n", style="yellow")
        text.append("\ny / Enter: yes · n / Esc: no", style="dim")
        return text

    def _rest(self, rest: list[Any]) -> Text:
        """The conversations not listed, by number when they have one (``core.labels``),
        so every one acted on is on screen (walk2: "14 linked" and 8 shown), and those
        with a mark named under it."""
        numbers = [n for n in (_number(r) for r in rest[: self.NUMBERED]) if n]
        listed = ": " + ", ".join(numbers) if len(numbers) == min(len(rest), self.NUMBERED) else ""
        listed += ", …" if listed and len(rest) > self.NUMBERED else ""
        text = Text(f"  … and {len(rest)} more{listed}\n", style="dim")
        for mark in sorted({m for r in rest for m in _marks(r)}):
            among = [_number(r) or "?" for r in rest if mark in _marks(r)]
            more = f", … ({len(among)})" if len(among) > self.NUMBERED else ""
            text.append(f"    {mark}: {', '.join(among[: self.NUMBERED])}{more}\n", style="yellow")
        return text

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def _label(item: Any) -> str:
    return one_line(str(getattr(item, "label", item)), 300)


def _marks(item: Any) -> tuple[str, ...]:
    return tuple(one_line(m, 60) for m in getattr(item, "marks", ()))


def _number(item: Any) -> str | None:
    cid = getattr(item, "id", None)
    if cid:
        return f"#{cid}"
    label = _label(item)
    return one_line(label.split(" ", 1)[0], 12) if label.startswith("#") else None


def _listed_line(item: Any, width: int, room: int) -> Text:
    """One conversation, "  • label · mark · mark", in ``width`` cells: the marks whole,
    the label shortened for them; where the label would keep fewer than ``room`` cells,
    the marks go on the next line. A plain line (a merge's "from:" and "into:") wraps."""
    if not hasattr(item, "marks"):
        return Text(f"  • {one_line(str(item), 160)}\n")
    label = Text(_label(item))
    marks = " · ".join(_marks(item))
    tail = f" · {marks}" if marks else ""
    line = Text("  • ")
    if cell_len(tail) <= width - 4 - room:
        label.truncate(width - 4 - cell_len(tail), overflow="ellipsis")
        line.append_text(label)
        line.append(tail, style="yellow")
        return line.append("\n")
    label.truncate(width - 4, overflow="ellipsis")
    line.append_text(label)
    under = Text(f"    · {marks}", style="yellow")
    under.truncate(width, overflow="ellipsis")
    return line.append("\n").append_text(under).append("\n")
