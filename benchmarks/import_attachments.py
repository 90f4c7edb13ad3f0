"""What keeping attachments costs an import: the same messages imported with and without
attachments, in one run on the same machine (rate against rate), and the storage each
attachment costs.

Each message of the "with" Maildir carries a file of its own (a ``--unique-kb`` log)
and, every ``--share-every``-th message, the team's 60 KB PDF that customers keep
re-sending (stored once: the blob table is content-addressed). The "without" Maildir has
the very same text and headers, no attachments.

    python -m benchmarks.import_attachments [--messages 2000] [--unique-kb 24] [--share-every 3]
"""

from __future__ import annotations

import argparse
import hashlib
import mailbox
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from benchmarks._util import report


def _file(seed: int, size: int) -> bytes:
    """Deterministic bytes that do not compress away (like a real PDF or image)."""
    out = bytearray()
    block = hashlib.sha256(str(seed).encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def build(folder: Path, messages: int, *, attach: bool, unique_kb: int, share_every: int) -> int:
    """Write the Maildir; returns the number of attachments in it."""
    md = mailbox.Maildir(str(folder), create=True)
    shared = b"%PDF-1.4\n" + _file(-1, 60 * 1024)
    attachments = 0
    for i in range(messages):
        msg = EmailMessage()
        msg["From"] = f"Customer {i % 97} <c{i % 97}@acme.example>"
        msg["To"] = "support@example.com"
        msg["Cc"] = f"boss{i % 7}@acme.example"
        msg["Subject"] = f"Export fails on invoice {i}"
        msg["Message-ID"] = f"<att-bench-{i}@acme.example>"
        msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
        msg.set_content(
            f"Hello,\n\nexporting invoice {i} fails with error E{i % 13}. "
            "The log is attached.\n\nThanks\n"
        )
        if attach:
            msg.add_attachment(
                _file(i, unique_kb * 1024),
                maintype="text",
                subtype="plain",
                filename=f"export-{i}.log",
            )
            attachments += 1
            if i % share_every == 0:
                msg.add_attachment(
                    shared, maintype="application", subtype="pdf", filename="Price list 2026.pdf"
                )
                attachments += 1
        md.add(msg.as_bytes())
    return attachments


def _import(folder: Path, db: Path) -> tuple[float, int]:
    from inbox_tui.services.mailimport import import_mail
    from inbox_tui.store import Store, sqlite_url

    store = Store(sqlite_url(db))
    store.migrate()
    t0 = time.perf_counter()
    rep = import_mail(store, [folder])
    elapsed = time.perf_counter() - t0
    store.close()
    return rep.counts.imported / elapsed, rep.counts.imported


def _db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--unique-kb", type=int, default=24)
    ap.add_argument("--share-every", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the median is kept")
    args = ap.parse_args(argv)
    import statistics

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        build(t / "plain", args.messages, attach=False, unique_kb=0, share_every=1)
        n_att = build(
            t / "with",
            args.messages,
            attach=True,
            unique_kb=args.unique_kb,
            share_every=args.share_every,
        )
        plain_rates, with_rates, sizes = [], [], []
        for run in range(args.repeat):
            rate, n = _import(t / "plain", t / f"plain{run}.db")
            assert n == args.messages, n
            plain_rates.append(rate)
            plain_size = _db_bytes(t / f"plain{run}.db")
            rate, n = _import(t / "with", t / f"with{run}.db")
            assert n == args.messages, n
            with_rates.append(rate)
            sizes.append(_db_bytes(t / f"with{run}.db") - plain_size)
        ours, base = statistics.median(with_rates), statistics.median(plain_rates)
        unique_bytes = args.messages * args.unique_kb * 1024 + 60 * 1024 + 9
        extra = statistics.median(sizes)
    report(
        f"import {args.messages:,} messages with {n_att:,} attachments "
        f"({args.unique_kb} KB each, a shared 60 KB PDF on every {args.share_every}rd) (messages/s)",
        ours,
        base,
        "the same messages without attachments",
        unit="msg/s",
        lower_is_better=False,
    )
    report(
        "store growth for those attachments (bytes on disk / bytes of distinct files)",
        extra,
        unique_bytes,
        "the distinct files' own bytes",
        unit="B",
        note=f"{extra / n_att:,.0f} B per attachment listed, {n_att:,} listed",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
