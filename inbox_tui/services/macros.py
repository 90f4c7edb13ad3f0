"""Macros: load them into the store, preview them for a conversation, apply them.

Applying a macro is one transaction: its actions (tags, assignment, status or snooze,
help article), its reply (queued in the outbox) or note, and a ``macro_applied`` event,
so the stats can say how often each macro is used. Either all of it happens or none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.macros import template
from inbox_tui.macros.files import MacroSpec
from inbox_tui.models import Article, EventKind, Macro, Status, utcnow
from inbox_tui.services import core, triage
from inbox_tui.services.agent_clock import agent_time, agent_zone
from inbox_tui.services.placeholders import values_for
from inbox_tui.when import parse_duration

if TYPE_CHECKING:
    from inbox_tui.config import Config


class MacroError(UserError):
    pass


@dataclass
class MacroInfo:
    id: int
    slug: str
    name: str
    body: str
    body_kind: str
    actions: dict[str, Any]
    pinned: int | None

    def effects(self) -> list[str]:
        """Everything applying it does, as short phrases: its reply or note first (a bulk
        confirmation must say that customers will get mail), then its actions."""
        first = []
        if self.body and self.body_kind == "reply":
            first.append("send a reply to each customer")
        elif self.body:
            first.append("add an internal note to each")
        return first + self.describe_actions()

    def summary(self) -> str:
        """What applying it does, for a picker: "reply, tag bug, set pending"; one with
        no text is described by its actions alone ("tag billing, assign to priya"): its
        kind said "reply" although it sends nothing (#17)."""
        kind = []
        if self.body:
            kind.append("reply" if self.body_kind == "reply" else "note")
        return ", ".join(kind + self.describe_actions()) or "does nothing"

    def describe_actions(self) -> list[str]:
        """The actions as short plain phrases, for pickers and previews."""
        a = self.actions
        out = []
        if a.get("add_tags"):
            out.append("tag " + ", ".join(a["add_tags"]))
        if a.get("remove_tags"):
            out.append("untag " + ", ".join(a["remove_tags"]))
        if a.get("assign"):
            who = a["assign"]
            out.append("unassign" if who == "none" else f"assign to {who}")
        if a.get("status"):
            out.append(f"set {a['status']}")
        if a.get("snooze"):
            out.append(f"snooze {a['snooze']}")
        if a.get("article"):
            out.append(f"insert article {a['article']}")
        return out


@dataclass
class Preview:
    macro: MacroInfo
    text: str | None  # the rendered reply/note, None when values are missing
    missing: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)


@dataclass
class Applied:
    macro: str
    outbox_id: int | None = None
    note_id: int | None = None
    changed: list[str] = field(default_factory=list)


def import_specs(session: Session, specs: list[MacroSpec]) -> dict[str, int]:
    """Insert or update macros by slug. Returns counts: added, updated, unchanged."""
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for spec in specs:
        row = session.exec(select(Macro).where(Macro.slug == spec.slug)).first()
        actions = json.dumps(spec.actions, sort_keys=True)
        if row is None:
            session.add(
                Macro(
                    slug=spec.slug,
                    name=spec.name,
                    body=spec.body,
                    body_kind=spec.body_kind,
                    actions=actions,
                    pinned=spec.pinned,
                    source_path=spec.source_path,
                )
            )
            counts["added"] += 1
            continue
        new = (spec.name, spec.body, spec.body_kind, actions, spec.pinned)
        old = (
            row.name,
            row.body,
            row.body_kind,
            json.dumps(json.loads(row.actions), sort_keys=True),
            row.pinned,
        )
        if new == old:
            counts["unchanged"] += 1
            continue
        row.name, row.body, row.body_kind, row.actions, row.pinned = new
        row.source_path = spec.source_path
        row.updated_at = utcnow()
        counts["updated"] += 1
    session.flush()
    return counts


def template_problem(body: str) -> str | None:
    """What is wrong with a macro's text (one sentence), or None: checked by the editor
    before it closes, and by ``save_macro``."""
    try:
        template.parse(sanitize.for_display(body))
    except template.TemplateError as exc:
        return str(exc)
    return None


