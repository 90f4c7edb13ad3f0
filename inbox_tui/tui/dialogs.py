"""Modal dialogs: fuzzy pickers, a one-line prompt, the composer with its review step,
and the help screen. Each returns its answer through ``dismiss``; none touches the store.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from inbox_tui.sanitize import for_display, one_line


@dataclass
class PickItem:
    value: str
    label: str
    hint: str = ""
    checked: bool = False


class FuzzyPicker(ModalScreen[str | None]):
    """Type to filter (rapidfuzz), arrows or j/k-free typing, Enter to choose."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "down", "Down", show=False, id="picker.down"),
        Binding("up", "up", "Up", show=False, id="picker.up"),
    ]
    DEFAULT_CSS = """
    FuzzyPicker { align: center middle; }
    FuzzyPicker > Vertical { width: 70; max-width: 95%; height: auto; max-height: 80%; border: round $accent; background: $surface; padding: 0 1; }
    FuzzyPicker OptionList { height: auto; max-height: 16; border: none; }
    FuzzyPicker .preview { height: auto; max-height: 10; color: $text-muted; border-top: solid $accent; }
    """

    def __init__(
        self,
        title: str,
        items: list[PickItem],
        *,
        allow_new: str | None = None,
        preview: dict[str, str] | None = None,
        pins: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.items = items
        self.allow_new = allow_new  # e.g. "Create tag"
        self.previews = preview or {}
        self.pins = pins or {}  # "1" → value: typing the digit alone chooses it

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            yield Input(placeholder="type to filter…", id="filter")
            yield OptionList(id="options")
            if self.previews:
                yield Static(id="preview", classes="preview")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _options(self, query: str) -> list[PickItem]:
        if not query:
            return self.items
        labels = {i: f"{it.label} {it.hint}" for i, it in enumerate(self.items)}
        hits = process.extract(query, labels, scorer=fuzz.WRatio, limit=50, score_cutoff=45)
        return [self.items[i] for _, _, i in sorted(hits, key=lambda h: (-h[1], h[2]))]

    def _fill(self, query: str) -> None:
        ol = self.query_one(OptionList)
        ol.clear_options()
        self._shown = self._options(query.strip())
        opts = []
        for it in self._shown:
            t = Text()
            t.append("✔ " if it.checked else "  ", style="green")
            t.append(one_line(it.label, 80))
            if it.hint:
                t.append(f"  {one_line(it.hint, 60)}", style="dim")
            opts.append(Option(t, id=it.value))
        new = query.strip()
        if (
            self.allow_new
            and new
            and not any(
                it.value == new.lower() or it.label.lower() == new.lower() for it in self.items
            )
        ):
            opts.append(
                Option(
                    Text(f"+ {self.allow_new} “{one_line(new, 60)}”", style="italic"),
                    id=f"\x00new:{new}",
                )
            )
        ol.add_options(opts)
        if opts:
            ol.highlighted = 0
        self._update_preview()

    @on(Input.Changed, "#filter")
    def _changed(self, event: Input.Changed) -> None:
        if event.value in self.pins:
            self.dismiss(self.pins[event.value])
            return
        self._fill(event.value)

    @on(Input.Submitted, "#filter")
    def _submitted(self) -> None:
        ol = self.query_one(OptionList)
        if ol.highlighted is not None:
            self._choose(ol.get_option_at_index(ol.highlighted).id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._update_preview()

    def _update_preview(self) -> None:
        if not self.previews:
            return
        ol = self.query_one(OptionList)
        text = ""
        if ol.highlighted is not None:
            value = ol.get_option_at_index(ol.highlighted).id or ""
            text = self.previews.get(value, "")
        self.query_one("#preview", Static).update(Text(for_display(text)))

    def _choose(self, value: str | None) -> None:
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


class Prompt(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]
    DEFAULT_CSS = """
    Prompt { align: center middle; }
    Prompt > Vertical { width: 60; max-width: 95%; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text, self.placeholder, self.value = title, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            yield Input(value=self.value, placeholder=self.placeholder)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class Draft:
    action: str  # send | send_close | note | discard
    text: str


class Composer(ModalScreen[Draft | None]):
    """Write a reply or a note inline (or in $EDITOR), then review: send / edit / discard."""

    BINDINGS = [
        Binding("ctrl+s", "review", "Review", id="compose.review"),
        Binding("ctrl+e", "editor", "$EDITOR", id="compose.editor"),
        Binding("escape", "escape", "Back", id="compose.escape"),
    ]
    DEFAULT_CSS = """
    Composer { align: center middle; }
    Composer > Vertical { width: 100; max-width: 100%; height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    Composer TextArea { height: 1fr; }
    Composer #review { height: auto; display: none; background: $boost; padding: 0 1; }
    Composer #review.shown { display: block; }
    """

    def __init__(
        self, title: str, text: str = "", *, is_note: bool = False, save_label: str | None = None
    ) -> None:
        super().__init__()
        self.save_label = save_label
        self.title_text = title
        self.initial = text
        self.is_note = is_note
        self.reviewing = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            yield Static(Text("ctrl+s review · ctrl+e edit in $EDITOR · esc back", style="dim"))
            yield TextArea(self.initial, id="body", soft_wrap=True, tab_behavior="indent")
            with Horizontal(id="review"):
                yield Static(id="review-text")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def action_review(self) -> None:
        if not self.text.strip():
            self.notify("Nothing to send: the text is empty.", severity="warning")
            return
        self.reviewing = True
        what = self.save_label or ("Save note" if self.is_note else "Send")
        keys = (
            "y save · e edit · d discard"
            if self.is_note
            else "y send · c send and close · e edit · d discard"
        )
        self.query_one("#review-text", Static).update(Text(f"{what}? {keys}", style="bold"))
        self.query_one("#review").add_class("shown")
        self.query_one(TextArea).read_only = True
        self.focus()  # keys now go to the review, not the text

    def on_key(self, event: object) -> None:
        if not self.reviewing:
            return
        key = getattr(event, "key", "")
        if key == "y":
            self.dismiss(Draft("note" if self.is_note else "send", self.text))
        elif key == "c" and not self.is_note:
            self.dismiss(Draft("send_close", self.text))
        elif key == "e":
            self._back_to_edit()
        elif key == "d":
            self.dismiss(None)
        else:
            return
        stop = getattr(event, "stop", None)
        if callable(stop):
            stop()

    def _back_to_edit(self) -> None:
        self.reviewing = False
        self.query_one("#review").remove_class("shown")
        ta = self.query_one(TextArea)
        ta.read_only = False
        ta.focus()

    def action_escape(self) -> None:
        if self.reviewing:
            self._back_to_edit()
        elif not self.text.strip() or self.text == self.initial:
            self.dismiss(None)
        else:
            self.action_review()

    def action_editor(self) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
            fh.write(self.text)
            path = Path(fh.name)
        try:
            with self.app.suspend():
                result = subprocess.run([*shlex.split(editor), str(path)], check=False)
            if result.returncode == 0:
                self.query_one(TextArea).text = path.read_text(encoding="utf-8", errors="replace")
            else:
                self.notify(
                    f"The editor exited with status {result.returncode}; the text was kept as it was.",
                    severity="warning",
                )
        except FileNotFoundError:
            self.notify(f"The editor {editor!r} was not found; set $EDITOR.", severity="error")
        finally:
            path.unlink(missing_ok=True)
        self.action_review()


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 80; max-width: 100%; height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, rows: list[tuple[str, str]], intro: str) -> None:
        super().__init__()
        self.rows = rows
        self.intro = intro

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("Keys\n\n", style="bold")
        for key, desc in self.rows:
            text.append(f"  {key:<14}", style="bold cyan")
            text.append(f"{desc}\n")
        text.append("\n" + self.intro, style="dim")
        with VerticalScroll():
            yield Static(text)

    def action_close(self) -> None:
        self.dismiss(None)
