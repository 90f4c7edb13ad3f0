"""Initial and no-change IMAP sync of a real mailbox from a local Dovecot, against mbsync
(isync) syncing the same mailbox to a Maildir in the same run; plus our peak memory.

    python -m benchmarks.imap_sync --maildir /tmp/big-md     # messages to seed (benchmarks.generate --maildir)
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._util import report

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maildir", type=Path, required=True)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from inbox_tui.config import AgentIdentity, Config
    from inbox_tui.services.mailsync import sync
    from inbox_tui.store import Store, sqlite_url
    from tests.servers.dovecot import PASSWORD, USER, DovecotServer

    server = DovecotServer()
    try:
        target = server.maildir()
        n = 0
        for p in sorted(args.maildir.rglob("*")):
            if p.is_file() and p.parent.name in ("cur", "new"):
                target.add(p.read_bytes())
                n += 1
        server.start()
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            (t / "mb").mkdir()
            rc = t / "mbsyncrc"
            rc.write_text(
                f"IMAPAccount a\nHost 127.0.0.1\nPort {server.port}\nUser {USER}\nPass {PASSWORD}\nSSLType None\nAuthMechs LOGIN\n\n"
                f"IMAPStore remote\nAccount a\n\nMaildirStore local\nPath {t}/mb/\nInbox {t}/mb/INBOX\n\n"
                f"Channel c\nFar :remote:\nNear :local:\nPatterns INBOX\nSync Pull\nCreate Near\nSyncState *\n"
            )
            if not shutil.which("mbsync"):
                print("mbsync is not installed (apt-get install isync)", file=sys.stderr)
                return 1
            t0 = time.perf_counter()
            _mbsync(rc)
            mb_first = time.perf_counter() - t0
            t0 = time.perf_counter()
            _mbsync(rc)
            mb_again = time.perf_counter() - t0

            store = Store(sqlite_url(t / "ours.db"))
            cfg = Config(
                path=None,
                db_url=None,
                agent=AgentIdentity("b", "b"),
                accounts={"support": server.account()},
            )
            t0 = time.perf_counter()
            first = asyncio.run(sync(cfg, store))
            ours_first = time.perf_counter() - t0
            assert not first.errors and first.mailboxes[0].counts.read == n, first.as_dict()
            t0 = time.perf_counter()
            asyncio.run(sync(cfg, store))
            ours_again = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        report(
            f"initial IMAP sync of {n:,} messages",
            ours_first,
            mb_first,
            "mbsync to a Maildir",
            note="we also parse, thread and index",
        )
        report("no-change re-sync", ours_again, mb_again, "mbsync no-change run")
        print(f"peak memory of the benchmark process (ours): {peak} MB")
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
    return 0


def _mbsync(rc: Path) -> None:
    out = subprocess.run(["mbsync", "-c", str(rc), "-a"], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"mbsync failed: {out.stderr.strip()[-500:]}")


if __name__ == "__main__":
    raise SystemExit(main())
