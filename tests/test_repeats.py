"""Repeat contacts, conversations without a category and content gaps
(services/repeats.py), against a history whose every figure is computed by hand in the
comments, on SQLite and PostgreSQL, and through ``inbox-tui stats --format json``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from inbox_tui.errors import UserError
from inbox_tui.models import Article, TagKind
from inbox_tui.services import repeats, triage
from inbox_tui.services.article_picks import record_article_sent
from tests.mail_history import mail

MON = datetime(2026, 3, 2, tzinfo=UTC)
NOW = datetime(2026, 3, 30, 12, tzinfo=UTC)
SINCE, UNTIL = MON, NOW


def at(day: int, hour: int) -> datetime:
    """March ``day``, 2026, ``hour``:00 UTC."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def msg(s, key: str, who: str, subject: str, when: datetime, refs: tuple[str, ...] = ()) -> int:
    return mail(
        s, key, when, refs, subject=subject, email=f"{who}@c.example", name=who, body=subject
    )


def history(s) -> dict[str, int]:
    for agent in ("sam", "ann"):
        triage.ensure_agent(s, agent)
    triage.ensure_tag(s, "billing", TagKind.CATEGORY)
    triage.ensure_tag(s, "shipping", TagKind.CATEGORY)
    triage.ensure_tag(s, "angry", TagKind.MODIFIER)
    refunds = Article(slug="refunds", title="Refunds")
    reset = Article(slug="reset-password", title="Reset your password")
    s.add(refunds)
    s.add(reset)
    s.flush()
    c = {}
    # A1: billing, sam sends "refunds" and closes; alice never writes again.
    c["a1"] = msg(s, "a1", "alice", "Refund please", at(2, 9))
    triage.tag(s, "sam", c["a1"], "billing")
    record_article_sent(s, "sam", c["a1"], refunds.id, at=at(2, 9) + (at(2, 10) - at(2, 9)) / 2)
    triage.close(s, "sam", c["a1"], at=at(2, 10))
    # B1: billing, ann closes; bob writes again two days later (reopens): repeated.
    # ann closes again and bob stays quiet: not repeated.
    c["b1"] = msg(s, "b1", "bob", "Charged twice", at(2, 9))
    triage.tag(s, "ann", c["b1"], "billing")
    triage.close(s, "ann", c["b1"], at=at(2, 11))
    msg(s, "b2", "bob", "Re: Charged twice", at(4, 9), ("b1",))
    triage.close(s, "ann", c["b1"], at=at(4, 12))
    # C1: sam sends "reset-password" and closes; carol opens C2 five days later:
    # repeated. sam closes C2; carol stays quiet.
    c["c1"] = msg(s, "c1", "carol", "Cannot log in", at(3, 9))
    record_article_sent(s, "sam", c["c1"], reset.id, at=at(3, 9) + (at(3, 10) - at(3, 9)) / 2)
    triage.close(s, "sam", c["c1"], at=at(3, 10))
    c["c2"] = msg(s, "c2", "carol", "Cannot log in again", at(8, 9))
    triage.close(s, "sam", c["c2"], at=at(8, 11))
    # D1: angry (a modifier, not a category), ann closes; dan opens D2 five days later.
    c["d1"] = msg(s, "d1", "dan", "Charged twice on my card", at(3, 9))
    triage.tag(s, "ann", c["d1"], "angry")
    triage.close(s, "ann", c["d1"], at=at(3, 10))
    c["d2"] = msg(s, "d2", "dan", "Still waiting", at(8, 15))
    # E1: shipping, closed by sam two days before NOW: too recent to judge (pending).
    c["e1"] = msg(s, "e1", "eve", "Charged twice this month", at(28, 9))
    triage.tag(s, "sam", c["e1"], "shipping")
    triage.close(s, "sam", c["e1"], at=at(28, 10))
    return c


def rows(items) -> dict[str, tuple[int, int, int, float | None]]:
    return {r["key"]: (r["closes"], r["repeated"], r["pending"], r["rate"]) for r in items}


