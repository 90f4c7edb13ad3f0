"""#21: the list's overdue mark and the time left count as the response targets do: in
business hours when ``[business_hours]`` is set. Before, the targets were counted in
working time but the mark in wall-clock time, so a conversation one working hour late
on Monday morning said ``!2d`` after the weekend. Across a weekend, on SQLite and
PostgreSQL: the list's mark, the ``sla`` command's words and JSON, ``sla:due<…``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from inbox_tui.services import sla
from inbox_tui.services.conversations import ConversationFilter, list_conversations
from inbox_tui.tui.widgets.conversation_list import sla_marker
from tests.test_sla import add

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"}
POLICY = sla.SlaPolicy.from_config({"first_response": "4h", "at_risk": "1h"}, HOURS)


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def marks(store, now: datetime) -> dict[int, str]:
    sla.configure(POLICY)
    try:
        with store.read() as s:
            rows = list_conversations(s, ConversationFilter())
    finally:
        sla.configure(None)
    out = {}
    for row in rows:
        found = sla_marker(row, now)
        assert found is not None
        out[row.id] = found[0].strip()
    return out


def test_the_overdue_mark_counts_working_hours_across_a_weekend(store):
    # Thursday 19 November 10:00 in Berlin: due at 14:00 the same day (4 working hours).
    late = add(store, "late", berlin(19, 10))
    # Friday 20 November 15:00: 2 hours on Friday, 2 on Monday: due Monday 11:00.
    friday = add(store, "friday", berlin(20, 15))
    monday = berlin(23, 9, 30)  # Monday 09:30
    with store.read() as s:
        due = {d.conversation_id: d for d in sla.waiting(s, POLICY)}
    assert due[late].due_at == berlin(19, 14) and due[friday].due_at == berlin(23, 11)
    # Monday 09:30: 3 h on Thursday + 8 h on Friday + 0.5 h today late (the clock says
    # 3 days 19.5 hours); the Friday one has 1.5 working hours left (the clock: 1.5 h).
    assert due[late].left(monday) == -timedelta(hours=11, minutes=30)
    assert sla.describe(due[late], monday) == "overdue 11h 30m"
    assert due[late].as_dict(monday, POLICY)["seconds_left"] == -11.5 * 3600
    assert marks(store, monday) == {late: "!11h", friday: "1h"}
    # Saturday noon: the Friday one has 2 working hours left (46 by the clock), so it is
    # not at risk; at Monday 10:30 it is (30 minutes left).
    saturday = berlin(21, 12)
    assert due[friday].state(saturday, POLICY.at_risk) == sla.OK
    assert marks(store, saturday)[friday] == "2h"
    assert due[friday].state(berlin(23, 10, 30), POLICY.at_risk) == sla.AT_RISK
    assert marks(store, berlin(23, 10, 30))[friday] == "~30m"
    # sla:due<2h on Saturday (overdue ones included): the Friday one is due within 2
    # working hours, not within 1 (by the clock it is due in 46 hours: neither).
    with store.read() as s:
        due_2h = sla.matching_ids(s, POLICY, "due", saturday, timedelta(hours=2))
        assert sorted(due_2h) == sorted([late, friday])
        assert sla.matching_ids(s, POLICY, "due", saturday, timedelta(hours=1)) == [late]
        assert sla.matching_ids(s, POLICY, sla.BREACHED, saturday) == [late]


def test_without_business_hours_the_clock_counts(store):
    policy = sla.SlaPolicy.from_config({"first_response": "4h"})
    late = add(store, "late", berlin(19, 10))
    with store.read() as s:
        [d] = [d for d in sla.waiting(s, policy) if d.conversation_id == late]
    monday = berlin(23, 9, 30)
    assert d.left(monday) == -(monday - berlin(19, 14))
    assert sla.describe(d, monday) == "overdue 3d 19h"
