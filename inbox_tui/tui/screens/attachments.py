"""The open conversation's attachments (P, #18): a list (name, type, size, which message)
from which the agent saves one (a folder prompt; the service sanitises the name and
never overwrites), opens one with the system's handler, reads a text one (log, CSV,
patch) here, or previews an image (``textual-image``: sixel or kitty graphics where the
terminal has them, half-blocks elsewhere, tmux included). Service calls go through the
gateway; every name and address is shown through ``sanitize``."""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from inbox_tui import words
from inbox_tui.sanitize import for_display, one_line, safe_filename, short_filename
from inbox_tui.tui.gateway import Loaded, ServiceFailed
from inbox_tui.tui.widgets.dialogs import SaysInside
from inbox_tui.tui.widgets.key_list import PickList

if TYPE_CHECKING:
    from inbox_tui.services.attachments import AttachmentInfo
    from inbox_tui.tui.gateway import Gateway


class AttachmentsListed(Loaded):
    pass


class AttachmentDone(Loaded):
    """value: the sentence to show (saved where, opened with what)."""


class TextLoaded(Loaded):
    """value: the text; flow: the attachment."""


class ImageLoaded(Loaded):
    """value: a PIL image; flow: the attachment."""


def row_text(info: AttachmentInfo, width: int = 116, zone: str = "UTC") -> Text:
    """One attachment on one line of ``width`` cells: name, type, size, whose, when. When
    it does not fit, the type goes first (the extension says it), then the date, and the
    name is cut in the middle (its extension stays); a row never wraps into the next one.
    (The date went first: a forward's longer "forward by" lost the date the customer's
    rows beside it kept, walk6.)"""
    size = words.size(info.size)
    ctype = one_line(info.content_type, 30)
    whose = {"customer": "from", "reply": "reply by", "forward": "forward by"}.get(info.kind)
    whose = "note by" if info.internal else whose or "from"  # which message it came with
    who = f"{whose} {one_line(info.author or 'unknown', 24)}"
    from inbox_tui.services.agent_clock import agent_time

    when = f", {agent_time(info.sent_at, zone, '%d %b %H:%M', named=False)}" if info.sent_at else ""
    flag = "  (not kept)" if info.status != "stored" else ""
    name = one_line(info.filename or "(no name)", 100_000)
    for tail in (
        f"  {ctype}  {size}  {who}{when}",
        f"  {size}  {who}{when}",
        f"  {size}  {who}",
    ):
        room = width - len(tail) - len(flag)
        if room >= min(len(name), 24):
            break
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(short_filename(name, max(room, 12)), style="bold")
    text.append(tail, style="dim")
    if flag:
        text.append(flag, style="yellow")
    text.truncate(width, overflow="ellipsis")
    return text


# The app's attribute naming the folder the agent last saved an attachment into: the
# save prompt offers it again for the rest of the session (#18), else ~/Downloads.
SAVED_INTO = "attachments_saved_into"


