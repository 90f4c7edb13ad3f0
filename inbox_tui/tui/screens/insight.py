"""The main screen's insight flows (#23), glue over the services:

- incidents (``services/incidents``): the banner; ``I`` lists the burst's conversations
  and asks to confirm it (name, an optional macro that answers all of them, an optional
  bug) or dismiss it;
- "fixed" (``services/buglinks``): ``F`` on a conversation linked to a bug, or a picker
  of the known bug references, previews the macro reply to every linked conversation and
  queues it in batches through the exactly-once outbox, as ``inbox-tui issue fixed``;
- assign to the previous agent (``services/continuity``): ``p``, and an entry of the
  assign picker;
- a category on close (``services/categories``): closing conversations that have none
  asks for one, once for a bulk close.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from inbox_tui.errors import UserError
from inbox_tui.sanitize import one_line
from inbox_tui.services import wording
from inbox_tui.tui.gateway import Loaded, ServiceFailed, StoreWritten
from inbox_tui.tui.screens.flows import Flow, ReplySent, StatusNews
from inbox_tui.tui.screens.triage import TriageFlows
from inbox_tui.tui.widgets.dialogs import Confirm, FuzzyPicker, PickItem, Prompt, Waiting
from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.services.core import Listed
    from inbox_tui.services.incidents import Burst

NO_MACRO = "\x00none"
SKIP = "\x00skip"


class IncidentsLoaded(Loaded):
    pass


class BurstLabelsLoaded(Loaded):
    """value: the burst's conversations as a confirmation names them; flow: the Burst."""


class PickerChoicesLoaded(Loaded):
    """value: (items, previews); flow: the picker to fill."""


class FixChoicesLoaded(Loaded):
    """value: (the conversation's refs, every known ref with its count); flow: the Flow."""


class FixMacrosLoaded(Loaded):
    """value: (items, previews, how many left out); flow: the picker to fill."""


class FixPlanLoaded(Loaded):
    """value: (FixPlan, labels); flow: the macro slug."""


class PreviousLoaded(Loaded):
    """value: the previous agent or None; flow: the Flow."""


class CategoryChoicesLoaded(Loaded):
    """value: the category choices, likely ones first; flow: (picker, with a Skip)."""


class CategoryNeeded(Loaded):
    """value: (ids without a category, choices); flow: (Flow, then)."""


def _macro_items(session: Any, me: str, conv_id: int) -> tuple[list[PickItem], dict[str, str], int]:
    """The macro picker's choices for an incident's answer, "no macro" first, each
    previewed on ``conv_id``, and how many macros were left out (``choices_for_many``)."""
    from inbox_tui.services.macros import choices_for_many

    found, left_out = choices_for_many(session, me, conv_id)
    items = [PickItem(NO_MACRO, "No macro: do not answer them")]
    items += [
        PickItem(c.info.slug, c.info.name, ", ".join(c.info.describe_actions())) for c in found
    ]
    return items, {c.info.slug: c.preview for c in found}, left_out


def _fill_macros(message: Loaded, why_left_out: str) -> None:
    """A bulk answer's macro picker (``flow``) filled with ``value`` (items, previews,
    how many were left out); the left out are said, so a missing macro is no mystery."""
    items, previews, left_out = message.value
    picker: FuzzyPicker = message.flow
    if not picker.is_attached:
        return
    picker.set_items(items, preview=previews)
    if left_out:
        picker.say(f"{count(left_out, 'macro')} not offered: {why_left_out}")


def _fix_choices(session: Any, cid: int | None, pattern: str | None) -> tuple[list[str], Any]:
    from inbox_tui.services.buglinks import known_refs, refs_of

    return (refs_of(session, cid, pattern) if cid is not None else []), known_refs(session, pattern)


def _fix_macros(
    session: Any, me: str, ref: str, cid: int | None, pattern: str | None
) -> tuple[list[PickItem], dict[str, str], int]:
    """The reply macros ``F`` can follow up with (``follow_up_choices``), and how many
    macros were left out (notes, and those with a blank to ask: walk11 C)."""
    from inbox_tui.services import core
    from inbox_tui.services.buglinks import follow_up_choices, linked

    ids = linked(session, ref, pattern)
    target = cid if cid in ids else (ids[0] if ids else cid)
    if target is None:
        return [], {}, 0
    found, left_out = follow_up_choices(session, me, target)
    items = [
        PickItem(c.info.slug, c.info.name, ", ".join(c.info.describe_actions())) for c in found
    ]
    # Whose conversation the preview is written for (walk2: "Hi Chloe," of whom?)
    on = f"Preview on {core.labels(session, [target])[0]}:\n\n"
    return items, {c.info.slug: on + c.preview for c in found}, left_out


