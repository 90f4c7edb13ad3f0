"""``inbox-tui conv target ID 30m`` (#21): an agent sets a conversation's own response
target by hand, as a rule's ``then.target`` does (stored on the conversation: due
times, ``sla:`` searches and the list's time-left order follow it), ``--first`` /
``--next`` one of them, ``--clear`` removes them; a ``target_set`` event names the
agent, and ``conv show`` says who set what. Bad input is one sentence, exit 2,
nothing changed. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from inbox_tui.errors import UserError
from inbox_tui.models import Agent, Conversation, Event, utcnow
from inbox_tui.services import sla
from inbox_tui.services.search import search_conversations
from tests.test_conv_command import add as add_mail
from tests.test_conv_command import conv
from tests.test_sla import add


@pytest.fixture
def setup(store, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nusername = "sam"\nname = "Sam"\n')
    return store, add_mail(store, "a", "Printer jams", "My printer jams."), [
        "--config", str(config), "--db", store.url,
    ]  # fmt: skip


def targets(store, cid: int) -> tuple[int | None, int | None]:
    with store.read() as s:
        c = s.get(Conversation, cid)
        return c.target_first, c.target_next


def target_events(store, cid: int) -> list[tuple[str, dict]]:
    with store.read() as s:
        rows = s.exec(
            select(Agent.username, Event.data)
            .join(Agent, Agent.id == Event.agent_id)
            .where(Event.conversation_id == cid)
            .where(Event.kind == "target_set")
            .order_by(Event.id)
        ).all()
    return [(who, json.loads(data)) for who, data in rows]


def test_set_by_hand_first_next_and_clear_each_an_event_naming_the_agent(setup, capsys):
    store, cid, base = setup
    code, out, _ = conv(capsys, base, "target", str(cid), "30m")
    assert code == 0
    assert out.startswith(f"#{cid}: set first reply target 30m and next reply target 30m")
    assert targets(store, cid) == (1800, 1800)
    code, out, _ = conv(capsys, base, "target", str(cid), "--next", "8h", "--json")
    record = json.loads(out)
    assert (record["action"], record["changed"], record["next"]) == ("target", True, 8 * 3600)
    assert targets(store, cid) == (1800, 8 * 3600)
    code, out, _ = conv(capsys, base, "target", str(cid), "--next", "8h")
    assert code == 0 and "already had that target" in out  # nothing new: no event
    code, out, _ = conv(capsys, base, "show", str(cid))
    assert "target sam set next reply target 8h" in out
    code, out, _ = conv(capsys, base, "target", str(cid), "--clear")
    assert code == 0 and "cleared the first reply target (30m)" in out
    assert targets(store, cid) == (None, None)
    assert [(who, e["first"], e["next"]) for who, e in target_events(store, cid)] == [
        ("sam", 1800, 1800),
        ("sam", 1800, 8 * 3600),
        ("sam", None, None),
    ]


def test_the_targets_count_as_a_rules_do(setup, capsys):
    """Due time, ``sla:breached``: a customer waiting 2 hours is within the config's 4
    hours, and overdue once the conversation's own target is 1 hour."""
    store, _, base = setup
    start = utcnow().replace(microsecond=0) - timedelta(hours=2)
    cid = add(store, "two-hours", start)
    policy = sla.SlaPolicy.from_config({"first_response": "4h", "next_response": "8h"})

    def breached() -> list[int]:
        sla.configure(policy)  # as a config's [sla] does (the CLI set its own)
        try:
            with store.read() as s:
                return [r.id for r in search_conversations(s, "sla:breached", "sam")[0]]
        finally:
            sla.configure(None)

    with store.read() as s:
        assert sla.due_for(s, policy, [cid])[cid].due_at == start + timedelta(hours=4)
    assert cid not in breached()
    conv(capsys, base, "target", str(cid), "--first", "1h")
    with store.read() as s:
        assert sla.due_for(s, policy, [cid])[cid].due_at == start + timedelta(hours=1)
    assert cid in breached()


def test_bad_input_is_one_sentence_and_changes_nothing(setup, capsys):
    store, cid, base = setup
    for args, words in [
        (["30x"], "is not a time like 30m"),
        (["400d"], "at most a year"),
        (["30m", "--first", "1h"], "not both"),
        ([], "Give a time"),
        (["--clear", "--first", "1h"], "--clear takes no time"),
    ]:
        code, _, err = conv(capsys, base, "target", str(cid), *args)
        assert code == 2 and words in err, (args, err)
    code, _, err = conv(capsys, base, "target", "999999", "30m")
    assert code == 3
    assert targets(store, cid) == (None, None)
    assert target_events(store, cid) == []


def test_the_prompt_words_read_as_the_command_does():
    h = timedelta(hours=1)
    assert sla.target_words("30m") == (timedelta(minutes=30), timedelta(minutes=30), False)
    assert sla.target_words("first 1h next 8h") == (h, 8 * h, False)
    assert sla.target_words("next=8h") == (None, 8 * h, False)
    assert sla.target_words(" none ") == (None, None, True)
    for bad in ("first 1h first 2h", "later 1h", "first", "1h 2h", "400d"):
        with pytest.raises(UserError):
            sla.target_words(bad)
