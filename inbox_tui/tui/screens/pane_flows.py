"""The side pane's flows on the main screen (F2 tags, F3 macros, F4 articles, F5 the
contact): which conversation it is about, showing and hiding it, its data read in a
worker (keys typed into it wait for the newest: ``_pane_reads``), and a choice made in
it acted on through the triage flows."""

from __future__ import annotations

from typing import Any

from textual import on

from inbox_tui.tui.gateway import Loaded
from inbox_tui.tui.screens.flows import FlowsBase
from inbox_tui.tui.typeahead import Asked, Awaited, focus_now
from inbox_tui.tui.widgets.side_pane import PaneData, SidePane, load_pane_data

PANE_SECONDS = 30.0  # keys typed into the pane wait for its data (the tag model loads)


class PaneLoaded(Loaded):
    """flow: the request (``Asked``: a newer one wins)."""


class PaneFlows(FlowsBase):
    """MainScreen provides the list, the thread view and the triage flows."""

    side_pane: Any
    thread_view: Any
    _pane_for: tuple[str, int | None] | None
    _pane_reads: Awaited
    tag_one: Any
    apply_macro: Any
    compose_reply: Any

    def pane_shown(self) -> bool:
        return self.has_class("-pane")

    def pane_target(self) -> int | None:
        """The one conversation the pane is about: the one being read, else the
        highlighted one (also at 140 columns, where the preview follows the cursor only
        once its message has come: a pane opened by the key after j took the preview's).
        A bulk selection does not count: the pane shows one conversation's data."""
        if self.open_id is not None and self.has_class("-reading"):
            return self.open_id
        row = self.conv_list.current_row()
        return row.id if row else None

    def action_pane_tags(self) -> None:
        self._toggle_pane("tags")

    def action_pane_macros(self) -> None:
        self._toggle_pane("macros")

    def action_pane_articles(self) -> None:
        self._toggle_pane("articles")

    def action_pane_contact(self) -> None:
        self._toggle_pane("contact")

    def _toggle_pane(self, kind: str) -> None:
        """The pane's key shows it and goes into it; pressed in the pane it hides it.
        (It hid a pane shown beside the list or thread too, so the keyboard way into it
        was Tab, Tab.)"""
        shown = self.pane_shown() and self.side_pane.kind == kind
        if shown and (self._pane_has_focus() or self.has_class("-cramped")):
            self._hide_pane()
        elif shown:
            focus_now(self.side_pane.choices)
        else:
            self._show_pane(kind)

    def _show_pane(self, kind: str) -> None:
        self.side_pane.set_kind(kind)
        # Afresh: not another row's choices meanwhile, nor the row last highlighted.
        self.side_pane.show_message("Loading…")
        self.add_class("-pane")
        self.refresh_pane()
        # Opening a pane is asking to act in it: the keys go there (Esc or Tab leave).
        focus_now(self.side_pane.choices)

    def _hide_pane(self) -> None:
        had_focus = self._pane_has_focus()
        self.remove_class("-pane")
        self._pane_for = None
        if had_focus or self.has_class("-cramped"):
            self._focus_main()

    def _uncover_list(self) -> None:
        if self.pane_shown() and self.has_class("-cramped"):
            self._hide_pane()

    def _focus_main(self) -> None:
        if self.has_class("-reading"):
            focus_now(self.thread_view)
        else:
            focus_now(self.conv_list)

    def _pane_has_focus(self) -> bool:
        focused = self.focused
        return focused is not None and self.side_pane in focused.ancestors_with_self

    def refresh_pane(self, force: bool = True) -> None:
        """Load the shown pane's data for its conversation (in a worker). Without
        ``force`` nothing happens when neither the pane nor its conversation changed."""
        if not self.pane_shown():
            return
        cid = self.pane_target()
        key = (self.side_pane.kind, cid)
        if not force and key == self._pane_for:
            return
        self._pane_for = key
        request = self._pane_reads.ask()
        if cid is None:
            request.answer()
            self.side_pane.show_message("No conversation is highlighted.")
            return
        self.gateway.read(
            self, load_pane_data, self.side_pane.kind, cid, self.me, self.clock(), self.zone,
            reply=PaneLoaded, flow=request, group="pane", exclusive=True, request=request,
        )  # fmt: skip

    def on_pane_loaded(self, message: PaneLoaded) -> None:
        # A newer request (the agent moved on) wins over a slower older one.
        data: PaneData = message.value
        if message.flow.newest:
            self.side_pane.show(data)

    def pane_failed(self, request: Asked, text: str) -> None:
        if request.newest:
            self.side_pane.show_message(text)

    @on(SidePane.TabClicked)
    def _pane_tab_clicked(self, event: SidePane.TabClicked) -> None:
        if event.kind != self.side_pane.kind:
            self._show_pane(event.kind)

    @on(SidePane.Chosen)
    def _pane_chosen(self, event: SidePane.Chosen) -> None:
        event.asked.answer()  # acted on below, before any key typed behind it runs
        data = self.side_pane.data
        cid, value = event.conversation_id, event.value
        if cid != self.pane_target():  # a click on the choices of the row left
            self.notify(f"The pane is still loading; nothing was done to #{cid}.", markup=False)
            return
        if event.kind == "tags":
            self.tag_one(cid, value, remove=data is not None and value in data.marked)
        elif event.kind == "macros":
            self.apply_macro([cid], value)
        elif event.kind == "articles" and data is not None and value in data.payload:
            # The blank lines above it are for the greeting: the cursor goes there.
            text = "\n\n" + data.payload[value] + "\n"
            self.compose_reply(cid, text, article_id=int(value), greeting_room=True)
        elif event.kind == "contact":
            self.open_conversation(int(value), from_pane=True)