def _fix_plan(
    session: Any, me: str, ref: str, slug: str, pattern: str | None
) -> tuple[Any, list[Listed]]:
    from inbox_tui.services.buglinks import plan_fixed
    from inbox_tui.services.drafts import labels_marking_drafts

    plan = plan_fixed(session, ref, slug, pattern)
    return plan, labels_marking_drafts(session, me, plan.to_follow_up)


def _follow_up_batch(
    session: Any, me: str, ref: str, slug: str, ids: list[int], config: Any, category: Any
) -> int:
    from inbox_tui.services.buglinks import follow_up

    return follow_up(session, me, ref, slug, ids, config=config, category=category)


def _category_needed(
    session: Any,
    ids: list[int],
    mode: str,
    then_status: str | None,
    macro: str | None,
    reopens: bool = False,
) -> tuple[list[int], Any, str]:
    """Those of ``ids`` the action would close without a category, and the choices; with
    the first one's label when it is the only one (the question names it)."""
    from inbox_tui.services import categories, core

    lacking = categories.to_ask(session, ids, mode, then_status, macro, reopens=reopens)
    if not lacking:
        return [], [], ""
    # By name at once: the likely ones (suggestions, slow on a first use) follow.
    label = core.labels(session, lacking[:1])[0] if len(lacking) == 1 else ""
    return lacking, categories.choices(session, None), label


def _likely_categories(session: Any, conversation_id: int) -> Any:
    from inbox_tui.services import categories

    return categories.choices(session, conversation_id)


def _linked_hint(linked: int, followed: int) -> str:
    """ "14 linked · 6 followed up already": the counts the preview then lists."""
    return f"{linked} linked" + (f" · {followed} followed up already" if followed else "")


def _label(picker: FuzzyPicker, value: str) -> str:
    return next((it.label for it in picker.items if it.value == value), value)