def save_macro(session: Session, slug: str, name: str, body: str, actions: dict[str, Any]) -> None:
    """Edit a macro from the TUI: the template is checked before it is saved."""
    name, body = sanitize.one_line(name, 300), sanitize.for_display(body)
    problem = template_problem(body)
    if problem:
        raise MacroError(f"The macro was not saved: {problem}")
    row = session.exec(select(Macro).where(Macro.slug == slug)).first()
    if row is None:
        row = Macro(slug=slug, name=name)
        session.add(row)
    row.name, row.body, row.actions, row.updated_at = name, body, json.dumps(actions), utcnow()
    session.flush()


def list_macros(session: Session) -> list[MacroInfo]:
    rows = session.exec(
        select(Macro).order_by(col(Macro.pinned).is_(None), col(Macro.pinned), col(Macro.name))
    ).all()
    return [_info(m) for m in rows]


@dataclass
class MacroChoice:
    info: MacroInfo
    preview: str  # the text rendered for the conversation (or what it needs), then actions


def macro_choices(session: Session, actor: str, conversation_id: int) -> list[MacroChoice]:
    """Every macro (pinned first) with its preview for this conversation and agent."""
    out = []
    for m in list_macros(session):
        lines = []
        if m.body:
            p = preview(session, actor, conversation_id, m.slug)
            lines.append(p.text if p.text is not None else "Needs: " + ", ".join(p.missing))
        acts = m.describe_actions()
        if acts:
            lines.append("Actions: " + ", ".join(acts))
        out.append(MacroChoice(m, "\n".join(lines)))
    return out


def get_macro(session: Session, slug: str) -> MacroInfo:
    row = session.exec(select(Macro).where(Macro.slug == slug)).first()
    if row is None:
        raise MacroError(f"There is no macro called '{slug}'.")
    return _info(row)


def _info(m: Macro) -> MacroInfo:
    assert m.id is not None
    # The database is untrusted too (a row written by an older version, or by hand).
    return MacroInfo(
        m.id,
        sanitize.one_line(m.slug, 300),
        sanitize.one_line(m.name, 300),
        sanitize.for_display(m.body),
        m.body_kind,
        sanitize.clean_tree(json.loads(m.actions or "{}")),
        m.pinned,
    )


def article_text(session: Session, slug: str) -> str | None:
    """What a help article looks like inside a reply: title, link, short excerpt."""
    art = session.exec(select(Article).where(Article.slug == slug)).first()
    if art is None:
        return None
    return format_article(art)


def format_article(art: Article) -> str:
    """Title, link and excerpt, each cleaned (stored articles are untrusted text)."""
    excerpt = sanitize.one_line(art.description or art.body, 100_000)
    if len(excerpt) > 240:
        excerpt = excerpt[:239].rsplit(" ", 1)[0] + "…"
    link = f"\n{sanitize.one_line(art.url, 2000)}" if art.url else ""
    return f"{sanitize.one_line(art.title, 500)}{link}\n{excerpt}"


def preview(
    session: Session,
    actor: str,
    conversation_id: int,
    slug: str,
    answers: dict[str, str] | None = None,
) -> Preview:
    """The macro rendered for this conversation (or what is missing to render it)."""
    info = get_macro(session, slug)
    tpl = _template(info)
    if not info.body:
        return Preview(info, None)
    try:
        text = _render(session, actor, conversation_id, info, tpl, answers)
    except template.MissingValues as exc:
        return Preview(info, None, exc.names, tpl.asks)
    return Preview(info, text, [], tpl.asks)


def asks_of(info: MacroInfo) -> list[str]:
    """The blanks (``{{ask: …}}``) the agent must fill before the macro can be applied."""
    return _template(info).asks if info.body else []


def choices_for_many(
    session: Session, actor: str, conversation_id: int
) -> tuple[list[MacroChoice], int]:
    """The macros that can answer many conversations at once (an incident's): those with
    no blank to ask (``{{ask: …}}`` has one answer per customer, and the bulk stopped at
    the first with "no value" after the agent had confirmed: walk12), previewed on
    ``conversation_id``; and how many were left out."""
    found = macro_choices(session, actor, conversation_id)
    fit = [c for c in found if not asks_of(c.info)]
    return fit, len(found) - len(fit)


def _template(info: MacroInfo) -> template.Template:
    try:
        return template.parse(info.body)
    except template.TemplateError as exc:  # a macro edited in the database by hand
        raise MacroError(f"The macro '{info.slug}' is broken: {exc}") from exc


