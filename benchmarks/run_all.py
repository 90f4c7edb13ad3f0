"""Every benchmark in one go (``make bench``): builds the large store and Maildir first
when they are missing, then runs each script; results go to benchmarks/out/results.jsonl.

    python -m benchmarks.run_all [--db /tmp/big.db] [--maildir /tmp/big-md]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ON_STORE = ["tui_latency", "tui_memory", "stats_report"]
ON_MAILDIR = ["import_and_search", "import_vs_notmuch", "imap_sync"]
ALONE = [
    "suggest_accuracy",
    "suggest_tags",
    "suggest_speed",
    "suggest_semantic_speed",
    "import_articles",
    "chat_split",
    "chat_import",
    "import_attachments",
    "cluster_accuracy",
    "incident_detection",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/big.db"))
    ap.add_argument("--maildir", type=Path, default=Path("/tmp/big-md"))
    args = ap.parse_args(argv)

    def run(module: str, *extra: str) -> None:
        print(f"== {module}", flush=True)
        subprocess.run([sys.executable, "-m", f"benchmarks.{module}", *extra], check=True)

    if not args.db.exists() or not args.maildir.exists():
        for leftover in (args.db, args.db.with_name(args.db.name + "-wal")):
            leftover.unlink(missing_ok=True)
        run(
            "generate", "--db", str(args.db), "--maildir", str(args.maildir),
            "--maildir-limit", "5000",
        )  # fmt: skip
    for module in ON_STORE:
        run(module, "--db", str(args.db))
    for module in ON_MAILDIR:
        run(module, "--maildir", str(args.maildir))
    for module in ALONE:
        run(module)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
