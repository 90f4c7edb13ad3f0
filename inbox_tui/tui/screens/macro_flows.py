"""The macro flows of the main screen: pick a macro (with its preview; a pinned one by
its number), fill its blanks, apply it to one conversation through the composer or to a
confirmed selection at once; and edit a macro's text."""

from __future__ import annotations

from typing import Any

from inbox_tui.tui.gateway import Loaded
from inbox_tui.tui.screens.composer import Composer, Draft
from inbox_tui.tui.screens.triage import Flow, MacroEdit, TriageFlows, _s
from inbox_tui.tui.widgets.dialogs import FuzzyPicker, PickItem, Prompt


class MacrosLoaded(Loaded):
    pass


class MacroChoicesLoaded(Loaded):
    pass


class MacroPrepared(Loaded):
    """value: (macro info, preview or None); flow: the Flow."""


class MacroRendered(Loaded):
    """value: the preview with the agent's answers; flow: (conversation id, slug)."""


class MacroFlows(TriageFlows):
    """Macros on top of the triage flows; MainScreen builds on this."""

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
            picker.set_items([PickItem(m.slug, m.name, m.body_kind) for m in message.value])

    def _edit_macro(self, edit: MacroEdit) -> None:
        from inbox_tui.services.macros import save_macro

        def saved(draft: Draft | None) -> None:
            if draft is not None and draft.action == "note":
                flow = MacroEdit(edit.slug, edit.name, draft.text, edit.actions)
                self.gateway.write(
                    self, save_macro, edit.slug, edit.name, draft.text, edit.actions,
                    ok=f"Macro “{edit.name}” saved.", flow=flow,
                )  # fmt: skip

        self.app.push_screen(
            Composer(
                f"Edit macro “{edit.name}” (placeholders like {{{{contact.first_name}}}} are checked on save)",
                edit.text,
                is_note=True,
                save_label="Save macro",
            ),
            saved,
        )

    def action_macro(self) -> None:
        from inbox_tui.services.macros import macro_choices

        flow = self.begin()
        if flow is None:
            return
        title = self._title("Macro (type a pinned macro's number to apply it)", flow)
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
                ", ".join(m.describe_actions()),
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
        self.gateway.read(
            self, _prepare_macro, self.me, ids[0], slug, reply=MacroPrepared, flow=flow,
            group="actions",
        )  # fmt: skip

    def on_macro_prepared(self, message: MacroPrepared) -> None:
        from inbox_tui.services.macros import apply_macro_many

        flow: Flow = message.flow
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
        n = len(flow.ids)

        def run() -> None:
            self.gateway.write(
                self,
                lambda s: apply_macro_many(s, self.me, flow.ids, info.slug, config=self.config),
                ok=f"Applied “{info.name}” to {n} conversation{_s(n)}.",
                flow=flow,
            )

        self.confirmed(flow, f"Apply the macro “{info.name}”", run)

    def _ask_then_compose(
        self, conv_id: int, slug: str, asks: list[str], answers: dict[str, str]
    ) -> None:
        from inbox_tui.services.macros import preview

        if not asks:
            self.gateway.read(
                self, preview, self.me, conv_id, slug, answers, reply=MacroRendered,
                flow=(conv_id, slug), group="actions",
            )  # fmt: skip
            return

        def got(value: str | None) -> None:
            if value is None or not value.strip():
                self.notify(
                    f"The macro needs “{asks[0]}”; nothing was sent.",
                    severity="warning",
                    markup=False,
                )
                return
            self._ask_then_compose(conv_id, slug, asks[1:], {**answers, asks[0]: value})

        self.app.push_screen(Prompt(f"Macro needs: {asks[0]}"), got)

    def on_macro_rendered(self, message: MacroRendered) -> None:
        conv_id, slug = message.flow
        p = message.value
        if p.text is None:
            self.notify(
                "This macro needs " + ", ".join(p.missing) + ".", severity="error", markup=False
            )
            return
        self.compose_reply(conv_id, p.text, slug)


def _prepare_macro(session: Any, me: str, conv_id: int, slug: str) -> tuple[Any, Any]:
    from inbox_tui.services.macros import get_macro, preview

    info = get_macro(session, slug)
    return info, preview(session, me, conv_id, slug) if info.body else None
