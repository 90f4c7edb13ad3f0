"""The composer: write a reply or a note inline (or in $EDITOR), then review it: send,
send and close, edit or discard. It returns a ``Draft`` through ``dismiss`` and never
touches the store."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea


@dataclass
class Draft:
    action: str  # send | send_close | note | closed (Esc: not sent, text kept)
    text: str


class Composer(ModalScreen[Draft | None]):
    """Write a reply or a note inline (or in $EDITOR), then review: send / edit / discard."""

    BINDINGS = [
        Binding("ctrl+s", "review", "Review", id="compose.review"),
        Binding("ctrl+e", "editor", "$EDITOR", id="compose.editor"),
        # priority: the text area would take Esc to leave itself, and the agent stayed in.
        Binding("escape", "escape", "Close", id="compose.escape", priority=True),
    ]

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
            yield Static(Text("ctrl+s review · ctrl+e edit in $EDITOR · esc close", style="dim"))
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
        """Esc in the review goes back to the text; Esc in the text closes the composer
        and hands the text back (``closed``), so the caller keeps it as a draft."""
        if self.reviewing:
            self._back_to_edit()
        else:
            self.dismiss(Draft("closed", self.text))

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
