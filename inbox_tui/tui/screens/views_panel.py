"""The views panel (``v``): the built-in views, one per tag, the saved searches; choosing
one shows it, and on a saved one ``R`` renames it and Delete deletes it.

A saved view is a search over the scope it was saved in (services/views). The screen
names the view it shows by its saved name, so a rename changes that name only once the
store has it: a refused rename (the name is taken) left the screen on the other view,
and a view unknown to the screen was read as a search over everything (#17).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from inbox_tui.sanitize import one_line
from inbox_tui.tui.gateway import Loaded
from inbox_tui.tui.screens.flows import Flow, FlowsBase
from inbox_tui.tui.typeahead import focus_now, retype
from inbox_tui.tui.widgets.key_list import KeyList, PickList

if TYPE_CHECKING:
    from inbox_tui.services.views import SavedView


class ViewsLoaded(Loaded):
    pass


class ViewsList(PickList):
    """The views. On a saved view, R renames it and Delete deletes it (after asking).
    Typing filters them, ranked as every picker ranks (``rank_items``). j/k/g/G move
    until a filter is begun; after its first letter they are letters of it (walk5:
    "billing" became "billin", "bugs" "bus"), and the arrows move. Backspace takes one
    back; Esc closes the panel, filter and all, as it closes every picker (walk5: an Esc
    that only cleared the filter left the panel open and the next v was typed into it)."""

    BINDINGS = [
        Binding("R", "rename", "Rename view", show=False, id="views.rename"),
        Binding("delete", "delete", "Delete view", show=False, id="views.delete"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.typed = ""
        self._all: list[Option] = []

    def set_views(self, options: list[Option], keep: str | None) -> None:
        self._all = options
        self._show(keep)

    def _show(self, keep: str | None) -> None:
        from inbox_tui.tui.widgets.dialogs import PickItem, rank_items

        shown = self._all
        if self.typed:
            items = [PickItem(o.id or "", str(o.prompt)) for o in self._all]
            wanted = [it.value for it in rank_items(self.typed, items)]
            by_id = {o.id: o for o in self._all}
            shown = [by_id[v] for v in wanted]
        self.clear_options()
        self.add_options(shown)
        self.border_title = f"views: {self.typed}" if self.typed else None
        ids = [o.id for o in shown]
        self.highlighted = ids.index(keep) if keep in ids else (0 if ids else None)

    async def _on_key(self, event: events.Key) -> None:
        if self.screen is not self.app.screen:
            # Typed in the same burst as R or Delete, behind it: for the dialog it opened
            # (the letters went into the filter, and the prompt opened empty).
            retype(self.app, event)
            return
        if self.screen.focused is not self:
            # Typed behind the Enter that chose a view (it moved the focus to the list):
            # for the list, once the view's rows are shown (they moved this panel's
            # highlight, or the list's cursor over the rows before).
            retype(self.app, event)
            return
        letter = bool(event.is_printable and event.character)
        filtering = letter and bool(self.typed) and event.key not in ("R", "space")
        if not filtering and await self._own_key(event):
            return
        keys = {
            b.key
            for b in (*self.BINDINGS, *PickList.BINDINGS, *KeyList.BINDINGS)
            if isinstance(b, Binding)
        }
        bound = {k for key in keys for k in key.split(",")}
        if filtering or (letter and event.key not in bound):
            self.typed += event.character or ""
        elif event.key == "backspace" and self.typed:
            self.typed = self.typed[:-1]
        else:
            return
        event.stop()
        event.prevent_default()
        self._show(None)

    async def _own_key(self, event: events.Key) -> bool:
        """Its own keys (R, Delete, j/k/g/G) run here, in the order typed: Textual runs a
        binding only once the key has been up to the app, after the keys behind it
        were taken here as the filter's text."""
        for key in (event.key, *event.aliases):
            for binding in self._bindings.key_to_bindings.get(key, []):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()  # and not again when it bubbles up
                    return True
        return False

    def _ask(self, what: str) -> None:
        if self.highlighted is None:
            return
        view = self.get_option_at_index(self.highlighted).id or ""
        # At once, not through a message: the prompt is up before the next key is read,
        # so a name typed right after R goes into it (it went to the list behind: e
        # closed a conversation).
        edit = getattr(self.screen, "edit_view", None)
        if callable(edit):
            edit(what, view)

    def action_select(self) -> None:
        """Enter: the screen shows the view now, not through a message queued behind
        the keys typed with the Enter (which then went to this panel)."""
        choose = getattr(self.screen, "choose_view", None)
        if self.highlighted is None or not callable(choose):
            super().action_select()
            return
        choose(self.get_option_at_index(self.highlighted).id or "open")

    def action_rename(self) -> None:
        self._ask("rename")

    def action_delete(self) -> None:
        self._ask("delete")