class InsightFlows(TriageFlows):
    """Incidents, "fixed", the previous agent and categories on close (module docstring)."""

    bursts: list[Burst]
    show_view: Callable[[str], None]

    # -- incidents -------------------------------------------------------------------

    def _check_incidents(self) -> None:
        from inbox_tui.services.incidents import detect

        clock = self.clock
        self.gateway.read(
            self, lambda s: detect(s, now=clock()), reply=IncidentsLoaded, group="incidents",
            exclusive=True,
        )  # fmt: skip

    def on_incidents_loaded(self, message: IncidentsLoaded) -> None:
        """The incident banner: the likeliest burst, its size against the usual count."""
        if not self.query("#incident"):
            return
        banner = self.query_one("#incident", Static)
        self.bursts = bursts = message.value
        banner.display = bool(bursts)
        if not bursts:
            return
        b = bursts[0]
        key = self._key_of("incident")
        text = Text(no_wrap=True, overflow="ellipsis")
        if len(bursts) > 1:
            text.append(f" ⚠ {len(bursts)} possible incidents ", style="bold black on red")
            text.append(f" {key}: pick one, confirm or dismiss · ", style="bold")
            text.append(
                " · ".join(f"{x.count} like {one_line(x.subject, 40)!r}" for x in bursts[:4])
            )
            banner.update(text)
            return
        text.append(f" ⚠ {b.count} similar new conversations ", style="bold black on red")
        text.append(f" {key}: look, confirm or dismiss · ", style="bold")
        text.append(f"like {one_line(b.subject, 50)!r} (usually {b.expected:.1f} in these hours): ")
        text.append(" ".join(f"#{c}" for c in b.conversations[:8]))
        banner.update(text)

    def _key_of(self, action_id: str) -> str:
        from inbox_tui.tui import actions

        a = next(a for a in actions.ACTIONS if a.id == action_id)
        return actions.keys_for(self.config.keys, a).split(" / ")[0]

    def action_incident(self) -> None:
        """The burst going on, or (several) a list of them to pick one from: how many,
        like which subject, since when (in the agent's zone), how many is usual."""
        bursts = list(getattr(self, "bursts", None) or [])
        if not bursts:
            self.notify("No burst of similar new conversations is going on.", markup=False)
            return
        shown = next((b for b in bursts if self.view.startswith(f"burst:{b.key}:")), None)
        if len(bursts) == 1 or shown is not None:  # I again on a burst's list: decide it
            self._look_at_burst(shown or bursts[0])
            return
        zone = self.zone
        items = [
            PickItem(
                str(b.key),
                f"{b.count} like “{one_line(b.subject, 50)}”",
                f"{b.since_text(zone)} · usually {b.expected:.1f} in these hours",
            )
            for b in bursts
        ]
        by_key = {str(b.key): b for b in bursts}

        def chosen(value: str | None) -> None:
            if value in by_key:
                self._look_at_burst(by_key[value])

        title = f"{len(bursts)} possible incidents: which one? (likeliest first)"
        self.app.push_screen(FuzzyPicker(title, items), chosen)

    def _look_at_burst(self, burst: Burst) -> None:
        from inbox_tui.services.incidents import burst_view

        self.show_view(burst_view(burst))
        from inbox_tui.services.incidents import confirmation_list

        self.gateway.read(
            self, confirmation_list, self.me, burst, reply=BurstLabelsLoaded, flow=burst,
            group="pickers",
        )  # fmt: skip

    def on_burst_labels_loaded(self, message: BurstLabelsLoaded) -> None:
        from inbox_tui.services.incidents import dismiss

        burst: Burst = message.flow
        labels: list[Listed] = message.value
        items = [
            PickItem("confirm", "Confirm as an incident…", "name, macro, bug"),
            PickItem("dismiss", "Dismiss: not an incident", "it is not raised again"),
        ]
        title = (
            f"Burst: {burst.count} conversations like “{one_line(burst.subject, 50)}” "
            "(listed behind; Esc to read them first, I again to decide)"
        )

        def chosen(value: str | None) -> None:
            if value == "confirm":
                self._ask_incident_name(burst, labels)
            elif value == "dismiss":
                now = self.clock()
                self.store_write(
                    lambda s: dismiss(s, self.me, burst.key, now=now),
                    ok=f"Burst of {wording.conversations(burst.count)} dismissed.",
                    flow=Flow([], after=self._after_incident("open")),
                )  # fmt: skip

        self.app.push_screen(FuzzyPicker(title, items), chosen)

    def _after_incident(self, view: str) -> Callable[[], None]:
        def after() -> None:
            self.show_view(view)
            self._check_incidents()

        return after

    def _ask_incident_name(self, burst: Burst, labels: list[Listed]) -> None:
        from inbox_tui.services.incidents import incident_tag, suggested_name

        def check(value: str) -> str | None:
            try:
                incident_tag(value)
            except UserError as exc:
                return str(exc)
            return None

        def named(name: str | None) -> None:
            if name and name.strip() and check(name) is None:
                self._ask_incident_macro(burst, labels, name.strip())

        self.app.push_screen(
            Prompt("Incident name (tag: incident:NAME; Enter takes the one shown)",
                   suggestion=suggested_name(burst), check=check),
            named,
        )  # fmt: skip

    def _ask_incident_macro(self, burst: Burst, labels: list[Listed], name: str) -> None:
        title = f"Answer all {burst.count} with a macro? (preview for #{burst.conversations[0]})"
        picker = FuzzyPicker(title, [], loading=True, with_preview=True)

        def chosen(slug: str | None) -> None:
            if slug is None:
                return
            macro = None if slug == NO_MACRO else (slug, _label(picker, slug))
            if macro is None:
                self._ask_incident_bug(burst, labels, name, None)
                return
            self.ask_category(
                burst.conversations,
                lambda category: self._ask_incident_bug(burst, labels, name, macro, category),
                then_status=None, macro=slug,
            )  # fmt: skip

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, _macro_items, self.me, burst.conversations[0], reply=PickerChoicesLoaded,
            flow=picker, group="pickers",
        )  # fmt: skip

    def on_picker_choices_loaded(self, message: PickerChoicesLoaded) -> None:
        _fill_macros(
            message, "those that ask for a value (one answer goes to every customer of the "
            "incident); use m on one of them.",
        )  # fmt: skip

    def on_fix_macros_loaded(self, message: FixMacrosLoaded) -> None:
        _fill_macros(
            message, "notes, macros with no reply, and those that ask for a value (a "
            "follow-up replies to every linked customer at once).",
        )  # fmt: skip

    def _bug_check(self, value: str) -> str | None:
        from inbox_tui.services.buglinks import check_ref

        try:
            check_ref(value, self.config.bug_pattern)
        except UserError as exc:
            return str(exc)
        return None

    def _ask_incident_bug(
        self,
        burst: Burst,
        labels: list[Listed],
        name: str,
        macro: tuple[str, str] | None,
        category: str | None = None,
    ) -> None:
        from inbox_tui.services.incidents import confirm, incident_tag

        def got(bug: str | None) -> None:
            if bug is None:
                self.notify("Nothing was changed.", markup=False)
                return
            ref = bug.strip() or None
            parts = [f"tag {incident_tag(name)}"]
            parts += [f"answer with the macro “{macro[1]}”"] if macro else []
            parts += [f"category {category} where none"] if category else []
            parts += [f"link {ref}"] if ref else []
            question = f"Confirm the incident “{name}” ({', '.join(parts)}) on these {burst.count} conversations?"

            def yes(ok: bool | None) -> None:
                if not ok:
                    self.notify("Nothing was changed.", markup=False)
                    return
                now, config = self.clock(), self.config
                after = self._after_incident(f"tag:{incident_tag(name)}")
                if macro:
                    after = self._then_flush(after)
                self.store_write(
                    lambda s: confirm(s, self.me, burst.key, name, bug=ref,
                                      macro=macro[0] if macro else None,
                                      config=config if macro else None, now=now,
                                      category=category),
                    ok=f"Incident “{name}”: {burst.count} conversations tagged"
                    + (f" and answered with “{macro[1]}”." if macro else "."),
                    flow=Flow([], after=after),
                )  # fmt: skip

            self.app.push_screen(Confirm(question, labels), yes)

        self.app.push_screen(
            Prompt("Bug or ticket it is (e.g. ENG-4812; empty: none)", check=self._bug_check), got
        )

    def _then_flush(self, after: Callable[[], None]) -> Callable[[], None]:
        """``after``, then the outbox is flushed (macro replies were queued)."""

        def both() -> None:
            after()
            self.post_message(ReplySent())

        return both

    # -- "fixed": follow up every conversation linked to a bug -------------------------

    def action_fixed(self) -> None:
        flow = self.begin(single=True) if self.conv_list.current_row() or self.open_id else None
        cid = flow.ids[0] if flow else None
        # Keys typed while the bugs are asked for are held for the picker that follows
        # (walk10: "F" then a bug's name in one burst lost the name to the list).
        waiting = Waiting("Finding the linked bugs… (Esc cancels)")
        self.app.push_screen(waiting)
        self.gateway.read(
            self, _fix_choices, cid, self.config.bug_pattern, reply=FixChoicesLoaded,
            flow=(flow or Flow([]), waiting), group="pickers",
        )  # fmt: skip

    def on_fix_choices_loaded(self, message: FixChoicesLoaded) -> None:
        own, known = message.value
        flow, waiting = message.flow
        if waiting.handoff() is None:  # Esc while it was asked
            return
        cid = flow.ids[0] if flow.ids else None
        if len(own) == 1:
            self._ask_fix_macro(own[0], cid)
            return
        if not known:
            self.notify(
                "No conversation is linked to a bug yet: a note naming it (ENG-4812) links one.",
                severity="warning",
                markup=False,
            )
            return
        counts = {k.ref: _linked_hint(k.linked, k.followed) for k in known}
        items = [PickItem(r, r, f"on this conversation · {counts.get(r, '1 linked')}") for r in own]
        items += [PickItem(k.ref, k.ref, counts[k.ref]) for k in known if k.ref not in own]

        def chosen(ref: str | None) -> None:
            if ref:
                self._ask_fix_macro(ref, cid)

        self.app.push_screen(FuzzyPicker("Which bug is fixed?", items), chosen)

    def _ask_fix_macro(self, ref: str, cid: int | None) -> None:
        title = f"{ref} is fixed: the macro to reply with to every linked conversation"
        picker = FuzzyPicker(title, [], loading=True, with_preview=True)

        def chosen(slug: str | None) -> None:
            if slug:  # the confirmation's keys typed with the Enter wait for it
                waiting = Waiting("Counting the linked conversations… (Esc cancels)")
                self.app.push_screen(waiting)
                self.gateway.read(
                    self, _fix_plan, self.me, ref, slug, self.config.bug_pattern, reply=FixPlanLoaded,
                    flow=(slug, _label(picker, slug), waiting), group="pickers",
                )  # fmt: skip

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, _fix_macros, self.me, ref, cid, self.config.bug_pattern,
            reply=FixMacrosLoaded, flow=picker, group="pickers",
        )  # fmt: skip

    def on_fix_plan_loaded(self, message: FixPlanLoaded) -> None:
        plan, labels = message.value
        slug, name, waiting = message.flow
        if waiting.handoff() is None:
            self.notify("Nothing was queued.", markup=False)
            return
        n, done = len(plan.to_follow_up), len(plan.linked) - len(plan.to_follow_up)
        if not n:
            self.notify(
                f"All {len(plan.linked)} conversations linked to {plan.ref} were followed up already.",
                markup=False,
            )
            return
        already = f"; {done} followed up already" if done else ""
        question = (
            f"Reply with “{name}” to {wording.conversations(n, these=True)} linked to {plan.ref}"
            f"{already}? Closed ones reopen."
        )

        def yes(ok: bool | None) -> None:
            if ok:  # a macro that closes asks for a category first, once for all
                self.ask_category(
                    plan.to_follow_up,
                    lambda category: self._follow_up(plan.ref, slug, plan.to_follow_up, category),
                    then_status=None, macro=slug, reopens=True,  # closed ones are closed again
                )  # fmt: skip
            else:
                self.notify("Nothing was queued.", markup=False)

        self.app.push_screen(Confirm(question, labels), yes)

    def _follow_up(self, ref: str, slug: str, ids: list[int], category: str | None) -> None:
        """Queue the follow-ups in batches, one transaction each, in a worker (the
        screen stays live for thousands); the status line counts them."""
        from inbox_tui.services.buglinks import batches
        from inbox_tui.tui.gateway import explain

        me, config, total = self.me, self.config, len(ids)

        def job() -> None:
            done = 0
            try:
                for chunk in batches(ids):
                    done += self.gateway.commit(
                        _follow_up_batch, me, ref, slug, chunk, config, category
                    )
                    self.post_message(StatusNews(f"{ref}: {done} of {total} follow-ups queued…"))
            except Exception as exc:
                self.post_message(ServiceFailed(explain(exc), exc, None))
                if not done:
                    return
            ok = f"{ref} is fixed: {count(done, 'follow-up')} queued in the outbox."
            self.post_message(
                StoreWritten(ok, done, Flow([], after=self._then_flush(lambda: None)))
            )

        self.run_worker(job, thread=True, group="actions")

    # -- the previous agent ------------------------------------------------------------

    def action_assign_previous(self) -> None:
        from inbox_tui.services.continuity import assign_previous_many

        flow = self.begin()
        if flow is None:
            return
        self.act(
            flow,
            "Assign {on} to the agent who last helped each customer?",
            _assigned_to,
            assign_previous_many,
        )

    # -- a category on close -----------------------------------------------------------

    def close_asking_category(self, flow: Flow) -> None:
        """Close ``flow``'s conversations; those without a category tag ask for one
        first (once for all), unless ``[insight] category_on_close = "off"``."""
        from inbox_tui.services import categories

        mode = self.config.category_on_close

        def close(category: str | None, skipped: bool = False) -> None:
            done = f"Closed {{on}} as {one_line(category, 40)}" if category else "Closed {on}"
            done += " without a category" if skipped else ""
            self.act(flow, "Close {on}?", done, categories.close_with_category, category, mode)

        self.ask_category(flow.ids, close, on_skip=lambda: close(None, skipped=True))

    def ask_category(
        self,
        ids: list[int],
        then: Callable[[str | None], None],
        *,
        then_status: str | None = "closed",
        macro: str | None = None,
        on_cancel: Callable[[], None] | None = None,
        on_skip: Callable[[], None] | None = None,
        reopens: bool = False,
    ) -> None:
        """Before an action that may close ``ids`` (``then_status`` "closed", or a
        ``macro`` whose actions close): those that need a category
        (``categories.needs_category``) ask for one, once for all; then ``then(category)``
        (None: none needed, or skipped when there is no ``on_skip``). Esc runs
        ``on_cancel`` (else: nothing closes). ``reopens``: closed ones are reopened
        first (``F``), so they are asked for too."""
        mode = self.config.category_on_close
        if mode == "off":
            then(None)
            return
        # Keys typed while the store is asked are held for the question, never typed to
        # the list behind (walk2: e then "feature" opened Forward with the f).
        waiting = Waiting("Closing… (Esc cancels)")
        self.app.push_screen(waiting)
        self.gateway.read(
            self, _category_needed, list(ids), mode, then_status, macro, reopens,
            reply=CategoryNeeded,
            flow=(list(ids), then, on_cancel, on_skip, waiting), group="pickers",
        )  # fmt: skip

    def on_category_needed(self, message: CategoryNeeded) -> None:
        ids, then, on_cancel, on_skip, waiting = message.flow
        lacking, found, label = message.value
        if waiting.handoff() is None:  # Esc while it was asked
            if on_cancel is not None:
                on_cancel()
            else:
                self.notify("Nothing was closed.", markup=False)
            return
        if not lacking:
            then(None)
            return
        n = len(lacking)
        # Named: the one it is about, or which of several (walk2: F asked "Category for
        # the 1 without one?" and never said which conversation).
        if n == 1:
            which = self.conversation_label(lacking[0])
            if len(ids) > 1 or which == f"#{lacking[0]}":  # not the one on screen
                which = one_line(label, 70)
        else:
            which = f"the {n} without one ({_numbers(lacking)})"
        required = self.config.category_on_close == "require"
        items = _category_items(found, skip=not required)
        hint = "required" if required else "Enter chooses"
        ask = "" if which.rstrip('”"').endswith("?") else "?"  # a subject asking already
        title = f"Category for {which}{ask} ({hint}; Esc: nothing closes)"

        def chosen(value: str | None) -> None:
            if value is None:
                if on_cancel is not None:
                    on_cancel()
                else:
                    self.notify("Nothing was closed.", markup=False)
                return
            if value == SKIP and on_skip is not None:
                on_skip()
            else:
                then(None if value == SKIP else value)

        # One: the likely ones come first once suggested, so "Loading…" until then (keys
        # typed meanwhile wait for them): a by-name list shown first took a burst's Enter
        # as its first row, bug (#17: "e Enter" closed a feature request as bug).
        picker = FuzzyPicker(title, items, loading=n == 1)
        self.app.push_screen(picker, chosen)
        if n == 1:  # the likely ones first, once suggested (the picker is up already)
            self.gateway.read(
                self, _likely_categories, lacking[0], reply=CategoryChoicesLoaded,
                flow=(picker, not required), group="pickers",
            )  # fmt: skip

    def on_category_choices_loaded(self, message: CategoryChoicesLoaded) -> None:
        picker, skip = message.flow
        if picker.is_attached:
            picker.set_items(_category_items(message.value, skip=skip))


def _numbers(ids: list[int], shown: int = 6) -> str:
    """ "#3, #11, #76 and 4 more" """
    head = ", ".join(f"#{i}" for i in ids[:shown])
    return head + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _category_items(found: Any, *, skip: bool) -> list[PickItem]:
    items = [PickItem(c.name, c.name, c.hint) for c in found]
    return items + ([PickItem(SKIP, "Skip: close without a category")] if skip else [])


def _assigned_to(moved: dict[str, int]) -> str:
    """ "Assigned to priya (who last helped this customer)." or, for several, each
    agent with their count."""
    if len(moved) == 1 and sum(moved.values()) == 1:
        return f"Assigned to {one_line(next(iter(moved)), 40)} (who last helped this customer)."
    parts = [f"{one_line(a, 40)} {n}" for a, n in sorted(moved.items())]
    return f"Assigned {count(sum(moved.values()), 'conversation')} to who last helped: " + (
        ", ".join(parts) + "."
    )
