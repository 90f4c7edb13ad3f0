"""IMAP → store, incremental and exact, and never the other way: the sync loop over the
pure client (``sources.imap_client``) and parser (``mail.parse``), handing batches to
``ingest``.

Per followed mailbox, ``SyncState`` ("imap:<account>/<mailbox>") keeps UIDVALIDITY, the
last UID stored and HIGHESTMODSEQ. Each FETCH batch is parsed, ingested and the state
moved forward in ONE transaction, so a crash or a cut connection resumes exactly where
the last committed batch ended. A sync with nothing new is one STATUS round trip.

When UIDVALIDITY changes (the mailbox was recreated), the mailbox is read again from the
start; ingest's dedupe (Message-ID, or a content hash for messages without one) makes
the re-read add only what is really new. Nothing here deletes, expunges or flags
anything on the server (FETCH uses BODY.PEEK).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future

from sqlmodel import Session, select

from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import IngestCounts, pipeline
from inbox_tui.mail.parse import AttachmentLimits, attachment_limits, parse_many
from inbox_tui.models import SyncState, utcnow
from inbox_tui.rules import Rule
from inbox_tui.services.mailimport import write_parsed
from inbox_tui.sources.imap_client import FETCH_BATCH, ImapError, ImapSession, MailboxState
from inbox_tui.sources.mailfiles import RawMail

if TYPE_CHECKING:
    from inbox_tui.config import Account, Config
    from inbox_tui.store import Store

log = logging.getLogger(__name__)
IDLE_SECONDS = 9 * 60  # servers may drop IDLE after 10-30 minutes; re-issue before that
POLL_SECONDS = 60
AHEAD = 2  # FETCH batches read but not yet written


def len_raw(item: RawMail) -> int:
    return len(item.raw)


@dataclass
class MailboxReport:
    account: str
    mailbox: str
    fetched: int = 0
    counts: IngestCounts = field(default_factory=IngestCounts)
    uidvalidity_changed: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "account": self.account,
            "mailbox": self.mailbox,
            "fetched": self.fetched,
            **self.counts.as_dict(),
            "uidvalidity_changed": self.uidvalidity_changed,
        }


@dataclass
class SyncReport:
    mailboxes: list[MailboxReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(m.counts.imported for m in self.mailboxes)

    def as_dict(self) -> dict[str, object]:
        return {"mailboxes": [m.as_dict() for m in self.mailboxes], "errors": self.errors}


Progress = Callable[[MailboxReport, int, int], None]  # report, done, total


def source_key(account: str, mailbox: str) -> str:
    return f"imap:{account}/{mailbox}"


def _state(session: Session, key: str) -> SyncState | None:
    return session.exec(select(SyncState).where(SyncState.source == key)).first()


def _read_state(store: Store, key: str) -> tuple[int | None, int]:
    with store.read() as s:
        st = _state(s, key)
        return (st.uidvalidity, st.last_uid) if st else (None, 0)


def _ingest_batch(
    session: Session,
    key: str,
    source: str,
    items: list[tuple[RawMail, IncomingMessage | str]],
    last_uid: int,
    box: MailboxState,
    rules: Sequence[Rule] = (),
) -> IngestCounts:
    """One transaction: the messages of this batch (parsed), the rules they set off and
    the state that covers them."""
    counts = write_parsed(session, source, items, rules)
    st = _state(session, key)
    if st is None:
        st = SyncState(source=key)
        session.add(st)
    st.uidvalidity = box.uidvalidity
    st.last_uid = max(st.last_uid if st.uidvalidity == box.uidvalidity else 0, last_uid)
    st.highestmodseq = box.highestmodseq
    st.updated_at = utcnow()
    return counts


def _raw_mail(source: str, uid: int, raw: bytes, received_at: datetime | None) -> RawMail:
    # Stable across UIDVALIDITY changes, for messages without a Message-ID.
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    return RawMail(digest, raw, f"{source} UID {uid}", received_at)


def _reset_state(session: Session, key: str, uidvalidity: int) -> None:
    st = _state(session, key)
    if st is not None:
        st.uidvalidity = uidvalidity
        st.last_uid = 0


async def sync_mailbox(
    store: Store,
    imap: ImapSession,
    account: Account,
    mailbox: str,
    progress: Progress | None = None,
    limits: AttachmentLimits | None = None,
    rules: Sequence[Rule] = (),
) -> MailboxReport:
    key = source_key(account.name, mailbox)
    report = MailboxReport(account.name, mailbox)
    box = await imap.status(mailbox)
    known_validity, last_uid = await asyncio.to_thread(_read_state, store, key)
    if known_validity is not None and known_validity != box.uidvalidity:
        log.warning(
            "UIDVALIDITY of %s changed (%s -> %s); reading it again",
            key,
            known_validity,
            box.uidvalidity,
        )
        report.uidvalidity_changed = True
        await asyncio.to_thread(store.run, _reset_state, key, box.uidvalidity)
        last_uid = 0
    if (
        known_validity == box.uidvalidity
        and box.uidnext is not None
        and box.uidnext <= last_uid + 1
    ):
        return report  # nothing new: one round trip
    await imap.select(mailbox)
    uids = await imap.uids_after(last_uid)
    pool = pipeline.pooled(len(uids))
    try:
        await _fetch_parse_write(store, imap, key, uids, box, report, progress, limits, pool, rules)
    finally:
        if pool is not None:
            pool.shutdown()
    if not uids and known_validity is None:
        await asyncio.to_thread(
            store.run, _ingest_batch, key, f"imap:{account.name}/{mailbox}", [], 0, box
        )
    return report


# (UIDs asked for, UID of each message fetched, the messages, their parse futures)
_Fetched = tuple[list[int], list[int], list[RawMail], deque[tuple[int, "Future[bytes]"]]]
FETCH_BYTES = 1024 * 1024  # a FETCH asks for about this much mail
SIZES_WINDOW = 2000  # UIDs whose sizes are asked for at once
WRITE_BYTES = 1024 * 1024  # one transaction writes about this much mail


def fetch_batches(uids: list[int], sizes: dict[int, int]) -> list[list[int]]:
    """``uids`` in consecutive FETCH batches of about ``FETCH_BYTES`` (at most
    ``FETCH_BATCH`` UIDs, at least one): a run of large mail is fetched, and held while
    it waits for the writer, a few messages at a time rather than 200."""
    out: list[list[int]] = []
    batch: list[int] = []
    nbytes = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (nbytes + size > FETCH_BYTES or len(batch) >= FETCH_BATCH):
            out.append(batch)
            batch, nbytes = [], 0
        batch.append(uid)
        nbytes += size
    if batch:
        out.append(batch)
    return out


def write_groups(
    uids: list[int], items: list[RawMail], limit: int | None = None
) -> list[tuple[int, int]]:
    """``(end, last_uid)`` of each transaction a fetched batch is written in: consecutive
    runs of about ``limit`` bytes of mail, each naming the UID of its last message, so
    the sync state never passes a message that is not committed. The caller names the
    last run's UID (the FETCH's last, which covers expunged UIDs after it)."""
    limit = WRITE_BYTES if limit is None else limit
    groups: list[tuple[int, int]] = []
    nbytes = 0
    for i, item in enumerate(items):
        nbytes += len(item.raw)
        if nbytes >= limit and i + 1 < len(items):
            groups.append((i + 1, uids[i]))
            nbytes = 0
    groups.append((len(items), uids[-1] if uids else 0))
    return groups


async def _fetch_all(
    imap: ImapSession,
    source: str,
    uids: list[int],
    queue: asyncio.Queue[_Fetched | BaseException | None],
    pool: pipeline.ParsePool | None,
    limits: AttachmentLimits | None,
) -> None:
    """The pipeline's fetch stage: FETCH batches by the sizes the server gives first,
    each handed to the parse pool at once and queued for the writer (at most ``AHEAD``
    ahead); an error is queued after what came before it, then None ends the queue."""
    try:
        for start in range(0, len(uids), SIZES_WINDOW):
            window = uids[start : start + SIZES_WINDOW]
            for chunk in fetch_batches(window, await imap.sizes(window)):
                got = await imap.fetch(chunk)
                items = [_raw_mail(source, uid, raw, at) for uid, raw, at in got]
                futures: deque[tuple[int, Future[bytes]]] = deque()
                if pool is not None:
                    for part in pipeline.chunked(
                        items, len_raw, pipeline.CHUNK_ITEMS, pipeline.CHUNK_BYTES
                    ):
                        futures.append((len(part), pool.submit(parse_many, source, limits, part)))
                await queue.put((chunk, [uid for uid, _, _ in got], items, futures))
    except BaseException as exc:  # handed to the writer, after what came before
        await queue.put(exc)
        return
    await queue.put(None)


async def _fetch_parse_write(
    store: Store,
    imap: ImapSession,
    key: str,
    uids: list[int],
    box: MailboxState,
    report: MailboxReport,
    progress: Progress | None,
    limits: AttachmentLimits | None,
    pool: pipeline.ParsePool | None,
    rules: Sequence[Rule] = (),
) -> None:
    """The ingest pipeline for one mailbox: FETCH batches (of about ``FETCH_BYTES``, by
    the sizes the server gives first) are read while earlier ones are parsed (in the pool) and written (transactions of about
    ``WRITE_BYTES``, each with the sync state that covers exactly what it holds), at
    most ``AHEAD`` batches in between, so memory stays flat whatever the mail's size. A
    connection lost half-way still commits every batch fetched whole."""
    source = key
    queue: asyncio.Queue[_Fetched | BaseException | None] = asyncio.Queue(AHEAD)
    loop = asyncio.get_running_loop()
    # One writer thread for the whole mailbox (each new thread would keep its own heap).
    writer = ThreadPoolExecutor(1, thread_name_prefix="sync-writer")

    parsed: deque[IncomingMessage | str] = deque()  # the writer's, unpickled by it

    def write(items: list[RawMail], pickles: list[bytes], last_uid: int) -> IngestCounts:
        # Unpickled in the writer's thread: the objects are made where they are freed,
        # so that memory is reused instead of piling up in another thread's heap.
        for data in pickles:
            parsed.extend(pipeline.unpack(data))
        if pool is None:
            results = parse_many(source, limits, items)
        else:
            results = [parsed.popleft() for _ in items]
        pairs = list(zip(items, results, strict=True))
        return store.run(_ingest_batch, key, source, pairs, last_uid, box, rules)

    fetcher = asyncio.create_task(_fetch_all(imap, source, uids, queue, pool, limits))
    try:
        done = 0
        while (got := await queue.get()) is not None:
            if isinstance(got, BaseException):
                raise got
            chunk, got_uids, items, futures = got
            begin = ready = 0  # ready: parsed, handed to the writer, not yet written
            for end, uid in write_groups(got_uids, items):
                # Only the parse results this transaction needs are handed over: the
                # rest of the batch stays a few compact pickles meanwhile.
                pickles = []
                while futures and ready < end - begin:
                    n, fut = futures.popleft()
                    pickles.append(await asyncio.wrap_future(fut))
                    ready += n
                last = uid if end < len(items) else chunk[-1]
                counts = await loop.run_in_executor(writer, write, items[begin:end], pickles, last)
                ready = max(0, ready - (end - begin))
                report.fetched += end - begin
                report.counts.merge(counts)
                begin = end
            done += len(chunk)
            if progress:
                progress(report, done, len(uids))
    finally:
        if not fetcher.done():
            fetcher.cancel()
        with contextlib.suppress(BaseException):
            await fetcher
        writer.shutdown()


async def sync(
    config: Config,
    store: Store,
    account: str | None = None,
    progress: Progress | None = None,
    rules: Sequence[Rule] = (),
) -> SyncReport:
    """Fetch new mail from every followed mailbox. Raises UserError for an unknown
    account or a configuration problem; connection problems end up in the report's
    ``errors`` (one sentence each) so the other accounts still sync."""
    accounts = _accounts(config, account)
    report = SyncReport()
    for acc in accounts:
        imap = ImapSession(acc)
        try:
            await imap.connect()
            for mailbox in acc.mailboxes:
                report.mailboxes.append(
                    await sync_mailbox(
                        store, imap, acc, mailbox, progress, attachment_limits(config), rules
                    )
                )
        except ImapError as exc:
            report.errors.append(f"{acc.name}: {exc}")
        finally:
            await imap.logout()
    # ANALYZE on a large store takes a second: off the event loop (the TUI's poll).
    await asyncio.to_thread(store.after_bulk_load, report.imported)
    return report


def _accounts(config: Config, account: str | None) -> list[Account]:
    if not config.accounts:
        raise UserError(
            "No IMAP accounts are configured; add an [accounts.NAME] table to the config file."
        )
    if account is None:
        return list(config.accounts.values())
    if account not in config.accounts:
        raise UserError(
            f"There is no account called {account!r}; configured: {', '.join(config.accounts)}."
        )
    return [config.accounts[account]]


async def watch(
    config: Config,
    store: Store,
    on_report: Callable[[SyncReport], None],
    stop: asyncio.Event,
    account: str | None = None,
    idle_seconds: float = IDLE_SECONDS,
    poll_seconds: float = POLL_SECONDS,
    rules: Sequence[Rule] = (),
) -> None:
    """Sync, then wait for new mail (IDLE, re-issued every ``idle_seconds``; polling where
    IDLE is missing), forever until ``stop`` is set. Reconnects with backoff after any
    dropped connection, including during IDLE."""
    accounts = _accounts(config, account)
    backoff = 1.0
    while not stop.is_set():
        report = SyncReport()
        waiter: ImapSession | None = None
        try:
            for acc in accounts:
                imap = ImapSession(acc)
                try:
                    await imap.connect()
                    for mailbox in acc.mailboxes:
                        report.mailboxes.append(
                            await sync_mailbox(store, imap, acc, mailbox, rules=rules)
                        )
                finally:
                    if waiter is None and acc is accounts[0]:
                        waiter = imap
                    else:
                        await imap.logout()
            on_report(report)
            backoff = 1.0
            assert waiter is not None
            if waiter.has("IDLE"):
                await waiter.select(accounts[0].mailboxes[0])
                idle = asyncio.create_task(waiter.idle(idle_seconds))
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({idle, stopper}, return_when=asyncio.FIRST_COMPLETED)
                for task in (idle, stopper):
                    task.cancel()
                if idle.done() and not idle.cancelled() and idle.exception():
                    raise idle.exception()  # type: ignore[misc]
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)
        except ImapError as exc:
            report.errors.append(str(exc))
            on_report(report)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, 60.0)
        finally:
            if waiter is not None:
                await waiter.logout()
