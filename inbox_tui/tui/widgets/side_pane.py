"""The side pane beside the thread: Tags, Macros, Articles or Contact for one conversation.

One pane is visible at a time. Four stacked panes at 80 or even 160 columns leave each a
handful of lines, too few for a macro preview or a customer's history; a single pane with
clickable tabs costs one key to switch and keeps every line for the content.

The widget only shows what it is given and says what was chosen (``SidePane.Chosen``);
the app loads the data in a thread worker and acts. Every string from the store reaches
the screen as ``Text`` after ``one_line``/``for_display``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from inbox_tui.sanitize import for_display, one_line
from inbox_tui.tui.typeahead import ANSWER_SECONDS, Asked, Awaited
from inbox_tui.tui.widgets.conversation_list import STATUS_MARK, age, limited_colour
from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.services.article_picks import ArticleChoice
    from inbox_tui.services.contacts import ContactCard
    from inbox_tui.services.macros import MacroChoice
    from inbox_tui.services.suggest import TagChoice

PANES = [("tags", "Tags"), ("macros", "Macros"), ("articles", "Articles"), ("contact", "Contact")]

HINTS = {
    "tags": "Enter adds or removes · Esc back",
    "macros": "Enter applies · Esc back",
    "articles": "Enter inserts in a reply · Esc back",
    "contact": "Enter opens · Esc back",
}


@dataclass
class PaneData:
    """What one pane shows for one conversation, built in a worker."""

    kind: str
    conversation_id: int
    header: Text
    options: list[tuple[str, Text]]  # (value, prompt)
    previews: dict[str, str]
    empty: str = ""  # shown instead of the list when there are no options
    marked: set[str] = field(default_factory=set)  # tags on it; the conversation itself
    payload: dict[str, str] = field(default_factory=dict)  # an article's text for a reply
    about: str = ""  # "#42 “Subject”": under 100 columns the pane covers list and thread


class PaneList(OptionList):
    """The pane's choices: j/k and g/G as in the list, Enter or a click chooses."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="pane.down"),
        Binding("k", "cursor_up", "Up", show=False, id="pane.up"),
        Binding("g", "first", "First", show=False, id="pane.first"),
        Binding("G", "last", "Last", show=False, id="pane.last"),
    ]

    def __init__(self, choosing: Awaited, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choosing = choosing
        self.asked: Asked | None = None

    def action_select(self) -> None:
        """Enter: the choice is asked for as the binding runs, before the keys typed
        behind it reach the app (its message comes later): they wait until the screen
        has acted on it (walk7: "Down Enter t" at once in the Contact pane opened the
        customer's other conversation but tagged the list's row)."""
        option = self.highlighted_option
        if option is not None and not option.disabled:
            self.asked = self.choosing.ask()
        super().action_select()


class PaneTab(Static):
    """A clickable tab title; the keyboard way is the pane's key (F2…F5 by default)."""

    def __init__(self, kind: str, label: str) -> None:
        super().__init__(Text(label), classes="pane-tab")
        self.kind = kind

    def on_click(self) -> None:
        self.post_message(SidePane.TabClicked(self.kind))  # bubbles up to the screen


class SidePane(Vertical):
    class Chosen(Message):
        """Enter or a click on a choice: ``value`` is a tag name, macro slug, article
        id or conversation id (as text), for ``conversation_id``."""

        def __init__(self, kind: str, conversation_id: int, value: str, asked: Asked) -> None:
            self.kind = kind
            self.conversation_id = conversation_id
            self.value = value
            self.asked = asked  # keys typed behind the choice wait until it is handled
            super().__init__()

    class TabClicked(Message):
        def __init__(self, kind: str) -> None:
            self.kind = kind
            super().__init__()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.kind = "tags"
        self.data: PaneData | None = None
        self._listed: tuple[str, int] | None = None  # whose choices the list holds
        # A choice made (Enter) until the screen has acted on it: walk7, "Down Enter t"
        # at once in the Contact pane tagged the list's row, not the thread Enter opened.
        self.choosing = Awaited(ANSWER_SECONDS)
        self._built = False  # its widgets (made when first used)
        self._tabs: list[PaneTab] = []

    def on_mount(self) -> None:
        self.set_class(limited_colour(self.app), "-mono")

    def compose(self) -> ComposeResult:
        # The pane's widgets are made when it is first used (``_build``): until then the
        # main screen has ten widgets fewer to style, walk and wait for (Pilot's wait
        # after each key in the tests and benchmarks pings every one of them).
        return iter(())

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        # Held: a container's children are mounted only when it composes, after this.
        self._tabs = [PaneTab(kind, label) for kind, label in PANES]
        self.mount(
            Horizontal(*self._tabs, id="pane-tabs"),
            Static(id="pane-about"),
            Static(id="pane-head"),
            PaneList(self.choosing, id="pane-list"),
            Static(id="pane-preview"),
            Static(id="pane-hint"),
        )

    @property
    def choices(self) -> PaneList:
        self._build()
        return self.query_one(PaneList)

    def set_kind(self, kind: str) -> None:
        """Switch to another pane; its data follows from the app (``show``)."""
        self._build()
        if kind != self.kind:
            self.data = None
        self.kind = kind
        for tab in self._tabs:
            tab.set_class(tab.kind == kind, "-active")
        self.query_one("#pane-hint", Static).update(Text(HINTS[kind]))
        if self.data is None:
            self._fill(None, Text("Loading…", style="dim"))

    def show_message(self, text: str) -> None:
        self._build()
        self.data = None
        self._fill(None, Text(text, style="dim"))

    def show(self, data: PaneData) -> None:
        """Show freshly loaded data, keeping the highlighted choice where it still exists
        (a refresh after tagging must not throw the agent back to the top)."""
        if data.kind != self.kind:
            return
        self._build()
        self.data = data
        self._fill(data, data.header)

    def _fill(self, data: PaneData | None, header: Text) -> None:
        ol = self.choices
        keep = None
        same = data is not None and (data.kind, data.conversation_id) == self._listed
        if same and ol.highlighted is not None and ol.option_count:
            # The same conversation's list again: stay on the agent's choice. Another
            # conversation's starts at its top (Enter then chose a tag in mid-list).
            keep = ol.get_option_at_index(ol.highlighted).id
        self._listed = (data.kind, data.conversation_id) if data is not None else None
        head = header.copy()
        if data is not None and not data.options and data.empty:
            head.append(("\n" if head.plain else "") + data.empty, style="dim")
        self.query_one("#pane-head", Static).update(head)
        about = Text(data.about if data is not None else "", style="bold")
        self.query_one("#pane-about", Static).update(about)
        ol.clear_options()
        if data is not None and data.options:
            ol.add_options([Option(prompt, id=value) for value, prompt in data.options])
            ids = [value for value, _ in data.options]
            ol.highlighted = ids.index(keep) if keep in ids else 0
        self._update_preview()

    @on(OptionList.OptionHighlighted, "#pane-list")
    def _highlighted(self) -> None:
        self._update_preview()

    def _update_preview(self) -> None:
        preview = self.query_one("#pane-preview", Static)
        ol = self.choices
        text = ""
        if self.data is not None and ol.highlighted is not None and ol.option_count:
            text = self.data.previews.get(ol.get_option_at_index(ol.highlighted).id or "", "")
        preview.update(Text(for_display(text)))
        preview.display = bool(text)

    @on(OptionList.OptionSelected, "#pane-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        pane_list = cast(PaneList, event.option_list)
        asked, pane_list.asked = pane_list.asked or self.choosing.ask(), None  # Enter, or a click
        if self.data is not None and event.option.id is not None:
            cid = self.data.conversation_id
            self.post_message(self.Chosen(self.kind, cid, event.option.id, asked))
        else:
            asked.answer()  # nothing chosen: no key waits for it


# -- building pane data from service results (pure; runs in the worker) ------------------


def tags_data(conversation_id: int, choices: list[TagChoice]) -> PaneData:
    # What is on the conversation first, then what likely belongs, then the rest.
    choices = sorted(choices, key=lambda c: (not c.applied, -c.score))
    options = []
    for c in choices:
        t = Text(no_wrap=True, overflow="ellipsis")
        # A symbol, not only a colour, says which tags are on (16 colours, NO_COLOR).
        t.append("✔ " if c.applied else "+ " if c.score else "  ", style="bold")
        t.append(one_line(c.name, 40), style="bold" if c.applied else "")
        if c.score:
            t.append(f" {c.score:.0%}", style="italic")
        options.append((c.name, t))
    on = sum(1 for c in choices if c.applied)
    likely = sum(1 for c in choices if c.score)
    header = Text(f"{on} on this conversation · {likely} likely", style="bold")
    previews = {c.name: c.hint for c in choices if c.score}
    return PaneData(
        "tags",
        conversation_id,
        header,
        options,
        previews,
        "No tags yet: create one with t.",
        marked={c.name for c in choices if c.applied},
    )


def macros_data(conversation_id: int, choices: list[MacroChoice]) -> PaneData:
    options = []
    for c in choices:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"{c.info.pinned} " if c.info.pinned else "  ", style="bold")
        t.append(one_line(c.info.name, 60))
        if c.info.body_kind == "note":
            t.append(" (note)", style="italic")
        options.append((c.info.slug, t))
    header = Text(f"{len(choices)} macros", style="bold")
    previews = {c.info.slug: c.preview for c in choices}
    return PaneData(
        "macros",
        conversation_id,
        header,
        options,
        previews,
        "No macros: import some with 'inbox-tui import macros PATH'.",
    )


def articles_data(conversation_id: int, choices: list[ArticleChoice]) -> PaneData:
    options = []
    for c in choices:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(one_line(c.suggestion.title, 80))
        options.append((str(c.suggestion.id), t))
    header = Text("Suggested help articles", style="bold")
    # The title may be cut in the list; the preview starts with all of it.
    previews = {
        str(c.suggestion.id): one_line(c.suggestion.title, 200) + "\n" + c.preview for c in choices
    }
    return PaneData(
        "articles",
        conversation_id,
        header,
        options,
        previews,
        "No help article matches; import a help centre with 'inbox-tui import articles PATH'.",
        payload={str(c.suggestion.id): c.insert_text for c in choices},
    )


def contact_data(
    conversation_id: int,
    card: ContactCard | None,
    now: datetime,
    previous: str | None = None,
    clock: str = "",
    zone: str = "UTC",
) -> PaneData:
    """The customer: who they are, their clock, who last helped them and their
    conversations (dates on the agent's clock, ``zone``)."""
    from inbox_tui.services.agent_clock import agent_time

    if card is None:
        return PaneData(
            "contact", conversation_id, Text(), [], {}, "This conversation has no known customer."
        )
    header = Text()
    header.append(one_line(card.name or card.email or card.key, 60), style="bold")
    if card.email:
        header.append("\n" + one_line(card.email, 80))
    if card.company:
        header.append("\n" + one_line(card.company, 60))
    for name, value in list(card.attributes.items())[:12]:  # import contacts FILE.csv
        header.append(f"\n{one_line(name, 20)}: ", style="cyan")
        header.append(one_line(value, 60))
    if len(card.attributes) > 12:
        header.append(f"\n… {len(card.attributes) - 12} more attributes", style="dim")
    header.append(
        f"\nSince {agent_time(card.first_seen, zone, '%d %b %Y', named=False)} · "
        f"{card.total} conversation" + ("s" if card.total != 1 else ""),
        style="dim",
    )
    if clock:  # "their time 03:12 (UTC+02:00), night there" (services/clock)
        header.append(f"\n{clock[0].upper()}{clock[1:]}")
    if previous:  # continuity: whom to hand it to (p assigns it to them)
        header.append(f"\nLast helped by {one_line(previous, 40)}")
    options = []
    previews = {}
    for c in card.conversations:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append("▸ " if c.id == conversation_id else "  ", style="bold")
        t.append(STATUS_MARK.get(c.status, "?") + " ")
        t.append(f"{agent_time(c.last_activity_at, zone, '%d %b', named=False)} ", style="dim")
        t.append(
            one_line(c.subject or "(no subject)", 120),
            style="bold" if c.id == conversation_id else "",
        )
        options.append((str(c.id), t))
        previews[str(c.id)] = (
            f"#{c.id} · {c.status} · {c.channel} · {count(c.message_count, 'message')} · "
            f"last activity {age(c.last_activity_at, now)} ago"
            + (" · the one you are on" if c.id == conversation_id else "")
        )
    return PaneData(
        "contact", conversation_id, header, options, previews, marked={str(conversation_id)}
    )


def load_pane_data(
    session: Any, kind: str, cid: int, me: str, now: datetime, zone: str = "UTC"
) -> PaneData:
    """The shown pane's data for one conversation (run through the gateway), named by
    number and subject: where the pane covers the list and thread, nothing else on
    screen says which conversation Enter acts on. ``zone``: the agent's."""
    from inbox_tui.services.conversations import label

    data = _pane_data(session, kind, cid, me, now, zone)
    data.about = label(session, cid)
    return data


def _pane_data(session: Any, kind: str, cid: int, me: str, now: datetime, zone: str) -> PaneData:
    if kind == "tags":
        from inbox_tui.services.suggest import tag_choices

        return tags_data(cid, tag_choices(session, cid))
    if kind == "macros":
        from inbox_tui.services.macros import macro_choices

        return macros_data(cid, macro_choices(session, me, cid))
    if kind == "articles":
        from inbox_tui.services.article_picks import article_choices

        return articles_data(cid, article_choices(session, cid))
    from inbox_tui.services.clock import customer_clock
    from inbox_tui.services.contacts import contact_card
    from inbox_tui.services.continuity import previous_agent

    clock = customer_clock(session, cid, now)
    return contact_data(
        cid,
        contact_card(session, cid),
        now,
        previous_agent(session, cid),
        clock.describe() if clock else "",
        zone,
    )