def test_hand_computed_repeat_contacts(store):
    c = store.run(history)
    with store.read() as s:
        d = repeats.report(s, SINCE, UNTIL, now=NOW).as_dict()
    # Judged closes: A1 no, B1 yes, B1 no, C1 yes, C2 no, D1 yes; E1 pending. 3 of 6.
    assert rows([d["team"]]) == {"team": (6, 3, 1, 0.5)}
    assert sorted(d["team"]["repeated_conversations"]) == sorted([c["b1"], c["c1"], c["d1"]])
    # sam: A1 no, C1 yes, C2 no (+ E1 pending); ann: B1 yes, B1 no, D1 yes.
    assert rows(d["agents"]) == {"ann": (3, 2, 0, 0.6667), "sam": (3, 1, 1, 0.3333)}
    # Tags now: billing on A1 and B1 (three closes, B1's first repeated), angry on D1,
    # shipping on E1 (pending only).
    assert rows(d["tags"]) == {
        "angry": (1, 1, 0, 1.0),
        "billing": (3, 1, 0, 0.3333),
        "shipping": (0, 0, 1, None),
    }
    # Articles sent before the close: refunds (A1, not repeated), reset-password (C1, repeated).
    assert rows(d["articles"]) == {"reset-password": (1, 1, 0, 1.0), "refunds": (1, 0, 0, 0.0)}
    assert [r["key"] for r in d["articles"]] == ["reset-password", "refunds"]  # worst first
    assert "within N days" in d["definitions"]["repeat_contact_rate"]


def test_hand_computed_without_category_and_gaps(store):
    c = store.run(history)
    with store.read() as s:
        d = repeats.report(s, SINCE, UNTIL, now=NOW).as_dict()
    # Last closes: sam A1 (billing), C1, C2, E1 (shipping); ann B1 (billing), D1 (angry only).
    without = {u["agent"]: u for u in d["without_category"]}
    assert (without["sam"]["closed"], without["sam"]["without_category"]) == (4, 2)
    assert without["sam"]["conversations"] == sorted([c["c1"], c["c2"]])
    assert (without["ann"]["closed"], without["ann"]["conversations"]) == (2, [c["d1"]])
    assert (without["team"]["closed"], without["team"]["share"]) == (6, 0.5)
    # Category tags with no article sent: shipping (billing had "refunds" on A1).
    gaps = d["content_gaps"]
    assert [r["key"] for r in gaps["tags_without_article"]] == ["shipping"]
    # Without any article: B1, C2, D1, E1; the three "charged twice" ones are a group.
    assert gaps["method"] == "words"
    assert [g["conversations"] for g in gaps["groups_without_article"]] == [
        sorted([c["b1"], c["d1"], c["e1"]])
    ]


def test_a_shorter_window_misses_the_five_day_returns(sqlite_store):
    sqlite_store.run(history)
    with sqlite_store.read() as s:
        d = repeats.report(s, SINCE, UNTIL, days=3, now=NOW).as_dict()
    # Within 3 days only bob's return (2 days) counts; E1 (2 days old) is still pending.
    assert rows([d["team"]]) == {"team": (6, 1, 1, 0.1667)}


def test_bad_input_is_one_sentence(sqlite_store):
    with sqlite_store.read() as s:
        with pytest.raises(UserError, match="between 1 and 90 days"):
            repeats.report(s, SINCE, UNTIL, days=0)
        with pytest.raises(UserError, match="period is empty"):
            repeats.report(s, UNTIL, SINCE)


