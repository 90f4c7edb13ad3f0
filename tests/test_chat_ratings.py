"""A chat log's rating line (#21: "Chat conversations can take a rating line in the
log"): ``{"conversation": …, "rating": "good"}`` from the conversation's customer is
recorded against it (no new conversation, the latest by the log's time wins, reading a
grown log again changes nothing), one from anyone else or for an unknown conversation is
reported with its line, and the stats count it. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from inbox_tui import cli
from inbox_tui.models import Conversation
from inbox_tui.services import triage
from inbox_tui.services.chatimport import import_chat
from inbox_tui.services.stats import compute_report

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def line(minutes: int, author: str, email: str, **more) -> str:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return json.dumps({"author": author, "email": email, "ts": at, **more}) + "\n"


LOG = (
    line(0, "Ann", "ann@acme.example", conversation="t42", id="m1", text="My export fails")
    + line(5, "Sam", "sam@us.example", conversation="t42", id="m2", text="Try 2.1")
    + line(9, "Ann", "ann@acme.example", conversation="t42", id="r1", rating="good")
    + line(9, "Eve", "eve@evil.example", conversation="t42", id="r2", rating="bad")
    + line(9, "Ann", "ann@acme.example", conversation="t99", id="r3", rating="bad")
    + line(9, "Ann", "ann@acme.example", conversation="t42", id="r4", rating="great")
)


def state(store) -> tuple[int, str | None]:
    with store.read() as s:
        n = s.exec(select(func.count()).select_from(Conversation)).one()
        return n, s.exec(select(Conversation.rating)).first()


def test_a_rating_line_rates_its_conversation(store, tmp_path):
    log = tmp_path / "widget.jsonl"
    log.write_text(LOG)
    report = import_chat(store, [log], agents={"jsonl:sam@us.example": "sam"})
    assert report.counts.imported == 2 and report.counts.ratings == 1
    assert state(store) == (1, "good")
    problems = " ".join(report.problems)
    assert "comes from someone other than its customer" in problems
    assert "'t99', which is not in the store" in problems
    assert "'rating' must be good, ok or bad" in problems
    with store.read() as s:
        cid = s.exec(select(Conversation.id)).one()
    store.run(triage.close, "sam", cid, at=T0 + timedelta(minutes=7))  # credited to sam
    # She changes her mind later in the log; the grown log is read again.
    log.write_text(
        LOG + line(30, "Ann", "ann@acme.example", conversation="t42", id="r5", rating="ok")
    )
    again = import_chat(store, [log], agents={"jsonl:sam@us.example": "sam"})
    # Both of her rating lines are read (counted as ratings, as a rating mail is).
    assert again.counts.imported == 0 and again.counts.ratings == 2
    assert state(store) == (1, "ok")  # r1 read again did not undo the later rating
    assert import_chat(store, [log]).counts.ratings == 2
    assert state(store) == (1, "ok")
    with store.read() as s:
        report = compute_report(s, T0 - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))
    assert report.agents["sam"].csat == {"good": 0, "ok": 1, "bad": 0}


def test_the_command_counts_it(sqlite_store, tmp_path, capsys):
    log = tmp_path / "widget.jsonl"
    log.write_text(LOG)
    assert cli.main(["--db", sqlite_store.url, "import", "chat", str(log), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["ratings"] == 1 and out["imported"] == 2
