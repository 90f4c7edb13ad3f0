"""Incidents (services/incidents.py) against a hand-built history, on SQLite and
PostgreSQL: a burst of a new problem is raised, a problem that arrives as often every
week is not, spam is ignored, confirming tags and answers the burst and it is not raised
again, dismissing keeps it quiet, and bad input is one sentence."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlmodel import select

from inbox_tui.config import Account, AgentIdentity, Config, SmtpSettings
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.macros import files
from inbox_tui.models import Event, Outbox
from inbox_tui.services import incidents, macros, triage

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)  # a Monday noon; the window is 09:00-12:00
_n = count()

LOGIN = [
    "Cannot log in after password reset",
    "Password reset done but I cannot log in",
    "Log in fails after the password reset",
    "cannot log in since my password reset this morning",
]
INVOICE = [
    "Invoice PDF is empty",
    "The invoice PDF I downloaded is empty",
    "Empty invoice PDF again",
]
SPAM = ["Win a prize now", "Win a prize now!!", "Win a big prize now"]


CONFIG = Config(
    path=None,
    db_url=None,
    agent=AgentIdentity("sam", "Sam Carter"),
    accounts={
        "support": Account(
            name="support",
            host="127.0.0.1",
            port=1,
            security="plain",
            username="agent",
            password="secret",
            address="support@example.com",
            # Queued only: nothing is sent in these tests.
            smtp=SmtpSettings(host="127.0.0.1", port=1, security="plain", allow_plain=True),
        )
    },
)


def new_conversation(s, subject: str, when: datetime, body: str = "") -> int:
    n = next(_n)
    return (
        Ingestor(s)
        .add(
            IncomingMessage(
                source="t",
                external_id=f"m{n}",
                message_id=f"<m{n}@c.example>",
                subject=subject,
                author_email=f"c{n}@c.example",
                author_name=f"Customer {n}",
                sent_at=when,
                body=body or subject,
            )
        )
        .conversation_id
    )


def history(s) -> dict[str, list[int]]:
    triage.ensure_agent(s, "sam")
    out: dict[str, list[int]] = {"login": [], "invoice": [], "spam": [], "other": []}
    for i, subject in enumerate(LOGIN):  # new this week: 09:10, 09:40, 10:10, 10:40
        out["login"].append(
            new_conversation(
                s,
                subject,
                NOW - timedelta(hours=3) + (i + 1) * timedelta(minutes=30) - timedelta(minutes=20),
            )
        )
    for week in range(5):  # three invoice questions every Monday morning
        for i, subject in enumerate(INVOICE):
            cid = new_conversation(s, subject, NOW - timedelta(weeks=week, hours=2, minutes=10 * i))
            if week == 0:
                out["invoice"].append(cid)
    for i, subject in enumerate(SPAM):
        cid = new_conversation(s, subject, NOW - timedelta(hours=1, minutes=i))
        triage.tag(s, "sam", cid, "spam")
        out["spam"].append(cid)
    out["other"].append(new_conversation(s, "Do you ship to Norway?", NOW - timedelta(hours=1)))
    # Outside the window (08:00): not part of this burst.
    out["other"].append(new_conversation(s, LOGIN[0], NOW - timedelta(hours=4)))
    return out


def test_poisson_tail_by_hand():
    assert incidents.poisson_tail(0, 2.0) == 1.0
    assert incidents.poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    # P(X >= 3 | 0.125) = 1 - e^-0.125 (1 + 0.125 + 0.125^2 / 2)
    assert incidents.poisson_tail(3, 0.125) == pytest.approx(
        1 - math.exp(-0.125) * (1 + 0.125 + 0.125**2 / 2)
    )


def test_burst_of_a_new_problem_only(store):
    ids = store.run(history)
    with store.read() as s:
        bursts = incidents.detect(s, now=NOW)
    assert [b.conversations for b in bursts] == [sorted(ids["login"])]
    b = bursts[0]
    assert b.key == min(ids["login"]) and b.count == 4 and b.method == "words"
    assert b.past == [0, 0, 0, 0]
    assert b.expected == pytest.approx(0.5 / 4)
    assert b.p_value == pytest.approx(incidents.poisson_tail(4, 0.125))
    d = b.as_dict()
    assert d["count"] == 4 and d["window_start"] == (NOW - timedelta(hours=3)).isoformat()
    json.dumps(d)


def test_the_invoice_questions_are_a_burst_when_they_are_new(store):
    # The same three questions as above, without the four Mondays before: what keeps
    # them out of the bursts above is their history, not their words.
    def only_this_week(s):
        triage.ensure_agent(s, "sam")
        return [
            new_conversation(s, t, NOW - timedelta(minutes=10 * (i + 1)))
            for i, t in enumerate(INVOICE)
        ]

    ids = store.run(only_this_week)
    with store.read() as s:
        assert [b.conversations for b in incidents.detect(s, now=NOW)] == [sorted(ids)]


def test_confirm_tags_answers_and_quiets_the_burst(store):
    ids = store.run(history)
    store.run(
        macros.import_specs,
        [files.MacroSpec(slug="login-outage", name="Login outage", body="We are on it.")],
    )
    key = min(ids["login"])
    burst = store.run(
        incidents.confirm,
        "sam",
        key,
        "Login outage",
        bug="ENG-4812",
        macro="login-outage",
        config=CONFIG,
        now=NOW,
    )
    assert burst.conversations == sorted(ids["login"])
    with store.read() as s:
        events = s.exec(select(Event).where(Event.kind == "incident")).all()
        assert sorted(e.conversation_id for e in events) == sorted(ids["login"])
        assert {e.data for e in events} == {
            json.dumps({"action": "confirmed", "name": "Login outage", "bug": "ENG-4812"})
        }
        tagged = s.exec(select(Event).where(Event.kind == "tagged")).all()
        assert sorted(
            e.conversation_id for e in tagged if "incident:login-outage" in e.data
        ) == sorted(ids["login"])
        assert sorted(o.conversation_id for o in s.exec(select(Outbox)).all()) == sorted(
            ids["login"]
        )
        assert incidents.detect(s, now=NOW) == []


def test_dismiss_quiets_the_burst_without_tagging(store):
    ids = store.run(history)
    store.run(incidents.dismiss, "sam", min(ids["login"]), now=NOW)
    with store.read() as s:
        assert incidents.detect(s, now=NOW) == []
        assert (
            s.exec(
                select(Event).where(Event.kind == "tagged", Event.data.contains("incident"))
            ).all()
            == []
        )


def test_bad_input_is_one_sentence_and_changes_nothing(sqlite_store):
    ids = sqlite_store.run(history)
    with pytest.raises(incidents.IncidentError, match="There is no burst 99999 now"):
        sqlite_store.run(incidents.confirm, "sam", 99999, "x", now=NOW)
    with pytest.raises(incidents.IncidentError, match="needs a name"):
        sqlite_store.run(incidents.confirm, "sam", min(ids["login"]), " !! ", now=NOW)
    with pytest.raises(macros.MacroError):
        sqlite_store.run(
            incidents.confirm, "sam", min(ids["login"]), "Outage", macro="nope", now=NOW
        )
    with pytest.raises(incidents.IncidentError, match="window"), sqlite_store.read() as s:
        incidents.detect(s, now=NOW, window=timedelta(days=30))
    with sqlite_store.read() as s:
        assert s.exec(select(Event).where(Event.kind == "incident")).all() == []
        assert len(incidents.detect(s, now=NOW)) == 1


def test_cli_lists_confirms_and_refuses_bad_input(sqlite_store):
    """Through the real CLI, with the real clock: three customers wrote about the same
    thing in the last hour (one subject carries an escape sequence, which never reaches
    the terminal)."""
    from inbox_tui.models import utcnow
    from tests.test_cli_errors import assert_plain_error, cli

    def recent(s):
        triage.ensure_agent(s, "sam")
        subjects = [LOGIN[0] + "\x1b[31m", LOGIN[1], LOGIN[2]]
        return [
            new_conversation(s, t, utcnow() - timedelta(minutes=10 * (i + 1)))
            for i, t in enumerate(subjects)
        ]

    ids = sqlite_store.run(recent)
    env = {"INBOX_TUI_SEMANTIC": "0"}
    db = ["--db", sqlite_store.url]
    listed = cli(*db, "incidents", "--json", env_extra=env)
    assert listed.returncode == 0, listed.stderr
    assert "\x1b" not in listed.stdout
    bursts = json.loads(listed.stdout)
    assert [b["conversations"] for b in bursts] == [sorted(ids)]
    table = cli(*db, "incidents", env_extra=env)
    assert f"burst {min(ids)}: 3 conversations" in table.stdout and "\x1b" not in table.stdout
    assert_plain_error(cli(*db, "incidents", "--window", "soon", env_extra=env), "--window")
    zero = cli(*db, "incidents", "--window", "0h", env_extra=env)  # walk7: "not a duration"
    assert zero.returncode == 2
    assert zero.stderr.strip() == (
        "inbox-tui: --window: '0h' is not a duration: it must be longer than 0, like 30m or 4h."
    )
    assert_plain_error(
        cli(*db, "incidents", "confirm", "99999", "--name", "x", env_extra=env), "no burst 99999"
    )
    done = cli(*db, "incidents", "confirm", str(min(ids)), "--name", "Login outage", env_extra=env)
    assert done.returncode == 0, done.stderr
    assert "3 conversations tagged" in done.stdout
    again = cli(*db, "incidents", "--json", env_extra=env)
    assert json.loads(again.stdout) == []


@pytest.mark.semantic
def test_by_meaning_and_a_second_check_runs_no_model(sqlite_store, monkeypatch):
    from inbox_tui.services import embeddings

    if embeddings.encoder() is None:
        pytest.skip("the embedding model is not installed")
    ids = sqlite_store.run(history)
    with sqlite_store.read() as s:
        bursts = incidents.detect(s, now=NOW)
    assert [b.conversations for b in bursts] == [sorted(ids["login"])]
    assert bursts[0].method == "meaning"
    calls = []
    real = embeddings.encode
    monkeypatch.setattr(embeddings, "encode", lambda texts: calls.append(texts) or real(texts))
    with sqlite_store.read() as s:
        again = incidents.detect(s, now=NOW)
    assert [b.conversations for b in again] == [sorted(ids["login"])] and calls == []


def test_incidents_left_out_of_response_times_on_request(store):
    """test_stats.history, with conversation A confirmed as part of an incident: its
    first response (sam, 1800 s), ann's response to its reopening (1200 s) and its two
    closes (sam 3600 s, ann 3600 s) leave the times; every count stays."""
    from inbox_tui.services.stats import compute_report
    from tests.test_stats import MON
    from tests.test_stats import history as stats_history

    def work(s):
        a, _ = stats_history(s)
        triage.tag(s, "sam", a, incidents.incident_tag("Login outage"))

    store.run(work)
    with store.read() as s:
        plain = compute_report(s, MON, MON + timedelta(days=7), compare=False).as_dict()
        left = compute_report(
            s, MON, MON + timedelta(days=7), compare=False, exclude_incidents=True
        ).as_dict()
    agents = {r["agent"]: r for r in left["agents"]}
    assert agents["sam"]["first_response"]["count"] == 0
    assert agents["sam"]["time_to_close"]["count"] == 0
    assert agents["ann"]["first_response"] == {
        "count": 1,
        "mean": 7200,
        "median": 7200,
        "p90": 7200,
    }
    assert agents["ann"]["response"] == {"count": 1, "mean": 7200, "median": 7200, "p90": 7200}
    # ann's closes without A's: B's 10800 and 3600
    assert agents["ann"]["time_to_close"] == {
        "count": 2,
        "mean": 7200,
        "median": 3600,
        "p90": 10800,
    }
    assert (agents["ann"]["replies_sent"], agents["ann"]["close_events"]) == (2, 3)
    assert left["excluded_incident_conversations"] == 1
    assert "excluded_incident_conversations" not in plain
    assert plain["team"]["first_response"]["count"] == 2


def test_confirmed_incidents_are_listed_after_the_burst_is_decided(sqlite_store):
    """`incidents --json` lists undecided bursts only, so once confirmed an incident was
    nowhere in the CLI; `--confirmed` lists those of the last --weeks (name, bug,
    conversations, when, by whom), cleaned for the terminal."""
    import getpass

    from inbox_tui.models import utcnow
    from tests.test_cli_errors import cli

    def recent(s):
        triage.ensure_agent(s, "sam")
        return [
            new_conversation(s, t, utcnow() - timedelta(minutes=10 * (i + 1)))
            for i, t in enumerate(LOGIN[:3])
        ]

    ids = sqlite_store.run(recent)
    env = {"INBOX_TUI_SEMANTIC": "0"}
    db = ["--db", sqlite_store.url]
    me = getpass.getuser()  # the CLI's agent without a config
    none = cli(*db, "incidents", "--confirmed", env_extra=env)
    assert none.stdout == "No incident was confirmed in the last 4 weeks.\n", none.stderr
    name = "Login \x1b[31moutage"
    done = cli(*db, "incidents", "confirm", str(min(ids)), "--name", name, "--bug", "ENG-7",
               env_extra=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = json.loads(cli(*db, "incidents", "--confirmed", "--json", env_extra=env).stdout)
    assert [
        (c["name"], c["tag"], c["bug"], sorted(c["conversations"]), c["by"]) for c in listed
    ] == [("Login [31moutage", "incident:login-31moutage", "ENG-7", sorted(ids), me)]
    table = cli(*db, "incidents", "--confirmed", env_extra=env).stdout
    assert "'Login [31moutage' (ENG-7): 3 conversations, confirmed " in table
    assert f"by {me}; search tag:incident:login-31moutage" in table and "\x1b" not in table
    assert json.loads(cli(*db, "incidents", "--json", env_extra=env).stdout) == []
