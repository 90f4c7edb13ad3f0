"""Every sentence a service or the CLI makes with a time in it is on the agent's clock
(``[agent] timezone``), as tests/tui/test_agent_zone.py checks for snoozes, threads and
send-at: the review's "answering …, 18 Nov 16:30", a macro's "snoozed until …", a
rule's history, merge and split choices, ``incidents --confirmed`` and the stats
table's period. Expectations are computed with zoneinfo, for a Berlin and a New York
agent; JSON stays UTC ISO."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.models import Conversation, EventKind, Message
from inbox_tui.services import core, macros, merge
from inbox_tui.services.conversations import get_thread
from inbox_tui.services.review import reply_review
from inbox_tui.tui.widgets.thread_view import header_text
from tests.test_cli_errors import cli
from tests.tui.conftest import ME, NOW

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
ZONES = pytest.mark.parametrize("zone", [BERLIN, NEW_YORK])


def _config(zone: str) -> Config:
    return Config(
        path=None, db_url=None, agent=AgentIdentity(ME, "Tess Ter", timezone=zone), demo=True
    )


def _local(at: datetime, zone: str, fmt: str) -> str:
    here = at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)) if at.tzinfo is None else at
    here = here.astimezone(ZoneInfo(zone))
    return f"{here.strftime(fmt)} {here.tzname()}"


def _email_conversation(s) -> int:
    return s.exec(
        select(Conversation.id)
        .where(Conversation.status == "open", Conversation.channel == "email")
        .order_by(col(Conversation.id))
    ).first()


@ZONES
def test_the_review_names_the_answered_message_on_the_agents_clock(demo_store, zone):
    with demo_store.read() as s:
        cid = _email_conversation(s)
        newest = s.exec(
            select(Message.sent_at)
            .where(Message.conversation_id == cid, Message.direction == "in")
            .order_by(col(Message.sent_at).desc())
        ).first()
        review = reply_review(s, ME, cid, config=_config(zone))
    assert review.answers is not None
    assert f", {_local(newest, zone, '%d %b %H:%M')}: “" in review.answers, review.answers
    assert "UTC" not in review.answers


@ZONES
def test_a_macros_snooze_is_said_on_the_agents_clock(demo_store, zone):
    with demo_store.read() as s:
        cid = _email_conversation(s)

    def apply(s):
        macros.save_macro(s, "later", "Later", "", {"snooze": "2d"})
        return macros.apply_macro(s, ME, cid, "later", config=_config(zone), now=NOW)

    applied = demo_store.run(apply)
    assert applied.changed == [
        f"snoozed until {_local(NOW + timedelta(days=2), zone, '%Y-%m-%d %H:%M')}"
    ]


@ZONES
def test_a_rules_stored_history_is_shown_on_the_readers_clock(demo_store, tmp_path, zone):
    """A rule's history is stored once for every agent ("snoozed until … UTC", as
    ``macros.apply_actions`` says it); the thread header and ``conv show`` give it on
    the reader's clock."""
    with demo_store.read() as s:
        cid = _email_conversation(s)
    wake = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

    def fire(s):
        macros.save_macro(s, "later", "Later", "", {"snooze": "2d"})
        said = macros.apply_actions(s, "rules", cid, "later")
        agent = core.ensure_agent(s, "rules", "Rules")
        data = {"rule": "park", "event": 0, "actions": ["snoozed until 2026-11-20 08:00 UTC"]}
        core.record(s, core.lock_conversation(s, cid), agent, EventKind.RULE_FIRED, data)
        return said

    said = demo_store.run(fire)
    assert said[-1].endswith(" UTC")  # stored alike for everyone
    expected = f"snoozed until {_local(wake, zone, '%Y-%m-%d %H:%M')}"
    with demo_store.read() as s:
        thread = get_thread(s, cid)
    assert f"“park”: {expected}" in header_text(thread, [], zone).plain
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[agent]\nusername = "{ME}"\ntimezone = "{zone}"\n')
    shown = cli("--config", str(cfg), "--db", demo_store.url, "conv", "show", str(cid))
    assert shown.returncode == 0, shown.stderr
    assert f"rule “park”: {expected}" in shown.stdout, shown.stdout


