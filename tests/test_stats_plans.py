"""The stats report's reads on SQLite are index range scans that need nothing else
(migration 0026): no lookup into ``stat_event`` or ``stat_conversation``, and no
temporary B-tree to group the events. Speed is measured in benchmarks/stats_report.py;
this checks the plans that make it. (PostgreSQL plans by its statistics, so a plan on
a test's near-empty tables says nothing about a large store's.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox_tui.services.stats_queries import (
    CONVERSATIONS,
    FIRST_MESSAGES,
    events_query,
    period_params,
)

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
PARAMS = {**period_params(UNTIL - timedelta(days=30), UNTIL), "a0": 1, "a1": 2}


def plan(store, sql: str) -> list[str]:
    with store.read() as s:
        rows = s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, PARAMS).all()
    return [str(r[3]) for r in rows]


def test_the_events_of_a_period_are_read_and_grouped_from_one_index(sqlite_store):
    found = plan(sqlite_store, events_query(False, 2))
    assert found == [
        "SEARCH stat_event USING COVERING INDEX ix_stat_event_kind_agent_t "
        "(kind=? AND agent_id=? AND t_us>? AND t_us<?)"
    ], found


@pytest.mark.parametrize("sql", [CONVERSATIONS, FIRST_MESSAGES])
def test_the_conversations_of_a_period_are_read_from_covering_indexes(sqlite_store, sql):
    found = plan(sqlite_store, sql)
    scans = [line for line in found if "stat_conversation" in line]
    expected = 2 if sql is CONVERSATIONS else 1
    assert len(scans) == expected and all("COVERING INDEX" in x for x in scans), found
    assert "ix_stat_conversation_first_cover" in scans[0], found
