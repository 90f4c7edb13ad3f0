"""The main screen's mail flows (#18): forward (one message attached whole, or the
conversation quoted, through the same review step as a reply), the conversation's
attachments (``screens/attachments.py``) and a message's original HTML. The rules are
``services.forward``, ``services.review``, ``services.attachments`` and
``services.html_source``'s; this is glue."""

from __future__ import annotations

import logging
from typing import Any

from inbox_tui.sanitize import one_line
from inbox_tui.services.agent_clock import agent_time
from inbox_tui.tui.gateway import Loaded
from inbox_tui.tui.screens.composer import Composer, Draft
from inbox_tui.tui.screens.flows import SendFlow
from inbox_tui.tui.screens.replying import ReplyFlows
from inbox_tui.tui.widgets.dialogs import FuzzyPicker, PickItem, Prompt
from inbox_tui.words import count

log = logging.getLogger(__name__)


class ForwardChoicesLoaded(Loaded):
    """value: (services.forward.ForwardChoice list, the kept forward: (note, Review) or
    None); flow: the picker."""


class ForwardStarted(Loaded):
    """value: services.review.Review; flow: (conversation id, the note's text)."""


class HtmlChoicesLoaded(Loaded):
    """value: messages with an original HTML part; flow: the picker."""


class HtmlDone(Loaded):
    """value: (title, source text) to show, or a sentence (opened in the browser)."""


def _check_addresses(text: str) -> str | None:
    from inbox_tui.errors import UserError
    from inbox_tui.services.review import parse_addresses

    try:
        if not parse_addresses(text, "To"):
            return "Type at least one address."
    except UserError as exc:
        return str(exc)
    return None


