"""Running rules (``inbox_tui.rules``) over what came in.

A customer's message (a ``received`` event) is ``arrives`` when it is the first of its
conversation and ``customer_reply`` after that; an agent's tag (a ``tagged`` event, not
the rules' own) is ``tagged``. Each rule that matches runs its actions through the triage
services as the agent ``rules``, and a ``rule_fired`` event with the rule's name and the
triggering event's id says why it happened. A rule never fires twice for the same event
(that record is checked with the conversation locked, so two syncs running at once
cannot both fire it). Rule actions trigger no rules.

Two ways in: ``run_new`` inside the ingest transaction (sync and import call it with the
newest event id from before the batch, ``newest_event``), and ``run_rules`` over a time
window (``inbox-tui rules run``, from cron). ``configured_rules`` loads the config's
``[rules] file`` once per command or TUI session: a broken file loads nothing and gives
one sentence to show.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from inbox_tui.models import (
    Agent,
    Contact,
    Conversation,
    Event,
    EventKind,
    Message,
    Status,
    TagKind,
)
from inbox_tui.rules import Rule
from inbox_tui.services import triage
from inbox_tui.services.contactimport import attributes_of
from inbox_tui.services.core import BATCH, NotFound, ensure_agent, lock_conversation, record

if TYPE_CHECKING:
    from inbox_tui.config import Config

RULES_AGENT = "rules"
_TRIGGERS = [EventKind.RECEIVED.value, EventKind.TAGGED.value]


@dataclass
class Fired:
    conversation_id: int
    rule: str
    actions: list[str]


def configured_rules(config: Config) -> tuple[list[Rule], str | None]:
    """The rules of the config's ``[rules] file`` (none when unset), or none and one
    sentence saying what is wrong with the file: it loads whole or not at all."""
    from inbox_tui.rules import RulesError, load_rules

    if config.rules_file is None:
        return [], None
    try:
        return with_config(load_rules(config.rules_file), config), None
    except RulesError as exc:
        more = f" (and {len(exc.problems) - 1} more problems)" if len(exc.problems) > 1 else ""
        return [], (
            f"{exc.problems[0]}{more} None of its rules ran; `inbox-tui rules lint "
            f"{config.rules_file}` lists every problem."
        )


def with_config(rules: list[Rule], config: Config) -> list[Rule]:
    """The rules with the config's ``[business_hours]`` attached, for those with an
    ``if.business_hours`` condition (without that section they never fire)."""
    from inbox_tui.services.stats import BusinessHours

    if not any(r.in_hours is not None for r in rules):
        return rules
    hours = BusinessHours.from_config(config.business_hours)
    return [replace(r, hours=hours) if r.in_hours is not None else r for r in rules]


def unknown_assignees(session: Session, rules: Sequence[Rule]) -> list[str]:
    """The ``then.assign`` usernames that are no agent in the store (``rules lint``)."""
    wanted = {r.assign for r in rules if r.assign and r.assign.lower() not in ("none", "nobody")}
    known = set(session.exec(select(Agent.username).where(col(Agent.username).in_(wanted))).all())
    return sorted(wanted - known)


def newest_event(session: Session) -> int:
    """The newest event id: ``run_new`` after a batch looks at what came after it."""
    return int(session.exec(select(func.max(Event.id))).one() or 0)


def run_new(session: Session, rules: list[Rule], after_event: int) -> list[Fired]:
    """Apply ``rules`` to the messages received and tags added after event
    ``after_event`` (the ingest's own batch, an agent's tag), once each. The rules'
    changes are a batch of their own: the agent's undo never takes them for its own."""
    if not rules:
        return []
    own = session.info.pop(BATCH, None)
    try:
        return _run(session, rules, select(Event).where(col(Event.id) > after_event))
    finally:
        session.info.pop(BATCH, None)
        if own is not None:
            session.info[BATCH] = own


def tag_many(
    session: Session,
    actor: str,
    ids: list[int],
    tag_name: str,
    rules: Sequence[Rule] = (),
    kind: TagKind | str = TagKind.MODIFIER,
) -> int:
    """An agent's tag (``triage.tag_many``; a new tag is made of ``kind``) and, in the
    same transaction, the ``tagged`` rules it sets off. Returns how many conversations
    were tagged."""
    before = newest_event(session) if rules else 0
    count = triage.tag_many(session, actor, ids, tag_name, kind=TagKind(kind))
    run_new(session, list(rules), before)
    return count


def apply_macro_many(
    session: Session,
    actor: str,
    ids: list[int],
    slug: str,
    rules: Sequence[Rule] = (),
    **options: Any,
) -> int:
    """An agent's macro on a selection (``macros.apply_macro_many``) and, in the same
    transaction, the ``tagged`` rules its tags set off, as an agent's tag does."""
    from inbox_tui.services import macros

    before = newest_event(session) if rules else 0
    count = macros.apply_macro_many(session, actor, ids, slug, **options)
    run_new(session, list(rules), before)
    return count


def run_rules(session: Session, rules: list[Rule], since: datetime) -> list[Fired]:
    """Apply ``rules`` to every customer message received (and tag added) since
    ``since``, once each."""
    if not rules:
        return []
    return _run(session, rules, select(Event).where(col(Event.at) >= since))


