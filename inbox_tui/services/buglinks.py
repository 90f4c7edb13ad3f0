"""Bug links and the follow-up when a bug is fixed.

A conversation is linked to a bug or ticket (``ENG-4812``, an issue URL) when one of its
internal notes mentions it, recognised by a pattern (``DEFAULT_PATTERN`` unless the
caller gives another), or when it was confirmed as part of an incident with that bug
(``services/incidents``). ``link`` writes such a note, so there is one record of a link:
the note, in the conversation's history and undoable like any note.

When the bug is fixed, ``fixed`` applies one macro to every linked conversation, in
batches (one transaction each, so the UI and other agents never wait on thousands), and
records a ``followed_up`` event on each (naming its reply's outbox row): running it
again skips them, so every customer hears once; one whose reply was taken back (undo
send) was never heard, and is followed up again. A closed conversation is reopened (a
status change, undoable like any) before the macro replies, and the reply goes through
the exactly-once outbox.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from inbox_tui import sanitize
from inbox_tui.config import Config
from inbox_tui.errors import UserError
from inbox_tui.models import EventKind, Outbox, OutboxStatus, Status, Tag, TagKind
from inbox_tui.services import bugrefs, core, macros, triage, wording
from inbox_tui.services.bugrefs import DEFAULT_PATTERN as DEFAULT_PATTERN
from inbox_tui.services.bugrefs import BugLinkError as BugLinkError
from inbox_tui.services.bugrefs import compile_pattern as compile_pattern
from inbox_tui.services.bugrefs import refs_in as refs_in

BATCH = 200
MAX_REF = bugrefs.MAX_REF


def _check_ref(ref: str, pattern: re.Pattern[str]) -> str:
    ref = sanitize.one_line(ref, MAX_REF)
    if refs_in(ref, pattern) != [ref]:
        raise BugLinkError(f"{ref!r} does not look like a bug reference (such as ENG-4812).")
    return ref


_FOLLOWED = text(
    "SELECT DISTINCT conversation_id, data FROM event WHERE kind = 'followed_up' "
    "AND data LIKE :like ESCAPE '\\'"
)


def linked(session: Session, ref: str, pattern: str | None = None) -> list[int]:
    """The conversations linked to ``ref`` (module docstring), by id; ``ref`` must be a
    bug reference by the pattern."""
    return bugrefs.mentioned(session, _check_ref(ref, compile_pattern(pattern)))


def refs_of(session: Session, conversation_id: int, pattern: str | None = None) -> list[str]:
    """The bug references of one conversation (its notes, then its incidents)."""
    compiled = compile_pattern(pattern)
    out: dict[str, None] = {}
    for (body,) in session.execute(
        text(
            "SELECT body FROM message WHERE conversation_id = :c AND direction = 'note' ORDER BY id"
        ),
        {"c": conversation_id},
    ).all():
        for ref in bugrefs.links(body, compiled):
            out.setdefault(ref, None)
    for (data,) in session.execute(
        text("SELECT data FROM event WHERE conversation_id = :c AND kind = 'incident' ORDER BY id"),
        {"c": conversation_id},
    ).all():
        bug = json.loads(data or "{}").get("bug")
        if isinstance(bug, str) and bug:
            out.setdefault(bug, None)
    return list(out)


def link(
    session: Session, actor: str, conversation_id: int, ref: str, pattern: str | None = None
) -> int:
    """Link a conversation to a bug: a note naming it. Returns the note's id."""
    ref = _check_ref(ref, compile_pattern(pattern))
    return triage.add_note(session, actor, conversation_id, f"Linked to {ref}.")


@dataclass
class SavedNote:
    """A note saved, with the bug references it links its conversation to (the agent is
    told: a link is never silent)."""

    id: int
    links: list[str]


def add_note(
    session: Session,
    actor: str,
    conversation_id: int,
    body: str,
    *,
    pattern: str | None = None,
    **options: Any,
) -> SavedNote:
    """``triage.add_note`` (``options``: its keywords), saying which bugs the note links
    (none under a configured pattern that is refused: then nothing links, and ``issue``
    says why; the note itself is saved)."""
    note_id = triage.add_note(session, actor, conversation_id, body, **options)
    try:
        compiled = compile_pattern(pattern)
    except BugLinkError:
        return SavedNote(note_id, [])
    saved = session.execute(text("SELECT body FROM message WHERE id = :i"), {"i": note_id})
    return SavedNote(note_id, bugrefs.links(saved.scalar_one() or "", compiled))


def linked_sentence(refs: list[str]) -> str:
    """ "Linked to ENG-4812 (F follows it up when it is fixed)." or ""."""
    if not refs:
        return ""
    names = ", ".join(sanitize.one_line(r, 60) for r in refs[:5])
    more = f" and {len(refs) - 5} more" if len(refs) > 5 else ""
    return f"Linked to {names}{more} (F follows it up when it is fixed)."


