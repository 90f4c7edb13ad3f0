"""``inbox-tui import mail`` of a Maildir against ``notmuch new`` indexing the same
Maildir, as separate processes in turn (ours, notmuch, ours, ...), each into an empty
store or notmuch database: messages per second, the ratio taken pair by pair, medians;
with each side's peak memory (the largest single process: ours includes its parse
workers).

    python -m benchmarks.import_vs_notmuch --maildir DIR [--runs 5] [--before CHECKOUT]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks._util import report
from benchmarks.imap_sync import CPU, run
from benchmarks.import_and_search import notmuch_env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maildir", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--before", type=Path, help="another checkout (e.g. the previous version) to time too"
    )
    args = ap.parse_args(argv)
    if not shutil.which("notmuch"):
        print("notmuch is not installed (apt-get install notmuch)", file=sys.stderr)
        return 1
    n = sum(1 for p in args.maildir.rglob("*") if p.is_file() and p.parent.name in ("cur", "new"))
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        nm = t / "nm"
        shutil.copytree(args.maildir, nm)
        env = notmuch_env(nm, t)
        (t / "trash").mkdir()

        def ours(db: str) -> list[str]:
            return [
                "sh",
                "-c",
                f"mv {t}/{db}.db {t}/trash/{db}.$$.db 2>/dev/null; rm -f {t}/{db}.db-*; "
                f"exec {sys.executable} -m inbox_tui --db sqlite:///{t}/{db}.db "
                f"import mail {args.maildir.resolve()}",
            ]

        notmuch = [
            "sh",
            "-c",
            f"mv {nm}/.notmuch {t}/trash/nm.$$ 2>/dev/null; "
            f"NOTMUCH_CONFIG={env['NOTMUCH_CONFIG']} HOME={t} exec notmuch new --quiet",
        ]
        rows = []
        for _ in range(args.runs):
            a, a_peak = run(ours("ours"))
            b, b_peak = run(notmuch)
            line = f"  ours {a:.2f} s, cpu {CPU[-2]:.1f} s ({a_peak // 1024} MiB), notmuch "
            line += f"{b:.2f} s, cpu {CPU[-1]:.1f} s ({b_peak // 1024} MiB)"
            line += f", msgs/s ratio {b / a:.2f}"
            c = c_peak = 0
            if args.before:
                c, c_peak = run(ours("before"), cwd=args.before)
                line += f"; before {c:.2f} s, cpu {CPU[-1]:.1f} s ({c_peak // 1024} MiB), "
                line += f"ratio {b / c:.2f}"
            rows.append((a, b, c, a_peak, b_peak, c_peak))
            print(line, flush=True)
    med = statistics.median
    report(
        f"import {n:,} messages as a Maildir, messages/s (median of {len(rows)} pairs)",
        n / med(r[0] for r in rows),
        n / med(r[1] for r in rows),
        "notmuch new",
        unit="msg/s",
        lower_is_better=False,
        note=f"median of pairwise ratios {med(r[1] / r[0] for r in rows):.2f}; peak "
        f"{med(r[3] for r in rows) // 1024} MiB, notmuch {med(r[4] for r in rows) // 1024} MiB",
    )
    if args.before:
        report(
            f"import {n:,} messages, {args.before} (median of {len(rows)})",
            n / med(r[2] for r in rows),
            n / med(r[1] for r in rows),
            "notmuch new",
            unit="msg/s",
            lower_is_better=False,
            note=f"median of pairwise ratios {med(r[1] / r[2] for r in rows):.2f}; peak "
            f"{med(r[5] for r in rows) // 1024} MiB",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
