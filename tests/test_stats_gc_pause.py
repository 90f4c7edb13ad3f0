"""The stats report pauses the cyclic garbage collector while it reads (its full
collections walked the whole heap every few thousand fetched rows), and always gives it
back as it found it, whether reports overlap in threads or fail."""

from __future__ import annotations

import gc
import threading
from datetime import UTC, datetime

import pytest

from inbox_tui.services import stats
from inbox_tui.services.stats import compute_report
from inbox_tui.services.stats_figures import paused_gc

SINCE, UNTIL = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_report_runs_without_the_collector_and_turns_it_back_on(
    sqlite_store, collector_on, monkeypatch
):
    seen: list[bool] = []
    original = stats._compute

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(stats, "_compute", spy)
    with sqlite_store.read() as s:
        compute_report(s, SINCE, UNTIL)
    assert seen == [False, False]  # the period and the one before
    assert gc.isenabled()


def test_a_failing_report_turns_it_back_on(sqlite_store, collector_on, monkeypatch):
    def broken(*args, **kwargs):
        assert not gc.isenabled()
        raise RuntimeError("a query failed")

    monkeypatch.setattr(stats, "_compute", broken)
    with sqlite_store.read() as s, pytest.raises(RuntimeError):
        compute_report(s, SINCE, UNTIL)
    assert gc.isenabled()


def test_overlapping_reports_in_threads_leave_it_on_when_the_last_ends(collector_on):
    first_in, first_may_end = threading.Event(), threading.Event()
    during: list[bool] = []

    def first() -> None:
        with paused_gc():
            first_in.set()
            first_may_end.wait(5)
        during.append(gc.isenabled())  # the second report still runs

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(5)
    with paused_gc():
        first_may_end.set()
        t.join(5)
        assert during == [False]
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_program_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
