"""The main screen's writing flows: notes, replies (drafts kept in the store, $EDITOR,
collisions) and undo. Service calls go through the gateway; answers come back as
messages handled in ``triage.TriageFlows``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inbox_tui.tui.gateway import lazy_module
from inbox_tui.tui.screens.composer import Composer, Draft
from inbox_tui.tui.screens.flows import (
    FlowsBase,
    NoteFlow,
    OpenChanged,
    ReplyStarted,
    SendFlow,
    TakeBackFlow,
    UndoFlow,
)
from inbox_tui.tui.widgets.dialogs import FuzzyPicker, PickItem

if TYPE_CHECKING:
    from inbox_tui.services import triage
else:  # not before the first frame (see lazy_module)
    triage = lazy_module("inbox_tui.services.triage")

log = logging.getLogger(__name__)


def _files(n: int) -> str:
    return "1 file" if n == 1 else f"{n} files"


class ReplyFlows(FlowsBase):
    def action_undo(self) -> None:
        """ctrl+z / U: revert this agent's last triage change (services/undo.py)."""
        from datetime import timedelta

        from inbox_tui.services.agent_clock import agent_zone
        from inbox_tui.services.undo import undo_last

        window = timedelta(minutes=self.config.undo_minutes)
        zone = agent_zone(self.config.agent.timezone)  # a conflict's time on its clock
        now = self.clock()
        self.store_write(
            lambda s: undo_last(s, self.me, window=window, now=now, zone=zone),
            flow=UndoFlow(),
        )

    # -- notes and replies ---------------------------------------------------------------

    def action_note(self) -> None:
        if flow := self.begin(single=True):
            self.compose_note(flow.ids[0])

    def compose_note(self, cid: int, exact: str | None = None, review: Any = None) -> None:
        """The note composer on the agent's kept note draft (``exact``: on that text, a
        note that failed to save, handed back with its ``review``: the files). The
        review step attaches files (``f``), kept with the note."""
        from inbox_tui.services import buglinks
        from inbox_tui.services.compose import start_note
        from inbox_tui.services.drafts import delete_draft
        from inbox_tui.services.review import note_review

        title = f"Internal note (never sent) on {self.conversation_label(cid)}"

        def done(draft: Draft | None) -> None:
            if draft is None:  # discarded
                self.store_write(lambda s: delete_draft(s, self.me, cid, kind="note"))
            elif draft.action == "closed" or not draft.complete:
                ok = (
                    "Note kept; n on this conversation brings it back."
                    if draft.text.strip()
                    else None
                )
                self._keep_draft(cid, draft, "note", ok)
            elif draft.text.strip():  # saved; the draft goes in the same transaction
                files = list(draft.review.files) if draft.review is not None else []
                saved = "Note saved." if not files else f"Note saved with {_files(len(files))}."
                self.store_write(
                    lambda s: buglinks.add_note(
                        s, self.me, cid, draft.text, pattern=self.config.bug_pattern,
                        attachments=files, config=self.config,
                    ),  # a bug it names links the conversation: the toast says so
                    ok=lambda note: f"{saved} {buglinks.linked_sentence(note.links)}".strip(),
                    flow=NoteFlow(cid, draft.text, draft.review),
                )  # fmt: skip

        composer = self._open_composer(
            cid, "note", title, done, is_note=True, review=review or note_review(cid),
            config=self.config,
        )  # fmt: skip
        self.complete_mentions(composer)  # the agents' names arrive while typing
        if exact is not None:
            composer.call_after_refresh(composer.fill, exact)
            return

        def started(start: Any) -> None:  # the files kept with the note's draft
            composer.review = start.review or composer.review

        self.gateway.read(
            self, start_note, self.me, cid, reply=ReplyStarted, flow=(composer, started),
            group="pickers",
        )  # fmt: skip

    def _keep_draft(self, cid: int, draft: Draft, kind: str, ok: str | None) -> None:
        """A composer closed with Esc: its text kept in the store for the next r / n,
        with what the agent changed in the review step (recipients, signature, files; a
        composer closed before its kept draft arrived keeps what was typed after it)."""
        from inbox_tui.services.drafts import keep_composer_text

        self.store_write(
            lambda s: keep_composer_text(s, self.me, cid, draft.text, kind, draft.complete, draft.review),
            ok=ok,
        )  # fmt: skip

    def _open_composer(
        self,
        cid: int,
        kind: str,
        title: str,
        done: Callable[[Draft | None], None],
        text: str = "",
        **options: Any,
    ) -> Composer:
        """Open the composer at once, on the keypress (keys typed next land in it; its
        kept draft arrives later through ``fill``), over the lower part of the screen with
        the conversation's thread above it at the customer's last message. Closing it
        goes back to where the agent was."""
        from inbox_tui.services.drafts import keep_composer_text, save_draft

        def keep(text: str) -> None:  # the composer's autosave: a crash keeps the text
            # ... and the review's choices once they are here (mode, recipients, time).
            edits = composer.review.edits() if composer.review is not None else None
            save = lambda s: save_draft(s, self.me, cid, text, kind=kind, review=edits)  # noqa: E731
            self.gateway.fire(self, save, group="draft")

        def keep_now(text: str, complete: bool) -> None:  # quitting: saved before the app goes
            review = composer.review
            try:
                self.gateway.commit(
                    lambda s: keep_composer_text(s, self.me, cid, text, kind, complete, review)
                )
            except Exception:  # the app is leaving; the last autosave is what remains
                log.exception("could not keep the draft while quitting")

        was_reading = self.has_class("-reading") and self.open_id == cid
        if kind == "reply":
            self.replying_to = cid  # presence says "replying", whatever the heartbeat
        if not was_reading:
            self.open_conversation(cid)
        self.post_message(OpenChanged())  # "replying" at once (an open alone waits)
        self.add_class("-composing")
        self.thread_view.reveal_latest(cid)

        def closed(draft: Draft | None) -> None:
            self.remove_class("-composing")
            self.thread_view.drop_reveal(cid)
            if self.replying_to == cid:
                self.replying_to = None
            if not was_reading:
                self.leave_thread()
            self.post_message(OpenChanged())  # presence: viewing again (or nothing)
            done(draft)

        composer = Composer(
            title, text, autosave=keep, save_now=keep_now, loading=True,
            editor_command=self.config.editor_command, **options,
        )  # fmt: skip
        self.app.push_screen(composer, closed)
        return composer

    def action_reply(self) -> None:
        if flow := self.begin(single=True):
            self.compose_reply(flow.ids[0], "")

    def action_reply_all(self) -> None:
        if flow := self.begin(single=True):
            self.compose_reply(flow.ids[0], "", reply_all=True)

    def action_undo_send(self) -> None:
        from inbox_tui.services.undo_send import take_back

        # The newest reply or forward still waiting, whichever conversation it went to:
        # after sending, its row may have left the view and the cursor sits on another.
        self.store_write(
            lambda s: take_back(s, self.me, None, config=self.config), ok=None,
            flow=TakeBackFlow(),
        )  # fmt: skip

    def compose_reply(
        self,
        conv_id: int,
        text: str,
        macro: str | None = None,
        article_id: int | None = None,
        exact: bool = False,
        reply_all: bool = False,
        review: Any = None,
        label: str | None = None,
        greeting_room: bool = False,
    ) -> None:
        """Open the composer at once; its text, the agent's kept draft (if any) followed
        by ``text``, arrives from the store with the review step's headers
        (services.review). ``exact``: ``text`` alone (a send that failed comes back as it
        was, with the ``review`` the agent had edited). Keys typed before the composer is up
        are held for it by the app (tui/typeahead.py). ``label``: how the title names the
        conversation, when it is not the one on screen (B brings back a reply to another).
        ``greeting_room``: ``text`` opens with blank lines for a greeting, where the cursor
        goes (an article: ``services.compose.start_reply``)."""
        from inbox_tui.services.compose import start_reply

        state: dict[str, int | None] = {"seen": None}
        label = label or self.conversation_label(conv_id)
        title = f"Reply{' to all' if reply_all else ''} to {label}"
        title += f" (macro {macro})" if macro else ""

        def done(draft: Draft | None) -> None:
            self._reply_closed(conv_id, draft, state["seen"], macro, article_id, reply_all)

        # What the agent has seen of it: the version of the thread on screen, if it is
        # this conversation's (at 160 columns j moves the preview before its thread has
        # come: the one still shown is the row left), else the version when r began.
        shown = self.thread_view.thread
        seen = shown.version if shown is not None and shown.conversation.id == conv_id else None
        composer = self._open_composer(
            conv_id, "reply", title, done, open_editor=self.config.compose_in_editor,
            config=self.config,
        )  # fmt: skip

        def started(start: Any) -> None:
            state.update(seen=seen or start.version)
            composer.review = review or start.review

        self.gateway.read(
            self,
            lambda s: start_reply(
                s,
                self.me,
                conv_id,
                text,
                config=self.config,
                exact=exact,
                reply_all=reply_all,
                greeting_room=greeting_room,
            ),
            reply=ReplyStarted,
            flow=(composer, started),
            group="pickers",
        )

    def _reply_closed(
        self,
        conv_id: int,
        draft: Draft | None,
        seen: int | None,
        macro: str | None,
        article_id: int | None,
        reply_all: bool,
    ) -> None:
        """The reply composer closed: discarded, kept as a draft (Esc, or nothing to
        send), or sent (after the category question when the send closes)."""
        from inbox_tui.services.drafts import delete_draft

        if draft is None:  # discarded
            self.store_write(delete_draft, self.me, conv_id, ok="Draft discarded.")
        elif draft.action == "closed" or not draft.complete or not draft.text.strip():
            # Esc: kept in the store for the next r, here or in another session.
            ok = (
                "Draft kept; r on this conversation brings it back." if draft.text.strip() else None
            )
            self._keep_draft(conv_id, draft, "reply", ok)
        else:
            then = "closed" if draft.action == "send_close" else None
            to_all = reply_all or bool(draft.review and draft.review.reply_all)
            flow = SendFlow(conv_id, draft.text, then, seen, macro, article_id, to_all)
            flow.review = draft.review

            def send(category: str | None) -> None:
                flow.category = category
                self.send(flow)

            kept = "Not sent: the reply is kept as a draft; r brings it back."
            self.ask_category(
                [conv_id], send, then_status=then, macro=macro,
                on_cancel=lambda: self._keep_draft(conv_id, draft, "reply", kept),
            )  # fmt: skip

    def on_reply_started(self, message: ReplyStarted) -> None:
        """A composer's starting text (a kept draft, a macro's reply) arrived: fill it."""
        composer, started = message.flow
        start = message.value
        if started is not None:
            started(start)
        if composer.is_attached:
            title = composer.title_text
            reply_all = start.review is not None and start.review.reply_all
            if reply_all and not title.startswith("Reply to all"):  # r on a reply-all draft
                # (A opened it as one already: walk6 saw "Reply to all to all to #256".)
                title = title.replace("Reply to ", "Reply to all to ", 1)
            title += " (your draft)" if start.had_draft else ""
            composer.fill(start.text, headers=start.headers, title=title, cursor=start.cursor)

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
                category=flow.category,
            )

        self.store_write(queue, ok=None, flow=flow)

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
            from inbox_tui.services.drafts import delete_draft

            if value == "send":
                self.send(flow, force=True)
            elif value == "discard":  # the draft too (walk2: r brought the text back)
                cid = flow.conv_id
                self.store_write(delete_draft, self.me, cid, ok="Reply discarded.")
            elif value == "edit" or value is None:
                self._load_thread(flow.conv_id)
                self.compose_reply(
                    flow.conv_id, flow.text, flow.macro, flow.article_id, exact=True,
                    reply_all=flow.reply_all, review=flow.review,
                )  # fmt: skip

        self.app.push_screen(FuzzyPicker(title, items), chosen)
