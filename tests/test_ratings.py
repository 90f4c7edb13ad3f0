"""Ratings from any mail client (#21): the Good / OK / Bad mailto: links, a rating mail
recorded by the import (no new conversation), the latest rating wins, a replay or a
forgery changes nothing, and the stats count it. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sqlmodel import func, select

from inbox_tui import cli
from inbox_tui.models import Conversation, Quarantine
from inbox_tui.services import ratings, triage
from inbox_tui.services.stats import compute_report

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def eml(path: Path, sender: str, subject: str, mid: str, to: str = "support@team.example") -> Path:
    path.write_text(
        f"From: Ann <{sender}>\nTo: {to}\nSubject: {subject}\nMessage-ID: <{mid}>\n"
        f"Date: Mon, 02 Mar 2026 10:00:00 +0000\n\n(sent from my phone)\n"
    )
    return path


def import_mail(store, capsys, path: Path) -> dict:
    assert cli.main(["--db", store.url, "import", "mail", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out.strip().splitlines()[-1])


def click(link: str) -> str:
    """What a mail client puts in the subject when the link is clicked."""
    return unquote(urlsplit(link).query.removeprefix("subject="))


@pytest.fixture
def rated(store, tmp_path, capsys):
    eml(tmp_path / "q.eml", "ann@acme.example", "Printer broken", "q1@acme.example")
    import_mail(store, capsys, tmp_path / "q.eml")
    with store.read() as s:
        cid = s.exec(select(Conversation.id)).one()
        links = ratings.links(s, cid)
    store.run(triage.close, "sam", cid)  # the rating counts for who closed it
    return store, cid, links


def conversations(store) -> int:
    with store.read() as s:
        return s.exec(select(func.count()).select_from(Conversation)).one()


def rating_of(store, cid):
    with store.read() as s:
        row = s.get(Conversation, cid)
        return row.rating if row else None


def test_a_clicked_link_records_the_rating_without_a_new_conversation(rated, tmp_path, capsys):
    store, cid, links = rated
    assert set(links) == {"good", "ok", "bad"}
    assert links["good"].startswith("mailto:support@team.example?subject=Rating%20good%20%23")
    good = eml(tmp_path / "g.eml", "ann@acme.example", click(links["good"]), "g1@acme.example")
    counts = import_mail(store, capsys, good)
    assert counts == {
        "read": 1,
        "imported": 0,
        "duplicates": 0,
        "quarantined": 0,
        "ratings": 1,
        "skipped": 0,
    }
    assert conversations(store) == 1 and rating_of(store, cid) == "good"
    with store.read() as s:
        report = compute_report(s, T0 - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))
        assert report.team.csat["good"] == 1 and report.agents["sam"].csat["good"] == 1
    # She changes her mind: the latest wins. The old mail again changes nothing.
    bad = eml(
        tmp_path / "b.eml", "ann@acme.example", "Re: " + click(links["bad"]), "b1@acme.example"
    )
    import_mail(store, capsys, bad)
    assert rating_of(store, cid) == "bad"
    # The same mail again (its Message-ID) is a duplicate, as any mail imported twice.
    again = import_mail(store, capsys, good)
    assert (again["duplicates"], again["ratings"], again["read"]) == (1, 0, 1)
    assert rating_of(store, cid) == "bad" and conversations(store) == 1


@pytest.mark.parametrize(
    ("sender", "change", "needle"),
    [
        ("ann@acme.example", "token", "has a wrong token"),
        ("eve@evil.example", None, "comes from someone other than its customer"),
        ("ann@acme.example", "number", "which does not exist"),
    ],
)
def test_forged_ratings_are_quarantined_with_the_reason(
    rated, tmp_path, capsys, sender, change, needle
):
    store, cid, links = rated
    subject = click(links["good"])
    if change == "token":
        subject = subject[:-16] + "0123456789abcdef"
    elif change == "number":
        subject = subject.replace(f"#{cid} ", "#999 ")
    counts = import_mail(store, capsys, eml(tmp_path / "f.eml", sender, subject, "f1@x.example"))
    assert counts["quarantined"] == 1 and counts["ratings"] == 0
    assert rating_of(store, cid) is None and conversations(store) == 1
    with store.read() as s:
        [q] = s.exec(select(Quarantine)).all()
        assert needle in q.reason


def test_subjects_and_the_links_command(rated, capsys):
    store, cid, links = rated
    assert ratings.parse_subject(f"RE: Rating OK #{cid} {'a' * 16}") == ratings.RatingMail(
        "ok", cid, "a" * 16
    )
    assert ratings.parse_subject("Rating good #12") is None
    assert ratings.parse_subject("Our rating good #12 aaaaaaaaaaaaaaaa") is None
    assert cli.main(["--db", store.url, "conv", "rating-links", str(cid), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["good"] == links["good"]
    assert cli.main(["--db", store.url, "conv", "rate", str(cid), "great"]) == 2
    assert "A rating is good, ok or bad" in capsys.readouterr().err


def test_the_stats_count_the_latest_rating_of_a_conversation_only(rated):
    """Two ratings of one conversation (bad, then good): the figure counts one, the
    latest, in the report and in the drill-down behind it."""
    from inbox_tui.services.stats import conversations_behind

    store, cid, _links = rated
    store.run(triage.set_rating, None, cid, "bad")
    store.run(triage.set_rating, None, cid, "good")
    lo, hi = T0 - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    with store.read() as s:
        report = compute_report(s, lo, hi)
        assert report.team.csat == {"good": 1, "ok": 0, "bad": 0}
        assert report.agents["sam"].csat == {"good": 1, "ok": 0, "bad": 0}
        behind = conversations_behind(s, lo, hi, "csat")
        assert [(c.conversation_id, c.count) for c in behind] == [(cid, 1)]


def test_the_reply_signature_carries_the_links_and_a_click_on_them_counts(
    smtp_server, store, tmp_path, capsys
):
    """#21: "The reply signature can carry 'How did we do? Good / OK / Bad' as mailto:
    links": ``{{rating.links}}`` (or ``rating.good`` …) in a signature, through a real
    SMTP server, and the customer's click on the link in the mail she got is recorded.
    Without an address to rate to, the fallback leaves the line out."""
    import email
    import email.policy

    from inbox_tui.config import load_config
    from inbox_tui.services import replies
    from tests.test_mail_out import flush, seed
    from tests.test_sla import add

    cid = seed(store)
    nowhere = add(store, "no-to", T0)  # its mail named no address of ours
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text(
        f"""
[agent]
username = "sam"
name = "Sam Carter"
signature = "Sam\\n{{{{rating.links | fallback: \\"\\"}}}}"

[accounts.support]
host = "127.0.0.1"
security = "plain"
address = "support@example.com"

[accounts.support.smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "plain"

[mail]
undo_seconds = 0
"""
    )
    cfg = load_config(cfg_path)
    assert store.run(replies.signature, "sam", nowhere, config=cfg) == "Sam\n"
    store.run(replies.queue_reply, "sam", cid, "Fixed it.", config=cfg)
    assert flush(store, cfg) == 1
    sent = email.message_from_bytes(smtp_server.messages[-1][2], policy=email.policy.default)
    body = sent.get_content()
    line = next(x for x in body.splitlines() if x.startswith("How did we do? "))
    good = line.split("Good <", 1)[1].split(">", 1)[0]
    assert good.startswith("mailto:support@example.com?subject=Rating%20good%20%23")
    assert " / OK <mailto:" in line and " / Bad <mailto:" in line
    click_mail = eml(tmp_path / "g.eml", "zoe@acme.example", click(good), "g9@acme.example")
    assert import_mail(store, capsys, click_mail)["ratings"] == 1
    assert rating_of(store, cid) == "good"