def _render(
    session: Session,
    actor: str,
    conversation_id: int,
    info: MacroInfo,
    tpl: template.Template,
    answers: dict[str, str] | None,
) -> str:
    text = template.render(
        tpl,
        values_for(session, actor, conversation_id),
        article_text=lambda slug: article_text(session, slug),
        answers=answers,
    )
    if info.actions.get("article") and info.actions["article"] not in tpl.articles:
        extra = article_text(session, info.actions["article"])
        if extra is None:
            raise template.MissingValues(
                [f"the help article '{info.actions['article']}' (not in the store)"]
            )
        text = text.rstrip() + "\n\n" + extra
    return sanitize.for_display(text)


def apply_macro(
    session: Session,
    actor: str,
    conversation_id: int,
    slug: str,
    *,
    config: Config | None = None,
    body: str | None = None,
    answers: dict[str, str] | None = None,
    seen_version: int | None = None,
    force: bool = False,
    now: datetime | None = None,
    then_status: str | None = None,
    reply_options: dict[str, Any] | None = None,
    category: str | None = None,
) -> Applied:
    """Apply the macro's actions and queue its reply (or add its note) in the caller's
    transaction. ``body`` is the agent's edited text; without it the macro is rendered
    here, and missing values raise MacroError naming them. Raises replies.Collision
    (from queue_reply) when someone else acted since ``seen_version``. ``then_status``
    is the agent's own choice for after the reply (send and close): it wins over the
    macro's status and snooze. ``reply_options``: the review step's recipients,
    signature and files, passed on to ``queue_reply``. ``category``: for a macro that
    closes, the category the agent chose (``categories.before_close``)."""
    info = get_macro(session, slug)
    now = now or utcnow()
    result = Applied(info.slug)
    a = info.actions
    text = body
    if text is None and info.body:
        tpl = _template(info)
        try:
            text = _render(session, actor, conversation_id, info, tpl, answers)
        except template.MissingValues as exc:
            raise MacroError(f"'{info.name}' cannot be sent yet: {exc}") from exc
    _tag_and_assign(session, actor, conversation_id, a, now, result)
    status = then_status or a.get("status")
    if status is None and not a.get("snooze") and text and info.body_kind == "reply":
        status = Status.PENDING.value  # no status of its own: what a plain reply sets
    if text and info.body_kind == "reply":
        from inbox_tui.services.replies import queue_reply

        if config is None:
            raise MacroError("Replies need the app's configuration (the sending account).")
        result.outbox_id = queue_reply(
            session,
            actor,
            conversation_id,
            text,
            config=config,
            then_status=status if status in ("pending", "closed") else None,
            seen_version=seen_version,
            force=force,
            category=category,
            # Rendered here (a selection, an incident, a bug's follow-up): the agent
            # never saw it in the composer, so their unsent draft is not it and stays
            # (walk7: confirming an incident deleted one silently). From the composer
            # (``body``), the draft was this text and goes.
            keep_draft=body is None,
            **(reply_options or {}),
        )
        status = status if status == "open" else None
    elif text:
        result.note_id = triage.add_note(session, actor, conversation_id, text, at=now)
    if status == Status.CLOSED.value:  # an action-only (or note) macro that closes
        from inbox_tui.services.category_guard import before_close

        mode = config.category_on_close if config is not None else "ask"
        before_close(session, actor, [conversation_id], category, mode)
    if a.get("snooze") and then_status is None:
        until = now + parse_duration(a["snooze"])
        if triage.snooze(session, actor, conversation_id, until, at=now):
            zone = agent_zone(config.agent.timezone) if config is not None else "UTC"
            result.changed.append(_snoozed(until, zone))
    elif status and triage.set_status(session, actor, conversation_id, Status(status), at=now):
        result.changed.append(f"set {status}")
    _record_applied(session, actor, conversation_id, info, text, now, result.outbox_id)
    return result


def _snoozed(until: datetime, zone: str) -> str:
    """What a macro's snooze did, on ``zone``'s clock ("snoozed until 2026-12-07 11:00
    CET"); a rule's history keeps UTC, which ``agent_clock.stored_times`` turns into the
    reader's clock."""
    return f"snoozed until {agent_time(until, zone, '%Y-%m-%d %H:%M')}"


