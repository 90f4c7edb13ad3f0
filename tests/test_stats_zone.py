"""The weekday x hour heatmaps in a chosen zone, across a DST change (#23): the TUI
shows them in the agent's zone (``[agent] timezone``, else the system's), the CLI in
UTC (or ``[business_hours] timezone``) unless ``--tz`` names one. Counts are
hand-computed from the instants below."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from inbox_tui import cli
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.when import local_zone_name

# Berlin leaves summer time on Sunday 25 October 2026 at 01:00 UTC (03:00 CEST becomes
# 02:00 CET), so 02:00-03:00 local happens twice.
ARRIVALS = [
    datetime(2026, 10, 23, 6, 30, tzinfo=UTC),  # Fri 08:30 CEST (UTC+2)
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # Sun 02:30 CEST, the first 02:xx
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # Sun 02:30 CET, the second 02:xx
    datetime(2026, 10, 26, 6, 30, tzinfo=UTC),  # Mon 07:30 CET (UTC+1)
    datetime(2026, 11, 2, 7, 10, tzinfo=UTC),  # Mon 08:10 CET
]
NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
# (weekday, hour): count, worked out by hand from the comments above.
BERLIN = {(4, 8): 1, (6, 2): 2, (0, 7): 1, (0, 8): 1}
IN_UTC = {(4, 6): 1, (6, 0): 1, (6, 1): 1, (0, 6): 1, (0, 7): 1}


def arrivals(s) -> None:
    for n, when in enumerate(ARRIVALS):
        Ingestor(s).add(
            IncomingMessage(
                source="t", external_id=f"z{n}", message_id=f"<z{n}@x>", subject=f"Help {n}",
                author_email=f"c{n}@x.example", author_name=f"C {n}", sent_at=when, body="?",
            )
        )  # fmt: skip


def cells(heat) -> dict[tuple[int, int], int]:
    return {(wd, h): n for wd, row in enumerate(heat) for h, n in enumerate(row) if n}


def stats_json(capsys, store, tmp_path, *extra: str) -> dict:
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nusername = "sam"\n')
    code = cli.main(
        ["--config", str(config), "--db", store.url, "stats", "--format", "json",
         "--since", "2026-10-19", "--until", "2026-11-18", *extra]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_cli_stats_keeps_utc_unless_tz_is_given(store, tmp_path, capsys):
    store.run(arrivals)
    plain = stats_json(capsys, store, tmp_path)
    assert plain["heatmap_zone"] == "UTC"
    assert cells(plain["incoming_by_weekday_hour"]["counts"]) == IN_UTC
    berlin = stats_json(capsys, store, tmp_path, "--tz", "Europe/Berlin")
    assert berlin["heatmap_zone"] == "Europe/Berlin"
    assert cells(berlin["incoming_by_weekday_hour"]["counts"]) == BERLIN
    config = tmp_path / "config.toml"
    code = cli.main(["--config", str(config), "--db", store.url, "stats", "--tz", "Mars/Base"])
    _, err = capsys.readouterr()
    assert code == 2 and "'Mars/Base' is not a known time zone" in err
    assert len(err.strip().splitlines()) == 1


def test_local_zone_name(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    assert local_zone_name("Asia/Tokyo") == "Asia/Tokyo"  # the config wins
    assert local_zone_name(None) == "America/New_York"  # then the system's
    monkeypatch.setenv("TZ", ":Europe/Berlin")
    assert local_zone_name(None) == "Europe/Berlin"
    monkeypatch.setenv("TZ", "Not/AZone")
    assert local_zone_name("Nor/This") in ("UTC", local_zone_name(None))  # /etc/localtime


@pytest.mark.parametrize(("zone", "expected"), [("Europe/Berlin", BERLIN), ("UTC", IN_UTC)])
async def test_tui_heatmaps_in_the_agents_zone(sqlite_store, zone, expected):
    from tests.tui.conftest import make_app, make_config, settle

    sqlite_store.run(arrivals)
    cfg = make_config()
    cfg.agent.timezone = zone
    app = make_app(sqlite_store, config=cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        stats = app.screen
        await pilot.press("2")  # 30 days: 19 October to 18 November
        await settle(pilot)
        heat = stats.query_one("#heat")
        assert f"({zone})" in heat.title
        assert cells(heat.values) == expected
        # A cell's drill-down lists the conversations of that hour in the same zone.
        wd, hour = max(expected, key=lambda c: expected[c])
        heat.focus()
        heat.cursor = (wd, hour)
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        assert f"{hour:02d}:00–{(hour + 1) % 24:02d}:00 {zone}" in str(
            drill.query_one("#drill-title").render()
        )
        assert drill.query_one("OptionList").option_count == expected[(wd, hour)]