@dataclass
class FixPlan:
    """What ``fixed`` would do: the linked conversations not yet followed up."""

    ref: str
    linked: list[int]
    to_follow_up: list[int]


def unfit_to_follow_up(info: macros.MacroInfo) -> str | None:
    """Why ``info`` cannot be the follow-up of a fixed bug, or None when it can. A
    follow-up tells each customer the bug is fixed: a note (or no text) tells nobody,
    yet marks them followed up, so a later ``fixed`` would skip them for good; and the
    follow-ups are queued for many customers at once, where a blank (``{{ask: …}}``)
    has no one to ask: it would stop each one with "no value"."""
    if not info.body or info.body_kind != "reply":
        return f"“{info.name}” sends no reply: a follow-up tells the customer the bug is fixed."
    asks = macros.asks_of(info)
    if asks:
        blanks = ", ".join(sanitize.one_line(a, 40) for a in asks[:3])
        return (
            f"“{info.name}” asks for a value ({blanks}), which a follow-up to every linked "
            "customer cannot ask: fill it in the macro (M) or use m on them."
        )
    return None


def follow_up_choices(
    session: Session, actor: str, conversation_id: int
) -> tuple[list[macros.MacroChoice], int]:
    """The macros ``fixed`` can follow up with (``unfit_to_follow_up``), previewed on
    ``conversation_id``, and how many others were left out."""
    found = macros.macro_choices(session, actor, conversation_id)
    fit = [c for c in found if unfit_to_follow_up(c.info) is None]
    return fit, len(found) - len(fit)


def plan_fixed(session: Session, ref: str, macro: str, pattern: str | None = None) -> FixPlan:
    """The preview of ``fixed``: how many conversations would get ``macro``'s reply.
    A macro unfit to follow up with is one sentence, before anything."""
    unfit = unfit_to_follow_up(macros.get_macro(session, macro))  # unknown: one sentence
    if unfit is not None:
        raise macros.MacroError(f"{unfit} Nothing was queued.")
    ids = linked(session, ref, pattern)
    done = followed_up(session, ref)
    return FixPlan(ref, ids, [i for i in ids if i not in done])


def followed_up(session: Session, ref: str) -> set[int]:
    """The conversations already followed up for ``ref`` (``fixed`` skips them)."""
    rows = session.execute(_FOLLOWED, {"like": bugrefs.like(ref)}).all()
    return {cid for cid, r in _standing(session, rows) if r == ref}


def _standing(session: Session, rows: Sequence[Any]) -> list[tuple[int, Any]]:
    """``(conversation_id, data)`` rows of ``followed_up`` events as (conversation, ref),
    without the follow-ups whose reply was taken back (undo send: the customer never
    heard, so ``fixed`` answers them again)."""
    found = [(int(cid), json.loads(data or "{}")) for cid, data in rows]
    taken_back: set[int | None] = set()
    if any("outbox" in d for _, d in found):  # few rows are ever taken back: by status
        cancelled = select(Outbox.id).where(Outbox.status == OutboxStatus.CANCELLED.value)
        taken_back = set(session.exec(cancelled).all())
    return [(cid, d.get("ref")) for cid, d in found if d.get("outbox") not in taken_back]


def check_category(
    session: Session, ids: list[int], macro: str, mode: str, category: str | None
) -> None:
    """Before any follow-up of ``fixed`` is queued, once for all of ``ids``: when
    ``macro`` closes, a ``category`` that is not a category tag is refused, and under
    ``"require"`` so is none when some of them have no category tag (closed ones too:
    they are reopened, then closed again). One sentence naming them and ``--category``."""
    from inbox_tui.services import categories

    lacking = categories.to_ask(session, ids, mode, None, macro, reopens=True)
    if category is not None:
        found = session.exec(select(Tag).where(Tag.name == category.strip().lower())).first()
        if found is None or found.kind != TagKind.CATEGORY.value:
            raise UserError(f"{category!r} is not a category tag; nothing was queued.")
        return
    if not lacking or mode != "require":
        return
    which = ", ".join(f"#{i}" for i in lacking[:8]) + (" …" if len(lacking) > 8 else "")
    names = categories.category_names(session)
    known = f" (one of: {', '.join(names[:12])})" if names else ""
    raise categories.CategoryRequired(
        f"{wording.conversations(len(lacking))} ({which}) {'has' if len(lacking) == 1 else 'have'} "
        f"no category tag and {macro!r} closes them, while [insight] category_on_close is "
        f'"require": run it again with --category TAG{known}; nothing was queued.'
    )


