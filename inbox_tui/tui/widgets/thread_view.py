"""The open conversation: header, messages oldest first, notes set apart, quotes folded.

One Line-API widget (like the conversation list): a message is laid out (wrapped to
the width) only when the reader scrolls near it, and only visible lines are rendered,
so opening a thread costs the same whatever its length; no widget per message.

Every string from the store is shown as ``rich.text.Text`` built from
``sanitize.for_display``: no markup is parsed and no control character survives.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from inbox_tui.sanitize import for_display, one_line, short_filename
from inbox_tui.tui.restyle import PaintedWholeWhenLaidOut, with_kept_scrollbar
from inbox_tui.words import count, size

if TYPE_CHECKING:
    from inbox_tui.services.conversations import Thread, ThreadMessage

MAX_BODY_CHARS = 20_000  # per message on screen; the rest is a click/key away in $PAGER
# Messages read when a thread opens, and added per "older" step: the read is what a
# long thread still costs (the screen lays out only what is near the view).
WINDOW = 30
AHEAD = 2  # screens laid out beyond the visible one
# Lines of messages kept laid out between opens (and rebuilds after an action), the
# oldest shown forgotten first: wrapping a screenful with Rich was ~2.5 ms of each thread
# opened. A line is ~1-2 KB with Textual's caches: 20,000 lines stay under ~40 MB.
KEPT_LINES = 20_000
KEPT_LAYOUTS = 500  # headers and "earlier" lines kept


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
            while not lines[j - 1].strip():  # blank lines after the quote are not quoted
                j -= 1
            if out and out[-1].rstrip().endswith("wrote:"):
                out.pop()
            out.append(f"[… {count(j - i, 'quoted line')} hidden; press q to show]")
            i = j
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out).rstrip()


def message_text(
    m: ThreadMessage,
    show_quotes: bool,
    now: datetime,
    zone: str = "UTC",
    customer_offset: int | None = None,
    me: str | None = None,
) -> Text:
    """One message's lines. ``zone``: the agent's time zone, in which its date and a
    scheduled reply's time are shown (with the customer's, ``customer_offset``, when known).
    ``me``: the agent reading, who can take back only their own replies (B)."""
    from inbox_tui.services.agent_clock import agent_time
    from inbox_tui.services.schedule import describe_for_agent

    kind = {"in": "customer", "out": "reply", "note": "internal note"}.get(m.direction, m.direction)
    if m.forwarded:
        kind = "forward"
    who = one_line(m.author_name or m.author_email or m.agent or "unknown", 80)
    if m.author_email and m.direction == "in":
        who += f" <{one_line(m.author_email, 120)}>"
    when = agent_time(m.sent_at, zone, "%a %d %b %Y %H:%M")
    head = Text()
    head.append(who, style="bold")
    head.append(
        f"  {kind}",
        style="yellow" if m.direction == "note" else "green" if m.direction == "out" else "cyan",
    )
    head.append(f"  {when}", style="dim")
    if m.waiting_until is not None:  # still in the outbox (a scheduled reply: until its time)
        goes = m.waiting_until.astimezone(UTC)
        # B takes back only the reader's own reply (walk4: others were offered it, and B
        # then said there was no reply of theirs waiting).
        back = " (B takes it back)" if me is None or m.agent == me else ""
        if goes - now.astimezone(UTC) > timedelta(minutes=10):  # more than undo's wait
            shown = describe_for_agent(goes, zone, customer_offset)
            head.append(f"  ⏲ scheduled: goes out {shown}{back}", style="bold yellow")
        else:
            head.append(f"  waiting to go out{back}", style="yellow")
    body = for_display(m.body)
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS] + f"\n[… {len(body) - MAX_BODY_CHARS:,} more characters]"
    text = Text()
    text.append_text(head)
    if addressed := m.addressees():  # who else is on it, or whom a forward went to
        text.append("\n")
        text.append(addressed, style="dim")
    text.append("\n")
    text.append(fold_quotes(body, show_quotes) or ("(no note)" if m.forwarded else "(no text)"))
    if m.clock_notes:  # its date could not be trusted (e.g. an offset of +99:00): say so
        text.append(f"\nⓘ {'; '.join(m.clock_notes)}", style="dim")
    if m.links:  # a note naming a bug links the conversation: never silently
        refs = ", ".join(one_line(r, 80) for r in m.links[:10])
        text.append(f"\n🔗 Linked to {refs} · F follows up when fixed", style="bold yellow")
    if m.attachments:
        names = ", ".join(_attachment(a) for a in m.attachments[:20])
        more = f" and {len(m.attachments) - 20} more" if len(m.attachments) > 20 else ""
        text.append(f"\n📎 {names}{more}", style="dim")
    return text


def _attachment(a: dict[str, object]) -> str:
    """Name, type and size (#18), and why a file was not kept."""
    name = short_filename(str(a.get("name", "?")), 48)
    ctype = one_line(str(a.get("type") or a.get("content_type") or "unknown type"), 40)
    status = a.get("status")
    if status == "too_large":
        return f"{name} ({ctype}, {_size(a.get('size'))}, too large: not kept)"
    if status == "unreadable":
        return f"{name} ({ctype}, broken encoding: not kept)"
    return f"{name} ({ctype}, {_size(a.get('size'))})"


def _size(value: object) -> str:
    return size(value if isinstance(value, int) else 0)


def header_text(thread: Thread, viewers: list[tuple[str, str]], zone: str = "UTC") -> Text:
    """Subject, number, status (a snooze's wake time on the agent's clock, ``zone``),
    channel, assignee, tags, and who else is here."""
    from inbox_tui.services.agent_clock import agent_time, stored_times

    c = thread.conversation
    header = Text()
    header.append(one_line(c.subject, 300), style="bold")
    header.append(f"\n#{c.id} · {c.status}", style="dim")
    if c.snoozed_until:
        header.append(f" until {agent_time(c.snoozed_until, zone)}", style="dim")
    header.append(f" · {c.channel} · assigned to {c.assignee or 'nobody'}", style="dim")
    if thread.customer_clock:  # the customer's local time (services/clock)
        header.append(f" · {thread.customer_clock}", style="dim")
    if c.tags:
        header.append("  " + " ".join(f"#{one_line(t, 40)}" for t in c.tags), style="cyan")
    for fired in thread.rules_fired[-3:]:  # why it was tagged or assigned (cleaned)
        header.append(f"\n⚙ rule {stored_times(fired, zone)}", style="dim")
    if thread.target_set:  # its own response target, set by hand (cleaned)
        header.append(f"\n⏱ {thread.target_set}", style="dim")
    if viewers:
        header.append(
            "\n◉ " + ", ".join(f"{one_line(n, 40)} is {a}" for n, a in viewers),
            style="magenta",
        )
    return header


def _estimate(m: ThreadMessage, width: int) -> int:
    """Lines a message will likely take before it is laid out (the scrollbar's guess)."""
    body = min(len(m.body), MAX_BODY_CHARS)
    return 3 + body // max(1, width - 3) + m.body.count("\n", 0, MAX_BODY_CHARS)


@dataclass
class _Block:
    """One piece of the thread: the header, the "earlier messages" line, or a message;
    ``lines`` are its strips at the widget's width once laid out."""

    kind: str
    message: ThreadMessage | None = None
    lines: list[Strip] = field(default_factory=list)


class ThreadView(PaintedWholeWhenLaidOut, ScrollView, can_focus=True):
    BINDINGS = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="thread.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="thread.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="thread.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="thread.bottom"),
        Binding("q", "toggle_quotes", "Quotes", id="thread.quotes"),
        Binding("o", "older", "Older messages", id="thread.older"),
    ]
    COMPONENT_CLASSES = {
        "thread-view--earlier",
        "thread-view--bar-in",
        "thread-view--bar-out",
        "thread-view--bar-note",
        "thread-view--note",
    }

    class OlderWanted(Message):
        """The reader asked for the earlier messages of a long thread."""

    class InSight(Message):
        """What is on screen changed: another thread shown, or a scroll to other lines
        (a preview reads the notes naming the agent that stay in sight)."""

    def __init__(self, zone: str = "UTC", me: str | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.zone = zone  # the agent's time zone (a scheduled reply's time is shown in it)
        self.me = me  # the agent reading: B is offered on their own waiting replies only
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
        self._blocks: list[_Block] = []
        self._tops: list[int] = []  # first line of each laid-out block, in order
        self._height = 0  # lines of the laid-out blocks
        self._width = 0  # the width they were laid out at
        self._guess = 0  # estimated lines of the blocks not laid out yet
        self._reveal: int | None = None  # the conversation to show at its latest message
        self._arrived: int | None = None  # a message new since the last show: its head in sight
        self._line_style: Style | None = None  # rich_style during one render_lines
        self._base = Style()  # the widget's style, applied to the lines when laid out
        # A message's lines by (id, width, settings, styles), with the message they
        # were laid out from (the same id read again may have changed).
        self._kept: OrderedDict[tuple[object, ...], tuple[ThreadMessage, list[Strip]]]
        self._kept = OrderedDict()
        self._kept_lines = 0  # lines in _kept
        self._wrapped: OrderedDict[tuple[object, ...], list[Strip]] = OrderedDict()
        self._painted: tuple[tuple[object, ...], list[Strip], list[Strip]] | None = None
        self._blank_line: tuple[tuple[int, Style], Strip] | None = None
        self._sizing = False  # laying out in the screen's layout, which paints us whole

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        return with_kept_scrollbar(self)

    def reveal_latest(self, conversation_id: int) -> None:
        """Scroll to the customer's last message (now, or when this conversation is
        shown): a composer opening below the thread keeps it in sight."""
        self._reveal = conversation_id
        if self.thread is not None and self.thread.conversation.id == conversation_id:
            # Pending until done: a reload of this thread arriving before the scroll
            # (the list opens the thread behind the composer) must not undo it.
            self.call_after_refresh(self._scroll_to_latest)

    def drop_reveal(self, conversation_id: int) -> None:
        """The composer closed: a reveal still pending (the view had no width while it
        was open) is not done later, when the thread is opened to be read from its top."""
        if self._reveal == conversation_id:
            self._reveal = None

    def _scroll_to_latest(self) -> None:
        if self.thread is None or self.thread.conversation.id != self._reveal:
            return
        if self._width <= 0 or not self.size:
            # Hidden (a pane covers it at 80 columns), or shown but not yet given its
            # size: done once it has one (sized).
            return
        self._reveal = None
        if not self.thread.messages:
            return
        messages = self.thread.messages
        latest = next((m for m in reversed(messages) if m.direction == "in"), messages[-1])
        line = self.line_of(latest.id)
        if line is not None:
            # A few lines above the composer (80x24 with a banner): its words before
            # its author line.
            self.scroll_to(y=line + 1 if self.size.height < 6 else line, animate=False)

    def _scroll_to_arrived(self) -> None:
        """To the end, unless that hides the head of the message that just arrived (a
        forward quoting a whole conversation ends in the customer's words, and read as
        if nothing had been added: walk5): then that head at the top."""
        arrived, self._arrived = self._arrived, None
        line = self.line_of(arrived) if arrived is not None else None
        if line is None or line >= self.max_scroll_y:
            self.scroll_end(animate=False)
        else:
            self.scroll_to(y=line, animate=False)

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
            known = {m.id for m in before.messages}
            self._arrived = next((m.id for m in thread.messages if m.id not in known), None)
        else:
            self._scroll = self.scroll_y  # a reload after an action: stay where the reader is
        self._rebuild()
        self.post_message(self.InSight())

    def set_viewers(self, presence: dict[int, list[tuple[str, str]]]) -> None:
        """Who else has this conversation open, from each poll (as the list's ◉): only
        the header is laid out again, and a reader further down keeps their lines."""
        if self.thread is None:
            return
        viewers = presence.get(self.thread.conversation.id, [])
        if viewers == self.viewers:
            return
        self.viewers = viewers
        if not self._tops or self._width <= 0:
            return  # the header is laid out with the new names when it is needed
        header = self._blocks[0]
        old = len(header.lines)
        header.lines = self._lines(header, self._width)
        delta = len(header.lines) - old
        if delta:
            self._tops = [0, *(top + delta for top in self._tops[1:])]
            self._height += delta
            self._set_virtual_size(Size(self._width, self._height + max(0, self._guess)))
            if self.scroll_y > 0:  # the lines being read stay where they are
                self.scroll_to(y=self.scroll_y + delta, animate=False, immediate=True)
        self.refresh()

    def _rebuild(self) -> None:
        blocks = [_Block("header")]
        if self.thread is not None:
            if self.thread.earlier:
                blocks.append(_Block("earlier"))
            blocks += [_Block("message", m) for m in self.thread.messages]
        self._blocks = blocks
        self._expect_scrollbar()
        where, self._scroll = self._scroll, self.scroll_y
        top = self.keep_top or where == "top"
        self._relayout(0 if top else int(self.scroll_y))
        if self.thread is not None and self._reveal == self.thread.conversation.id:
            self.keep_top = False
            self.call_after_refresh(self._scroll_to_latest)
        elif top:
            self.keep_top = False
            self.scroll_to(y=0, animate=False, immediate=True)
        elif where == "end":
            self._lay_out_until(None)
            self.call_after_refresh(self._scroll_to_arrived)
        else:
            assert isinstance(where, float | int)
            self._lay_out_until(int(where) + self.size.height)
            self.call_after_refresh(self.scroll_to, y=where, animate=False)
        self.refresh()

    def _expect_scrollbar(self) -> None:
        """A view never laid out (hidden since the start) learns whether it needs its
        scrollbar only in the layout that first shows it, after Textual has placed it
        without one: the first thread opened was laid out and painted again in the next
        frame, every visible message wrapped again a column narrower (profiled: ~10 ms of
        CPU of the first open). A thread surely longer than the screen (estimated at the
        screen's width, which gives the fewest lines) shows it from that first layout."""
        if self.size.height > 0 or not self.is_mounted or self.styles.overflow_y != "auto":
            return
        screen = self.screen.size
        guess = sum(_estimate(b.message, screen.width) if b.message else 2 for b in self._blocks)
        if guess > screen.height:
            self.set_reactive(ScrollView.virtual_size, Size(0, guess))
            self.show_vertical_scrollbar = True
            self.vertical_scrollbar.display = True

    # -- layout: blocks become strips only when the reader gets near them ----------------

    def _relayout(self, start: int | None = None) -> None:
        """Forget every laid-out block (a new thread, width or quote setting) and lay
        out what is on screen from ``start`` (default: where the reader is)."""
        self._width = self.scrollable_content_region.width
        self._base = self.rich_style
        self._tops, self._height = [], 0
        for block in self._blocks:
            block.lines = []
        self._guess = sum(
            _estimate(b.message, self._width) if b.message else 2 for b in self._blocks
        )
        start = int(self.scroll_y) if start is None else start
        self._lay_out_until(start + max(1, self.size.height))  # the rest as the reader scrolls

    def _lay_out_until(self, line: int | None) -> None:
        """Lay out blocks until ``line`` is covered (None: all of them)."""
        if self._width <= 0:
            return
        while len(self._tops) < len(self._blocks) and (line is None or self._height <= line):
            block = self._blocks[len(self._tops)]
            block.lines = self._lines(block, self._width)
            self._guess -= _estimate(block.message, self._width) if block.message else 2
            self._tops.append(self._height)
            self._height += len(block.lines)
        self._set_virtual_size(Size(self._width, self._height + max(0, self._guess)))

    def _set_virtual_size(self, size: Size) -> None:
        """The scrollable size, without laying out the screen: ``virtual_size`` is a
        layout reactive, and every block laid out while scrolling (or a thread shown)
        changes it, which re-arranged and repainted the whole screen each time (two
        full layouts per thread opened). This widget's own size never depends on it;
        the scrollbars are updated here, and one that appears or goes still lays out
        (its own reactive does)."""
        if self.virtual_size == size:
            return
        self.set_reactive(ScrollView.virtual_size, size)
        if self.is_mounted:
            self._scroll_update(size)
        if not self._sizing:
            self.refresh()

    def _lines(self, block: _Block, width: int) -> list[Strip]:
        """A block's lines at ``width``, in the widget's style (``_base``)."""
        if block.kind == "message" and block.message is not None:
            return self._message_lines(block.message, width)
        if block.kind == "header":
            if self.thread is None:
                text = Text("Select a conversation and press Enter.", style="dim")
                return self._text_lines(text, width, width, Style(), None, False)
            header = header_text(self.thread, self.viewers, self.zone)
            return self._text_lines(header, width, width, Style(), None, True)
        if block.kind == "earlier" and self.thread is not None:
            more = min(self.thread.earlier, WINDOW)
            text = Text(
                f"▲ {self.thread.earlier:,} earlier messages · press o (or click) "
                f"to show {more} more"
            )
            style = self.get_component_rich_style("thread-view--earlier", partial=True)
            return self._text_lines(text, width - 2, width, style, Segment(" "), True)
        return []

    def _text_lines(
        self, text: Text, wrap: int, width: int, style: Style, pad: Segment | None, blank: bool
    ) -> list[Strip]:
        """``text`` wrapped to ``wrap`` columns (between ``pad``s, a blank line after it),
        in the widget's style. The header and the "earlier" line, built again at every
        open, are laid out again only when their words or styles changed: the same lines
        (~0.5 ms of each open, and the view's paint is kept only for the same lines)."""
        base = self._base
        key = (text.plain, tuple(text.spans), text.style, wrap, width, style, pad, blank, base)
        kept = self._wrapped.get(key)
        if kept is not None:
            self._wrapped.move_to_end(key)
            return kept
        pads = [pad] if pad is not None else []
        lines = [
            Strip([*pads, *line, *pads], width).apply_style(base)
            for line in self._wrap(text, wrap, style)
        ]
        if blank:
            lines.append(Strip.blank(width).apply_style(base))
        self._wrapped[key] = lines
        if len(self._wrapped) > KEPT_LAYOUTS:
            self._wrapped.popitem(last=False)
        return lines

    def _message_lines(self, m: ThreadMessage, width: int) -> list[Strip]:
        """A message's lines, kept between opens unless they depend on the time (a
        reply still waiting to go out)."""
        kind = m.direction if m.direction in ("in", "out", "note") else "in"
        bar_style = self.get_component_rich_style(f"thread-view--bar-{kind}")
        back = self.get_component_rich_style("thread-view--note") if kind == "note" else Style()
        offset = self.thread.customer_offset if self.thread is not None else None
        base = self._base
        key = (m.id, width, self.show_quotes, self.zone, self.me, offset, base, bar_style, back)
        kept = self._kept.get(key)
        if kept is not None and kept[0] == m:
            self._kept.move_to_end(key)
            return kept[1]
        bar = Segment("║" if kind == "note" else "▎", bar_style)
        pad = Segment(" ", back)
        body = message_text(m, self.show_quotes, self.now(), self.zone, offset, self.me)
        lines = [
            Strip([bar, pad, *line, pad], width).apply_style(base)
            for line in self._wrap(body, max(1, width - 3), back)
        ] + [Strip.blank(width).apply_style(base)]
        if m.waiting_until is None:
            old = self._kept.pop(key, None)
            self._kept_lines -= len(old[1]) if old is not None else 0
            self._kept[key] = (m, lines)
            self._kept_lines += len(lines)
            while self._kept_lines > KEPT_LINES and len(self._kept) > 1:
                self._kept_lines -= len(self._kept.popitem(last=False)[1][1])
        return lines

    def _wrap(self, text: Text, width: int, style: Style) -> list[list[Segment]]:
        console = self.app.console
        options = console.options.update(width=max(1, width), height=None)
        return console.render_lines(text, options, style=style, pad=True)

    def sized(self) -> None:
        """In the screen's layout (shown, or resized): lay out what is on screen at the
        new width now, before the paint. Laid out while rendering, the new virtual size
        asked for the view and its scrollbar to be painted again a frame later."""
        if self.scrollable_content_region.width != self._width:
            self._sizing = True
            try:
                self._relayout()
            finally:
                self._sizing = False
            self._reveal_when_shown()

    def on_resize(self, event: events.Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            self._relayout()
            self.refresh()
            self._reveal_when_shown()

    def _reveal_when_shown(self) -> None:
        """A reveal asked for while the view had no width (a composer opened from a
        covering pane) is done once it has one."""
        if (
            self._width > 0
            and self.thread is not None
            and self._reveal == self.thread.conversation.id
        ):
            self.call_after_refresh(self._scroll_to_latest)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        self._lay_out_until(int(new_value) + (AHEAD + 1) * max(1, self.size.height))
        super().watch_scroll_y(old_value, new_value)
        if int(old_value) != int(new_value):
            self.post_message(self.InSight())

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style walks its ancestors' backgrounds (~0.2 ms under load);
        # once per paint, not per line.
        self._line_style = self.rich_style
        if self._line_style != self._base and self._width > 0:
            self._relayout()  # the laid-out lines carry the old style (a theme change)
        try:
            return self._painted_lines(crop)
        finally:
            self._line_style = None

    def _painted_lines(self, crop: Region) -> list[Strip]:
        """The lines Textual's styling (border, padding, filters) made of the same
        content lines the last time, when nothing else they depend on changed: the
        same thread shown again was ~2 ms of styling of each open."""
        content = [self.render_line(y) for y in range(self.scrollable_content_region.height)]
        key = (
            crop,
            self.size,
            self.styles.get_rules(),
            self.background_colors,
            tuple(self.app.get_line_filters()),
            self.app.ansi_theme,
        )
        last = self._painted
        if (
            last is not None
            and last[0] == key
            and len(last[1]) == len(content)
            and all(a is b for a, b in zip(last[1], content, strict=True))
        ):
            return last[2]
        lines = super().render_lines(crop)
        # The content lines themselves are held (compared by identity, never by an id
        # a freed line's successor could reuse).
        self._painted = (key, content, lines)
        return lines

    def render_line(self, y: int) -> Strip:
        line = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if width != self._width:
            self._relayout()
        self._lay_out_until(line)
        index = bisect_right(self._tops, line) - 1
        if index < 0:
            return self._blank(width)
        lines = self._blocks[index].lines
        offset = line - self._tops[index]
        if offset >= len(lines):
            return self._blank(width)
        return lines[offset]

    def _blank(self, width: int) -> Strip:
        style = self._line_style or self.rich_style
        if self._blank_line is None or self._blank_line[0] != (width, style):
            self._blank_line = ((width, style), Strip.blank(width, style))
        return self._blank_line[1]

    # -- reading ---------------------------------------------------------------------

    def action_scroll_end(self) -> None:
        self._lay_out_until(None)  # the last message's place is known only once laid out
        super().action_scroll_end()

    @property
    def laid_out(self) -> int:
        """How many blocks (header, earlier line, messages) are laid out so far."""
        return len(self._tops)

    def block_at(self, line: int) -> tuple[str, ThreadMessage | None] | None:
        """What is on a line of the thread (0 = the subject): the block's kind
        ("header", "earlier", "message") and its message, if any."""
        self._lay_out_until(line)
        index = bisect_right(self._tops, line) - 1
        if index < 0 or line >= self._height:
            return None
        return self._blocks[index].kind, self._blocks[index].message

    def line_of(self, message_id: int) -> int | None:
        """The first line of a message in the thread (laying out up to it), or None: not
        in the thread, or no width to lay it out at (hidden; walk7: waiting for a hidden
        view to lay out spun the app for good)."""
        for i, block in enumerate(self._blocks):
            if block.message is not None and block.message.id == message_id:
                while len(self._tops) <= i:
                    laid_out = len(self._tops)
                    self._lay_out_until(self._height)
                    if len(self._tops) == laid_out:
                        return None
                return self._tops[i]
        return None

    def notes_on_screen(self) -> list[int]:
        """The internal notes of which at least one line is on screen now."""
        top, height = int(self.scroll_y), self.scrollable_content_region.height
        self._lay_out_until(top + height)
        return [
            block.message.id
            for start, block in zip(self._tops, self._blocks, strict=False)
            if block.message is not None
            and block.message.direction == "note"
            and start < top + height
            and start + len(block.lines) > top
        ]

    def plain_text(self) -> str:
        """The whole thread as it is shown, as plain text (lays out every message)."""
        self._lay_out_until(None)
        return "\n".join(
            line.text.rstrip(" ") for block in self._blocks for line in block.lines
        ).rstrip()

    def on_click(self, event: events.Click) -> None:
        found = self.block_at(int(self.scroll_y) + event.y)
        if found is not None and found[0] == "earlier":
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
