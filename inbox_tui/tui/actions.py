"""Every action once: its binding id (remappable in the config's ``[keys]``), default
keys and description. The main screen's bindings, the footer's key hints, the ``?``
help screen and the command palette are all generated from ``ACTIONS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape


@dataclass(frozen=True)
class Action:
    id: str
    keys: str
    action: str
    description: str
    short: str = ""  # footer label; empty keeps it out of the footer


ACTIONS: list[Action] = [
    Action("open", "enter", "open", "Open the conversation", "Open"),
    Action("back", "escape,u", "go_back", "Back to the list / close search / clear selection"),
    Action("reply", "r", "reply", "Reply to the customer", "Reply"),
    Action("reply_all", "A", "reply_all", "Reply to the customer and everyone on To/Cc"),
    Action(
        "undo_send",
        "B",
        "undo_send",
        "Undo send: take back your last reply while it waits ([mail] undo_seconds)",
    ),
    Action(
        "forward",
        "f",
        "forward",
        "Forward the conversation (quoted) or one message (attached) to any address",
    ),
    Action(
        "attachments",
        "P",  # the paperclip (p is assign to the previous agent)
        "attachments",
        "Attachments of this conversation: view, preview, save, open",
    ),
    Action(
        "original_html",
        "H",
        "original_html",
        "A message's original HTML: its source as text, or in the browser",
    ),
    Action("note", "n", "note", "Write an internal note", "Note"),
    Action("tag", "t", "tag", "Tag (Enter toggles; a new name is a modifier)", "Tag"),
    Action("assign", "a", "assign", "Assign to an agent (picker)", "Assign"),
    Action("assign_me", "i", "assign_me", "Assign to me"),
    Action(
        "assign_previous",
        "p",
        "assign_previous",
        "Assign to the previous agent (who last helped this customer)",
    ),
    Action("status", "s", "status", "Set status: open, pending, closed", "Status"),
    Action("snooze", "z", "snooze", "Snooze (presets or custom, e.g. 3h, 2d)", "Snooze"),
    Action("close_next", "e", "close_next", "Close and go to the next conversation", "Close"),
    Action("article", "h", "article", "Insert a suggested help article into a reply", "Article"),
    Action(
        "macro", "m", "macro", "Apply a macro (picker with preview; 1-9 for pinned ones)", "Macro"
    ),
    Action("edit_macro", "M", "edit_macro", "Edit a macro's text"),
    Action("contact", "c", "contact", "This customer's other conversations", "Customer"),
    # Side panes: F-keys, as in htop and Midnight Commander (terminal apps whose panels and
    # dialogs sit on function keys); every letter near t/m/h/c is already an action here.
    # Not in the footer: at 160 columns it would push "? Help" off the line; ? lists them.
    Action("pane_tags", "f2", "pane_tags", "Side pane: tags and likely tags"),
    Action("pane_macros", "f3", "pane_macros", "Side pane: macros with preview"),
    Action("pane_articles", "f4", "pane_articles", "Side pane: suggested help articles"),
    Action("pane_contact", "f5", "pane_contact", "Side pane: the customer and their history"),
    Action(
        "incident",
        "I",
        "incident",
        "Incident: list the burst's conversations, then confirm or dismiss it",
    ),
    Action(
        "fixed",
        "F",
        "fixed",
        "Bug fixed: reply with a macro to every conversation linked to it",
    ),
    Action(
        "select",
        "x",
        "select",
        "Select or unselect, then move down: for bulk tag, assign, close, snooze, macro",
    ),
    Action(
        "merge",
        "J",
        "merge",
        "Merge (join) another conversation of this customer into this one",
    ),
    Action("split", "X", "split", "Split a message and its replies out into a new conversation"),
    Action(
        "target",
        "T",
        "target",
        "Response target of this conversation (30m, first 1h next 8h; none: the [sla] ones)",
    ),
    Action("search", "slash", "search", "Search (is:open tag:bug from:@acme.com …)", "Search"),
    Action(
        "sort_time_left",
        "O",
        "sort_time_left",
        "Sort by time left, most overdue first ([sla] targets); again: the view's own order",
    ),
    Action(
        "views", "v", "views", "Choose a view (Unassigned, Mine, tags, saved searches)", "Views"
    ),
    Action("stats", "S", "stats", "Stats: per-agent figures, busiest hours, tag costs", "Stats"),
    Action("save_search", "ctrl+s", "save_search", "Save the current search as a view"),
    Action(
        "undo",
        "ctrl+z,U",
        "undo",
        "Undo your last tag, assignment, status, snooze, close, merge or split",
    ),
    Action("palette", "colon,ctrl+p", "command_palette", "Command palette"),
    Action("refresh", "ctrl+r", "refresh", "Refresh now"),
    Action("help", "question_mark", "help", "This help", "Help"),
    Action("quit", "ctrl+q", "quit", "Quit"),
]

# Actions bound on the App (they work on every screen); the rest on the main screen.
APP_ACTIONS = ("help", "quit", "palette")

# Keys handled inside widgets (not remappable), listed on the help screen.
OTHER_KEYS = [
    ("j / k", "Move down / up"),
    ("g / G", "First / last"),
    ("PgDn / PgUp", "Page down / up"),
    ("q", "Show or hide quoted text in a thread"),
    ("o", "Show 30 earlier messages of a long thread"),
    ("R / Delete", "In the views list: rename / delete a saved view"),
    ("Tab", "In the search box: search everything instead of the view"),
]

# Keys that are taken but are not actions (widgets, Textual): [keys] may not reuse them.
FIXED_KEYS = {
    "j": "moves down",
    "k": "moves up",
    "down": "moves down",
    "up": "moves up",
    "g": "goes to the first conversation",
    "G": "goes to the last conversation",
    "home": "goes to the first conversation",
    "end": "goes to the last conversation",
    "pagedown": "pages down",
    "pageup": "pages up",
    "ctrl+d": "pages down",
    "ctrl+u": "pages up",
    "q": "shows quoted text",
    "o": "shows earlier messages",
    "tab": "moves between the list, thread and pane",
    "ctrl+c": "copies (or explains how to quit)",
}


def check_keymap(keymap: Mapping[str, str]) -> None:
    """The config's ``[keys]`` against these actions, before the app starts: one
    sentence (ConfigError) for an unknown name, an impossible key or a clash."""
    from inbox_tui.config import check_keys

    check_keys(dict(keymap), {a.id: a.keys for a in ACTIONS}, FIXED_KEYS)


LEGEND = [
    ("●", "open"),
    ("◐", "pending (waiting on the customer)"),
    ("z", "snoozed"),
    ("✓", "closed"),
    ("»", "chat"),
    ("◉", "another agent has it open"),
    ("▶", "selected (x)"),
    ("@", "a note mentions you (unread; the Mentions view lists them)"),
    ("3d", "age: since the customer last wrote (your replies and notes do not reset it)"),
    ("!1d", "with response targets ([sla]): the reply is a day overdue (red)"),
    ("~40m", "the reply is due within 40 minutes (yellow); a plain 3h: time left"),
]

INTRO = 'The list shows the current view; j/k move, Enter opens, Esc goes back. Actions apply to the open conversation, else to the selected (x) ones after you confirm, else to the highlighted one. Keys can be remapped in the config file\'s [keys] table, e.g. note = "N".'


def bindings(on_app: bool, prefix: str = "") -> list[BindingType]:
    return [
        Binding(
            a.keys,
            prefix + a.action,
            a.short or a.description,
            show=bool(a.short),
            id=a.id,
            # Quit works everywhere, also where a text box would take the key (composer).
            priority=a.id == "quit",
        )
        for a in ACTIONS
        if (a.id in APP_ACTIONS) == on_app
    ]


def keys_for(keymap: Mapping[str, str], a: Action) -> str:
    """The keys of an action as the agent types them: "r", "/", "Esc / u", "F2"."""
    keys = keymap.get(a.id, a.keys)
    keys = ",".join(k.upper() if re.fullmatch(r"f\d+", k) else k for k in keys.split(","))
    return (
        keys.replace("question_mark", "?")
        .replace("slash", "/")
        .replace("colon", ":")
        .replace(",", " / ")
    )


# What the footer keeps when the line is too short for every hint, most important first:
# ? (which lists every key) never falls off, then the keys of the core loop.
FOOTER_PRIORITY = [
    "help", "open", "back", "reply", "search", "tag", "close_next", "note", "assign", "status",
    "snooze", "views", "macro", "stats", "contact", "article",
]  # fmt: skip


def key_hints(keymap: Mapping[str, str], width: int | None = None, reading: bool = False) -> Text:
    """The footer's hints. With a ``width``, the most important ones that fit (by
    ``FOOTER_PRIORITY``), whole, in their usual order; ? (every key) is always there.
    In a thread (``reading``) Back takes Open's place: Enter does nothing more there."""
    hints = []
    for a in ACTIONS:
        short = "Back" if a.id == "back" and reading else a.short
        if short and not (reading and a.id == "open"):
            key = keys_for(keymap, a).split(" / ")[0].replace("enter", "⏎")
            key = "Esc" if key == "escape" else key
            hints.append((a.id, f" {key} ", f" {short} "))
    if width is not None:
        rank = {name: i for i, name in enumerate(FOOTER_PRIORITY)}
        keep: set[str] = set()
        used = 0
        for name, key, label in sorted(hints, key=lambda h: rank.get(h[0], len(rank))):
            if used + len(key) + len(label) <= width:
                keep.add(name)
                used += len(key) + len(label)
        hints = [h for h in hints if h[0] in keep]
    text = Text(no_wrap=True, overflow="ellipsis")
    for _, key, label in hints:
        text.append(key, style="bold reverse")
        text.append(label)
    return text


