"""Walk2: after `F` (ENG-4812 fixed) the stats credited root with 14 closes at 0m, and
"replies judged" was one higher than "replies sent". Hand-computed histories on SQLite
and PostgreSQL:

- a close counts when it closes an open conversation; closing again what an agent took
  out of closed, before the customer wrote (a follow-up whose macro closes, undo send
  putting "closed" back, a resend after taking back a send-and-close) is no new close:
  no close, no time to close, and the close it repeats keeps its agent;
- a customer writing after a close makes the next close count again;
- a reply is judged against the response targets only if it was sent: a forward, a
  reply taken back, never (judged <= sent for every agent and the team).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.macros import files
from inbox_tui.models import utcnow
from inbox_tui.services import buglinks, macros, sla, triage, undo_send
from inbox_tui.services.compose import send_reply
from inbox_tui.services.forward import queue_forward
from inbox_tui.services.stats import compute_report
from tests.mail_history import mail

T0 = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def config() -> Config:
    cfg = Config(path=None, db_url=None, agent=AgentIdentity("root", "Root"), demo=True)
    cfg.mail.undo_seconds = 10  # replies wait in the outbox, so B can take them back
    cfg.category_on_close = "off"
    return cfg


def customer(s, key: str, when: datetime, refs: tuple[str, ...] = ()) -> int:
    return mail(s, key, when, refs, subject="Export broken", body="It broke.")


def report(store):
    with store.read() as s:
        since, until = T0 - timedelta(days=1), utcnow() + timedelta(days=1)
        return compute_report(s, since, until).agents


def gone(store, cfg) -> None:
    """The outbox's undo delay over: the demo records the replies as gone (they count
    in the stats from then: tests/test_stats_send_time.py)."""
    import asyncio

    from inbox_tui.services.outbox import flush_outbox

    later = utcnow() + timedelta(seconds=cfg.mail.undo_seconds + 1)
    assert asyncio.run(flush_outbox(store, cfg, clock=lambda: later)).logged >= 1


def closes(agent) -> tuple[int, int, int]:
    ttc = agent.summaries.get("time_to_close")
    return agent.close_events, agent.conversations_closed, ttc.count if ttc else 0


def test_a_follow_up_whose_macro_closes_is_no_new_close(store):
    cfg = config()

    def setup(s):
        for name in ("sam", "root"):
            triage.ensure_agent(s, name)
        macros.import_specs(
            s,
            [
                files.MacroSpec(
                    slug="fixed", name="Fixed", body="Fixed now.", actions={"status": "closed"}
                )
            ],
        )
        cid = customer(s, "a-1", T0)
        triage.close(s, "sam", cid, at=T0 + timedelta(hours=2))
        buglinks.link(s, "sam", cid, "ENG-1")
        return cid

    cid = store.run(setup)
    assert report(store)["sam"].close_events == 1
    store.run(buglinks.follow_up, "root", "ENG-1", "fixed", [cid], config=cfg)
    gone(store, cfg)
    agents = report(store)
    assert closes(agents["sam"]) == (1, 1, 1)
    assert agents["root"].replies_sent == 1 and closes(agents["root"]) == (0, 0, 0)
    with store.read() as s:
        closer = s.execute(
            text("SELECT a.username FROM stat_conversation sc JOIN agent a "
                 "ON a.id = sc.last_closer_id WHERE sc.conversation_id = :c"), {"c": cid}
        ).scalar_one()  # fmt: skip
        assert (
            s.execute(text("SELECT status FROM conversation WHERE id = :c"), {"c": cid}).scalar()
            == "closed"
        )
    assert closer == "sam"  # her close, and the rating that may follow, stay hers

    # The customer writes again: the conversation is live, and its next close counts.
    store.run(lambda s: customer(s, "a-2", utcnow(), refs=("a-1",)))
    store.run(triage.close, "root", cid)
    assert closes(report(store)["root"]) == (1, 1, 1)


def test_taking_back_a_send_and_close_then_sending_again_is_one_close(store):
    cfg = config()

    def setup(s):
        triage.ensure_agent(s, "root")
        return customer(s, "b-1", T0)

    cid = store.run(setup)
    send = lambda s: send_reply(s, "root", cid, "Done.", config=cfg, then_status="closed")  # noqa: E731
    store.run(send)
    store.run(undo_send.take_back, "root", cid)  # B: open again, nothing sent
    store.run(send)
    gone(store, cfg)
    root = report(store)["root"]
    assert closes(root) == (1, 1, 1) and root.replies_sent == 1
    assert root.summaries["time_to_close"].median > 3600  # from the customer's mail, not 0


def test_taking_back_a_reply_to_a_closed_conversation_closes_nothing_new(store):
    cfg = config()

    def setup(s):
        for name in ("sam", "root"):
            triage.ensure_agent(s, name)
        cid = customer(s, "c-1", T0)
        triage.close(s, "sam", cid, at=T0 + timedelta(hours=1))
        return cid

    cid = store.run(setup)
    store.run(lambda s: send_reply(s, "root", cid, "One more thing.", config=cfg))
    store.run(undo_send.take_back, "root", cid)  # puts "closed" back
    with store.read() as s:
        assert (
            s.execute(text("SELECT status FROM conversation WHERE id = :c"), {"c": cid}).scalar()
            == "closed"
        )
    agents = report(store)
    assert closes(agents["sam"]) == (1, 1, 1)
    assert "root" not in agents or closes(agents["root"]) == (0, 0, 0)


def test_replies_judged_are_replies_sent(store):
    """A forward is no reply (walk2 forwarded once: judged was one higher than sent), a
    reply taken back was never sent."""
    cfg = config()
    cfg.mail.undo_seconds = 0
    policy = sla.SlaPolicy.from_config({"first_response": "4h", "next_response": "8h"})

    def setup(s):
        triage.ensure_agent(s, "root")
        return [customer(s, f"d{i}-1", utcnow() - timedelta(hours=5)) for i in range(3)]

    a, b, c = store.run(setup)
    store.run(lambda s: send_reply(s, "root", a, "Answer.", config=cfg))
    store.run(lambda s: queue_forward(s, "root", b, [("Eng", "eng@example.com")], config=cfg))
    cfg.mail.undo_seconds = 10
    store.run(lambda s: send_reply(s, "root", c, "Taken back.", config=cfg))
    store.run(undo_send.take_back, "root", c)
    now = utcnow() + timedelta(minutes=1)
    with store.read() as s:
        judged = sla.breach_report(s, policy, T0, now, now)
        sent = compute_report(s, T0, now)
    assert judged.by_agent["root"][0] == sent.agents["root"].replies_sent == 1
    assert judged.responses == sent.team.replies_sent == 1


def test_a_close_taken_back_never_counts(store):
    """B on a send-and-close (never sent again), and ctrl+z of a close: the close is
    taken back with what it did; the conversation is open, as if never closed."""
    from inbox_tui.services import undo

    cfg = config()

    def setup(s):
        for name in ("sam", "root"):
            triage.ensure_agent(s, name)
        return customer(s, "e-1", T0), customer(s, "f-1", T0)

    b, u = store.run(setup)
    store.run(lambda s: send_reply(s, "root", b, "Done.", config=cfg, then_status="closed"))
    store.run(undo_send.take_back, "root", b)
    store.run(triage.close, "sam", u)
    store.run(undo.undo_last, "sam")
    agents = report(store)
    for name in ("root", "sam"):
        assert name not in agents or closes(agents[name]) == (0, 0, 0), name
    with store.read() as s:
        closed = s.execute(
            text("SELECT count(*) FROM stat_conversation WHERE last_closed_us IS NOT NULL")
        ).scalar()
    assert closed == 0
    # Closed for real afterwards: one close, timed from the customer's mail.
    store.run(triage.close, "sam", u)
    assert closes(report(store)["sam"]) == (1, 1, 1)
    assert report(store)["sam"].summaries["time_to_close"].median > 3600


def test_the_replay_oracle_agrees_on_undone_closes_and_re_closes(store):
    """``tests/stats_replay`` (the raw log's replay) follows the same rules as the
    aggregates: a close undone, and a close repeated after a follow-up's reopen."""
    from inbox_tui.services import undo
    from tests.stats_replay import replay_report

    def setup(s):
        for name in ("sam", "root"):
            triage.ensure_agent(s, name)
        macros.import_specs(
            s,
            [
                files.MacroSpec(
                    slug="fixed", name="Fixed", body="Fixed now.", actions={"status": "closed"}
                )
            ],
        )
        a, b = customer(s, "g-1", T0), customer(s, "h-1", T0)
        triage.close(s, "sam", b, at=T0 + timedelta(hours=3))
        buglinks.link(s, "sam", b, "ENG-2")
        return a, b

    a, b = store.run(setup)
    store.run(triage.close, "sam", a)
    store.run(undo.undo_last, "sam")
    store.run(triage.close, "sam", a)
    store.run(buglinks.follow_up, "root", "ENG-2", "fixed", [b], config=config())
    with store.read() as s:
        since, until = T0 - timedelta(days=1), utcnow() + timedelta(days=1)
        ours = compute_report(s, since, until)
        assert ours.as_dict() == replay_report(s, since, until).as_dict()
    assert closes(ours.agents["sam"]) == (2, 2, 2)
    assert closes(ours.agents["root"]) == (0, 0, 0)