@ZONES
def test_merge_and_split_choices_are_dated_on_the_agents_clock(demo_store, zone):
    with demo_store.read() as s:
        rows = s.exec(select(Conversation.id, Conversation.contact_id)).all()
        by_contact: dict[int, list[int]] = {}
        for cid, contact in rows:
            by_contact.setdefault(contact, []).append(cid)
        cid = next(ids[0] for ids in by_contact.values() if len(ids) > 1)
        found = merge.merge_candidates(s, cid, zone)
        other = s.get(Conversation, found[0].id)
        multi = s.exec(
            select(Conversation.id)
            .where(Conversation.message_count >= 3)
            .order_by(col(Conversation.id))
        ).first()
        split = merge.split_choices(s, multi, zone)
        message = s.get(Message, split[0].id)
    day = _local(other.last_activity_at, zone, "%d %b %Y").rsplit(" ", 1)[0]
    assert found[0].hint.endswith(f" msg · {day}"), found[0].hint
    minute = _local(message.sent_at, zone, "%d %b %H:%M").rsplit(" ", 1)[0]
    assert split[0].label.startswith(minute + " "), split[0].label


@ZONES
def test_confirmed_incidents_and_the_stats_period_on_the_agents_clock(demo_store, tmp_path, zone):
    at = (datetime.now(UTC) - timedelta(days=1)).replace(second=0, microsecond=0)
    with demo_store.read() as s:
        cid = _email_conversation(s)

    def confirm(s):
        agent = core.ensure_agent(s, ME)
        data = {"action": "confirmed", "name": "Login outage", "bug": None}
        core.record(s, core.lock_conversation(s, cid), agent, EventKind.INCIDENT, data, at=at)

    demo_store.run(confirm)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[agent]\nusername = "{ME}"\ntimezone = "{zone}"\n')
    base = ("--config", str(cfg), "--db", demo_store.url)
    env = {"INBOX_TUI_SEMANTIC": "0"}
    table = cli(*base, "incidents", "--confirmed", env_extra=env)
    assert table.returncode == 0, table.stderr
    assert f"confirmed {_local(at, zone, '%a %d %b %H:%M')} by " in table.stdout, table.stdout
    listed = json.loads(cli(*base, "incidents", "--confirmed", "--json", env_extra=env).stdout)
    assert listed[0]["confirmed_at"] == at.replace(tzinfo=None).isoformat()  # JSON: UTC, as before
    stats = cli(*base, "stats", "--since", "2026-11-01", "--until", "2026-11-18", env_extra=env)
    assert stats.returncode == 0, stats.stderr
    since, until = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC)
    fmt = "%Y-%m-%d %H:%M"
    assert stats.stdout.startswith(f"{_local(since, zone, fmt)} to {_local(until, zone, fmt)} ("), (
        stats.stdout[:200]
    )


@ZONES
async def test_times_typed_in_a_search_are_on_the_agents_clock(demo_store, tmp_path, zone):
    """``after:09:30`` was 09:30 UTC (10:30 for a Berlin agent), ``after:2026-11-02``
    UTC's midnight; a zone typed with the time still wins."""
    from datetime import time

    from inbox_tui.services.search import parse_query
    from tests.tui.conftest import make_app, settle

    tz = ZoneInfo(zone)
    flt = parse_query("after:2026-11-02T09:00 before:2026-11-03", "sam", zone=zone)
    assert flt.after == datetime(2026, 11, 2, 9, tzinfo=tz).astimezone(UTC)
    assert flt.before == datetime(2026, 11, 3, tzinfo=tz).astimezone(UTC)
    today = datetime.now(tz).date()
    wanted = datetime.combine(today, time(9, 30), tz).astimezone(UTC)
    assert parse_query("after:09:30", "sam", zone=zone).after == wanted
    given = parse_query("after:2026-11-02T09:00+00:00", "sam", zone=zone).after
    assert given == datetime(2026, 11, 2, 9, tzinfo=UTC)
    # The TUI's search and the CLI's read them on the agent's clock too.
    app = make_app(demo_store, config=_config(zone))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main.query_text = "after:2026-11-02T09:00"
        assert app.main.current_filter().after == flt.after
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[agent]\nusername = "{ME}"\ntimezone = "{zone}"\n')
    base = ("--config", str(cfg), "--db", demo_store.url, "search", "--json")
    env = {"INBOX_TUI_SEMANTIC": "0"}
    after = cli(*base, "--limit", "1000", "after:2026-11-18T10:00", env_extra=env)
    assert after.returncode == 0, after.stderr
    found = {json.loads(line)["id"] for line in after.stdout.splitlines()}
    border = datetime(2026, 11, 18, 10, tzinfo=tz).astimezone(UTC)
    with demo_store.read() as s:
        wanted_ids = set(
            s.exec(select(Conversation.id).where(Conversation.last_activity_at >= border)).all()
        )
    assert wanted_ids and found == wanted_ids