class MailFlows(ReplyFlows):
    # -- forward ---------------------------------------------------------------------

    def action_forward(self) -> None:
        from inbox_tui.services.forward import forward_choices
        from inbox_tui.services.review import resume_forward

        flow = self.begin(single=True)
        if flow is None:
            return
        conv_id = flow.ids[0]
        picker = FuzzyPicker(f"Forward from #{conv_id}: what?", [], loading=True)

        def chosen(value: str | None) -> None:
            if value:
                self._ask_forward_to(conv_id, None if value == "all" else int(value))

        self.app.push_screen(picker, chosen)

        def read(s: Any) -> tuple[Any, Any]:  # the choices, and the forward kept on Esc
            kept = resume_forward(s, self.me, conv_id, config=self.config)
            return forward_choices(s, conv_id), kept

        self.gateway.read(self, read, reply=ForwardChoicesLoaded, flow=picker, group="pickers")

    def on_forward_choices_loaded(self, message: ForwardChoicesLoaded) -> None:
        picker: FuzzyPicker = message.flow
        choices, kept = message.value
        if kept is not None:  # the forward the agent left with Esc: back as it was
            if picker.is_attached:
                picker.dismiss(None)
                note, review = kept
                self.forward_composer(review.conversation_id, note, review)
            return
        n = len(choices)
        items = [PickItem("all", "The whole conversation, quoted", f"{n} message{'s' * (n != 1)}")]
        for c in choices:  # one line each at 80 columns: the name is kept short
            who = one_line(c.author or "unknown", 24)
            files = f", {count(c.files, 'file')}" if c.files else ""
            items.append(
                PickItem(
                    str(c.message_row_id),
                    f"{who}, {agent_time(c.sent_at, self.zone, named=False)}",
                    f"attached whole{files}",
                )
            )
        if picker.is_attached:
            picker.set_items(items)

    def _ask_forward_to(self, conv_id: int, message_row_id: int | None) -> None:
        from inbox_tui.services.review import forward_review, parse_addresses

        def got(text: str | None) -> None:
            if not text or not text.strip():
                return
            to = parse_addresses(text, "To")  # checked by the prompt already
            self.gateway.read(
                self,
                lambda s: forward_review(
                    s, self.me, conv_id, config=self.config, message_row_id=message_row_id, to=to
                ),
                reply=ForwardStarted,
                flow=(conv_id, ""),
                group="pickers",
            )

        title = "Forward to (addresses, commas between)"
        example = "Ana Díaz <ana@supplier.example>, billing@supplier.example"
        self.app.push_screen(Prompt(title, example, check=_check_addresses), got)

    def on_forward_started(self, message: ForwardStarted) -> None:
        conv_id, text = message.flow
        self.forward_composer(conv_id, text, message.value)

    def forward_composer(self, conv_id: int, text: str, review: Any) -> None:
        """The composer for a forward's note (it may stay empty), then its review."""

        from inbox_tui.services.drafts import delete_draft
        from inbox_tui.services.review import keep_forward

        def done(draft: Draft | None) -> None:
            if draft is None:  # discarded
                self.store_write(lambda s: delete_draft(s, self.me, conv_id, kind="forward"))
                return
            if draft.action == "closed":  # kept, like a reply's draft, for the next f
                kept = draft.review or review
                ok = "Forward kept; f on this conversation brings it back."
                self.store_write(
                    lambda s: keep_forward(s, self.me, conv_id, draft.text, kept), ok=ok
                )
                return
            flow = SendFlow(conv_id, draft.text, None, None)
            flow.review = draft.review
            self.send(flow)

        def keep(note: str) -> None:  # the autosave, as a reply's: a crash keeps the forward
            kept = composer.review or review  # with the recipients as edited in the review
            self.gateway.fire(
                self, lambda s: keep_forward(s, self.me, conv_id, note, kept), group="draft"
            )

        def keep_now(note: str, complete: bool) -> None:  # quitting: kept before the app goes
            kept = composer.review or review
            try:
                self.gateway.commit(lambda s: keep_forward(s, self.me, conv_id, note, kept))
            except Exception:  # the app is leaving; the last autosave is what remains
                log.exception("could not keep the forward while quitting")

        what = "one message" if review.message_row_id else "the conversation"
        title = f"Forward {what} of #{conv_id} (a note on top, or nothing; ctrl+s to review)"
        composer = Composer(
            title, text, review=review, config=self.config, autosave=keep, save_now=keep_now
        )
        self.app.push_screen(composer, done)
        keep(text)  # the recipients are chosen: kept at once, before a word of the note

    def compose_reply(self, conv_id: int, text: str, *args: Any, **kw: Any) -> None:
        """A forward that failed comes back in its own composer, with its review."""
        review = kw.get("review")
        if review is not None and review.kind == "forward":
            self.forward_composer(conv_id, text, review)
            return
        super().compose_reply(conv_id, text, *args, **kw)

    # -- attachments -----------------------------------------------------------------

    def action_attachments(self) -> None:
        from inbox_tui.tui.screens.attachments import AttachmentsScreen

        flow = self.begin(single=True)
        if flow is not None:
            subject = flow.subjects[0] if flow.subjects else ""
            self.app.push_screen(AttachmentsScreen(self.gateway, flow.ids[0], subject, self.zone))

    # -- the original HTML -----------------------------------------------------------

    def action_original_html(self) -> None:
        from inbox_tui.services.html_source import html_messages

        flow = self.begin(single=True)
        if flow is None:
            return
        conv_id = flow.ids[0]
        title = f"Original HTML of #{conv_id} (a browser gets no scripts and fetches nothing)"
        picker = FuzzyPicker(title, [], loading=True)

        def chosen(value: str | None) -> None:
            if value:
                how, _, row = value.partition(":")
                item = next((i for i in picker.items if i.value == f"source:{row}"), None)
                who = item.label.removeprefix("Source: ") if item else f"message {row}"
                self._show_html(conv_id, int(row), how, who)

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, html_messages, conv_id, reply=HtmlChoicesLoaded, flow=picker, group="pickers"
        )

    def on_html_choices_loaded(self, message: HtmlChoicesLoaded) -> None:
        picker: FuzzyPicker = message.flow
        if not picker.is_attached:
            return
        if not message.value:
            picker.dismiss(None)
            self.notify(
                "No message here came with HTML (or it was imported before HTML was kept).",
                severity="warning",
                markup=False,
            )
            return
        items = []
        for m in message.value:  # one line each at 80 columns: the name is kept short
            when = agent_time(m.sent_at, self.zone, named=False)
            who = f"{one_line(m.author or 'unknown', 24)}, {when}"
            items.append(PickItem(f"source:{m.message_row_id}", f"Source: {who}", "as text"))
            items.append(PickItem(f"browser:{m.message_row_id}", f"Browser: {who}"))
        picker.set_items(items)

    def _show_html(self, conv_id: int, row: int, how: str, who: str) -> None:
        from inbox_tui.services.html_source import html_file, html_source
        from inbox_tui.services.opener import open_file

        def job(session: Any) -> tuple[str, str] | str:
            if how == "source":
                return (f"HTML of {who}", html_source(session, conv_id, row))
            path = html_file(session, conv_id, row)
            return open_file(path, "text/html", "read it here instead: H, then Source")

        self.gateway.read(self, job, reply=HtmlDone, group="pickers")

    def on_html_done(self, message: HtmlDone) -> None:
        from inbox_tui.tui.screens.attachments import TextViewer

        if isinstance(message.value, tuple):
            title, text = message.value
            self.app.push_screen(TextViewer(title, text, wrap=True))
        else:
            self.notify(message.value, markup=False)
