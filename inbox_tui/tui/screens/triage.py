"""The triage flows of the main screen: tag, assign, status, snooze, close, macros,
articles; notes, replies and undo are in ``replying``, what they share in ``flows``.
Each flow fixes the conversations it acts on when it starts (a ``Flow``), names them
before touching more than one, and ends the selection when it is done. Service calls go
through the gateway; answers come back as messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from inbox_tui.sanitize import one_line
from inbox_tui.services import wording
from inbox_tui.tui.gateway import Loaded, ServiceFailed, StoreWritten, lazy_module
from inbox_tui.tui.screens.composer import Composer, Draft
from inbox_tui.tui.screens.flows import (
    Flow,
    NoteFlow,
    OpenChanged,
    ReplySent,
    SendFlow,
    TakeBackFlow,
    UndoFlow,
)
from inbox_tui.tui.screens.mailflows import MailFlows
from inbox_tui.tui.typeahead import Asked
from inbox_tui.tui.widgets.dialogs import FuzzyPicker, PickItem, Prompt, Waiting

if TYPE_CHECKING:
    from inbox_tui.services import rules as rule_service
    from inbox_tui.services import triage
else:  # not before the first frame (see lazy_module)
    triage = lazy_module("inbox_tui.services.triage")
    rule_service = lazy_module("inbox_tui.services.rules")


@dataclass
class MacroEdit:
    slug: str
    name: str
    text: str
    actions: dict[str, Any]


class TagChoicesLoaded(Loaded):
    pass


class AgentsLoaded(Loaded):
    pass


class ArticlesLoaded(Loaded):
    pass


class MacrosLoaded(Loaded):
    pass


class MacroChoicesLoaded(Loaded):
    pass


class MacroPrepared(Loaded):
    """value: (macro info, preview or None); flow: the Flow."""


class MacroRendered(Loaded):
    """value: the preview with the agent's answers; flow: (conversation id, slug)."""


class ContactQueryLoaded(Loaded):
    pass


STATUS_LABELS = {
    "open": "Open",
    "pending": "Pending (waiting on the customer)",
    "closed": "Closed",
}


