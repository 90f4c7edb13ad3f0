"""Importing a Maildir and searching it, against notmuch on the same Maildir in the same
run: messages per second of ``inbox-tui import mail`` vs ``notmuch new``, and the time
of a search as you type (each prefix of the query) vs ``notmuch search`` of the same
query.

    python -m benchmarks.import_and_search --maildir /tmp/big-md     # from benchmarks.generate --maildir
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks._util import report

QUERIES = ["password reset", "github markdown", "partition", "install ubuntu"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maildir", type=Path, required=True)
    args = ap.parse_args(argv)
    from inbox_tui.services.conversations import list_conversations
    from inbox_tui.services.mailimport import import_mail
    from inbox_tui.services.search import parse_query
    from inbox_tui.store import Store, sqlite_url

    n = sum(1 for p in args.maildir.rglob("*") if p.is_file() and p.parent.name in ("cur", "new"))
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        nm_dir = t / "nm"
        shutil.copytree(args.maildir, nm_dir)
        cfg = t / "notmuch-config"
        cfg.write_text(
            f"[database]\npath={nm_dir}\n[user]\nname=b\nprimary_email=b@example.com\n[new]\ntags=unread;\n"
        )
        env = {"NOTMUCH_CONFIG": str(cfg), "HOME": tmp, "PATH": "/usr/bin:/bin"}
        t0 = time.perf_counter()
        subprocess.run(["notmuch", "new", "--quiet"], env=env, check=True, capture_output=True)
        nm_rate = n / (time.perf_counter() - t0)
        store = Store(sqlite_url(t / "ours.db"))
        t0 = time.perf_counter()
        import_mail(store, [args.maildir])
        our_rate = n / (time.perf_counter() - t0)
        report(
            f"import {n:,} messages (messages/s)",
            our_rate,
            nm_rate,
            "notmuch new",
            unit="msg/s",
            lower_is_better=False,
        )

        ours_times, nm_times = [], []
        with store.read() as s:
            for q in QUERIES:
                for i in range(3, len(q) + 1):
                    prefix = q[:i]
                    t0 = time.perf_counter()
                    list_conversations(s, parse_query(prefix, "me"), limit=50)
                    ours_times.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    subprocess.run(
                        ["notmuch", "search", "--limit=50", *prefix.split()],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                    nm_times.append(time.perf_counter() - t0)
        ours_times.sort()
        nm_times.sort()
        for q, label in ((0.5, "p50"), (0.95, "p95")):
            report(
                f"search as you type {label} ({n:,} messages)",
                ours_times[int(q * (len(ours_times) - 1))] * 1000,
                nm_times[int(q * (len(nm_times) - 1))] * 1000,
                "notmuch search, same prefixes",
                unit="ms",
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
