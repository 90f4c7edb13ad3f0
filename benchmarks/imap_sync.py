"""Initial and no-change IMAP sync of a real mailbox from a local Dovecot, against mbsync
(isync) syncing the same mailbox to a Maildir, in the same run; with each side's peak
memory (the largest single process: ours includes its parse workers).

Both sides run as their own processes, in turn (ours, mbsync, ours, mbsync, ...), each
initial run into an empty store or Maildir; the ratio is taken pair by pair and the
median reported, so a machine whose speed drifts during the run still compares like
with like.

    python -m benchmarks.imap_sync --maildir /tmp/big-md [--runs 5]
    python -m benchmarks.imap_sync --maildir DIR --serve    # leave Dovecot running and
        # print the two commands, to time them with another harness
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._util import report

ROOT = Path(__file__).resolve().parent.parent


def seed(server, maildir: Path) -> int:  # type: ignore[no-untyped-def]
    target = server.maildir()
    n = 0
    for p in sorted(maildir.rglob("*")):
        if p.is_file() and p.parent.name in ("cur", "new"):
            target.add(p.read_bytes())
            n += 1
    return n


def commands(
    t: Path, port: int, user: str, password: str, db: str = "ours"
) -> tuple[list[str], list[str]]:
    """(ours, mbsync): each starts from nothing (the previous run's store or Maildir is
    moved aside first, which costs no time whatever its size)."""
    (t / "mbsyncrc").write_text(
        f"IMAPAccount a\nHost 127.0.0.1\nPort {port}\nUser {user}\nPass {password}\n"
        "SSLType None\nAuthMechs LOGIN\n\n"
        f"IMAPStore remote\nAccount a\n\nMaildirStore local\nPath {t}/mb/\nInbox {t}/mb/INBOX\n\n"
        "Channel c\nFar :remote:\nNear :local:\nPatterns INBOX\nSync Pull\nCreate Near\n"
        "SyncState *\n"
    )
    (t / "config.toml").write_text(
        f'[accounts.support]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\n'
        f'username = "{user}"\npassword_env = "BENCH_IMAP_PW"\n'
    )
    trash = t / "trash"
    trash.mkdir(exist_ok=True)
    ours = [
        "sh",
        "-c",
        f"mv {t}/{db}.db {trash}/{db}.$$.db 2>/dev/null; rm -f {t}/{db}.db-*; "
        f"BENCH_IMAP_PW={password} exec {sys.executable} -m inbox_tui --config {t}/config.toml "
        f"--db sqlite:///{t}/{db}.db sync",
    ]
    mbsync = [
        "sh",
        "-c",
        f"mv {t}/mb {trash}/mb.$$ 2>/dev/null; mkdir {t}/mb; exec mbsync -c {t}/mbsyncrc -a",
    ]
    return ours, mbsync


CPU: list[float] = []  # CPU seconds (user + system, its workers included) of each run()


def run(cmd: list[str], cwd: Path = ROOT) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB of the largest process it waited for); its CPU
    seconds are appended to ``CPU`` (on a loaded machine the wall time says little)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy()
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status:
        raise SystemExit(f"{cmd[-1][-80:]} failed: {err.strip()[-500:]}")
    CPU.append(usage.ru_utime + usage.ru_stime)
    return wall, usage.ru_maxrss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maildir", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument(
        "--before", type=Path, help="another checkout (e.g. the previous version) to time too"
    )
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.servers.dovecot import PASSWORD, USER, DovecotServer

    if not shutil.which("mbsync"):
        print("mbsync is not installed (apt-get install isync)", file=sys.stderr)
        return 1
    server = DovecotServer()
    try:
        n = seed(server, args.maildir)
        server.start()
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            ours, mbsync = commands(t, server.port, USER, PASSWORD)
            if args.serve:
                print(f"{n} messages on 127.0.0.1:{server.port}\nours:   {ours}\nmbsync: {mbsync}")
                print("Ctrl-C or SIGTERM stops the server.", flush=True)
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                signal.signal(signal.SIGINT, signal.default_int_handler)
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    return 0
            pairs = []
            before: list[tuple[float, float, int]] = []
            old = commands(t, server.port, USER, PASSWORD, "before")[0]
            for _ in range(args.runs):
                a, a_peak = run(ours)
                b, b_peak = run(mbsync)
                pairs.append((a, b, a_peak, b_peak))
                line = f"  ours {a:.2f} s, cpu {CPU[-2]:.1f} s ({a_peak // 1024} MiB), mbsync "
                line += f"{b:.2f} s, cpu {CPU[-1]:.1f} s ({b_peak // 1024} MiB), ratio {a / b:.2f}"
                if args.before:
                    c, c_peak = run(old, cwd=args.before)
                    before.append((c, b, c_peak))
                    line += f"; before {c:.2f} s, cpu {CPU[-1]:.1f} s ({c_peak // 1024} MiB), "
                    line += f"ratio {c / b:.2f}"
                print(line, flush=True)
            again = run([ours[0], ours[1], ours[2].split("; ", 2)[-1]])[0]
            mb_again = run(["mbsync", "-c", f"{t}/mbsyncrc", "-a"])[0]
        ratio = statistics.median(a / b for a, b, _, _ in pairs)
        report(
            f"initial IMAP sync of {n:,} messages (median of {len(pairs)} pairs)",
            statistics.median(a for a, _, _, _ in pairs),
            statistics.median(b for _, b, _, _ in pairs),
            "mbsync to a Maildir",
            note=f"median of pairwise ratios {ratio:.2f}; we also parse, thread and index",
        )
        print(
            f"peak memory, median: ours {statistics.median(p for *_, p, _ in pairs) // 1024} MiB, "
            f"mbsync {statistics.median(p for *_, p in pairs) // 1024} MiB"
        )
        if before:
            report(
                f"initial IMAP sync of {n:,} messages, {args.before} (median of {len(before)})",
                statistics.median(c for c, _, _ in before),
                statistics.median(b for _, b, _ in before),
                "mbsync to a Maildir",
                note=f"median of pairwise ratios {statistics.median(c / b for c, b, _ in before):.2f}; "
                f"peak {statistics.median(p for *_, p in before) // 1024} MiB",
            )
        report("no-change re-sync", again, mb_again, "mbsync no-change run")
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
