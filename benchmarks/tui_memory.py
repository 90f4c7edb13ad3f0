"""Peak memory of the TUI with a large store open and scrolled end to end, minus a bare
Textual app's (a 200-row DataTable scrolled the same way), each in its own process.

    python -m benchmarks.tui_memory --db /tmp/big.db          # a store from benchmarks.generate

"Scrolled end to end" visits the whole list: the cursor jumps through it in 200 steps
(every region's page is fetched, as a user holding PageDown would cause, without the
thousands of frames), then PageDown and G/g; the list keeps at most MAX_PAGES pages.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from benchmarks._util import report

SCROLL = """
import asyncio, resource, sys

async def scroll(app, jump):
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await jump(app, pilot)
        for key in ["pagedown"] * 20 + ["G", "g"]:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

BARE = (
    SCROLL
    + """
from textual.widgets import DataTable
from benchmarks.bare_app import Bare

async def jump(app, pilot):
    t = app.query_one(DataTable)
    for i in range(0, 200, 1):
        t.move_cursor(row=i)
    await pilot.pause()

asyncio.run(scroll(Bare(), jump))
print(f"PEAK {peak_mb():.1f}")
"""
)

OURS = (
    SCROLL
    + """
from inbox_tui.config import AgentIdentity, Config
from inbox_tui.store import Store
from inbox_tui.tui.app import InboxApp

url = sys.argv[1]
app = InboxApp(Store(url), Config(path=None, db_url=url, agent=AgentIdentity("sam", "Sam")),
               "sam", poll_seconds=3600)

async def jump(app, pilot):
    app.main.view = "all"  # every conversation, closed ones included
    app.main.reload()
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
    total = app.main.conv_list.total
    step = max(1, total // 200)
    for i in range(0, total, step):
        app.main.conv_list.cursor = i
        await app.workers.wait_for_complete()
        await pilot.pause()
    print(f"ROWS {total}")

asyncio.run(scroll(app, jump))
print(f"PEAK {peak_mb():.1f}")
"""
)


def peak(code: str, *args: str) -> tuple[float, str]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    ).stdout
    mb = next(float(line.split()[1]) for line in out.splitlines() if line.startswith("PEAK "))
    return mb, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    args = ap.parse_args(argv)
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    bare, _ = peak(BARE)
    ours, out = peak(OURS, url)
    rows = next((line.split()[1] for line in out.splitlines() if line.startswith("ROWS ")), "?")
    report(
        f"TUI peak RSS, {rows} conversations scrolled end to end (MB)",
        ours,
        bare,
        "bare Textual app, 200-row DataTable",
        unit="MB",
        note=f"difference {ours - bare:.0f} MB (goal: under 100 MB)",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