def follow_up(
    session: Session,
    actor: str,
    ref: str,
    macro: str,
    ids: list[int],
    *,
    config: Config | None = None,
    category: str | None = None,
) -> int:
    """One batch of ``fixed``: ``macro`` applied to each of ``ids`` not followed up for
    ``ref`` yet (checked again here, under the conversation's lock, so two agents running
    it at once never answer a customer twice), closed ones reopened by the reply.
    ``category``: for a macro that closes, tagged on those without one."""
    done = 0
    for cid in ids:
        conv = core.lock_conversation(session, cid)
        already = session.execute(
            text(
                "SELECT conversation_id, data FROM event "
                "WHERE conversation_id = :c AND kind = 'followed_up'"
            ),
            {"c": cid},
        ).all()
        if any(r == ref for _, r in _standing(session, already)):
            continue
        if conv.status == Status.CLOSED.value:
            triage.set_status(session, actor, cid, Status.OPEN, cause="follow-up")
        applied = macros.apply_macro(session, actor, cid, macro, config=config, category=category)
        record_follow_up(session, actor, cid, ref, applied.outbox_id, macro)
        done += 1
    return done


def record_follow_up(
    session: Session,
    actor: str,
    conversation_id: int,
    ref: str,
    outbox: int | None,
    macro: str | None = None,
) -> None:
    """The ``followed_up`` event of ``ref`` on one conversation, naming its reply's
    outbox row: that reply taken back (undo send), it is no follow-up; sent again from
    the composer undo send reopened (``Review.follows_up``), it is one again."""
    data: dict[str, Any] = {"ref": ref, "macro": macro}
    if outbox is not None:
        data["outbox"] = outbox
    conv = core.lock_conversation(session, conversation_id)
    core.record(session, conv, core.ensure_agent(session, actor), EventKind.FOLLOWED_UP, data)


def follow_up_of(session: Session, conversation_id: int, outbox: int) -> str | None:
    """The bug whose follow-up the reply in outbox row ``outbox`` is, or None."""
    rows = session.execute(
        text("SELECT data FROM event WHERE conversation_id = :c AND kind = 'followed_up'"),
        {"c": conversation_id},
    ).all()
    datas = [json.loads(d or "{}") for (d,) in rows]
    return next((str(d["ref"]) for d in datas if d.get("outbox") == outbox and d.get("ref")), None)


def batches(ids: list[int], size: int = BATCH) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def check_ref(ref: str, pattern: str | None = None) -> str:
    """``ref`` cleaned, or BugLinkError when it is no bug reference by the pattern."""
    return _check_ref(ref, compile_pattern(pattern))


MAX_NOTES = 20000  # newest notes read for the list of known references


RECOUNTED = 100  # references counted exactly when the newest notes were not all


@dataclass
class KnownRef:
    """A bug reference in the "fixed" picker: the conversations it links (as ``linked``
    finds them) and how many of those were followed up already (as ``plan_fixed``)."""

    ref: str
    linked: int
    followed: int


def known_refs(session: Session, pattern: str | None = None) -> list[KnownRef]:
    """Every bug reference in the newest ``MAX_NOTES`` notes and in confirmed incidents,
    with how many conversations it links, most linked first (the TUI's "fixed" picker).
    The counts are ``linked``'s and ``plan_fixed``'s: what the picker says is what the
    preview lists and ``follow_up`` acts on."""
    compiled = compile_pattern(pattern)
    convs: dict[str, set[int]] = {}
    notes = session.execute(
        text(
            "SELECT conversation_id, body FROM message WHERE direction = 'note' "
            "ORDER BY id DESC LIMIT :n"
        ),
        {"n": MAX_NOTES},
    ).all()
    for cid, body in notes:
        for ref in bugrefs.links(body, compiled):
            convs.setdefault(ref, set()).add(int(cid))
    for cid, data in session.execute(
        text("SELECT conversation_id, data FROM event WHERE kind = 'incident'")
    ).all():
        bug = json.loads(data or "{}").get("bug")
        if isinstance(bug, str) and bug:
            convs.setdefault(bug, set()).add(int(cid))
    ranked = sorted(convs, key=lambda r: (-len(convs[r]), r))
    if len(notes) >= MAX_NOTES:  # older notes link too: count those shown exactly
        ranked = ranked[:RECOUNTED]
        convs = {r: set(bugrefs.mentioned(session, r)) for r in ranked}
        ranked.sort(key=lambda r: (-len(convs[r]), r))
    followed: dict[str, set[int]] = {}
    rows = session.execute(
        text("SELECT conversation_id, data FROM event WHERE kind = 'followed_up'")
    ).all()
    for cid, ref in _standing(session, rows):
        if isinstance(ref, str):
            followed.setdefault(ref, set()).add(cid)
    return [KnownRef(r, len(convs[r]), len(followed.get(r, set()) & convs[r])) for r in ranked]
