"""Feature-request grouping from the scores kept at tag time (``store/subject_keys.py``).

The report groups feature requests by reading the similarity of subject pairs kept when
conversations were tagged; the groups must be exactly those of the definition (the
replay in ``tests/stats_replay.py`` compares subjects with rapidfuzz), for any period, and
the report must not compare subjects itself once the keys are kept.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, text

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.sanitize import base_subject
from inbox_tui.services import feature_groups, triage
from inbox_tui.services.stats import compute_report
from inbox_tui.store import Store, subject_keys
from tests.stats_replay import replay_report

START = datetime(2026, 3, 2, tzinfo=UTC)
# Near-duplicate words, so many subjects match a group below the top score and the
# group a subject joins depends on which groups the period founded before it.
WORDS = ["export", "exports", "csv", "dark", "darker", "mode", "api", "keys", "slow"]
WORDS += ["board", "boards", "sync", "calendar"]


def _subject(rng: random.Random) -> str:
    text_ = " ".join(rng.sample(WORDS, rng.randint(2, 3)))
    return rng.choice(["", "Re: ", "Fwd: "]) + rng.choice([text_, text_.title()])


def test_kept_scores_group_exactly_as_comparing():
    """Pure: the grouping from kept scores equals the one comparing subjects, over
    random subsets (periods) in which different groups get founded first."""
    rng = random.Random(3)
    convs = [
        SimpleNamespace(
            id=i,
            subject=_subject(rng),
            tags={"feature request"} if rng.random() < 0.85 else {"bug"},
        )
        for i in range(1, 500)
    ]
    keys = sorted({base_subject(c.subject) for c in convs})
    similar: dict[str, dict[str, float]] = {k: {} for k in keys}
    for j, key in enumerate(keys):  # each pair scored once, one way, as keep() does
        for i, score in subject_keys.scores(key, keys[:j]):
            similar[key][keys[i]] = similar[keys[i]][key] = score
    groupings = set()
    for trial in range(30):
        part = [c for c in convs if trial == 0 or rng.random() < 0.4]
        plain = feature_groups.feature_requests(part)
        assert feature_groups.feature_requests(part, match=feature_groups.from_scores(similar)) == (
            plain
        )
        groupings.add(json.dumps([g["conversations"][0] for g in plain]))
    assert len(groupings) > 20  # the periods really founded different groups


def _history(store, seed: int = 11, n: int = 120) -> None:
    """Conversations with near-duplicate subjects, tagged and untagged over time."""
    rng = random.Random(seed)
    with store.write() as s:
        triage.ensure_agent(s, "ann")
    clock = START
    ids: list[int] = []
    for k in range(n):
        clock += timedelta(hours=rng.randint(1, 20))

        def step(s, k=k, clock=clock):
            result = Ingestor(s).add(
                IncomingMessage(
                    source="t",
                    external_id=f"m{k}",
                    message_id=f"<m{k}@fr.example>",
                    subject=_subject(rng),
                    author_email=f"c{k}@c.example",
                    author_name="Customer",
                    sent_at=clock,
                    body="please",
                )
            )
            ids.append(result.conversation_id)
            if rng.random() < 0.8:
                triage.tag(s, "ann", result.conversation_id, "feature request", at=clock)
            if ids and rng.random() < 0.1:
                conv = rng.choice(ids)
                triage.untag(s, "ann", conv, "feature request", at=clock)

        store.run(step)


def _cases() -> list[dict[str, datetime]]:
    return [
        dict(since=START, until=START + timedelta(days=200)),
        dict(since=START + timedelta(days=9), until=START + timedelta(days=30)),
        dict(since=START + timedelta(days=25), until=START + timedelta(days=50)),
        dict(since=START + timedelta(days=40, hours=3), until=START + timedelta(days=90)),
    ]


def _tagged_keys(s) -> set[str]:
    """The keys of the subjects of the conversations tagged 'feature request' now."""
    rows = s.execute(
        text(
            "SELECT c.subject, sc.tags FROM conversation c "
            "JOIN stat_conversation sc ON sc.conversation_id = c.id"
        )
    )
    return {base_subject(subj) for subj, tags in rows if "feature request" in json.loads(tags)}


def test_tagging_keeps_keys_and_the_report_reads_them(store, monkeypatch):
    _history(store)
    with store.read() as s:
        kept = {k for (k,) in s.execute(text("SELECT key FROM subject_key"))}
        tagged = _tagged_keys(s)
        pairs = s.execute(text("SELECT count(*) FROM subject_pair")).scalar()
    assert tagged and tagged <= kept  # every tagged subject's key was kept at tag time
    assert pairs and pairs > len(kept)

    with store.read() as s:
        expected = [replay_report(s, **case).as_dict() for case in _cases()]

    def no_comparing(*args, **kwargs):
        raise AssertionError("the report compared subjects")

    monkeypatch.setattr(subject_keys, "scores", no_comparing)
    monkeypatch.setattr(feature_groups, "compare_now", no_comparing)
    periods = set()
    with store.read() as s:
        for case, want in zip(_cases(), expected, strict=True):
            got = compute_report(s, **case).as_dict()
            assert got["feature_requests"] == want["feature_requests"], case
            assert got == want, case
            periods.add(json.dumps(got["feature_requests"]))
    assert len(periods) == len(_cases())
    assert all(json.loads(p) for p in periods)


def test_a_store_without_kept_keys_groups_the_same(sqlite_store):
    """Keys missing (a store from before them, or removed): compared at report time."""
    _history(sqlite_store, seed=5, n=60)
    case = _cases()[0]
    with sqlite_store.read() as s:
        before = compute_report(s, **case).as_dict()
    with sqlite_store.write() as s:
        # Half the keys not kept (with their pairs): the rest keep their scores.
        s.execute(text("DELETE FROM subject_pair WHERE key_id % 2 = 0 OR other_id % 2 = 0"))
        s.execute(text("DELETE FROM subject_key WHERE id % 2 = 0"))
    with sqlite_store.read() as s:
        assert compute_report(s, **case).as_dict() == before
        assert replay_report(s, **case).as_dict() == before
        assert before["feature_requests"]


PERIOD = ("--since", "2026-03-02", "--until", "2026-09-01")


def _stats_json(store) -> str:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "inbox_tui",
            "--db",
            store.url,
            "stats",
            "--format",
            "json",
            *PERIOD,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_rebuild_stats_keeps_missing_keys_and_gives_the_same_json(sqlite_store):
    _history(sqlite_store, seed=8, n=50)
    before = _stats_json(sqlite_store)
    assert json.loads(before)["feature_requests"]
    with sqlite_store.write() as s:
        s.execute(text("DELETE FROM subject_pair"))
        s.execute(text("DELETE FROM subject_key"))
    subprocess.run(
        [sys.executable, "-m", "inbox_tui", "--db", sqlite_store.url, "admin", "rebuild-stats"],
        check=True,
        capture_output=True,
    )
    with sqlite_store.read() as s:
        kept = {k for (k,) in s.execute(text("SELECT key FROM subject_key"))}
        assert kept == _tagged_keys(s)
    assert _stats_json(sqlite_store) == before


@pytest.mark.parametrize("n", [1, 3])
def test_keep_compares_new_keys_with_each_other_and_the_kept(sqlite_store, n):
    subjects = ["dark mode", "Re: dark mode please", "darker mode", "csv export"][: n + 1]
    with sqlite_store.write() as s:
        subject_keys.keep(s, subjects[:1])
        assert subject_keys.keep(s, subjects) == n
        assert subject_keys.keep(s, subjects) == 0
        similar = subject_keys.neighbours(s, [base_subject(x) for x in subjects])
    keys = [base_subject(x) for x in subjects]
    for a in keys:
        for b in keys:
            if a != b:
                score = feature_groups.compare_now(a, [b], 0, subject_keys.THRESHOLD)
                assert similar[a].get(b) == (None if score is None else score[1]), (a, b)


_PAIRS = text(
    "SELECT k.key, o.key, p.score FROM subject_pair p "
    "JOIN subject_key k ON k.id = p.key_id JOIN subject_key o ON o.id = p.other_id"
)


def test_migration_keeps_the_keys_of_conversations_tagged_before_it(store):
    """A store from before 0024: its feature requests' keys and scores are backfilled
    (down then up again, with the same history), and the report reads them."""
    _history(store, seed=2, n=40)
    with store.read() as s:
        pairs = set(s.execute(_PAIRS).all())
        report = compute_report(s, **_cases()[0]).as_dict()
    store.downgrade("0022")
    assert not inspect(store.engine).has_table("subject_key")
    store.migrate()
    with store.read() as s:
        assert {k for (k,) in s.execute(text("SELECT key FROM subject_key"))} == _tagged_keys(s)
        again = set(s.execute(_PAIRS).all())
        assert compute_report(s, **_cases()[0]).as_dict() == report
    # Only the subjects tagged now are kept again (an untagged one's pairs are not).
    assert again and again <= pairs


def test_two_writers_adding_keys_at_once_see_each_other(postgres_url_factory, monkeypatch):
    """PostgreSQL: two transactions tag conversations with new, similar subjects at the
    same moment. Each found its key missing before the other committed; the second to
    add must still compare with the first's key, or their pair is lost for good."""
    store = Store(postgres_url_factory())
    subjects = ["dark mode for the board", "dark mode for boards"]
    ids = [
        store.run(
            lambda s, k=k, subj=subj: (
                Ingestor(s)
                .add(
                    IncomingMessage(
                        source="t",
                        external_id=f"r{k}",
                        message_id=f"<r{k}@fr.example>",
                        subject=subj,
                        author_email=f"r{k}@c.example",
                        author_name="Customer",
                        sent_at=START,
                        body="please",
                    )
                )
                .conversation_id
            )
        )
        for k, subj in enumerate(subjects)
    ]
    store.run(triage.ensure_agent, "ann")
    store.run(triage.ensure_tag, "feature request")  # else the second waits on its insert
    barrier = threading.Barrier(2, timeout=20)
    checked = threading.local()
    real = subject_keys._missing

    def missing_then_wait(conn, wanted):
        out = real(conn, wanted)
        if not getattr(checked, "once", False):  # both have looked before either adds
            checked.once = True
            barrier.wait()
        return out

    monkeypatch.setattr(subject_keys, "_missing", missing_then_wait)
    errors: list[BaseException] = []

    def tag(conv_id: int) -> None:
        try:
            store.run(lambda s: triage.tag(s, "ann", conv_id, "feature request"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=tag, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    keys = [base_subject(x) for x in subjects]
    with store.read() as s:
        similar = subject_keys.neighbours(s, keys)
        kept = s.execute(text("SELECT count(*) FROM subject_key")).scalar()
    store.close()
    expected = feature_groups.compare_now(keys[0], [keys[1]], 0, subject_keys.THRESHOLD)
    assert expected is not None and kept == 2
    assert similar[keys[0]] == {keys[1]: expected[1]}
