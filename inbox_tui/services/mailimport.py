"""Importing mail files into the store: parse, ingest, count, in committed batches.

A batch is one transaction, so an import killed half-way keeps what it committed and a
re-run carries on (ingest is idempotent). Every message read is counted exactly once as
imported, duplicate or quarantined; files that are not mail are counted as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inbox_tui.ingest import IngestCounts, Ingestor
from inbox_tui.mail.parse import AttachmentLimits, ParseError, parse_message
from inbox_tui.rules import Rule
from inbox_tui.services.ratings import take_ratings
from inbox_tui.services.rules import newest_event, run_new
from inbox_tui.sources.mailfiles import RawMail, Skipped, iter_mail
from inbox_tui.store import Store

BATCH = 500
# A batch is committed when it holds this many bytes of raw mail, whatever its count
# (forty 20 MB messages in one 500-message batch peaked at 1.1 GB).
BATCH_BYTES = 32 * 1024 * 1024
SOURCE = "mail:import"


@dataclass
class MailImportReport:
    counts: IngestCounts = field(default_factory=IngestCounts)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = dict(self.counts.as_dict())
        out["skipped"] = len(self.skipped)
        return out


def import_mail(
    store: Store,
    paths: list[Path],
    *,
    progress: Callable[[MailImportReport], None] | None = None,
    batch: int = BATCH,
    limits: AttachmentLimits | None = None,
    rules: Sequence[Rule] = (),
) -> MailImportReport:
    """Import every message under ``paths``. Raises MailPathError for a bad path.
    ``limits``: the attachment size caps (the config's [mail]); ``rules`` run in each
    batch's transaction on what it brought (services/rules.run_new)."""
    report = MailImportReport()
    pending: list[RawMail] = []
    pending_bytes = 0

    def flush() -> None:
        if not pending:
            return
        counts = store.run(_ingest_batch, list(pending), limits, list(rules))
        report.counts.merge(counts)
        pending.clear()
        if progress:
            progress(report)

    for item in iter_mail(paths):
        if isinstance(item, Skipped):
            report.skipped.append((item.where, item.reason))
            continue
        pending.append(item)
        pending_bytes += len(item.raw)
        if len(pending) >= batch or pending_bytes >= BATCH_BYTES:
            flush()
            pending_bytes = 0
    flush()
    return report


def _ingest_batch(
    session,
    items: list[RawMail],
    limits: AttachmentLimits | None = None,
    rules: Sequence[Rule] = (),
) -> IngestCounts:  # type: ignore[no-untyped-def]
    before = newest_event(session) if rules else 0
    ing = Ingestor(session)
    counts = IngestCounts()
    parsed = []
    for item in items:
        try:
            msg = parse_message(
                item.raw, source=SOURCE, external_id=item.external_id, limits=limits
            )
            parsed.append((msg, item.raw))
        except ParseError as exc:
            counts.count(ing.quarantine(SOURCE, item.external_id, f"{item.where}: {exc}", item.raw))
    counts.merge(ing.add_all(take_ratings(session, ing, counts, parsed)))
    counts.rules_fired += len(run_new(session, list(rules), before))
    return counts
