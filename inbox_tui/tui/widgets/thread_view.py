"""The open conversation: header, messages oldest first, notes set apart, quotes folded.

Every string from the store is shown as ``rich.text.Text`` built from
``sanitize.for_display``: no markup is parsed and no control character survives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from inbox_tui.sanitize import for_display, one_line

if TYPE_CHECKING:
    from inbox_tui.services.conversations import Thread, ThreadMessage

MAX_BODY_CHARS = 20_000  # per message on screen; the rest is a click/key away in $PAGER
# Messages shown when a thread opens, and added per "older" step: every message is a
# widget to style and lay out, and a 900-message thread took a quarter of a second.
WINDOW = 30


def fold_quotes(body: str, show_quotes: bool) -> str:
    """Collapse runs of quoted lines (``>``) and the "On … wrote:" line before them."""
    if show_quotes:
        return body
    out: list[str] = []
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith(">"):
            j = i
            while j < len(lines) and (lines[j].lstrip().startswith(">") or not lines[j].strip()):
                j += 1
            if out and out[-1].rstrip().endswith("wrote:"):
                out.pop()
            out.append(f"[… {j - i} quoted lines hidden; press q to show]")
            i = j
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out).rstrip()


def message_text(m: ThreadMessage, show_quotes: bool, now: datetime) -> Text:
    kind = {"in": "customer", "out": "reply", "note": "internal note"}.get(m.direction, m.direction)
    who = one_line(m.author_name or m.author_email or m.agent or "unknown", 80)
    if m.author_email and m.direction == "in":
        who += f" <{one_line(m.author_email, 120)}>"
    when = m.sent_at.astimezone(UTC).strftime("%a %d %b %Y %H:%M UTC")
    head = Text()
    head.append(who, style="bold")
    head.append(
        f"  {kind}",
        style="yellow" if m.direction == "note" else "green" if m.direction == "out" else "cyan",
    )
    head.append(f"  {when}", style="dim")
    body = for_display(m.body)
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS] + f"\n[… {len(body) - MAX_BODY_CHARS:,} more characters]"
    text = Text()
    text.append_text(head)
    if m.cc:  # who else is on it (reply-all keeps them), folded when long
        text.append("\n")
        text.append(f"To {_people(m.to)} · Cc {_people(m.cc)}", style="dim")
    text.append("\n")
    text.append(fold_quotes(body, show_quotes) or "(no text)")
    if m.attachments:
        names = ", ".join(_attachment(a) for a in m.attachments[:20])
        more = f" and {len(m.attachments) - 20} more" if len(m.attachments) > 20 else ""
        text.append(f"\n📎 {names}{more}", style="dim")
    return text


def _people(pairs: list[list[str]], shown: int = 4) -> str:
    """Names (else addresses), the first few, then how many more."""
    names = [one_line((p[0] or p[1]) if len(p) > 1 else str(p[0]), 60) for p in pairs if p]
    extra = f" +{len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + extra


def _attachment(a: dict[str, object]) -> str:
    name = one_line(str(a.get("name", "?")), 80)
    status = a.get("status")
    if status == "too_large":
        return f"{name} ({_size(a.get('size'))}, too large: not kept)"
    if status == "unreadable":
        return f"{name} (broken encoding: not kept)"
    return f"{name} ({_size(a.get('size'))})"


class EarlierMessages(Static):
    """The line above a long thread's first shown message; a click loads more."""

    DEFAULT_CLASSES = "earlier"

    class Clicked(Message):
        pass

    def on_click(self) -> None:
        self.post_message(self.Clicked())


def _size(value: object) -> str:
    n = int(value) if isinstance(value, int) else 0
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} B"


