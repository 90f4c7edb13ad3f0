"""Small helpers shared by the benchmark scripts: timing, subprocess peak memory, and
recording a result line the README table is made from."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_timed(
    cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB of the child) for one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        cmd,
        check=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(after, before) // 1024


def report(
    measure: str,
    ours: float,
    baseline: float,
    baseline_name: str,
    unit: str = "s",
    lower_is_better: bool = True,
    note: str = "",
) -> dict[str, object]:
    """Print one result line with its ratio and append it to benchmarks/out/results.jsonl."""
    ratio = ours / baseline if baseline else float("inf")
    row = {
        "measure": measure,
        "ours": round(ours, 4),
        "baseline": round(baseline, 4),
        "baseline_name": baseline_name,
        "unit": unit,
        "ratio": round(ratio, 3),
        "better": "lower" if lower_is_better else "higher",
        "date": date.today().isoformat(),
        "note": note,
    }
    print(
        f"{measure}: ours {ours:.4g} {unit}, {baseline_name} {baseline:.4g} {unit}, ratio {ratio:.2f} ({'lower' if lower_is_better else 'higher'} is better){' — ' + note if note else ''}"
    )
    OUT.mkdir(exist_ok=True)
    with (OUT / "results.jsonl").open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    sys.stdout.flush()
    return row
