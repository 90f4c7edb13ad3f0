"""Chat import speed: a large IRC log built from the #ubuntu corpus (dates shifted so
every line is new), imported with ``import_chat``, in messages per second, against
``notmuch new`` indexing email messages in the same run (rate against rate; notmuch gets
``--mail`` messages, 20,000 by default, to keep the run short).

    python -m benchmarks.chat_import [--lines 100000] [--mail 20000]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks._util import report
from benchmarks.generate import CORPORA, write_maildir


def build_log(path: Path, lines: int) -> int:
    source = []
    for f in sorted((CORPORA / "chat" / "irc-ubuntu").glob("*.raw.txt")):
        source.extend(
            ln
            for ln in f.read_text(encoding="utf-8", errors="replace").splitlines()
            if ln.startswith("[")
        )
    written = 0
    day = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < lines:
            for ln in source:
                fh.write(f"{ln} ({day})\n")  # unique text per repetition
                written += 1
                if written >= lines:
                    break
            day += 1
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--mail", type=int, default=20_000)
    args = ap.parse_args(argv)
    from inbox_tui.services.chatimport import import_chat
    from inbox_tui.store import Store, sqlite_url

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        log = t / "2020-01-01.log"
        n = build_log(log, args.lines)
        store = Store(sqlite_url(t / "chat.db"))
        t0 = time.perf_counter()
        rep = import_chat(store, [log], fmt="irc")
        ours = rep.counts.imported / (time.perf_counter() - t0)
        md = t / "md"
        write_maildir(md, args.mail)
        cfg = t / "nmcfg"
        cfg.write_text(
            f"[database]\npath={md}\n[user]\nname=b\nprimary_email=b@example.com\n[new]\ntags=unread;\n"
        )
        t0 = time.perf_counter()
        subprocess.run(
            ["notmuch", "new", "--quiet"],
            env={"NOTMUCH_CONFIG": str(cfg), "HOME": tmp, "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
        )
        nm = args.mail / (time.perf_counter() - t0)
    report(
        f"chat import, {n:,}-line IRC log (messages/s)",
        ours,
        nm,
        f"notmuch new on {args.mail:,} emails",
        unit="msg/s",
        lower_is_better=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
