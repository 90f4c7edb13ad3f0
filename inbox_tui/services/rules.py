"""Running rules (``inbox_tui.rules``) over the customers' messages that arrived.

``run_rules`` looks at the ``received`` events since a time: the first customer message
of a conversation is ``arrives``, a later one ``customer_reply``. Each rule that matches
runs its actions through the triage services as the agent ``rules``, and a
``rule_fired`` event with the rule's name and the received event's id says why it
happened; a rule never fires twice for the same message (that event is the record), so
running again, from cron or after each sync, is safe. Rule actions trigger no rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from inbox_tui.models import Contact, Conversation, Event, EventKind, Message, Status
from inbox_tui.rules import Rule
from inbox_tui.services import triage
from inbox_tui.services.core import ensure_agent, lock_conversation, record

RULES_AGENT = "rules"


@dataclass
class Fired:
    conversation_id: int
    rule: str
    actions: list[str]


def run_rules(session: Session, rules: list[Rule], since: datetime) -> list[Fired]:
    """Apply ``rules`` to every customer message received since ``since``, once each."""
    if not rules:
        return []
    received = session.exec(
        select(Event)
        .where(Event.kind == EventKind.RECEIVED.value)
        .where(col(Event.at) >= since)
        .order_by(col(Event.id))
    ).all()
    out: list[Fired] = []
    for event in received:
        message_id = json.loads(event.data or "{}").get("message")
        msg = session.get(Message, message_id) if message_id else None
        if msg is None or event.conversation_id is None:
            continue
        conv = session.get(Conversation, msg.conversation_id)
        if conv is None:
            continue
        done = _fired(session, conv.id, event.id)  # type: ignore[arg-type]
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
        for rule in rules:
            if rule.name in done or rule.when != when:
                continue
            if rule.matches(msg.subject or conv.subject, msg.body, sender, conv.channel):
                out.append(_apply(session, rule, conv.id, event.id))  # type: ignore[arg-type]
    return out


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


def _apply(session: Session, rule: Rule, conversation_id: int, event_id: int) -> Fired:
    actions = []
    for name in rule.tags:
        if triage.tag(session, RULES_AGENT, conversation_id, name):
            actions.append(f"tagged {name}")
    if rule.assign is not None:
        who = None if rule.assign.lower() in ("none", "nobody") else rule.assign
        if triage.assign(session, RULES_AGENT, conversation_id, who):
            actions.append(f"assigned to {who or 'nobody'}")
    if rule.status is not None and triage.set_status(
        session, RULES_AGENT, conversation_id, Status(rule.status)
    ):
        actions.append(f"set {rule.status}")
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
