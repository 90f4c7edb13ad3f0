"""Walk4: ``replies_sent`` counted a reply scheduled for later the moment it was queued,
and its first response was timed from then. A reply counts when it goes out, at the
time it went (its outbox row's ``sent`` event); one taken back (``B``, ``outbox
cancel``) never counts. What goes with it follows it: a help article inserted in it,
and its send-and-close (which does not close if the conversation was reopened before
the reply went). Hand-computed histories through a real SMTP server (aiosmtpd) and a
flush clock the test controls, on SQLite and PostgreSQL; the aggregates, a rebuild
and the replay oracle (``tests/stats_replay``) agree at every step.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from inbox_tui.models import EventKind, Status, utcnow
from inbox_tui.services import core, repeats, replies, triage, undo_send
from inbox_tui.services.outbox import flush_outbox
from inbox_tui.services.stats import compute_report
from inbox_tui.store.aggregates import rebuild, to_us
from tests.mail_history import mail
from tests.stats_replay import replay_report
from tests.test_replies import config
from tests.test_stats_aggregates import snapshot

HOUR = 3600.0


def customer(s, key: str, when: datetime, refs: tuple[str, ...] = ()) -> int:
    return mail(s, key, when, refs, subject=f"Export broken {key}", body="It broke.")


def agreed(store, since: datetime, until: datetime):
    """The report, after checking that the maintained aggregates equal a rebuild and the
    report equals the replay of the raw log."""
    maintained = snapshot(store)
    with store.write() as s:
        rebuild(s.connection())
    assert snapshot(store) == maintained
    with store.read() as s:
        ours = compute_report(s, since, until)
        assert ours.as_dict() == replay_report(s, since, until).as_dict()
    return ours


def first_response_us(store, cid: int) -> int | None:
    with store.read() as s:
        return s.execute(
            text("SELECT first_response_us FROM stat_conversation WHERE conversation_id = :c"),
            {"c": cid},
        ).scalar()


def test_a_scheduled_reply_counts_when_it_goes_and_a_cancelled_one_never(smtp_server, store):
    cfg = config(smtp_server.settings())
    cfg.category_on_close = "off"
    start = utcnow()
    wrote = start - timedelta(hours=1)
    later = start + timedelta(hours=3)

    def setup(s):
        triage.ensure_agent(s, "sam")
        return [customer(s, f"{k}-1", wrote) for k in "abcd"]

    a, b, c, d = store.run(setup)
    queue = replies.queue_reply
    store.run(queue, "sam", a, "Fixed overnight.", config=cfg, send_at=later)
    taken = store.run(queue, "sam", b, "Taken back.", config=cfg, send_at=later)
    store.run(queue, "sam", c, "Done, closing.", config=cfg, send_at=later, then_status="closed")
    store.run(queue, "sam", d, "Done too.", config=cfg, send_at=later, then_status="closed")
    store.run(undo_send.cancel_outbox, "sam", taken)
    # d's customer writes before the reply went: d is open again, its close never was.
    store.run(lambda s: customer(s, "d-2", utcnow(), refs=("d-1",)))
    with store.read() as s:
        status = dict(s.execute(text("SELECT id, status FROM conversation")).all())
    assert (status[c], status[d]) == ("closed", "open")

    since, until = start - timedelta(days=1), start + timedelta(days=1)
    report = agreed(store, since, until)
    assert "sam" not in report.agents  # nothing went out: no reply, no response, no close
    assert report.team.replies_sent == report.team.close_events == 0
    assert report.team.summary("first_response").count == 0
    assert [first_response_us(store, x) for x in (a, b, c, d)] == [None] * 4

    def flush(at: datetime) -> int:
        return asyncio.run(flush_outbox(store, cfg, clock=lambda: at)).sent

    assert flush(later - timedelta(seconds=1)) == 0
    report = agreed(store, since, until)
    assert report.team.replies_sent == 0

    went = later + timedelta(seconds=1)
    assert flush(went) == 3  # a, c and d; b was taken back
    assert len(smtp_server.messages) == 3
    report = agreed(store, since, until)
    sam = report.agents["sam"]
    assert sam.replies_sent == report.team.replies_sent == 3
    # From the customer's mail an hour before queueing to the send time: 4 h 1 s each.
    waited = (went - wrote).total_seconds()
    assert waited == 4 * HOUR + 1
    assert sam.summary("first_response").count == 3
    assert sam.summary("first_response").median == waited
    assert sam.summary("response").count == 3 and sam.summary("response").median == waited
    assert [first_response_us(store, x) for x in (a, b, c, d)] == [
        to_us(went),
        None,
        to_us(went),
        to_us(went),
    ]
    # c closed when its reply went (time to close to then); d's close never happened.
    assert (sam.close_events, sam.conversations_closed) == (1, 1)
    assert sam.summary("time_to_close").median == waited
    with store.read() as s:
        closed = s.execute(
            text("SELECT conversation_id FROM stat_conversation WHERE last_closed_us = :t"),
            {"t": to_us(went)},
        ).all()
    assert [r[0] for r in closed] == [c]
    # The repeat-contact report reads the same closes: d's customer writing again is no
    # repeat contact of a close that never happened.
    with store.read() as s:
        rep = repeats.report(s, since, until, now=went + timedelta(days=8), gaps=False)
    assert (rep.team.closes, rep.team.repeated) == (1, 0)

    # Later flushes change nothing: the taken-back reply never goes, never counts.
    assert flush(later + timedelta(hours=2)) == 0
    assert agreed(store, since, until).as_dict() == report.as_dict()


def test_the_undo_delay_and_an_article_sent_with_the_reply(smtp_server, store):
    """Without "send at" a reply waits ``[mail] undo_seconds`` too: it counts when it
    goes, and the help article inserted in it with it; taken back, neither counts (in
    the stats, and in the repeat-contact report's articles)."""
    from inbox_tui.services.compose import send_reply

    cfg = config(smtp_server.settings())
    cfg.category_on_close = "off"
    cfg.mail.undo_seconds = 10
    start = utcnow()

    def setup(s):
        from inbox_tui.models import Article

        triage.ensure_agent(s, "sam")
        art = Article(slug="export-fix", title="Fixing exports", body="Do this.")
        s.add(art)
        s.flush()
        return (
            art.id,
            customer(s, "e-1", start - timedelta(hours=2)),
            customer(s, "f-1", start - timedelta(hours=2)),
        )

    art, e, f = store.run(setup)
    send = lambda s, cid: send_reply(  # noqa: E731
        s, "sam", cid, "See the article.", config=cfg, article_id=art, then_status="closed"
    )
    store.run(send, e)
    store.run(send, f)
    store.run(undo_send.take_back, "sam", f)
    since, until = start - timedelta(days=1), start + timedelta(days=1)
    report = agreed(store, since, until)
    assert report.team.replies_sent == report.team.articles_sent == 0
    assert report.team.close_events == 0

    went = start + timedelta(seconds=30)
    assert asyncio.run(flush_outbox(store, cfg, clock=lambda: went)).sent == 1
    report = agreed(store, since, until)
    sam = report.agents["sam"]
    assert (sam.replies_sent, sam.articles_sent, sam.close_events) == (1, 1, 1)
    assert sam.summary("first_response").median == (went - start).total_seconds() + 2 * HOUR
    with store.read() as s:
        rep = repeats.report(s, since, until, now=went + timedelta(days=30), gaps=False)
    assert [(r.key, r.closes) for r in rep.articles] == [("export-fix", 1)]
    assert rep.team.closes == 1


def test_replies_queued_before_this_change_count_as_they_did(store):
    """A ``replied`` event without ``on_send`` (written before replies waited for their
    send time, or recorded at once, as a chat reply with no bridge) counts when it was
    written; one taken back with undo send still never counts, in the oracle too."""
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def setup(s):
        agent = triage.ensure_agent(s, "sam")
        x, y = customer(s, "g-1", t0), customer(s, "h-1", t0)
        for cid, minutes in ((x, 30), (y, 45)):
            core.record(
                s,
                core.lock_conversation(s, cid),
                agent,
                EventKind.REPLIED,
                {"outbox": cid * 100},
                at=t0 + timedelta(minutes=minutes),
            )
        replied = s.execute(
            text("SELECT id FROM event WHERE kind = 'replied' AND conversation_id = :c"),
            {"c": y},
        ).scalar_one()
        core.record(
            s,
            core.lock_conversation(s, y),
            agent,
            EventKind.REPLY_CANCELLED,
            {"outbox": y * 100, "replied_event": replied},
            at=t0 + timedelta(minutes=46),
        )
        return x, y

    store.run(setup)
    report = agreed(store, t0 - timedelta(days=1), t0 + timedelta(days=1))
    assert report.agents["sam"].replies_sent == 1
    assert report.agents["sam"].summary("first_response").median == 30 * 60


def outbox_history(store, seed: int, steps: int = 160) -> None:
    """A random history of replies waiting in the outbox, written as their events are
    (``replied`` with ``on_send``, a send-and-close's status change naming the reply, an
    article with it, then ``sent`` or undo send's ``reply_cancelled`` and status change),
    interleaved with customers writing, closes, reopens and notes at random."""
    rng = random.Random(seed)
    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    waiting: dict[int, list[tuple[int, int, str | None]]] = {}  # conv -> (outbox, event, before)
    next_box = [1000]
    keys: dict[int, list[str]] = {}

    def queue(s, cid: int, agent: str, close: bool) -> None:
        conv = core.lock_conversation(s, cid)
        who = core.find_agent(s, agent)
        box = next_box[0] = next_box[0] + 1
        before = conv.status
        data = {"outbox": box, "on_send": True}
        replied = core.record(s, conv, who, EventKind.REPLIED, data, at=t)
        if close:
            triage.set_status(s, agent, cid, Status.CLOSED, at=t, cause="reply", outbox=box)
        if rng.random() < 0.3:
            core.record(s, conv, who, EventKind.ARTICLE_SENT, {"slug": "a", "outbox": box}, at=t)
        s.flush()
        waiting.setdefault(cid, []).append((box, replied.id, before if close else None))

    def settle(s, cid: int) -> None:
        box, replied, before = waiting[cid].pop(rng.randrange(len(waiting[cid])))
        conv = core.lock_conversation(s, cid)
        if rng.random() < 0.7:
            core.record(s, conv, None, EventKind.SENT, {"outbox": box}, at=t)
            return
        data = {"outbox": box, "replied_event": replied}
        core.record(s, conv, core.find_agent(s, "sam"), EventKind.REPLY_CANCELLED, data, at=t)
        if before and before != conv.status:
            triage.set_status(s, "sam", cid, Status(before), at=t, cause="undo send")

    store.run(lambda s: [triage.ensure_agent(s, a) for a in ("sam", "ann")])
    for i in range(steps):
        t += timedelta(minutes=rng.randint(1, 200))
        ids = list(keys)
        roll = rng.random()
        if not ids or roll < 0.15:
            key = f"n{i}-1"
            cid = store.run(lambda s, key=key, t=t: customer(s, key, t))
            keys[cid] = [key]
            continue
        cid = rng.choice(ids)
        agent = rng.choice(["sam", "ann"])
        if roll < 0.4:
            store.run(queue, cid, agent, rng.random() < 0.5)
        elif roll < 0.6 and waiting.get(cid):
            store.run(settle, cid)
        elif roll < 0.72:
            key = f"n{i}-2"
            store.run(lambda s, k=key, c=cid, t=t: customer(s, k, t, refs=(keys[c][-1],)))
            keys[cid].append(key)
        elif roll < 0.82:
            store.run(lambda s, c=cid, a=agent, t=t: triage.close(s, a, c, at=t))
        elif roll < 0.9:
            store.run(lambda s, c=cid, a=agent, t=t: triage.set_status(s, a, c, Status.OPEN, at=t))
        else:
            store.run(lambda s, c=cid, a=agent, t=t: triage.add_note(s, a, c, "n", at=t))


def test_random_outbox_histories_agree_with_the_replay_and_a_rebuild(store):
    for seed in (3, 11):
        outbox_history(store, seed)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    agreed(store, t0 + timedelta(days=2), t0 + timedelta(days=5))  # a period in the middle
    full = agreed(store, t0, t0 + timedelta(days=60))
    with store.read() as s:
        kinds = dict(s.execute(text("SELECT kind, count(*) FROM event GROUP BY kind")).all())
    # The histories exercised what they claim: replies gone, taken back, and closes.
    assert kinds["sent"] > 10 and kinds["reply_cancelled"] > 3
    assert full.team.replies_sent > 10 and full.team.close_events > 5


def test_the_response_targets_and_the_previous_agent_wait_for_the_reply_to_go(smtp_server, store):
    """The same class outside the aggregates: the breaches report judged a reply still
    waiting in the outbox (at its queue time), and "the agent who last helped this
    customer" named someone whose reply had not gone (or a forward to someone else)."""
    from inbox_tui.services import continuity, forward, sla

    cfg = config(smtp_server.settings())
    start = utcnow()
    wrote = start - timedelta(hours=1)
    later = start + timedelta(hours=3)
    policy = sla.SlaPolicy.from_config({"first_response": "2h"})

    def setup(s):
        for name in ("sam", "ann"):
            triage.ensure_agent(s, name)
        return customer(s, "k-1", wrote), customer(s, "k-2", wrote)  # one customer, twice

    first, second = store.run(setup)
    store.run(replies.queue_reply, "sam", first, "Tomorrow.", config=cfg, send_at=later)
    store.run(forward.queue_forward, "ann", first, ["eng@example.org"], config=cfg)
    window = (start - timedelta(days=1), start + timedelta(days=1))

    def judged():
        with store.read() as s:
            report = sla.breach_report(s, policy, *window, start)
            return report.responses, report.breached, continuity.previous_agent(s, second)

    assert judged() == (0, 0, None)  # nothing has reached the customer

    def flush(at: datetime) -> int:
        return asyncio.run(flush_outbox(store, cfg, clock=lambda: at)).sent

    assert flush(start + timedelta(minutes=1)) == 1  # the forward went, to engineering
    assert judged() == (0, 0, None)
    went = later + timedelta(seconds=1)
    assert flush(went) == 1
    # Judged at its send time: 4 h 1 s after the mail, against a 2 h target: late.
    assert judged() == (1, 1, "sam")
    with store.read() as s:
        sent = compute_report(s, *window).team.replies_sent
    assert sent == 1


def test_an_article_in_a_reply_taken_back_was_not_needed_next(smtp_server, store):
    """ "Customers often need next" reads the articles sent to the same customer in order:
    one inserted in a reply that was taken back never reached them; one in a reply that
    went counts from its send time."""
    from inbox_tui.models import Article
    from inbox_tui.services.article_picks import next_articles, record_article_sent
    from inbox_tui.services.compose import send_reply

    cfg = config(smtp_server.settings())
    cfg.mail.undo_seconds = 10
    start = utcnow()

    def setup(s):
        triage.ensure_agent(s, "sam")
        arts = [Article(slug=f"a{i}", title=f"Article {i}", body="Do this.") for i in range(3)]
        s.add_all(arts)
        s.flush()
        convs = [customer(s, f"m-{i}", start - timedelta(hours=3 - i)) for i in range(3)]
        return [a.id for a in arts], convs

    (first, back, kept), (c1, c2, c3) = store.run(setup)
    store.run(record_article_sent, "sam", c1, first)
    store.run(lambda s: send_reply(s, "sam", c2, "See this.", config=cfg, article_id=back))
    store.run(undo_send.take_back, "sam", c2)
    store.run(lambda s: send_reply(s, "sam", c3, "See that.", config=cfg, article_id=kept))

    def needed_next() -> list[int]:
        with store.read() as s:
            return [a.id for a in next_articles(s, first, 3) if a.reason == "often needed next"]

    assert needed_next() == []  # one taken back, one not gone yet
    went = start + timedelta(seconds=30)
    assert asyncio.run(flush_outbox(store, cfg, clock=lambda: went)).sent == 1
    assert needed_next() == [kept]


def test_outbox_flush_on_the_demo_says_what_it_recorded():
    """`outbox flush` on the demo recorded 18 replies and said "0 sent, 0 to retry, 0
    failed." (found checking the acceptance walk by CLI)."""
    from inbox_tui.commands.outbox import flush_sentence
    from inbox_tui.services.outbox import FlushReport

    assert flush_sentence(FlushReport(logged=18)) == (
        "18 recorded (the demo inbox sends nothing), 0 sent, 0 to retry, 0 failed."
    )
    assert flush_sentence(FlushReport(sent=2, failed=1, last_error="550 no")) == (
        "2 sent, 0 to retry, 1 failed. Last error: 550 no"
    )


def test_replies_going_out_do_not_crowd_out_the_undo_key(store):
    """The ``sent`` event is the sender's, not the agent's: were it the agent's, each
    reply that went would be one more batch the undo key looks back through (50), and a
    close made before a bug's 51 follow-ups went could no longer be undone."""
    from inbox_tui.config import AgentIdentity, Config
    from inbox_tui.services import undo

    cfg = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam"), demo=True)
    cfg.mail.undo_seconds = 1
    start = utcnow()

    def setup(s):
        triage.ensure_agent(s, "sam")
        a = customer(s, "p-1", start - timedelta(hours=1))
        for _ in range(51):
            replies.queue_reply(s, "sam", a, "One more thing.", config=cfg)
        return customer(s, "q-1", start - timedelta(hours=1))

    b = store.run(setup)
    store.run(triage.close, "sam", b)
    went = utcnow() + timedelta(seconds=2)
    logged = sum(asyncio.run(flush_outbox(store, cfg, clock=lambda: went)).logged for _ in range(2))
    assert logged == 51
    done = store.run(undo.undo_last, "sam")
    assert [cid for cid, _ in done.conversations] == [b]
    with store.read() as s:
        assert (
            s.execute(text("SELECT status FROM conversation WHERE id = :b"), {"b": b}).scalar()
            == "open"
        )


def test_a_scheduled_reply_merged_into_another_conversation_still_waits(smtp_server, store):
    """A merge moves the reply's message, its event and its outbox row: the reply still
    has not gone, for the targets, "who last helped" and the stats; when it goes, it
    counts in the conversation it was merged into (its ``sent`` event goes there too)."""
    from inbox_tui.services import continuity, merge, sla

    cfg = config(smtp_server.settings())
    start = utcnow()
    later = start + timedelta(hours=3)
    policy = sla.SlaPolicy.from_config({"first_response": "8h"})

    def setup(s):
        triage.ensure_agent(s, "sam")
        return [customer(s, f"r-{i}", start - timedelta(hours=1)) for i in range(3)]

    a, b, other = store.run(setup)
    store.run(replies.queue_reply, "sam", a, "Tomorrow.", config=cfg, send_at=later)
    store.run(merge.merge, "sam", a, b)
    window = (start - timedelta(days=1), start + timedelta(days=1))

    def seen():
        with store.read() as s:
            judged = sla.breach_report(s, policy, *window, start).responses
            return judged, continuity.previous_agent(s, other), first_response_us(store, b)

    assert seen() == (0, None, None)
    went = later + timedelta(seconds=1)
    assert asyncio.run(flush_outbox(store, cfg, clock=lambda: went)).sent == 1
    assert seen() == (1, "sam", to_us(went))
    assert agreed(store, *window).team.replies_sent == 1


def test_outbox_list_says_when_a_scheduled_reply_goes(smtp_server, store, tmp_path, capsys):
    """`outbox list` said "sends in 10800 s" for a reply scheduled 3 h ahead (and "sends"
    in the demo, which sends nothing): a time on the agent's clock past two minutes."""
    from inbox_tui import cli

    cfg = config(smtp_server.settings())
    start = utcnow()
    later = (start + timedelta(hours=3)).replace(second=0, microsecond=0)
    cid = store.run(lambda s: customer(s, "s-1", start - timedelta(hours=1)))
    oid = store.run(replies.queue_reply, "sam", cid, "Tomorrow.", config=cfg, send_at=later)
    path = tmp_path / "agent.toml"
    path.write_text('[agent]\nusername = "sam"\ntimezone = "Asia/Tokyo"\n')
    assert cli.main(["--config", str(path), "--db", store.url, "outbox", "list"]) == 0
    tokyo = later.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"goes out at {tokyo:%a %d %b %H:%M} JST (outbox cancel {oid} takes it back)" in (
        capsys.readouterr().out
    )
