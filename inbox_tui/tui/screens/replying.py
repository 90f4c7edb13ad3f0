"""The main screen's writing flows: notes, replies (drafts kept in the store, $EDITOR,
collisions) and undo. Service calls go through the gateway; answers come back as
messages handled in ``triage.TriageFlows``."""

from __future__ import annotations

import logging
from typing import Any

from inbox_tui.services import triage
from inbox_tui.tui.screens.composer import Composer, Draft
from inbox_tui.tui.screens.flows import (
    FlowsBase,
    NoteFlow,
    ReplyStarted,
    SendFlow,
    TakeBackFlow,
    UndoFlow,
)
from inbox_tui.tui.widgets.dialogs import FuzzyPicker, PickItem

log = logging.getLogger(__name__)


class ReplyFlows(FlowsBase):
    def action_undo(self) -> None:
        """ctrl+z / U: revert this agent's last triage change (services/undo.py)."""
        from datetime import timedelta

        from inbox_tui.services.undo import undo_last

        window = timedelta(minutes=self.config.undo_minutes)
        now = self.clock()
        self.gateway.write(
            self, lambda s: undo_last(s, self.me, window=window, now=now), flow=UndoFlow()
        )

    # -- notes and replies ---------------------------------------------------------------

    def action_note(self) -> None:
        flow = self.begin(single=True)
        if flow is None:
            return
        cid = flow.ids[0]
        notes = self.note_drafts

        def done(draft: Draft | None) -> None:
            if draft is None:  # discarded
                notes.pop(cid, None)
            elif draft.action == "closed":  # Esc: kept for the next n (this session)
                if draft.text.strip():
                    notes[cid] = draft.text
                    self.notify("Note kept; n on this conversation brings it back.")
            elif draft.text.strip():
                notes[cid] = draft.text  # until it is saved: a failure keeps it
                self.gateway.write(
                    self, triage.add_note, self.me, cid, draft.text, ok="Note saved.",
                    flow=NoteFlow(cid, draft.text),
                )  # fmt: skip

        title = f"Internal note on #{cid} (never sent to the customer)"
        composer = Composer(title, notes.get(cid, ""), is_note=True)
        self.app.push_screen(composer, done)
        self.complete_mentions(composer)  # the agents' names arrive while typing

    def action_reply(self) -> None:
        if flow := self.begin(single=True):
            self.compose_reply(flow.ids[0], "")

    def action_reply_all(self) -> None:
        if flow := self.begin(single=True):
            self.compose_reply(flow.ids[0], "", reply_all=True)

    def action_undo_send(self) -> None:
        from inbox_tui.services.undo_send import take_back

        if flow := self.begin(single=True):
            conv_id = flow.ids[0]
            self.gateway.write(
                self, take_back, self.me, conv_id, ok=None, flow=TakeBackFlow(conv_id)
            )

    def compose_reply(
        self,
        conv_id: int,
        text: str,
        macro: str | None = None,
        article_id: int | None = None,
        exact: bool = False,
        reply_all: bool = False,
        review: Any = None,
    ) -> None:
        """Open the composer on the agent's kept draft (if any) followed by ``text``;
        ``exact``: on ``text`` alone (a send that failed comes back as it was, with the
        ``review`` the agent had edited)."""
        from inbox_tui.services.compose import start_reply

        self.gateway.read(
            self,
            lambda s: start_reply(
                s, self.me, conv_id, text, config=self.config, exact=exact, reply_all=reply_all
            ),
            reply=ReplyStarted,
            flow=(conv_id, macro, article_id, reply_all, review),
            group="pickers",
        )

    def on_reply_started(self, message: ReplyStarted) -> None:
        from inbox_tui.services.drafts import delete_draft, save_draft
        from inbox_tui.services.presence import heartbeat

        conv_id, macro, article_id, reply_all, review = message.flow
        start = message.value
        review = review or start.review
        seen = self.open_version if conv_id == self.open_id else None
        self.gateway.fire(self, heartbeat, self.me, conv_id, "replying", group="presence")

        def keep(text: str) -> None:  # the composer's autosave: a crash keeps the text
            self.gateway.fire(self, save_draft, self.me, conv_id, text, group="draft")

        def keep_now(text: str) -> None:  # quitting: saved before the app goes
            try:
                self.gateway.commit(save_draft, self.me, conv_id, text)
            except Exception:  # the app is leaving; the last autosave is what remains
                log.exception("could not keep the draft while quitting")

        def done(draft: Draft | None) -> None:
            if draft is None or draft.action == "closed" or not draft.text.strip():
                self._viewing(conv_id)  # not replying any more
            if draft is None:  # discarded
                self.gateway.write(self, delete_draft, self.me, conv_id, ok="Draft discarded.")
                return
            if draft.action == "closed" or not draft.text.strip():
                # Esc: kept in the store for the next r, here or in another session.
                ok = (
                    "Draft kept; r on this conversation brings it back."
                    if draft.text.strip()
                    else None
                )
                self.gateway.write(self, save_draft, self.me, conv_id, draft.text, ok=ok)
                return
            then = "closed" if draft.action == "send_close" else None
            flow = SendFlow(conv_id, draft.text, then, seen, macro, article_id, reply_all)
            flow.review = draft.review
            self.send(flow)

        title = f"Reply{' to all' if reply_all else ''} to #{conv_id}" + (
            f" (macro {macro})" if macro else ""
        )
        if start.had_draft:
            title += " (your draft)"
        composer = Composer(
            title,
            start.text,
            headers=start.headers,
            autosave=keep,
            save_now=keep_now,
            editor_command=self.config.editor_command,
            open_editor=self.config.compose_in_editor,
            review=review,
            config=self.config,
        )
        self.app.push_screen(composer, done)

    def _viewing(self, conv_id: int) -> None:
        from inbox_tui.services.presence import heartbeat

        self.gateway.fire(self, heartbeat, self.me, conv_id, "viewing", group="presence")

    def send(self, flow: SendFlow, force: bool = False) -> None:
        from inbox_tui.services.compose import send_reply

        def queue(session: Any) -> Any:
            return send_reply(
                session,
                self.me,
                flow.conv_id,
                flow.text,
                config=self.config,
                then_status=flow.then,
                seen_version=None if force else flow.seen,
                force=force,
                macro=flow.macro,
                article_id=flow.article_id,
                reply_all=flow.reply_all,
                review=flow.review,
            )

        self.gateway.write(self, queue, ok=None, flow=flow)

    def _sent_text(self, sent: Any) -> str:
        if sent.undo_seconds > 0:
            from inbox_tui.tui.actions import ACTIONS, keys_for

            undo = next(a for a in ACTIONS if a.id == "undo_send")
            return f"{sent.sentence} Press {keys_for(self.config.keys, undo)} to take it back."
        return str(sent.sentence)

    def _collision(self, flow: SendFlow, changes: list[str]) -> None:
        items = [
            PickItem("send", "Send anyway"),
            PickItem("edit", "Edit the reply"),
            PickItem("discard", "Discard the reply"),
        ]
        title = "Someone else acted on this conversation since you opened it: " + "; ".join(changes)

        def chosen(value: str | None) -> None:
            if value == "send":
                self.send(flow, force=True)
            elif value == "edit" or value is None:
                self._load_thread(flow.conv_id)
                self.compose_reply(
                    flow.conv_id, flow.text, flow.macro, flow.article_id, exact=True,
                    reply_all=flow.reply_all, review=flow.review,
                )  # fmt: skip

        self.app.push_screen(FuzzyPicker(title, items), chosen)