class ViewsPanel(FlowsBase):
    """The main screen's views panel; MainScreen provides the list and its state."""

    saved_views: dict[str, SavedView]
    unread_mentions: int
    _views_renamed: tuple[str, str] | None = None
    _stats_return: Any
    _search_return: Any
    list_renamed: Any  # MainScreen: the list's set is the same under a new name

    def load_views(self, renamed: tuple[str, str] | None = None) -> None:
        """Load the views for the panel; ``renamed`` (old id, new id): a view renamed
        there stays highlighted under its new name."""
        from inbox_tui.services.views import list_views

        # Only the newest load is shown (exclusive): one started before a write (mentions
        # marked read) must not land after one started after it. A rename asked for by
        # a load that a newer one replaces rides on the newer one.
        self._views_renamed = renamed or self._views_renamed
        self.gateway.read(
            self, list_views, self.me, reply=ViewsLoaded, flow=self._views_renamed, group="views",
            exclusive=True,
        )  # fmt: skip

    def on_views_loaded(self, message: ViewsLoaded) -> None:
        from inbox_tui.services.views import MENTIONS, VIEWS

        found = message.value
        self._views_renamed = None
        before, self.saved_views = self.saved_views, found.saved
        self._follow_saved_view(before, found.saved)
        self.unread_mentions = found.counts.get(MENTIONS[0], 0)
        ol = self.query_one("#views", OptionList)
        # Where the agent has moved in the open panel meanwhile (j typed right after v)
        # stays; else the view shown is highlighted.
        moved = ol.highlighted is not None and ol.has_focus and ol.option_count
        keep = ol.get_option_at_index(ol.highlighted).id if moved else self.view  # type: ignore[arg-type]
        if message.flow is not None and keep == message.flow[0]:
            keep = message.flow[1]  # renamed: it stayed where the agent was (walk4)
        opts = [Option(Text(f"{label} ({found.counts.get(v, 0):,})"), id=v) for v, label in VIEWS]
        # After Mine: the other place work meant for me shows up (notes naming me).
        opts.insert(
            2, Option(Text(f"{MENTIONS[1]} ({self.unread_mentions:,} unread)"), id="mentions")
        )
        opts += [Option(Text(f"#{one_line(t, 20)}"), id=f"tag:{t}") for t in found.tags]
        opts += [Option(Text(f"★ {one_line(n, 20)}"), id=f"saved:{n}") for n in found.saved]
        self.query_one("#views", ViewsList).set_views(opts, keep)

    def _follow_saved_view(self, before: dict[str, SavedView], now: dict[str, SavedView]) -> None:
        """The saved view on screen is no longer among the saved views: renamed (its row
        has another name: the same set under it) or deleted (All open, as a delete in
        the panel does), by the CLI or another agent."""
        if not self.view.startswith("saved:") or self.view[6:] in now:
            return
        name = self.view[6:]
        old = before.get(name)
        new = next((v.name for v in now.values() if old and old.id and v.id == old.id), None)
        if new is not None:
            self.view = f"saved:{new}"
            self.list_renamed(f"saved:{name}", self.view)
            self.notify(f"The view “{one_line(name, 60)}” is now called “{one_line(new, 60)}”.")
        else:
            self.view = "open"
            self.notify(f"The view “{one_line(name, 60)}” was deleted; showing All open.")
        self.reload()  # the title names it (a refresh of the same set when renamed)

    def edit_view(self, what: str, view: str) -> None:
        """``R`` (``what`` "rename") or Delete on ``view`` in the views panel."""
        from inbox_tui.services.views import delete_view, rename_view
        from inbox_tui.tui.widgets.dialogs import Confirm, Prompt

        if not view.startswith("saved:"):
            self.notify("Only saved views can be renamed or deleted.", severity="warning")
            return
        name = view[6:]

        def renamed(new: str | None) -> None:
            clean = one_line(new or "", 100)
            if clean and clean != name:
                # The screen follows the new name once the store has it (not before:
                # the rename may be refused), with the search and scope it had.
                flow = Flow([], after=lambda: self._view_renamed(name, clean))
                ok = f"Renamed the view to “{clean}”."
                self.store_write(rename_view, name, new, ok=ok, flow=flow)

        def deleted(yes: bool | None) -> None:
            if yes:
                if self.view == view:
                    self.view = "open"
                    self.reload()
                ok = f"Deleted the view “{name}”."
                flow = Flow([], after=self.load_views)
                self.store_write(delete_view, name, ok=ok, flow=flow)

        if what == "rename":
            self.app.push_screen(
                Prompt(f"New name for “{name}” (ctrl+u clears)", value=name), renamed
            )
        else:
            self.app.push_screen(Confirm("Delete this saved view?", [name]), deleted)

    def _view_renamed(self, old: str, new: str) -> None:
        from dataclasses import replace

        found = self.saved_views.pop(old, None)
        if found is not None:
            self.saved_views[new] = replace(found, name=new)
        if self.view == f"saved:{old}":
            self.view = f"saved:{new}"
            # The list shows the same set under its new name: a refresh, not a new set
            # (the cursor stays on its row).
            self.list_renamed(f"saved:{old}", self.view)
        self.load_views(renamed=(f"saved:{old}", f"saved:{new}"))

    def catch_up(self) -> None:
        """The search box's text searched now, ahead of its Changed messages (queued
        behind the keys typed with the text): a key typed right after the text acts on
        all of it (walk7: "/ calendar -tag:bug ctrl+s" at once said "Type a search
        first"; a Down, Tab or a view saved moved over or kept part of it). InOrderInput
        calls this before such a key, as the pickers' ``catch_up``."""
        search = self.query_one("#search", Input)
        if self.focused is search:
            self.search_now(search.value)

    def close_search_box(self) -> None:
        """A view shown instead of a search: the box goes, empty (walk7: choosing "All
        open" after a search left the box reading the old words over the whole view)."""
        search = self.query_one("#search", Input)
        search.value = ""
        search.remove_class("shown")

    def choose_view(self, view: str) -> None:
        """Show ``view`` (Enter or a click in the panel)."""
        self.view = view
        self._stats_return = self._search_return = None
        self.query_text = ""
        self.search_everywhere = False
        self.query_one("#views").remove_class("shown")
        self.close_search_box()
        self.conv_list.clear_selection()
        focus_now(self.conv_list)
        self.reload()
