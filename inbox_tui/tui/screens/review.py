"""The review step's pieces: the header block (From, To, Cc, Bcc, Subject, files,
signature) the composer shows before a reply or forward leaves, the recipients form
(``a``) and the path prompt with completion for attaching a file (``f``). The rules
(what an address is, the size caps, completions) are ``services.review``'s; every
string from a stranger goes through ``sanitize`` on its way to the screen."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from inbox_tui.errors import UserError
from inbox_tui.sanitize import for_display, one_line, person, safe_filename, short_filename
from inbox_tui.services.schedule import describe
from inbox_tui.tui.typeahead import InOrderInput
from inbox_tui.tui.widgets.dialogs import SaysInside
from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.services.review import Pairs, Review

REVIEW_KEYS = "a recipients · s signature on/off · f attach a file · F drop the last file"
# Narrower terminals name the keys shorter, so the line still fits (60 columns).
SHORT_REVIEW_KEYS = "a recipients · s signature · f attach · F drop file"
TINY_REVIEW_KEYS = "a recipients · s sign · f attach · F drop"


def _people(pairs: Pairs) -> str:
    """A name with a comma is quoted (``sanitize.person``), so ``"Díaz, Ana" <ana@x>``
    does not read as two people."""
    if not pairs:
        return "(nobody)"
    return ", ".join(person(n, a) for n, a in pairs)


NOTE_KEYS = "f attach a file · F drop the last file"


def review_keys(review: Review) -> tuple[str, ...]:
    """The keys the review step of this kind takes (besides send, edit, discard)."""
    if review.kind == "note":
        return ("f", "F")
    if review.chat:  # no addresses, files or signature in a chat line
        return ()
    return ("a", "s", "f", "F")


def _files(review: Review) -> str:
    # The names the files go (and are kept) under: cleaned like a saved attachment's.
    files = [short_filename(safe_filename(Path(p).name), 60) for p in review.files]
    return ", ".join(files) if files else "(none)"


def review_text(
    review: Review, send_keys: str, width: int = 200, more: str = "", zone: str = "UTC"
) -> Text:
    """The review block: one line per header, then what to press. ``width``: the
    columns it has; on a narrow terminal the From line leaves out the mailbox's name
    and the keys are named shorter, so each still takes one line. ``more``: keys that
    go on the last line (the send line's ``w send at`` when that line is full); ``zone``
    the agent's (a send-at time)."""
    text = Text()

    def row(label: str, value: str, style: str = "") -> None:
        # A value too long for the line goes on under its own column, not under the
        # labels at the left edge (60 columns: the To line's second address read as a row).
        lines = textwrap.wrap(value, max(width - 10, 20), break_on_hyphens=False) or [""]
        text.append(f"{label:<10}", style="bold")
        text.append(("\n" + " " * 10).join(lines) + "\n", style=style)

    if review.kind == "note":  # never sent: only the files kept with it
        row("Files", _files(review))
        text.append(send_keys + "\n", style="bold")
        text.append(NOTE_KEYS, style="dim")
        return text

    if review.chat:
        row("To", "the chat customer (through the chat bridge)")
    else:
        sender = one_line(review.from_addr or "(no sending account)", 120)
        if review.from_name:
            sender = f"{one_line(review.from_name, 60)} <{sender}>"
        mailbox = f"  (mailbox {one_line(review.mailbox, 40)})" if review.mailbox else ""
        if 10 + len(sender) + len(mailbox) <= width:
            sender += mailbox
        row("From", sender)
        row("To", _people(review.to), "" if review.to else "bold red")
        row("Cc", _people(review.cc) if review.cc else "(nobody)")
        row("Bcc", _people(review.bcc) if review.bcc else "(nobody)")
    if not review.chat:  # a chat line has no subject
        row("Subject", one_line(review.subject, 200))
    if review.kind == "reply" and review.answers and len(review.customers) > 1:
        # A merge joined two customers' mail: say whose message this reply answers.
        others = len(review.customers) - 1
        row(
            "Answers",
            f"{review.answers} (not the other {count(others, 'customer')} here: see the thread)",
            "bold yellow",
        )
    if review.kind == "forward":
        what = (
            "one message, attached whole with its files"
            if review.message_row_id and review.attach_original
            else "the whole conversation, quoted"
        )
        if review.carried:
            what += f", with its {count(review.carried, 'file')}"
        if review.left_out:
            what += f" ({count(review.left_out, 'file')} over the size limit left out)"
        row("Forwards", what, "yellow" if review.left_out else "")
    if not review.chat:  # a chat line goes as it is: no files, no signature
        row("Files", _files(review))
        row("Signature", *_signature_row(review))
    if review.send_at is not None:  # "send at" (w): held in the outbox until then
        row("Send at", describe(review.send_at, review.customer_offset, zone), "bold yellow")
    if review.missing():
        text.append(one_line(review.missing() or "", 300) + "\n", style="bold red")
    text.append(send_keys, style="bold")
    if review.chat:  # nothing else to change in a chat line
        return text
    text.append("\n")
    base = (REVIEW_KEYS, SHORT_REVIEW_KEYS, TINY_REVIEW_KEYS)
    fitting = [" · ".join(filter(None, (k, more))) for k in base]
    text.append(next((k for k in fitting if len(k) <= width), fitting[-1]), style="dim")
    return text


def _signature_row(review: Review) -> tuple[str, str]:
    """The Signature line's text and style."""
    if review.signature is None:
        return "none is set up for this mailbox", "dim"
    if not review.sign:
        return "not added (s adds it)", "yellow"
    first = one_line(review.signature.strip().split("\n")[0], 60)
    return (f"added ({first}…)" if "\n" in review.signature.strip() else f"added ({first})"), ""


class RecipientsForm(SaysInside, ModalScreen["tuple[Pairs, Pairs, Pairs] | None"]):
    SAY_LINE = "#form-error"

    """To, Cc and Bcc as editable lines; Enter checks every address (one sentence on the
    first bad one, the form stays), Tab moves between the lines, Esc leaves unchanged."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="recipients.cancel")]

    def __init__(self, review: Review) -> None:
        super().__init__()
        self.review = review

    def compose(self) -> ComposeResult:
        from inbox_tui.services.review import format_addresses

        with Vertical():
            yield Label(Text("Recipients (commas between addresses; Enter saves)", style="bold"))
            for field, pairs in (
                ("To", self.review.to),
                ("Cc", self.review.cc),
                ("Bcc", self.review.bcc),
            ):
                yield Label(field)
                yield InOrderInput(
                    format_addresses(pairs),
                    id=f"rcpt-{field.lower()}",
                    placeholder="name@example.com",
                )
            yield Static(id="form-error")

    def on_mount(self) -> None:
        self.query_one("#rcpt-to", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        from inbox_tui.services.review import parse_addresses

        try:
            parsed = tuple(
                parse_addresses(self.query_one(f"#rcpt-{f.lower()}", Input).value, f)
                for f in ("To", "Cc", "Bcc")
            )
        except UserError as exc:
            self.query_one("#form-error", Static).update(
                Text(one_line(str(exc), 300), style="bold red")
            )
            return
        self.dismiss(parsed)  # type: ignore[arg-type]

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathPrompt(SaysInside, ModalScreen[str | None]):
    """A file path with completion (Tab) in the current folder or, after ``~/``, the home
    folder. Enter checks the file (``check`` returns one sentence, and the prompt
    stays) and hands the path back."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="path.cancel"),
        # Not a priority binding: run by the box in the order typed (InOrderInput), after
        # the letters typed before it (walk8: "/tmp/fo" Tab at once gave "/tmp/mp/fo").
        Binding("tab", "complete", "Complete", id="path.complete"),
    ]

    def __init__(
        self, title: str, check: Callable[[str], str | None], cwd: Path | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.check = check
        self.cwd = cwd or Path.cwd()
        self._aliases: dict[str, str] = {}  # a cleaned name shown in the box -> the real one

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(one_line(self.title_text, 200), style="bold"), id="prompt-title")
            yield InOrderInput(placeholder="path, e.g. ~/Downloads/report.pdf (Tab completes)")
            yield Static(id="path-choices")
            yield Static(id="prompt-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_complete(self) -> None:
        import os

        from inbox_tui.services.review import complete_path

        box = self.query_one(Input)
        typed = self._aliases.get(box.value, box.value)
        found = complete_path(typed, self.cwd)
        if found:
            common = os.path.commonprefix(found)  # noqa: RUF071 (letters typed, not folders)
            if len(common) > len(typed):
                # A name with control or bidi characters (ESC, U+202E) never goes into the
                # box as it is: the box shows it cleaned, and Enter reads the real one.
                shown_value = for_display(common)
                if shown_value != common:
                    self._aliases[shown_value] = common
                box.value = shown_value
                box.cursor_position = len(shown_value)
        choices = self.query_one("#path-choices", Static)
        width = max((choices.size.width or 70) - 1, 20)
        shown = Text(no_wrap=True, overflow="ellipsis")
        for choice in found[:8]:
            shown.append(short_filename(choice, width) + "\n")
        if len(found) > 8:
            shown.append(f"… and {len(found) - 8} more", style="dim")
        if not found and typed.endswith("/") and complete_path(typed + ".", self.cwd):
            # a home folder of dot files only said "Nothing here" (walk8, "~/" Tab)
            shown.append("Only hidden files here: type . to list them.", style="dim")
        elif not found:
            shown.append("Nothing here starts like that.", style="dim")
        self.query_one("#path-choices", Static).update(shown)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        value = self._aliases.get(event.value, event.value).strip()
        if value and not value.startswith(("/", "~")):
            value = str(self.cwd / value)
        problem = self.check(value)
        if problem:
            self.query_one("#prompt-error", Static).update(
                Text(one_line(problem, 300), style="bold red")
            )
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