def _run(session: Session, rules: list[Rule], stmt) -> list[Fired]:  # type: ignore[no-untyped-def]
    rules_agent = session.exec(select(Agent.id).where(Agent.username == RULES_AGENT)).first()
    events = session.exec(stmt.where(col(Event.kind).in_(_TRIGGERS)).order_by(col(Event.id))).all()
    out: list[Fired] = []
    for event in events:
        if event.conversation_id is None or event.id is None:
            continue
        if event.kind == EventKind.TAGGED.value and (
            event.agent_id is None or event.agent_id == rules_agent
        ):
            continue  # the rules' own tags trigger nothing (no loops)
        found = _matching(session, rules, event)
        if not found:
            continue
        # Locked before looking at what already fired: a second sync running the same
        # rules waits here, then sees the record and fires nothing.
        lock_conversation(session, event.conversation_id)
        done = _fired(session, event.conversation_id, event.id)
        for rule in found:
            if rule.name not in done:
                out.append(_apply(session, rule, event.conversation_id, event.id))
    return out


def _matching(session: Session, rules: list[Rule], event: Event) -> list[Rule]:
    conv = session.get(Conversation, event.conversation_id)
    if conv is None:
        return []
    data = json.loads(event.data or "{}")
    if event.kind == EventKind.TAGGED.value:
        tag = str(data.get("tag", ""))
        attrs = attributes_of(session, conv.contact_id) if conv.contact_id else {}
        return [
            r
            for r in rules
            if r.when == "tagged"
            and r.matches_tag(tag, conv.channel)
            and r.matches_contact(attrs)
            and r.matches_place("", conv.source or "", None)
        ]
    msg = session.get(Message, data.get("message")) if data.get("message") else None
    if msg is None or msg.conversation_id != conv.id:
        return []
    first = session.exec(
        select(Message.id)
        .where(Message.conversation_id == conv.id)
        .where(Message.direction == "in")
        .order_by(col(Message.sent_at), col(Message.id))
        .limit(1)
    ).first()
    when = "arrives" if first == msg.id else "customer_reply"
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    sender = " ".join(
        x for x in (msg.author_email, msg.author_name, contact.key if contact else "") if x
    )
    subject = msg.subject or conv.subject
    attrs = attributes_of(session, conv.contact_id) if conv.contact_id else {}
    to = " ".join(x for x in (msg.to_addrs, msg.cc_addrs) if x)
    at = msg.sent_at if msg.sent_at.tzinfo else msg.sent_at.replace(tzinfo=UTC)
    return [
        r
        for r in rules
        if r.when == when
        and r.matches(subject, msg.body, sender, conv.channel)
        and r.matches_contact(attrs)
        and r.matches_place(to, conv.source or "", at)
    ]


def _fired(session: Session, conversation_id: int, event_id: int) -> set[str]:
    names = set()
    for raw in session.exec(
        select(Event.data)
        .where(Event.conversation_id == conversation_id)
        .where(Event.kind == EventKind.RULE_FIRED.value)
    ).all():
        data = json.loads(raw or "{}")
        if data.get("event") == event_id:
            names.add(str(data.get("rule")))
    return names


def _macro(session: Session, slug: str, conversation_id: int) -> list[str]:
    """A rule's ``then.macro``: the macro's actions (never its reply or note). A macro
    deleted since the rule was linted changes nothing and says so in the history."""
    from inbox_tui.services.macros import MacroError, apply_actions

    try:
        changed = apply_actions(session, RULES_AGENT, conversation_id, slug)
    except MacroError:
        return [f"no macro {slug} (nothing applied)"]
    except NotFound as exc:  # its assignee is no agent: what it did before stays, said
        return [f"macro {slug} stopped: {exc}"]
    return [f"applied macro {slug}", *changed]


def _apply(session: Session, rule: Rule, conversation_id: int, event_id: int) -> Fired:
    actions = []
    for name in rule.tags:
        if triage.tag(session, RULES_AGENT, conversation_id, name):
            actions.append(f"tagged {name}")
    if rule.assign is not None:
        who = None if rule.assign.lower() in ("none", "nobody") else rule.assign
        try:
            if triage.assign(session, RULES_AGENT, conversation_id, who):
                actions.append(f"assigned to {who or 'nobody'}")
        except NotFound:  # no such agent (yet): the mail still comes in, the history says so
            actions.append(f"not assigned: there is no agent called {who}")
    if rule.status is not None and triage.set_status(
        session, RULES_AGENT, conversation_id, Status(rule.status)
    ):
        actions.append(f"set {rule.status}")
    if rule.macro is not None:
        actions += _macro(session, rule.macro, conversation_id)
    if rule.target_first is not None or rule.target_next is not None:
        from inbox_tui.services.sla import set_targets

        actions += set_targets(session, conversation_id, rule.target_first, rule.target_next)
    conv = lock_conversation(session, conversation_id)
    agent = ensure_agent(session, RULES_AGENT, "Rules")
    record(
        session,
        conv,
        agent,
        EventKind.RULE_FIRED,
        {"rule": rule.name, "event": event_id, "actions": actions},
    )
    return Fired(conversation_id, rule.name, actions)
