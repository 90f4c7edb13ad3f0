"""Categories that are collectively exhaustive: every closed conversation falls into one.

A conversation has a category when it carries a tag of kind ``category`` (the feedback
categories of the taxonomy; modifiers such as "angry" do not count). Whenever an agent
closes conversations (``e``, the status ``closed``, send and close, a macro whose
actions close, a bulk close, ``conv status ID closed``, ``conv reply --close``),
``needs_category`` is the one decision saying which of them lack one and must be asked
(``[insight] category_on_close``: ``"ask"``, the default, asks and may be skipped;
``"require"`` asks without a skip, and a service asked to close one of them without a
category refuses with a sentence; ``"off"`` never asks). ``choices`` offers the category
tags, likely ones first; ``before_close`` tags the chosen category on those that lack
one, in the transaction that closes them (one undo). The share closed without a category
is reported by ``services/repeats``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from inbox_tui.models import Status, Tag, TagKind
from inbox_tui.services import triage
from inbox_tui.services.category_guard import (  # noqa: F401  (the rule's names, here too)
    MODES,
    CategoryRequired,
    before_close,
    category_names,
    missing,
    needs_category,
)


def closes(session: Session, then_status: str | None, macro: str | None) -> bool:
    """Whether a send (``then_status``: the agent's "send and close", or None for the
    default) or a macro's actions close the conversation."""
    if then_status is not None or macro is None:
        return then_status == Status.CLOSED.value
    from inbox_tui.services.macros import get_macro

    return bool(get_macro(session, macro).actions.get("status") == Status.CLOSED.value)


def to_ask(
    session: Session,
    ids: list[int],
    mode: str,
    then_status: str | None,
    macro: str | None,
    *,
    reopens: bool = False,
) -> list[int]:
    """Which of ``ids`` an action (``then_status`` and/or ``macro``) must ask a category
    for before it runs: ``needs_category`` when it closes, none when it does not or when
    the macro's own tags give one. ``reopens``: the action reopens closed ones before
    it closes them again (a bug's follow-up), so they count too."""
    if mode == "off" or not closes(session, then_status, macro):
        return []
    if macro is not None:
        from inbox_tui.services.macros import get_macro

        added = [n.strip().lower() for n in get_macro(session, macro).actions.get("add_tags", [])]
        if (
            added
            and session.exec(
                select(Tag.id).where(col(Tag.name).in_(added), Tag.kind == TagKind.CATEGORY.value)
            ).first()
        ):
            return []
    return missing(session, ids) if reopens else needs_category(session, ids, mode)


@dataclass
class CategoryChoice:
    name: str
    hint: str  # "likely 62% (…)" for a suggested one, else ""


def choices(session: Session, conversation_id: int | None) -> list[CategoryChoice]:
    """The category tags, the ones likely for ``conversation_id`` first (none are
    suggested for a bulk close: ``conversation_id`` None), then by name."""
    names = category_names(session)
    likely: dict[str, float] = {}
    hints: dict[str, str] = {}
    if conversation_id is not None:
        from inbox_tui.services.suggest import suggest_tags

        for s in suggest_tags(session, conversation_id, limit=3):
            likely[s.name] = s.score
            hints[s.name] = f"likely {s.score:.0%} ({s.reason})"
    out = [CategoryChoice(n, hints.get(n, "")) for n in names]
    out.sort(key=lambda c: -likely.get(c.name, 0.0))  # stable: likeliest first, then by name
    return out


def close_with_category(
    session: Session, actor: str, ids: list[int], category: str | None, mode: str = "ask"
) -> int:
    """``before_close``, then close them all; ``None`` closes without a category (the
    agent skipped the question; refused under ``"require"``). Returns how many closed."""
    before_close(session, actor, ids, category, mode)
    return triage.close_many(session, actor, ids)
