"""Any agent's app delivers any agent's due replies (one outbox for the team), but it
announces its own agent's (walk10 #7: mei's status line read "5 replies recorded (demo:
nothing is sent)" for replies sam queued): ``flush_outbox(me=...)`` counts ``me``'s rows
and counts the others apart, by name; another agent's failure is named as theirs.
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from inbox_tui.models import utcnow
from inbox_tui.services import replies, triage
from inbox_tui.services.outbox import flush_outbox
from tests.test_incidents import CONFIG
from tests.test_stats_send_time import customer


def _agents(s) -> None:
    triage.ensure_agent(s, "sam", "Sam Carter")
    triage.ensure_agent(s, "mei", "Mei Lin")


def test_a_flush_counts_its_agents_rows_and_names_the_others(store):
    store.run(_agents)
    ids = [store.run(lambda s, k=k: customer(s, k, utcnow() - timedelta(hours=1))) for k in "abc"]
    demo = dataclasses.replace(CONFIG, demo=True, mail=dataclasses.replace(CONFIG.mail))
    demo.mail.undo_seconds = 10
    for cid in ids[:2]:
        store.run(replies.queue_reply, "sam", cid, "From Sam.", config=demo)
    store.run(replies.queue_reply, "mei", ids[2], "From Mei.", config=demo)
    later = utcnow() + timedelta(minutes=1)
    report = asyncio.run(flush_outbox(store, demo, clock=lambda: later, me="mei"))
    assert (report.logged, report.what("logged")) == (1, "1 reply")
    assert {n: r.logged for n, r in report.others.items()} == {"Sam Carter": 2}
    assert report.others_failed() == ""


def test_another_agents_failure_is_named_as_theirs_and_without_me_all_count(store):
    store.run(_agents)
    a, b = (store.run(lambda s, k=k: customer(s, k, utcnow() - timedelta(hours=1))) for k in "de")
    store.run(replies.queue_reply, "sam", a, "From Sam.", config=CONFIG)
    no_smtp = dataclasses.replace(
        CONFIG, accounts={"support": dataclasses.replace(CONFIG.accounts["support"], smtp=None)}
    )
    report = asyncio.run(flush_outbox(store, no_smtp, me="mei"))
    assert (report.failed, report.sent) == (0, 0)
    assert report.others_failed() == (
        "Sam Carter's reply could not be sent: "
        "the account 'support' has no SMTP settings in the config"
    )
    # The CLI's flush (no ``me``) counts every row, as before.
    store.run(replies.queue_reply, "mei", b, "From Mei.", config=CONFIG)
    assert asyncio.run(flush_outbox(store, no_smtp)).failed == 1