class ThreadView(VerticalScroll, can_focus=True):
    BINDINGS = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="thread.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="thread.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="thread.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="thread.bottom"),
        Binding("q", "toggle_quotes", "Quotes", id="thread.quotes"),
        Binding("o", "older", "Older messages", id="thread.older"),
    ]

    class OlderWanted(Message):
        """The reader asked for the earlier messages of a long thread."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.thread: Thread | None = None
        self.show_quotes = False
        self.viewers: list[tuple[str, str]] = []
        self.now = lambda: datetime.now(UTC)
        self.keep_top = False
        # How many of the newest messages the reader asked to see, for the conversation
        # shown: a reload (after any action) asks for as many again, never for the count
        # it happened to get (a 7-message thread then hid its first message after a reply).
        self.window: tuple[int | None, int] = (None, WINDOW)
        self._scroll: str | float = "top"  # where the next rebuild leaves the reader
        self._reveal: int | None = None  # the conversation to show at its latest message

    def reveal_latest(self, conversation_id: int) -> None:
        """Scroll to the customer's last message (now, or when this conversation is
        shown): a composer opening below the thread keeps it in sight."""
        self._reveal = conversation_id
        if self.thread is not None and self.thread.conversation.id == conversation_id:
            self._reveal = None
            self.call_after_refresh(self._scroll_to_latest)

    def _scroll_to_latest(self) -> None:
        found = list(self.query(".message.in")) or list(self.query(".message"))
        if found:
            self.scroll_to_widget(found[-1], top=True, animate=False)

    def window_for(self, conversation_id: int) -> int:
        shown_id, wanted = self.window
        return wanted if shown_id == conversation_id else WINDOW

    def show(
        self,
        thread: Thread | None,
        viewers: list[tuple[str, str]] | None = None,
        window: int = WINDOW,
    ) -> None:
        before = self.thread
        self.thread = thread
        self.viewers = viewers or []
        if thread is not None:
            self.window = (thread.conversation.id, window)
        if thread is None or before is None or before.conversation.id != thread.conversation.id:
            # Another conversation opens at its top: the subject, who else is here, and
            # the customer's first words are what the agent reads first.
            self._scroll = "top"
        elif len(thread.messages) > len(before.messages) and not self.keep_top:
            self._scroll = "end"  # a new message (a reply sent, the customer wrote)
        else:
            self._scroll = self.scroll_y  # a reload after an action: stay where the reader is
        self._rebuild()

    def _rebuild(self) -> None:
        self.remove_children()
        if self.thread is None:
            self.mount(Static(Text("Select a conversation and press Enter.", style="dim")))
            return
        c = self.thread.conversation
        header = Text()
        header.append(one_line(c.subject, 300), style="bold")
        header.append(f"\n#{c.id} · {c.status}", style="dim")
        if c.snoozed_until:
            header.append(f" until {c.snoozed_until:%d %b %H:%M} UTC", style="dim")
        header.append(f" · {c.channel} · assigned to {c.assignee or 'nobody'}", style="dim")
        if self.thread.customer_clock:  # the customer's local time (services/clock)
            header.append(f" · {self.thread.customer_clock}", style="dim")
        if c.tags:
            header.append("  " + " ".join(f"#{one_line(t, 40)}" for t in c.tags), style="cyan")
        if self.viewers:
            header.append(
                "\n◉ " + ", ".join(f"{one_line(n, 40)} is {a}" for n, a in self.viewers),
                style="magenta",
            )
        widgets = [Static(header, classes="thread-header")]
        if self.thread.earlier:
            more = min(self.thread.earlier, WINDOW)
            widgets.append(
                EarlierMessages(
                    f"▲ {self.thread.earlier:,} earlier messages · press o (or click) "
                    f"to show {more} more"
                )
            )
        for m in self.thread.messages:
            widgets.append(
                Static(
                    message_text(m, self.show_quotes, self.now()), classes=f"message {m.direction}"
                )
            )
        self.mount_all(widgets)
        where, self._scroll = self._scroll, self.scroll_y
        if self._reveal == c.id:
            self._reveal = None
            self.call_after_refresh(self._scroll_to_latest)
        elif self.keep_top or where == "top":
            self.keep_top = False
            self.call_after_refresh(self.scroll_home, animate=False)
        elif where == "end":
            self.call_after_refresh(self.scroll_end, animate=False)
        else:
            self.call_after_refresh(self.scroll_to, y=where, animate=False)

    def on_earlier_messages_clicked(self) -> None:
        self.action_older()

    def action_older(self) -> None:
        if self.thread is not None and self.thread.earlier:
            self.keep_top = True  # the reader went up to read older messages: stay there
            cid, wanted = self.window
            self.window = (cid, wanted + WINDOW)
            self.post_message(self.OlderWanted())

    def action_toggle_quotes(self) -> None:
        self.show_quotes = not self.show_quotes
        self._scroll = self.scroll_y
        self._rebuild()
