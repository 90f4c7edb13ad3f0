"""The TUI on a large store against a bare Textual app showing a 200-row DataTable:
start to first frame and to the first page (headless, separate processes, run in
turn) and key-to-frame latency (j, PageDown, G, opening a thread) measured with Pilot,
ours and the bare app alternating in blocks, in the same run.

    python -m benchmarks.tui_latency --db /tmp/big.db          # a store from benchmarks.generate
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks._util import report

BARE = """
from benchmarks.bare_app import Bare
Bare(exit_after_paint=True).run(headless=True, size=(120, 40))
"""

OURS = """
import sys
from inbox_tui.config import AgentIdentity, Config
from inbox_tui.tui.app import InboxApp

def open_store():
    from inbox_tui.store import Store
    return Store(sys.argv[1])

app = InboxApp(open_store, Config(path=None, db_url=sys.argv[1], agent=AgentIdentity("sam", "Sam")), "sam")
app.paint_stream = sys.stdout
if sys.argv[2] == "paint":
    app.exit_after_first_paint = True
else:
    app.exit_after_first_frame = True
app.run(headless=True, size=(120, 40))
"""


def start_once(code: str, *args: str) -> tuple[float, float]:
    """Seconds from launching the process to its first paint (the child prints the
    wall-clock time of its first refresh; shutdown is not counted), and the CPU seconds
    the child had used by then (all its threads): on a loaded shared machine the wall
    time swings 2x between identical runs, the CPU time hardly."""
    t0 = time.time()
    env = dict(os.environ)
    # An installed app runs from its bytecode cache; a session with this set recompiled
    # every module of ours at every start (Textual's own are compiled at install).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=env
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("PAINT "))
    fields = line.split()
    return float(fields[1]) - t0, float(fields[2])


def first_frames(
    runs: dict[str, tuple[str, ...]], repeat: int = 5
) -> dict[str, tuple[float, float]]:
    """Median start-to-paint (wall seconds, CPU seconds) of each named command, the
    commands run in turn (A B C A B C ...) so that a machine slowing down mid-run slows
    all of them alike."""
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "inbox_tui"), quiet=1)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, (code, *args) in runs.items():
            times[name].append(start_once(code, *args))
    return {
        name: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
        for name, values in times.items()
    }


async def key_latency(  # type: ignore[no-untyped-def]
    app,
    keys: list[str],
    rounds: int,
    out: dict[str, list[float]],
    view: str | None = None,
) -> None:
    """Append ``rounds`` key-to-quiet timings of each key to ``out`` (our app shows
    ``view`` first)."""
    for k in keys:
        out.setdefault(k, [])
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        if view is not None:
            app.main.view = view
            app.main.reload()
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
        for _ in range(rounds):
            for key in keys:
                t0 = time.perf_counter()
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
                out[key].append(time.perf_counter() - t0)
                if key == "enter":
                    await pilot.press("escape")
                if key == "G":
                    await pilot.press("g")
                    await app.workers.wait_for_complete()
                    await pilot.pause()


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q / 100 * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--blocks", type=int, default=4, help="key rounds alternate ours/bare in this many blocks"
    )
    ap.add_argument("--only", choices=["start", "keys"], help="run one half")
    args = ap.parse_args(argv)
    # The [semantic] extra embeds every tagged conversation without a vector in a thread
    # after the first frame (on a generated 100k store: many minutes of CPU), and an app
    # cannot exit before that thread ends: each run would wait for it, and it would
    # compete with what is timed. Set INBOX_TUI_SEMANTIC=1 to time it anyway.
    os.environ.setdefault("INBOX_TUI_SEMANTIC", "0")
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    if args.only != "keys":
        start(url, args.repeat)
    if args.only != "start":
        keys_and_thread(url, args.rounds, args.blocks)
    return 0


def start(url: str, repeat: int) -> None:
    load = os.getloadavg()[0]
    got = first_frames(
        {"bare": (BARE,), "paint": (OURS, url, "paint"), "data": (OURS, url, "data")}, repeat
    )
    load = f"load average {load:.1f}-{os.getloadavg()[0]:.1f}, median of {repeat}"
    (bare, bare_cpu), (paint, paint_cpu), (data, data_cpu) = got["bare"], got["paint"], got["data"]
    report(
        "start to first frame",
        paint,
        bare,
        "bare Textual app (200-row DataTable)",
        note=f"our layout painted; the store opens after it; {load}",
    )
    report(
        "start to first page of conversations",
        data,
        bare,
        "bare Textual app's first frame (200-row DataTable)",
        note=load,
    )
    report("CPU to first frame", paint_cpu, bare_cpu, "bare app's CPU to its first frame")
    report("CPU to first page", data_cpu, bare_cpu, "bare app's CPU to its first frame")


def keys_and_thread(url: str, rounds: int, blocks: int) -> None:
    from benchmarks.bare_app import Bare
    from inbox_tui.config import AgentIdentity, Config
    from inbox_tui.store import Store
    from inbox_tui.tui.app import InboxApp

    store = Store(url)
    # The Everything view, newest first: the generator gives its last conversation the
    # rest of the messages (900 on the 100k store) and the newest activity, so the
    # thread Enter opens (the first row) is the store's longest.
    view = "all"
    with store.read() as s:
        length = s.execute(
            text("SELECT message_count FROM conversation ORDER BY last_activity_at DESC, id DESC")
        ).first()[0]
    keys = ["j", "pagedown", "G"]
    ours_k: dict[str, list[float]] = {}
    bare_k: dict[str, list[float]] = {}
    blocks = max(1, min(blocks, rounds))
    per_block = max(1, rounds // blocks)
    for _ in range(blocks):  # ours and the bare app in turn, a fresh app each block
        app = InboxApp(
            store,
            Config(path=None, db_url=url, agent=AgentIdentity("sam", "Sam")),
            "sam",
            poll_seconds=3600,
        )
        asyncio.run(key_latency(app, [*keys, "enter"], per_block, ours_k, view))
        asyncio.run(key_latency(Bare(), keys, per_block, bare_k))
    for key in keys:
        for q in (50, 95):
            report(
                f"key {key} p{q}",
                p(ours_k[key], q) * 1000,
                p(bare_k[key], q) * 1000,
                "bare Textual app, same key",
                unit="ms",
            )
    for q in (50, 95):
        report(
            f"open a thread ({length} messages) p{q}",
            p(ours_k["enter"], q) * 1000,
            p(bare_k["j"], q) * 1000,
            "bare app's j",
            unit="ms",
        )


if __name__ == "__main__":
    raise SystemExit(main())
