"""The close guard of the category rule (``services/categories`` says the rule): which
conversations closing must ask a category for, and tagging the chosen one in the
transaction that closes them. Apart so that the services that close (replies, macros,
triage) need not import the picker's side, which reads macros and suggestions.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from inbox_tui.errors import UserError
from inbox_tui.models import Conversation, Status, Tag, TagKind
from inbox_tui.services import triage

MODES = ("ask", "require", "off")


class CategoryRequired(UserError):
    """A close without a category under ``category_on_close = "require"``."""


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


def needs_category(session: Session, ids: list[int], mode: str) -> list[int]:
    """The conversations of ``ids`` that closing must ask a category for: those not
    closed already that carry no category tag; none when ``mode`` is ``"off"``."""
    if mode == "off" or not ids:
        return []
    closed = set(
        session.exec(
            select(Conversation.id).where(
                col(Conversation.id).in_(ids), Conversation.status == Status.CLOSED.value
            )
        ).all()
    )
    return missing(session, [i for i in ids if i not in closed])


def category_names(session: Session) -> list[str]:
    """The category tags' names, by name."""
    return list(
        session.exec(
            select(Tag.name).where(Tag.kind == TagKind.CATEGORY.value).order_by(col(Tag.name))
        ).all()
    )


def before_close(
    session: Session, actor: str, ids: list[int], category: str | None, mode: str
) -> None:
    """Before ``ids`` are closed by an agent: tag ``category`` on those that need one
    (``needs_category``). ``None`` closes without one (the agent skipped), except under
    ``"require"``, which refuses with one sentence naming them and the category tags. A
    name that is not a category tag is refused before any change."""
    lacking = needs_category(session, ids, mode)
    if category is None:
        if lacking and mode == "require":
            which = ", ".join(f"#{i}" for i in lacking[:5]) + (" …" if len(lacking) > 5 else "")
            names = category_names(session)
            known = f" (one of: {', '.join(names[:12])})" if names else ""
            raise CategoryRequired(
                f"{which} {'has' if len(lacking) == 1 else 'have'} no category tag and "
                f'[insight] category_on_close is "require": give a category{known}; '
                "nothing was changed."
            )
        return
    tag = session.exec(select(Tag).where(Tag.name == category.strip().lower())).first()
    if tag is None or tag.kind != TagKind.CATEGORY.value:
        raise UserError(f"{category!r} is not a category tag.")
    for cid in lacking if mode != "off" else missing(session, ids):
        triage.tag(session, actor, cid, tag.name)
