"""Times shown to the agent, and wall-clock times they type, are on the agent's clock
(``[agent] timezone``, else the system's): walk4's Berlin agent was offered "Tomorrow
09:00 UTC" and snoozed until 10:00 their time. Expectations are hand-computed, for a
Berlin and a New York agent, across both zones' end of summer time in 2026 (Berlin: Sun
25 Oct 01:00 UTC; New York: Sun 1 Nov 06:00 UTC)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.models import Conversation
from inbox_tui.services import triage
from inbox_tui.services.agent_clock import agent_time, read_time, snooze_presets
from inbox_tui.services.schedule import choices, typed_send_at
from tests.tui.conftest import ME, NOW, make_app, settle
from tests.tui.test_triage_keys import conv

SIZE = (120, 34)
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def test_presets_wake_on_the_agents_clock_across_the_end_of_summer_time():
    # Sat 24 Oct 2026 10:00 UTC is 12:00 CEST in Berlin; Berlin's clocks go back that night.
    now = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)
    berlin = {v: (label, wakes) for v, label, wakes in snooze_presets(now, BERLIN)}
    assert berlin["1h"] == ("1 hour", "Sat 24 Oct 13:00 CEST")
    assert berlin["tomorrow"] == ("Tomorrow 09:00", "Sun 25 Oct 09:00 CET")
    assert berlin["2d"][1] == "Mon 26 Oct 11:00 CET"  # 48 h later, one hour less on the wall
    assert read_time("tomorrow", now, BERLIN) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    # Sat 31 Oct 2026 14:00 UTC is 10:00 EDT in New York; summer time ends that night.
    now = datetime(2026, 10, 31, 14, 0, tzinfo=UTC)
    ny = {v: (label, wakes) for v, label, wakes in snooze_presets(now, NEW_YORK)}
    assert ny["1h"][1] == "Sat 31 Oct 11:00 EDT"
    assert ny["tomorrow"] == ("Tomorrow 09:00", "Sun 01 Nov 09:00 EST")
    assert read_time("tomorrow", now, NEW_YORK) == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert read_time("friday 2pm", now, NEW_YORK) == datetime(2026, 11, 6, 19, 0, tzinfo=UTC)
    assert read_time("2026-11-02 09:00", now, NEW_YORK) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_send_at_is_offered_and_typed_on_the_agents_clock():
    now = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)
    # A Tokyo customer (+09:00): 19:00 there now; their 9:00 is Sun 25 Oct 00:00 UTC,
    # which is 02:00 CEST in Berlin (summer time still; it ends at 01:00 UTC).
    morning = choices(9 * 60, now, BERLIN)[1]
    assert morning.label == "Customer's 9:00: Sun 25 Oct 09:00 their time (Sun 02:00 CEST)"
    assert typed_send_at("tomorrow", now, BERLIN) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert agent_time(datetime(2026, 10, 25, 8, 0, tzinfo=UTC), NEW_YORK) == "Sun 25 Oct 04:00 EDT"


def _config(zone: str) -> Config:
    return Config(
        path=None, db_url=None, agent=AgentIdentity(ME, "Tess Ter", timezone=zone), demo=True
    )


@pytest.mark.parametrize(
    ("zone", "wakes", "until"),
    # NOW is Wed 18 Nov 2026 15:30 UTC: 16:30 CET in Berlin, 10:30 EST in New York.
    [
        (BERLIN, "Thu 19 Nov 09:00 CET", datetime(2026, 11, 19, 8, 0, tzinfo=UTC)),
        (NEW_YORK, "Thu 19 Nov 09:00 EST", datetime(2026, 11, 19, 14, 0, tzinfo=UTC)),
    ],
)
async def test_snooze_tomorrow_wakes_at_nine_on_the_agents_clock(demo_store, zone, wakes, until):
    app = make_app(demo_store, config=_config(zone))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await pilot.press("enter", "z")
        await settle(pilot)
        offered = {it.value: (it.label, it.hint) for it in app.screen.items}
        assert offered["tomorrow"] == ("Tomorrow 09:00", wakes)
        await pilot.press("down", "down", "enter")  # the third preset
        await settle(pilot, 5)
        assert conv(demo_store, cid).snoozed_until.replace(tzinfo=UTC) == until
        assert any(f"until {wakes}" in str(n.message) for n in app._notifications)
        await pilot.press("escape")  # back to the list
        await settle(pilot)
        app.main.view = "snoozed"
        app.main.reload(keep_id=cid)
        await settle(pilot)
        lst = app.main.conv_list
        assert lst.move_to(cid)
        await settle(pilot)
        line = lst.render_line(lst.cursor - int(lst.scroll_y)).text
        assert f"wakes {wakes.removesuffix(wakes[-4:])}" in line, line  # zone named once


async def test_the_thread_shows_its_times_on_the_agents_clock(demo_store):
    with demo_store.read() as s:
        cid = s.exec(select(Conversation.id).where(Conversation.status == "open")).first()
    demo_store.run(triage.snooze, ME, cid, datetime(2026, 11, 20, 23, 30, tzinfo=UTC), at=NOW)
    with demo_store.read() as s:
        from inbox_tui.services.conversations import get_thread

        first = get_thread(s, cid).messages[0].sent_at
    app = make_app(demo_store, config=_config(NEW_YORK))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        shown = app.main.thread_view.plain_text()
    assert "until Fri 20 Nov 18:30 EST" in shown  # 23:30 UTC
    local = first.astimezone(ZoneInfo(NEW_YORK))  # October: still EDT
    assert f"{local:%a %d %b %Y %H:%M} {local.tzname()}" in shown
    assert re.search(r"\d\d:\d\d UTC", shown) is None, shown


def test_the_cli_snoozes_and_shows_on_the_agents_clock(tmp_path, demo_store):
    with demo_store.read() as s:
        cid = s.exec(select(Conversation.id).where(Conversation.status == "open")).first()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[agent]\nusername = "{ME}"\ntimezone = "{BERLIN}"\n')
    url = demo_store.url
    before = datetime.now(UTC)
    cli = [sys.executable, "-m", "inbox_tui", "--config", str(cfg), "--db", url]
    run = subprocess.run(
        [*cli, "conv", "snooze", str(cid), "tomorrow"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    here = before.astimezone(ZoneInfo(BERLIN))
    day = here.date().toordinal() + 1
    wake = datetime.fromordinal(day).replace(hour=9, tzinfo=ZoneInfo(BERLIN))
    got = conv(demo_store, cid).snoozed_until.replace(tzinfo=UTC)
    assert got == wake.astimezone(UTC)
    assert run.stdout.strip() == f"#{cid} is snoozed until {wake:%Y-%m-%d} 09:00 {wake.tzname()}."