class TriageFlows(MailFlows):
    """The main screen's base: the flows. MainScreen provides the state and loaders."""

    # -- answers from the gateway ------------------------------------------------------

    def on_store_written(self, message: StoreWritten) -> None:
        message.stop()
        message.prevent_default()  # handled once, whichever subclass chained here
        if message.ok:
            self.notify(message.ok, markup=False)
        flow = message.flow
        if isinstance(flow, Flow):
            if flow.bulk:
                self.conv_list.clear_selection()
            if flow.after is not None:
                flow.after()
        elif isinstance(flow, UndoFlow):
            self.notify(message.result.summary, markup=False)
            if message.result.conversations:
                # The cursor goes to what the undo brought back (walk5: an undone snooze
                # put its row back above the cursor, and the next z snoozed the
                # neighbour the cursor had moved to).
                self.conv_list.keep_on(message.result.conversations[0][0])
        elif isinstance(flow, SendFlow):
            self.post_message(OpenChanged())  # others stop seeing "is replying" at once
            self.notify(self._sent_text(message.result), markup=False)
            self.post_message(ReplySent(message.result.undo_seconds))
        elif isinstance(flow, TakeBackFlow):  # taken back: in its composer again, as it was
            taken, review = message.result, message.result.review
            self.notify(taken.sentence, markup=False)
            self.news_overtaken(taken.sentence)  # a count said before no longer holds
            if taken.forwarded and review is not None:
                self.forward_composer(taken.conversation_id, taken.text, review)
            elif taken.forwarded:  # an old forward (before reviews were kept)
                self.notify("Nothing was forwarded (f forwards again).", markup=False)
            else:  # a forward never comes back as a reply to the customer
                # Named with its subject: the agent may be reading another one by now.
                label = f"#{taken.conversation_id} “{one_line(taken.subject, 50)}”"
                self.compose_reply(
                    taken.conversation_id, taken.text, exact=True,
                    reply_all=bool(review and review.reply_all), review=review,
                    label=label if taken.subject else None,
                )  # fmt: skip
        self.reload()  # the cursor stays on its conversation (ConversationList.show_rows)
        if self.open_id is not None and (self.has_class("-reading") or self.has_class("-wide")):
            self._load_thread(self.open_id)
        self.refresh_pane()

    def on_service_failed(self, message: ServiceFailed) -> None:
        from inbox_tui.services.replies import Collision

        message.stop()
        flow = message.flow
        if self.unrunnable_read(flow, message.error, message.text):
            return
        if isinstance(flow, Asked):  # a side pane's load (the request it answers)
            self.pane_failed(flow, message.text)
            return
        if isinstance(flow, SendFlow) and isinstance(message.error, Collision):
            self._collision(flow, message.error.changes)
            return
        self.opening_failed(flow)
        for part in flow if isinstance(flow, tuple) else (flow,):
            if isinstance(part, FuzzyPicker) and part.waiting and part.is_attached:
                part.dismiss(None)  # its choices will not come: no picker left "Loading…"
            if isinstance(part, Waiting):
                part.abandon()  # its step will not come: nor the keys held for it
            if isinstance(part, Composer) and part.waiting and part.is_attached:
                part.load_failed(message.text)  # its text will not come: it says so
        # Said once what failed has closed: a dialog still open says it on its own line.
        self.notify(message.text, severity="error", markup=False, timeout=10)
        if isinstance(flow, SendFlow):  # nothing was sent: the text comes back
            self.compose_reply(
                flow.conv_id,
                flow.text,
                flow.macro,
                flow.article_id,
                exact=True,
                reply_all=flow.reply_all,
                review=flow.review,
            )
        elif isinstance(flow, MacroEdit):  # not saved: the edits come back
            self._edit_macro(flow)
        elif isinstance(flow, NoteFlow):  # not saved: the note comes back as it was
            self.compose_note(flow.conv_id, flow.text, flow.review)

    # -- simple actions ------------------------------------------------------------------

    def action_assign_me(self) -> None:
        if flow := self.begin():
            self.act(
                flow, "Assign {on} to you?", "Assigned {on} to you", triage.assign_many, self.me
            )

    def action_close_next(self) -> None:
        flow = self.begin()
        if flow is None:
            return
        if not flow.bulk and self.has_class("-reading"):
            # The row below is named now, before the closed one leaves the list and a
            # refresh shifts the rows up (moving down after that skipped one).
            lst, closed = self.conv_list, flow.ids[0]
            row = lst.current_row()
            below = lst.row_at(lst.cursor + 1) if row is not None and row.id == closed else None
            flow.after = lambda: self._open_next(closed, below.id if below else None)
        self.close_asking_category(flow)

    def close_asking_category(self, flow: Flow) -> None:
        self.act(flow, "Close {on}?", "Closed {on}", triage.close_many)  # InsightFlows: category

    def _open_next(self, closed: int, below: int | None) -> None:
        lst = self.conv_list
        if below is None or not lst.move_to(below):
            row = lst.current_row()
            if row is not None and row.id == closed:
                lst.action_cursor_down()
        self.app.call_after_refresh(self.action_open)

    def action_status(self) -> None:
        flow = self.begin()
        if flow is None:
            return
        current = self._current_status(flow)
        items = [PickItem(v, label, checked=v == current) for v, label in STATUS_LABELS.items()]

        def chosen(value: str | None) -> None:
            if value == "closed":
                self.close_asking_category(flow)
            elif value:
                ask, done = f"Set {{on}} to {value}?", f"Set {{on}} to {value}"
                self.act(flow, ask, done, triage.set_status_many, value)

        self.app.push_screen(FuzzyPicker(self._title("Status of", flow), items), chosen)

    def _current_status(self, flow: Flow) -> str | None:
        if len(flow.ids) != 1:
            return None
        thread = self.thread_view.thread
        if thread is not None and thread.conversation.id == flow.ids[0]:
            return thread.conversation.status
        row = self.conv_list.current_row()
        return row.status if row is not None and row.id == flow.ids[0] else None

    def _current_assignee(self, flow: Flow) -> str | None:
        if len(flow.ids) != 1:
            return None
        thread = self.thread_view.thread
        if thread is not None and thread.conversation.id == flow.ids[0]:
            return thread.conversation.assignee
        row = self.conv_list.current_row()
        return row.assignee if row is not None and row.id == flow.ids[0] else None

    def _title(self, what: str, flow: Flow, hint: str = "") -> str:
        """A picker's title: what it does and to which conversation (#number and
        subject), or to how many selected ones; then its hint."""
        n = len(flow.ids)
        whom = f"{n} selected conversations" if n > 1 else self.conversation_label(flow.ids[0])
        return f"{what} {whom}" + (f" ({hint})" if hint else "")

    def action_snooze(self) -> None:
        from inbox_tui.services.agent_clock import agent_time, read_time, snooze_presets, typed_time
        from inbox_tui.when import SNOOZE_HINT

        flow = self.begin()
        if flow is None:
            return
        # Each preset with the time it wakes at, on the agent's clock (walk4: "tomorrow"
        # was 09:00 UTC for an agent in Berlin).
        zone = self.zone
        items = [
            PickItem(v, label, wakes) for v, label, wakes in snooze_presets(self.clock(), zone)
        ]
        items.append(PickItem("custom", "Custom…", SNOOZE_HINT))

        def check(value: str) -> str | None:
            try:
                read_time(value, self.clock(), zone)
            except ValueError as exc:
                return str(exc)
            return None

        def chosen(value: str | None) -> None:
            if value == "custom":  # with what was typed, and why it does not read
                typed = picker.typed_beyond(value)
                self.app.push_screen(
                    Prompt(f"Snooze for ({SNOOZE_HINT})", "2d", typed, check=check), snooze
                )
            elif value:
                snooze(value)

        def snooze(value: str | None) -> None:
            if not value:
                return
            now = self.clock()
            try:
                until = read_time(value, now, zone)
            except ValueError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            when = agent_time(until, zone)
            ask, done = f"Snooze {{on}} until {when}?", f"Snoozed {{on}} until {when}"
            self.act(flow, ask, done, _snooze_many, until, now)

        picker = FuzzyPicker(
            self._title("Snooze", flow, "until when? It wakes early if the customer replies"),
            items,
            typed=lambda text: _typed_item(typed_time(text, self.clock(), zone)),
        )
        self.app.push_screen(picker, chosen)

    # -- pickers -----------------------------------------------------------------------

    def action_tag(self) -> None:
        from inbox_tui.services.suggest import tag_choices

        flow = self.begin()
        if flow is None:
            return
        title = self._title("Tag", flow, "Enter toggles; a new name is a modifier, or New category")
        # A new name is a modifier unless the agent asks for a category (walk3/walk4: it
        # became a category, which the stats' "without a category" share then counted).
        picker = FuzzyPicker(
            title, [], allow_new="New tag (modifier)", also_new=("New category", "category"),
            loading=True,
        )  # fmt: skip

        def chosen(value: str | None) -> None:
            if not value:
                return
            if value.startswith("\x00category:"):
                tag = one_line(value[10:], 40)
                ask, done = f"Tag {{on}} with {tag}?", f"Tagged {{on}} with {tag} (a new category)"
                name, kind = value[10:], "category"
                self.act(flow, ask, done, rule_service.tag_many, name, self.rules, kind)
                return
            if any(it.value == value and it.checked for it in picker.items):
                tag = one_line(value, 40)
                ask, done = f"Remove {tag} from {{on}}?", f"Removed {tag} from {{on}}"
                self.act(flow, ask, done, triage.untag_many, value)
            else:
                # ``tagged`` rules (the config's [rules] file) fire in the same write.
                tag = one_line(value, 40)
                ask, done = f"Tag {{on}} with {tag}?", f"Tagged {{on}} with {tag}"
                self.act(flow, ask, done, rule_service.tag_many, value, self.rules)

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, tag_choices, flow.ids[0], reply=TagChoicesLoaded, flow=(flow, picker),
            group="pickers",
        )  # fmt: skip

    def on_tag_choices_loaded(self, message: TagChoicesLoaded) -> None:
        flow, picker = message.flow
        choices = message.value
        # Likely tags first (learned from the team's own tagging), then the rest. On a
        # bulk selection nothing is marked as applied: it differs from one to the next.
        if len(flow.ids) == 1:
            items = [PickItem(c.name, c.name, c.hint, c.applied) for c in choices]
        else:
            items = [
                PickItem(c.name, c.name, c.kind)
                for c in sorted(choices, key=lambda c: (c.kind, c.name))
            ]
        if picker.is_attached:
            picker.set_items(items)

    def tag_one(self, cid: int, name: str, remove: bool) -> None:
        """A tag chosen in the side pane: always the pane's one conversation."""
        ok = f"Removed tag {name}." if remove else f"Tagged {name}."
        if remove:
            self.store_write(triage.untag_many, self.me, [cid], name, ok=ok, flow=Flow([cid]))
        else:
            args = (self.me, [cid], name, self.rules)
            self.store_write(rule_service.tag_many, *args, ok=ok, flow=Flow([cid]))

    def action_assign(self) -> None:
        flow = self.begin()
        if flow is None:
            return
        picker = FuzzyPicker(self._title("Assign", flow, "to whom?"), [], loading=True)

        def chosen(value: str | None) -> None:
            if value is None:
                return
            who = None if value == "\x00none" else value.removeprefix("\x00previous:")
            name = one_line(who or "", 40)
            ask = f"Assign {{on}} to {name}?" if who else "Unassign {on}?"
            done = f"Assigned {{on}} to {name}" if who else "Unassigned {on}"
            self.act(flow, ask, done, triage.assign_many, who)

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, _agents_and_previous, flow.ids, reply=AgentsLoaded, flow=(flow, picker),
            group="pickers",
        )  # fmt: skip

    def on_agents_loaded(self, message: AgentsLoaded) -> None:
        flow, picker = message.flow
        current = self._current_assignee(flow)
        agents, previous = message.value
        items = [PickItem("\x00none", "Nobody (unassign)")]
        if previous:  # continuity: the agent who last helped this customer
            items.insert(0, PickItem(f"\x00previous:{previous}", f"previous agent: {previous}"))
        items += [
            PickItem(
                a.username,
                a.name,
                a.username + (" (me)" if a.username == self.me else ""),
                checked=a.username == current,
            )
            for a in agents
        ]
        if picker.is_attached:
            picker.set_items(items)

    def action_contact(self) -> None:
        from inbox_tui.services.contacts import contact_query

        flow = self.begin(single=True)
        if flow is not None:
            # The customer's search is asked for in two steps: keys for the list wait for
            # its rows (a j typed with c moved over the rows the results replace).
            self.gateway.read(
                self, contact_query, flow.ids[0], reply=ContactQueryLoaded, group="pickers",
                request=self._list_reads.ask(),
            )  # fmt: skip

    def on_contact_query_loaded(self, message: ContactQueryLoaded) -> None:
        if message.value is None:
            self.notify("This conversation has no known customer.", severity="warning")
        else:
            self.search_for(message.value, "all")

    def action_save_search(self) -> None:
        from inbox_tui.services.views import save_view, saved_query, scope_label

        if not self.query_text.strip():
            self.notify("Type a search first (/), then save it as a view.", severity="warning")
            return
        # The view keeps the scope the search ran in, so it shows what the search showed.
        query, scope = saved_query(
            self.view, self.query_text, self.saved_views, self.search_everywhere
        )

        def done(name: str | None) -> None:
            self.conv_list.focus()  # the next key is for the list, not the query
            if name and name.strip():
                ok = f"Saved the search as the view “{name.strip()}” (in {scope_label(scope)})."
                self.store_write(
                    save_view, name, query, scope, ok=ok, flow=Flow([], after=self.load_views)
                )

        self.app.push_screen(Prompt("Name for this view", "e.g. Angry billing"), done)

    def action_article(self) -> None:
        from inbox_tui.services.article_picks import article_choices

        flow = self.begin(single=True)
        if flow is None:
            return
        conv_id = flow.ids[0]
        title = self._title("Help articles for", flow, "Enter inserts one into a reply")
        picker = FuzzyPicker(title, [], loading=True, with_preview=True)
        texts: dict[str, str] = {}  # article id → the text it inserts, once loaded

        def chosen(value: str | None) -> None:
            if value:
                text = "\n\n" + texts[value] + "\n"
                self.compose_reply(conv_id, text, article_id=int(value))

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, article_choices, conv_id, 8, reply=ArticlesLoaded, flow=(picker, texts),
            group="pickers",
        )  # fmt: skip

    def on_articles_loaded(self, message: ArticlesLoaded) -> None:
        found = message.value
        picker, texts = message.flow
        if not picker.is_attached:
            return
        if not found:
            picker.dismiss(None)
            self.notify(
                "No help article matches this conversation; import a help centre with 'inbox-tui import articles PATH'.",
                severity="warning",
                markup=False,
            )
            return
        previews = {str(f.suggestion.id): f.preview for f in found}
        texts.update({str(f.suggestion.id): f.insert_text for f in found})
        items = [
            PickItem(str(f.suggestion.id), f.suggestion.title, f.suggestion.reason) for f in found
        ]
        picker.set_items(items, preview=previews)

    # -- macros ------------------------------------------------------------------------

    def action_edit_macro(self) -> None:
        from inbox_tui.services.macros import list_macros

        picker = FuzzyPicker("Edit which macro?", [], loading=True)
        by_slug: dict[str, Any] = {}

        def chosen(slug: str | None) -> None:
            if slug:
                m = by_slug[slug]
                self._edit_macro(MacroEdit(m.slug, m.name, m.body, m.actions))

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, list_macros, reply=MacrosLoaded, flow=(picker, by_slug), group="pickers"
        )

    def on_macros_loaded(self, message: MacrosLoaded) -> None:
        picker, by_slug = message.flow
        by_slug.update({m.slug: m for m in message.value})
        if picker.is_attached:
            picker.set_items([PickItem(m.slug, m.name, m.summary()) for m in message.value])

    def _edit_macro(self, edit: MacroEdit) -> None:
        from inbox_tui.services.macros import save_macro, template_problem

        def check(text: str) -> str | None:
            problem = template_problem(text)
            return f"Not saved: {problem}" if problem else None

        def saved(draft: Draft | None) -> None:
            if draft is not None and draft.action == "note":
                flow = MacroEdit(edit.slug, edit.name, draft.text, edit.actions)
                self.store_write(
                    save_macro, edit.slug, edit.name, draft.text, edit.actions,
                    ok=f"Macro “{edit.name}” saved.", flow=flow,
                )  # fmt: skip

        self.app.push_screen(
            Composer(
                f"Edit macro “{edit.name}” (placeholders like {{{{contact.first_name}}}} are checked on save)",
                edit.text,
                is_note=True,
                # A macro's text is a template: no @name is resolved while editing it.
                hint="{{contact.first_name}}, {{agent.name}}, {{conversation.subject}}… "
                "are filled in when it is applied",
                save_label="Save macro",
                check=check,
            ),
            saved,
        )

    def action_macro(self) -> None:
        from inbox_tui.services.macros import macro_choices

        flow = self.begin()
        if flow is None:
            return
        title = self._title("Macro for", flow, "type a pinned macro's number to apply it")
        picker = FuzzyPicker(title, [], loading=True, with_preview=True)

        def chosen(slug: str | None) -> None:
            if slug:
                self.apply_macro(flow.ids, slug, flow)

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, macro_choices, self.me, flow.ids[0], reply=MacroChoicesLoaded, flow=picker,
            group="pickers",
        )  # fmt: skip

    def on_macro_choices_loaded(self, message: MacroChoicesLoaded) -> None:
        picker: FuzzyPicker = message.flow
        macros = [c.info for c in message.value]
        items = [
            PickItem(
                m.slug,
                (f"[{m.pinned}] " if m.pinned else "") + m.name,
                m.summary(),
            )
            for m in macros
        ]
        if picker.is_attached:
            picker.set_items(
                items,
                preview={c.info.slug: c.preview for c in message.value},
                pins={str(m.pinned): m.slug for m in macros if m.pinned},
            )

    def apply_macro(self, ids: list[int], slug: str, flow: Flow | None = None) -> None:
        flow = flow or Flow(ids)
        # Keys typed while it loads are held for its next step (a blank, the composer).
        waiting = Waiting("Preparing the macro… (Esc cancels)")
        self.app.push_screen(waiting)
        self.gateway.read(
            self, _prepare_macro, self.me, ids[0], slug, reply=MacroPrepared,
            flow=(flow, waiting), group="actions",
        )  # fmt: skip

    def on_macro_prepared(self, message: MacroPrepared) -> None:
        from inbox_tui.services.rules import apply_macro_many

        flow: Flow
        flow, waiting = message.flow
        if waiting.handoff() is None:
            self.notify("Macro cancelled; nothing was changed.", markup=False)
            return
        info, p = message.value
        if info.body and info.body_kind == "reply" and len(flow.ids) == 1:
            if p is not None and p.asks:
                self._ask_then_compose(flow.ids[0], info.slug, p.asks, {})
            elif p is not None and p.text is None:
                self.notify(
                    "This macro cannot be used here: it needs " + ", ".join(p.missing) + ".",
                    severity="error",
                    markup=False,
                )
            else:
                self.compose_reply(flow.ids[0], p.text if p else "", info.slug)
            return
        name = one_line(info.name, 60)

        def confirm(answers: dict[str, str]) -> None:
            def run() -> None:
                n = len(flow.ids)  # after the confirmation: some may have been left out

                def apply(category: str | None) -> None:
                    self.store_write(
                        lambda s: apply_macro_many(
                            s, self.me, flow.ids, info.slug, self.rules, config=self.config,
                            category=category, answers=answers,
                        ),
                        ok=f"Applied “{name}” to {wording.conversations(n)}.",
                        flow=flow,
                    )  # fmt: skip

                self.ask_category(flow.ids, apply, then_status=None, macro=info.slug)

            effects = ", ".join(info.effects()) or "change nothing"
            ask = f"Apply the macro “{name}” to {{on}}? It will {effects}."
            self.confirmed(flow, ask, run, replies=bool(info.body) and info.body_kind == "reply")

        # Its blanks are asked once for the whole selection, before the confirmation.
        whom = self._title("for", flow).removeprefix("for ")
        self._ask_blanks(list(p.asks) if p is not None else [], {}, whom, confirm)

    def _ask_then_compose(
        self, conv_id: int, slug: str, asks: list[str], answers: dict[str, str]
    ) -> None:
        """Ask the macro's blanks one by one, then open the composer on its text."""
        from inbox_tui.services.macros import preview

        def compose(filled: dict[str, str]) -> None:
            waiting = Waiting("Filling in the macro… (Esc cancels)")
            self.app.push_screen(waiting)
            self.gateway.read(
                self, preview, self.me, conv_id, slug, filled, reply=MacroRendered,
                flow=(conv_id, slug, waiting), group="actions",
            )  # fmt: skip

        self._ask_blanks(asks, answers, self.conversation_label(conv_id), compose)

    def _ask_blanks(
        self,
        asks: list[str],
        answers: dict[str, str],
        whom: str,
        done: Callable[[dict[str, str]], None],
    ) -> None:
        """Ask a macro's blanks one by one (once for a whole selection), then ``done``
        with the answers. Keys typed ahead reach each question as it opens (the app
        holds them: tui/typeahead.py)."""
        if not asks:
            done(answers)
            return

        def got(value: str | None) -> None:
            if value is None or not value.strip():
                self.notify(
                    f"The macro needs “{asks[0]}”; nothing was sent.",
                    severity="warning",
                    markup=False,
                )
                return
            self._ask_blanks(asks[1:], {**answers, asks[0]: value}, whom, done)

        title = f"Macro needs: {one_line(asks[0], 60)} ({one_line(whom, 60)})"
        self.app.push_screen(Prompt(title), got)

    def on_macro_rendered(self, message: MacroRendered) -> None:
        conv_id, slug, waiting = message.flow
        p = message.value
        if waiting.handoff() is None:
            self.notify("Macro cancelled; nothing was changed.", markup=False)
        elif p.text is None:
            self.notify(
                "This macro needs " + ", ".join(p.missing) + ".", severity="error", markup=False
            )
        else:
            self.compose_reply(conv_id, p.text, slug)


def _prepare_macro(session: Any, me: str, conv_id: int, slug: str) -> tuple[Any, Any]:
    from inbox_tui.services.macros import get_macro, preview

    info = get_macro(session, slug)
    return info, preview(session, me, conv_id, slug) if info.body else None


def _agents_and_previous(session: Any, ids: list[int]) -> tuple[Any, str | None]:
    from inbox_tui.services.continuity import previous_agent
    from inbox_tui.services.views import list_agents

    return list_agents(session), previous_agent(session, ids[0]) if len(ids) == 1 else None


def _typed_item(answer: tuple[str, str] | None) -> PickItem | None:
    """A typed answer's row (``typed=`` of a picker): its value and how it reads."""
    return PickItem(*answer) if answer is not None else None


def _snooze_many(session: Any, me: str, ids: list[int], until: datetime, now: datetime) -> int:
    # "now" is the app's clock, so the snooze is judged against the time it was picked at.
    return triage.snooze_many(session, me, ids, until, at=now)
