"""Stats from hand-built event histories; every expected figure is worked out by hand
in the comments. Runs on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from inbox_tui.models import Status
from inbox_tui.services import triage
from inbox_tui.services.stats import BusinessHours, compute_report, percentile
from tests.mail_history import mail

MON = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def at(day: datetime, hh: int, mm: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm)


def customer(s, key, when, refs=(), subject="Help"):
    return mail(s, key, when, refs, subject=subject, email="c@c.example", name="Cee", body="?")


def reply(s, key, agent, when, refs):
    mail(s, key, when, refs, subject="Re: Help", agent=agent, body="answer")


def history(s):
    triage.ensure_agent(s, "sam")
    triage.ensure_agent(s, "ann")
    # A: note before the first reply, reply by sam, close, customer reopens, ann answers and closes.
    a = customer(s, "a1", at(MON, 9))
    triage.add_note(s, "sam", a, "looking", at=at(MON, 9, 10))
    reply(s, "a2", "sam", at(MON, 9, 30), ["a1"])  # first response 30 min = 1800 s (sam)
    triage.close(s, "sam", a, at=at(MON, 10))  # time to close 09:00 → 10:00 = 3600 s (sam)
    customer(s, "a3", at(MON, 11), ["a1", "a2"])  # reopens
    triage.assign(s, "sam", a, "ann", at=at(MON, 11, 5))  # reassignment
    reply(s, "a4", "ann", at(MON, 11, 20), ["a3"])  # response 20 min = 1200 s (ann)
    triage.close(s, "ann", a, at=at(MON, 12))  # reopened 11:00 → 12:00 = 3600 s (ann)
    # B: ann answers after 2 h, closes, reopens herself, closes again.
    b = customer(s, "b1", at(MON, 10), subject="Other")
    reply(s, "b2", "ann", at(MON, 12), ["b1"])  # first response 7200 s (ann)
    triage.close(s, "ann", b, at=at(MON, 13))  # 10:00 → 13:00 = 10800 s
    triage.set_status(s, "ann", b, Status.OPEN, at=at(MON, 14))
    triage.close(s, "ann", b, at=at(MON, 15))  # 14:00 → 15:00 = 3600 s
    triage.set_rating(s, None, b, "good", at=at(MON, 16))
    return a, b


def test_hand_computed_figures(store):
    store.run(history)
    with store.read() as s:
        r = compute_report(s, MON, MON + timedelta(days=7), compare=True)
    d = r.as_dict()
    agents = {row["agent"]: row for row in d["agents"]}
    sam, ann, team = agents["sam"], agents["ann"], d["team"]
    assert (
        sam["replies_sent"],
        sam["notes_written"],
        sam["conversations_closed"],
        sam["close_events"],
    ) == (1, 1, 1, 1)
    assert (
        ann["replies_sent"],
        ann["notes_written"],
        ann["conversations_closed"],
        ann["close_events"],
    ) == (2, 0, 2, 3)
    assert sam["first_response"] == {"count": 1, "mean": 1800, "median": 1800, "p90": 1800}
    assert ann["first_response"] == {"count": 1, "mean": 7200, "median": 7200, "p90": 7200}
    # team first responses [1800, 7200]: mean 4500; nearest rank: median = rank 1 = 1800, p90 = rank 2 = 7200
    assert team["first_response"] == {"count": 2, "mean": 4500, "median": 1800, "p90": 7200}
    assert sam["response"]["count"] == 1 and sam["response"]["median"] == 1800
    assert ann["response"] == {"count": 2, "mean": 4200, "median": 1200, "p90": 7200}
    assert sam["time_to_close"]["median"] == 3600
    # ann's closes: 3600 (A after reopen), 10800 and 3600 (B) → sorted [3600, 3600, 10800]
    assert ann["time_to_close"] == {"count": 3, "mean": 6000, "median": 3600, "p90": 10800}
    assert ann["csat"] == {"good": 1, "ok": 0, "bad": 0}  # B was last closed by ann
    # handled per working day: the week has 5 working days; ann touched A and B
    assert ann["handled_per_day"] == round(2 / 5, 2)
    heat = d["incoming_by_weekday_hour"]["counts"]
    assert heat[0][9] == 1 and heat[0][10] == 1 and heat[0][11] == 1 and sum(map(sum, heat)) == 3
    assert d["previous"]["team"]["replies_sent"] == 0


def test_empty_period_has_counts_and_no_invented_times(store):
    store.run(history)
    with store.read() as s:
        r = compute_report(s, MON - timedelta(days=30), MON - timedelta(days=20), compare=False)
    team = r.as_dict()["team"]
    assert team["replies_sent"] == 0
    assert team["first_response"] == {"count": 0, "mean": None, "median": None, "p90": None}


def test_agent_filter(store):
    store.run(history)
    with store.read() as s:
        r = compute_report(s, MON, MON + timedelta(days=7), agent="sam", compare=False)
    d = r.as_dict()
    assert [a["agent"] for a in d["agents"]] == ["sam"]
    assert d["team"]["replies_sent"] == 1


def test_business_hours_over_a_weekend_and_dst():
    bh = BusinessHours.from_config(
        {
            "timezone": "Europe/Berlin",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "09:00",
            "end": "17:00",
        }
    )
    # Fri 16:00 Berlin (15:00 UTC, CET) → Mon 10:00 Berlin (09:00 UTC): 1 h Friday + 1 h Monday
    assert (
        bh.seconds_between(
            datetime(2026, 3, 6, 15, tzinfo=UTC), datetime(2026, 3, 9, 9, tzinfo=UTC)
        )
        == 7200
    )
    # across the DST change (29 March): Fri 16:30 CET (15:30 UTC) → Mon 09:30 CEST (07:30 UTC): 30 + 30 min
    assert (
        bh.seconds_between(
            datetime(2026, 3, 27, 15, 30, tzinfo=UTC), datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
        )
        == 3600
    )
    # entirely on a weekend: nothing
    assert (
        bh.seconds_between(
            datetime(2026, 3, 7, 10, tzinfo=UTC), datetime(2026, 3, 8, 10, tzinfo=UTC)
        )
        == 0
    )


def test_business_hours_reported_alongside_calendar(store):
    def work(s):
        triage.ensure_agent(s, "sam")
        c = customer(s, "w1", datetime(2026, 3, 6, 15, tzinfo=UTC))
        reply(s, "w2", "sam", datetime(2026, 3, 9, 9, tzinfo=UTC), ["w1"])
        return c

    store.run(work)
    bh = BusinessHours.from_config({"timezone": "Europe/Berlin"})
    with store.read() as s:
        r = compute_report(s, MON, MON + timedelta(days=14), business_hours=bh, compare=False)
    team = r.as_dict()["team"]
    assert team["first_response"]["median"] == 66 * 3600
    assert team["first_response_business"]["median"] == 7200


def test_percentile_is_nearest_rank():
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([5], 90) == 5
    assert percentile(list(range(1, 11)), 90) == 9
    assert percentile([], 50) is None


def test_an_unknown_agent_is_one_sentence_not_a_report_of_zeros(store, capsys):
    """walk4: `stats --agent nobody` printed a team row of zeros and exited 0; the README
    says an unknown agent or conversation exits 3 with one sentence."""
    from inbox_tui import cli
    from inbox_tui.services.core import NotFound

    store.run(history)
    with store.read() as s, pytest.raises(NotFound, match="no agent called 'nobody'"):
        compute_report(s, MON, MON + timedelta(days=7), agent="nobody")
    assert cli.main(["--db", store.url, "stats", "--agent", "nobody"]) == 3
    assert "There is no agent called 'nobody'." in capsys.readouterr().err