def test_stats_json_carries_repeat_contacts(sqlite_store):
    import subprocess
    import sys

    sqlite_store.run(history)
    out = subprocess.run(
        [
            *(sys.executable, "-m", "inbox_tui", "--db", sqlite_store.url, "stats"),
            *("--format", "json", "--since", "2026-03-02", "--until", "2026-03-16"),
            *("--repeat-days", "7"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rc = json.loads(out)["repeat_contacts"]
    # Closes before the 16th, all judged (now is long after): E1 is outside the period.
    assert rows([rc["team"]]) == {"team": (6, 3, 0, 0.5)}
    assert rc["days"] == 7 and "repeat_contact_rate" in rc["definitions"]
    assert json.loads(out)["definitions"]["repeat_contact_rate"]


def test_stats_csv_carries_repeat_contacts_categories_and_handoffs(sqlite_store):
    """The CSV's agent rows carry the repeat-contact figures, the closes without a
    category and the handoffs, by hand from ``history`` (2nd to 16th: E1 is outside)."""
    import csv
    import io
    import subprocess
    import sys

    c = sqlite_store.run(history)

    def handed(s):  # one reassignment of B1 (ann -> sam -> ann): two handoffs, ann closed it
        triage.assign(s, "ann", c["b1"], "ann", at=at(2, 9))
        triage.assign(s, "ann", c["b1"], "sam", at=at(2, 9))
        triage.assign(s, "sam", c["b1"], "ann", at=at(2, 10))

    sqlite_store.run(handed)
    out = subprocess.run(
        [
            *(sys.executable, "-m", "inbox_tui", "--db", sqlite_store.url, "stats"),
            *("--format", "csv", "--since", "2026-03-02", "--until", "2026-03-16"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    got = {
        r["agent"]: (
            r["repeat_closes"],
            r["repeat_contacts"],
            r["repeat_contact_rate"],
            r["closed_without_category"],
            r["handoffs"],
        )
        for r in csv.DictReader(io.StringIO(out))
    }
    # ann: B1 yes, B1 no, D1 yes; last closes B1 (billing), D1 (angry only); B1 handed twice.
    # sam: A1 no, C1 yes, C2 no; last closes A1 (billing), C1, C2.
    assert got == {
        "ann": ("3", "2", "0.6667", "1", "2"),
        "sam": ("3", "1", "0.3333", "2", "0"),
        "team": ("6", "3", "0.5", "3", "2"),
    }


def test_stats_text_shows_handoffs_and_help_content_gaps(sqlite_store):
    """The table output: each agent's handoffs beside the repeat contacts, then the
    content gaps (by hand from ``history``: shipping had no article; B1, D1 and E1,
    "charged twice", are a group without one)."""
    import subprocess
    import sys

    c = sqlite_store.run(history)

    def handed(s):  # B1: ann -> sam -> ann, two handoffs; ann closed it last
        triage.assign(s, "ann", c["b1"], "ann", at=at(2, 9))
        triage.assign(s, "ann", c["b1"], "sam", at=at(2, 9))
        triage.assign(s, "sam", c["b1"], "ann", at=at(2, 10))

    sqlite_store.run(handed)
    out = subprocess.run(
        [
            *(sys.executable, "-m", "inbox_tui", "--db", sqlite_store.url, "stats"),
            *("--since", "2026-03-02", "--until", "2026-03-30"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "(agent, closes, rate, no category, handoffs):" in out
    # Judged now (long after): sam A1 no, C1 yes, C2 no, E1 no; without a category C1, C2.
    assert "ann 3 67% 50% 2" in lines and "sam 4 25% 50% 0" in lines
    gaps = lines[
        lines.index("Closed with no help article sent (answers the help centre may lack):") :
    ]
    assert gaps[1:3] == ["tag shipping 1", "like Charged twice 3"]


def test_repeat_days_from_the_config(sqlite_store, tmp_path):
    import subprocess
    import sys

    sqlite_store.run(history)
    cfg = tmp_path / "config.toml"
    cfg.write_text("[insight]\nrepeat_days = 3\n")
    base = [sys.executable, "-m", "inbox_tui", "--config", str(cfg), "--db", sqlite_store.url]
    period = ["--since", "2026-03-02", "--until", "2026-03-16"]
    out = subprocess.run(
        [*base, "stats", "--format", "json", *period], capture_output=True, text=True, check=True
    ).stdout
    rc = json.loads(out)["repeat_contacts"]
    # Within 3 days only bob's return counts (as in the 3-day test above).
    assert rc["days"] == 3 and rows([rc["team"]]) == {"team": (6, 1, 0, 0.1667)}
    cfg.write_text("[insight]\nrepeat_days = 0\n")
    bad = subprocess.run([*base, "stats", *period], capture_output=True, text=True)
    assert bad.returncode != 0 and "repeat_days" in bad.stderr and "Traceback" not in bad.stderr


def test_search_lists_the_closed_conversations_without_a_category(store):
    """``is:closed category:none`` lists what the without_category figure counts."""
    from inbox_tui.services.search import search_conversations

    c = store.run(history)
    with store.read() as s:
        rows, total = search_conversations(s, "is:closed category:none", "sam")
        # Closed now: A1, B1 (billing), C1, C2, D1 (angry only), E1 (shipping).
        assert sorted(r.id for r in rows) == sorted([c["c1"], c["c2"], c["d1"]]) and total == 3
        d = repeats.report(s, SINCE, UNTIL, now=NOW).as_dict()
        team = next(u for u in d["without_category"] if u["agent"] == "team")
        assert team["conversations"] == sorted(r.id for r in rows)


def test_a_built_in_view_lists_the_closed_conversations_without_a_category(store):
    """The view "Closed without a category" lists what the without_category figure
    counts (the issue: "a view lists them"), with its count in the views list."""
    from inbox_tui.services.conversations import list_conversations, view_filter
    from inbox_tui.services.views import list_views, view_label

    c = store.run(history)
    with store.read() as s:
        rows = list_conversations(s, view_filter("no-category", "sam"), limit=100)
        assert sorted(r.id for r in rows) == sorted([c["c1"], c["c2"], c["d1"]])
        assert list_views(s, "sam").counts["no-category"] == 3
    assert view_label("no-category") == "Closed without a category"