class AttachmentsScreen(SaysInside, ModalScreen[None]):
    """Enter or v: view (text here, images as a preview, anything else with the system's
    handler) · s save · o open with the system's handler · Esc close."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="attachments.close"),
        Binding("v", "view", "View", id="attachments.view"),
        Binding("s", "save", "Save", id="attachments.save"),
        Binding("o", "open", "Open", id="attachments.open"),
    ]
    HINT = "Enter/v view · s save · o open in an app · Esc close"

    def __init__(
        self, gateway: Gateway, conversation_id: int, subject: str = "", zone: str = "UTC"
    ) -> None:
        super().__init__()
        self.zone = zone  # the agent's: a file's date is on their clock
        self.gateway = gateway
        self.conversation_id = conversation_id
        self.subject = subject
        self.items: list[AttachmentInfo] = []
        self._at = 0  # the row highlighted

    def compose(self) -> ComposeResult:
        with Vertical():
            title = f"Attachments of #{self.conversation_id}"
            if self.subject:
                title += f" · {one_line(self.subject, 60)}"
            yield Label(Text(title, style="bold", no_wrap=True, overflow="ellipsis"))
            # j/k and g/G move as in every list (walk2: only the arrows moved here).
            yield PickList(Option(Text("Loading…", style="dim"), disabled=True), id="attachments")
            yield Static(Text(self.HINT, style="dim"), id="attachments-hint")
            yield Static(id="attachments-status")

    def on_mount(self) -> None:
        from inbox_tui.services.attachments import list_attachments

        self.query_one(OptionList).focus()
        self.gateway.read(
            self,
            list_attachments,
            self.conversation_id,
            reply=AttachmentsListed,
            group="attachments",
        )

    def on_attachments_listed(self, message: AttachmentsListed) -> None:
        self.items = list(message.value)
        ol = self.query_one(OptionList)
        ol.clear_options()
        if not self.items:
            ol.add_option(
                Option(Text("This conversation has no attachments.", style="dim"), disabled=True)
            )
            return
        self._fill_rows()
        ol.highlighted = 0

    def _row_width(self) -> int:
        ol = self.query_one(OptionList)
        inner = ol.scrollable_content_region.width or (self.app.size.width - 6)
        return max(inner - 2, 20)  # the option's own padding

    def _fill_rows(self) -> None:
        ol = self.query_one(OptionList)
        highlighted = ol.highlighted
        ol.clear_options()
        ol.add_options([Option(row_text(i, self._row_width(), self.zone)) for i in self.items])
        ol.highlighted = highlighted

    def on_resize(self) -> None:
        if self.items:  # the rows are cut to the width: cut them again
            self.call_after_refresh(self._fill_rows)

    def say(self, sentence: str, error: bool = False) -> None:
        style = "bold red" if error else "green"
        self.query_one("#attachments-status", Static).update(
            Text(one_line(sentence, 300), style=style)
        )

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.stop()
        self.say(message.text, error=True)

    def on_attachment_done(self, message: AttachmentDone) -> None:
        self.say(str(message.value))

    def current(self) -> AttachmentInfo | None:
        ol = self.query_one(OptionList)
        if not self.items or ol.highlighted is None:
            return None
        return self.items[ol.highlighted]

    def _where(self, info: AttachmentInfo) -> tuple[int, int, int]:
        return (self.conversation_id, info.message_row_id, info.position)

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.action_view()

    @on(OptionList.OptionHighlighted)
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index != self._at:  # not a redraw (a resize fills the rows again)
            self._at = event.option_index
            self.say("")  # a sentence about the file before is not about this one

    def action_view(self) -> None:
        from inbox_tui.services.attachments import attachment_text, is_image, is_text, preview_image

        info = self.current()
        if info is None:
            return
        self.say("")  # a new action: what the last one said is over
        if is_text(info):
            self.gateway.read(
                self, attachment_text, info, reply=TextLoaded, flow=info, group="attachments"
            )
        elif is_image(info):
            self.say(f"Loading {one_line(info.filename, 60)}…")
            self.gateway.read(
                self,
                preview_image,
                *self._where(info),
                reply=ImageLoaded,
                flow=info,
                group="attachments",
            )
        else:
            self.action_open()

    def on_text_loaded(self, message: TextLoaded) -> None:
        info: AttachmentInfo = message.flow
        self.app.push_screen(
            TextViewer(
                f"{short_filename(info.filename, 50)} ({words.size(info.size)})", message.value
            )
        )

    def on_image_loaded(self, message: ImageLoaded) -> None:
        info: AttachmentInfo = message.flow
        self.say("")
        self.app.push_screen(ImagePreview(short_filename(info.filename, 50), message.value))

    def action_open(self) -> None:
        from inbox_tui.services.attachments import temp_copy
        from inbox_tui.services.opener import open_file

        info = self.current()
        if info is None:
            return
        self.say("")
        where, ctype = self._where(info), info.content_type

        def job(session: Any) -> str:
            return open_file(temp_copy(session, *where), ctype)

        self.gateway.read(self, job, reply=AttachmentDone, group="attachments")

    def action_save(self) -> None:
        from inbox_tui.services.attachments import default_folder, save_one, why_not_kept
        from inbox_tui.tui.widgets.dialogs import Prompt

        info = self.current()
        if info is None:
            return
        self.say("")
        reason = why_not_kept(info)
        if reason:  # said now, not after asking for a folder
            self.say(
                f"{short_filename(info.filename or '(no name)', 40)} cannot be saved: {reason}.",
                error=True,
            )
            return
        where = self._where(info)

        def chosen(folder: str | None) -> None:
            self.query_one(OptionList).focus()
            if not folder or not folder.strip():
                return
            target = os.path.expanduser(folder.strip())
            app = self.app

            def job(session: Any) -> str:
                path = save_one(session, *where, target)  # type: ignore[arg-type]
                # The next save offers this folder again (this agent, this session).
                setattr(app, SAVED_INTO, folder.strip())
                return f"Saved to {path}."

            self.gateway.read(self, job, reply=AttachmentDone, group="attachments")

        shown, safe = short_filename(info.filename or "(no name)", 40), safe_filename(info.filename)
        title = f"Save {shown} into which folder?"
        if safe != one_line(info.filename, 100_000):  # the name it is written under
            title = f"Save {shown} (as {short_filename(safe, 40)}) into which folder?"
        folder = getattr(self.app, SAVED_INTO, None) or str(default_folder())
        self.app.push_screen(Prompt(title, value=folder), chosen)

    def action_close(self) -> None:
        self.dismiss(None)


class _ViewerText(TextArea):
    """Read-only text: g/Home and G/End go to its top and bottom, as in a pager (walk2:
    G and End did nothing useful in a log; End went to the end of the line)."""

    BINDINGS = [
        Binding("g,home,ctrl+home", "top", "Top", show=False, id="viewer.top"),
        Binding("G,end,ctrl+end", "bottom", "Bottom", show=False, id="viewer.bottom"),
        Binding("j", "cursor_down", "Down", show=False, id="viewer.down"),
        Binding("k", "cursor_up", "Up", show=False, id="viewer.up"),
        Binding("space", "cursor_page_down", "Page down", show=False, id="viewer.page"),
    ]

    def action_top(self) -> None:
        self.move_cursor((0, 0))
        self.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.move_cursor(self.document.end)
        self.scroll_end(animate=False)


class TextViewer(ModalScreen[None]):
    """A text attachment (or an HTML source) to read: scroll with j/k or the arrows,
    Space/PgDn and PgUp, g/G or Home/End; Esc closes. The text is already cleaned by the service."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="viewer.close"),
        Binding("w", "wrap", "Wrap lines", id="viewer.wrap"),
    ]

    def __init__(self, title: str, text: str, wrap: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.wrap = wrap  # HTML is often one long line; a log or CSV reads better unwrapped

    def compose(self) -> ComposeResult:
        with Vertical():
            title = f"{one_line(self.title_text, 120)} · w wraps lines · Esc closes"
            yield Label(Text(title, style="bold", no_wrap=True, overflow="ellipsis"))
            # Cleaned here too: whatever the caller read (an attachment, an HTML source)
            # reaches the terminal only as text.
            text = for_display(self.text)
            yield _ViewerText(text, read_only=True, soft_wrap=self.wrap, id="viewer-text")

    def action_wrap(self) -> None:
        area = self.query_one(TextArea)
        area.soft_wrap = not area.soft_wrap

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_close(self) -> None:
        self.dismiss(None)


def image_widget(image: Any) -> Any:
    """The image widget: coloured half-blocks, which every colour terminal and tmux show;
    sixel or kitty graphics when the terminal was asked at start (``INBOX_TUI_IMAGES=auto``,
    see ``app.run_app``) and answered that it has them, outside tmux. None when
    textual-image is not installed."""
    import sys

    detected = "textual_image.renderable" in sys.modules  # asked at start
    real = sys.__stdout__
    try:
        # On import textual-image asks the terminal what it can show, reading the answer
        # from standard input: with Textual running that would eat the agent's keys, and
        # in tmux it waits out its timeouts. Not a terminal, it asks nothing (Textual
        # writes to stderr, so nothing else notices).
        sys.__stdout__ = io.StringIO()  # type: ignore[misc,assignment]
        from textual_image.renderable import Image as Detected
        from textual_image.renderable.halfcell import Image as HalfcellRenderable
        from textual_image.renderable.unicode import Image as UnicodeRenderable
        from textual_image.widget import HalfcellImage
        from textual_image.widget import Image as AutoImage
    except ImportError:
        return None
    finally:
        sys.__stdout__ = real  # type: ignore[misc]
    graphics = detected and Detected not in (HalfcellRenderable, UnicodeRenderable)
    cls = AutoImage if graphics and not os.environ.get("TMUX") else HalfcellImage
    return cls(image, id="preview-image")


class ImagePreview(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="image.close")]

    def __init__(self, title: str, image: Any) -> None:
        super().__init__()
        self.title_text = title
        self.image = image

    def compose(self) -> ComposeResult:
        with Vertical():
            size = f"{self.image.width}×{self.image.height} px shown"
            title = f"{one_line(self.title_text, 120)} ({size}) · Esc closes"
            yield Label(Text(title, style="bold", no_wrap=True, overflow="ellipsis"))
            widget = image_widget(self.image)
            if widget is None:
                yield Static(
                    Text(
                        "Image previews need the textual-image package; o in the list opens it "
                        "with the system's viewer."
                    )
                )
            else:
                yield widget

    def action_close(self) -> None:
        self.dismiss(None)