def help_rows(keymap: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(keys_for(keymap, a), a.description) for a in ACTIONS] + OTHER_KEYS


def command_titles(keymap: Mapping[str, str]) -> Iterable[tuple[Action, str, str]]:
    """(action, palette title, help line) for every action the palette offers: the title
    is the description's head and the keys; the help line only what the title does not
    already say (the description's part in brackets), so nothing shows twice."""
    for a in ACTIONS:
        if a.id != "palette":
            # Only a closing bracket is the help line: "Forward the conversation (quoted)
            # or one message (attached) to any address" lost its head (walk9).
            closing = a.description.endswith(")")
            head, _, rest = a.description.rpartition(" (") if closing else (a.description, "", "")
            yield a, f"{head}  [{keys_for(keymap, a)}]", rest.removesuffix(")")


# Textual's own palette commands that one of ours already is (ctrl+q, ?).
SHADOWED_SYSTEM_COMMANDS = frozenset({"Quit", "Keys"})


class PlainCommands(Provider):
    """Textual's system commands, shown as plain text. Textual's own provider parses each
    title as markup, so "Search  [/]" raised MarkupError and ':' crashed the app."""

    async def discover(self) -> Hits:
        for title, help_text, callback, discover in sorted(
            self.app.get_system_commands(self.screen), key=lambda c: c[0]
        ):
            if discover:
                yield DiscoveryHit(Text(title), callback, text=title, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            score, offsets = matcher.fuzzy_search.match(matcher.query, title)
            if score > 0:
                shown = Content(title)
                for i in offsets:
                    shown = shown.stylize(matcher.match_style, i, i + 1)
                yield Hit(score, shown, callback, text=title, help=escape(help_text))
