"""Categories that are collectively exhaustive: every closed conversation falls into one.

A conversation has a category when it carries a tag of kind ``category`` (the feedback
categories of the taxonomy; modifiers such as "angry" do not count). When an agent
closes conversations that have none, the TUI asks for one (``[insight]
category_on_close = "ask"``, the default; ``"off"`` never asks): ``missing`` says which
lack one, ``choices`` offers the category tags, likely ones first, and
``close_with_category`` tags those that lack one and closes them all in one transaction
(one undo). The share closed without a category is reported by ``services/repeats``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from inbox_tui.errors import UserError
from inbox_tui.models import Tag, TagKind
from inbox_tui.services import triage

_WITH_CATEGORY = text(
    "SELECT DISTINCT ct.conversation_id FROM conversationtag ct JOIN tag t ON t.id = ct.tag_id "
    "WHERE t.kind = :kind AND ct.conversation_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def missing(session: Session, ids: list[int]) -> list[int]:
    """The conversations of ``ids`` that carry no category tag, in the order given."""
    have: set[int] = set()
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        rows = session.execute(_WITH_CATEGORY, {"kind": TagKind.CATEGORY.value, "ids": chunk})
        have.update(int(r[0]) for r in rows)
    return [i for i in ids if i not in have]


@dataclass
class CategoryChoice:
    name: str
    hint: str  # "likely 62% (…)" for a suggested one, else ""


def choices(session: Session, conversation_id: int | None) -> list[CategoryChoice]:
    """The category tags, the ones likely for ``conversation_id`` first (none are
    suggested for a bulk close: ``conversation_id`` None), then by name."""
    names = session.exec(
        select(Tag.name).where(Tag.kind == TagKind.CATEGORY.value).order_by(col(Tag.name))
    ).all()
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


def close_with_category(session: Session, actor: str, ids: list[int], category: str | None) -> int:
    """Tag ``category`` on those of ``ids`` that have no category, then close them all;
    ``None`` closes without one (the agent skipped the question). Returns how many
    closed. A name that is not a category tag is refused before any change."""
    if category is not None:
        tag = session.exec(select(Tag).where(Tag.name == category.strip().lower())).first()
        if tag is None or tag.kind != TagKind.CATEGORY.value:
            raise UserError(f"{category!r} is not a category tag.")
        for cid in missing(session, ids):
            triage.tag(session, actor, cid, tag.name)
    return triage.close_many(session, actor, ids)
