"""Importing mail files into the store: parse, ingest, count, in committed batches.

A batch is one transaction, so an import killed half-way keeps what it committed and a
re-run carries on (ingest is idempotent). Every message read is counted exactly once as
imported, duplicate or quarantined; files that are not mail are counted as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlmodel import Session, select

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import IngestCounts, Ingestor, pipeline
from inbox_tui.mail.parse import AttachmentLimits, parse_many
from inbox_tui.models import Outbox
from inbox_tui.rules import Rule
from inbox_tui.services.ratings import take_ratings
from inbox_tui.services.rules import newest_event, run_new
from inbox_tui.sources.mailfiles import RawMail, Skipped, iter_mail
from inbox_tui.store import Store

BATCH = 500
# A batch is committed when it holds this many bytes of raw mail, whatever its count
# (forty 20 MB messages in one 500-message batch peaked at 1.1 GB; 32 MB batches of
# HTML mail kept the writer near 120 MB, 8 MB near 100 MB).
BATCH_BYTES = 8 * 1024 * 1024
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
    own_addresses: frozenset[str] = frozenset(),
) -> MailImportReport:
    """Import every message under ``paths``. Raises MailPathError for a bad path.
    ``limits``: the attachment size caps (the config's [mail]); ``rules`` run in each
    batch's transaction on what it brought (services/rules.run_new);
    ``own_addresses``: the team's (``replies.config_addresses``), whose mail is outbound.

    Files are read here, parsed in the ingest pipeline's process pool and written here,
    a batch per transaction, in the order they were read (``ingest.pipeline``)."""
    report = MailImportReport()

    def mails() -> Iterator[RawMail]:
        for item in iter_mail(paths):
            if isinstance(item, Skipped):
                report.skipped.append((item.where, item.reason))
            else:
                yield item

    count, rest = pipeline.peek(mails(), pipeline.POOL_THRESHOLD, _size)
    pool = pipeline.pooled(count)
    try:
        parsed = pipeline.ordered_map(
            partial(parse_many, SOURCE, limits), rest, size=_size, pool=pool
        )
        for chunk in pipeline.batches(parsed, _pair_size, batch, BATCH_BYTES):
            report.counts.merge(store.run(write_parsed, SOURCE, chunk, list(rules), own_addresses))
            if progress:
                progress(report)
    finally:
        if pool is not None:
            pool.shutdown()
        store.after_bulk_load(report.counts.imported)
    return report


def _size(item: RawMail) -> int:
    return len(item.raw)


def _pair_size(pair: tuple[RawMail, object]) -> int:
    return len(pair[0].raw)


def senders(session: Session) -> frozenset[str]:
    """The addresses our replies went out from (the outbox): ours, whatever the config."""
    rows = session.exec(select(Outbox.mail_from).distinct()).all()
    return frozenset(a.lower() for a in rows if a and "@" in a)


def write_parsed(
    session: Session,
    source: str,
    items: list[tuple[RawMail, IncomingMessage | str]],
    rules: Sequence[Rule] = (),
    own_addresses: frozenset[str] = frozenset(),
) -> IngestCounts:
    """The writer's step for mail (import and sync): one transaction for a batch of
    parsed messages, in order. What could not be parsed is quarantined with its reason;
    rating mails are recorded (``take_ratings``); the rest go to ``Ingestor.add_all``;
    then the rules run on what the batch brought."""
    before = newest_event(session) if rules else 0
    ing = Ingestor(session, own_addresses | senders(session))
    counts = IngestCounts()
    parsed = []
    for item, result in items:
        if isinstance(result, str):
            counts.count(
                ing.quarantine(source, item.external_id, f"{item.where}: {result}", item.raw)
            )
        else:
            parsed.append((result, item.raw))
    counts.merge(ing.add_all(take_ratings(session, ing, counts, parsed)))
    counts.rules_fired += len(run_new(session, list(rules), before))
    return counts