def apply_actions(session: Session, actor: str, conversation_id: int, slug: str) -> list[str]:
    """What a rule does with a macro (services/rules): its actions only (tag, untag,
    assign, status, snooze), never its reply or note, recorded as applied. An "assign =
    me" is skipped (a rule is no one to assign to). Returns what changed; raises
    MacroError when there is no such macro."""
    info = get_macro(session, slug)
    now = utcnow()
    result = Applied(info.slug)
    a = {k: v for k, v in info.actions.items() if not (k == "assign" and v == "me")}
    _tag_and_assign(session, actor, conversation_id, a, now, result)
    if a.get("snooze"):
        until = now + parse_duration(a["snooze"])
        if triage.snooze(session, actor, conversation_id, until, at=now):
            result.changed.append(_snoozed(until, "UTC"))  # stored: shown via stored_times
    elif a.get("status") and triage.set_status(
        session, actor, conversation_id, Status(a["status"]), at=now
    ):
        result.changed.append(f"set {a['status']}")
    core.record(
        session,
        core.lock_conversation(session, conversation_id),
        core.ensure_agent(session, actor),
        EventKind.MACRO_APPLIED,
        {"macro": info.slug, "name": info.name, "actions_only": True},
        at=now,
    )
    return result.changed


def unknown_macros(session: Session, slugs: list[str]) -> list[str]:
    """Which of ``slugs`` name no macro (``rules lint``)."""
    known = set(session.exec(select(Macro.slug).where(col(Macro.slug).in_(slugs))).all())
    return [s for s in dict.fromkeys(slugs) if s not in known]


def _tag_and_assign(
    session: Session,
    actor: str,
    conversation_id: int,
    a: dict[str, Any],
    now: datetime,
    result: Applied,
) -> None:
    """A macro's tag, untag and assign actions (triage's own, so each records its event)."""
    for name in a.get("add_tags", []):
        if triage.tag(session, actor, conversation_id, name, at=now):
            result.changed.append(f"tagged {name}")
    for name in a.get("remove_tags", []):
        if triage.untag(session, actor, conversation_id, name, at=now):
            result.changed.append(f"untagged {name}")
    if a.get("assign"):
        who = a["assign"]
        target = None if who == "none" else actor if who == "me" else who
        if triage.assign(session, actor, conversation_id, target, at=now):
            result.changed.append("unassigned" if target is None else f"assigned to {target}")


def _record_applied(
    session: Session,
    actor: str,
    conversation_id: int,
    info: MacroInfo,
    text: str | None,
    now: datetime,
    outbox: int | None = None,
) -> None:
    """The events of an applied macro: each help article it sent (with its reply,
    ``outbox``, when it has one), then the macro."""
    from inbox_tui.services.outbox import still_to_go

    outbox = still_to_go(session, outbox)
    conv = core.lock_conversation(session, conversation_id)
    agent = core.ensure_agent(session, actor)
    slugs = _template(info).articles if (text and info.body) else []
    if info.actions.get("article") and (text or not info.body):
        slugs.append(info.actions["article"])
    for art_slug in dict.fromkeys(slugs):
        art = session.exec(select(Article).where(Article.slug == art_slug)).first()
        if art is not None:
            core.record(
                session,
                conv,
                agent,
                EventKind.ARTICLE_SENT,
                {"article": art.id, "slug": art.slug, "via": "macro"}
                | ({"outbox": outbox} if outbox is not None else {}),
                at=now,
            )
    core.record(
        session,
        conv,
        agent,
        EventKind.MACRO_APPLIED,
        # Its reply's row: taken back (undo send), the macro was not used after all.
        {"macro": info.slug, "name": info.name} | ({"outbox": outbox} if outbox else {}),
        at=now,
    )


def apply_macro_many(
    session: Session,
    actor: str,
    ids: list[int],
    slug: str,
    *,
    config: Config | None = None,
    now: datetime | None = None,
    category: str | None = None,
    answers: dict[str, str] | None = None,
) -> int:
    """Apply a macro to each conversation of a selection, in one transaction (a reply is
    rendered for each customer). Returns how many it was applied to. ``category``: for
    a macro that closes, tagged on those without one (``categories.before_close``).
    ``answers``: its blanks (``{{ask: …}}``), asked once for the whole selection."""
    for cid in ids:
        apply_macro(
            session, actor, cid, slug, config=config, now=now, category=category,
            answers=answers,
        )  # fmt: skip
    return len(ids)
