"""The list's response-target column (#21): with [sla] set, each waiting conversation
shows its time left or overdue, with a sign readable without colour; without [sla] the
list is as before (the snapshots cover that)."""

from __future__ import annotations

from datetime import timedelta

from inbox_tui.services import sla
from inbox_tui.services.sla import SlaPolicy, Targets
from tests.tui.conftest import NOW, make_app
from tests.tui.test_triage_keys import current


async def test_waiting_rows_show_time_left_or_overdue(demo_store):
    policy = SlaPolicy(Targets(first=timedelta(hours=4), next=timedelta(hours=8)))
    with demo_store.read() as s:
        waiting = {d.conversation_id: d for d in sla.waiting(s, policy)}
    overdue = [c for c, d in waiting.items() if d.due_at is not None and d.due_at <= NOW]
    assert overdue  # the demo has customers waiting longer than 4 hours
    sla.configure(policy)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await current(pilot)
        lst = app.main.conv_list
        lines = {}
        for i in range(min(lst.total, 25)):
            row = lst.row_at(i)
            if row is not None:
                lines[row.id] = "".join(seg.text for seg in lst._segments(row, 120, lst.rich_style))
        shown = [c for c in lines if c in overdue]
        assert shown, "an overdue conversation is on the first page"
        for cid in shown:
            assert lines[cid][8] == "!", lines[cid]
        calm = [c for c in lines if c not in waiting]
        for cid in calm:
            assert lines[cid][8:13] == "     ", lines[cid]
