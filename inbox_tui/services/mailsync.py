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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from inbox_tui.errors import UserError
from inbox_tui.ingest import IngestCounts, Ingestor
from inbox_tui.mail.parse import AttachmentLimits, ParseError, attachment_limits, parse_message
from inbox_tui.models import SyncState, utcnow
from inbox_tui.rules import Rule
from inbox_tui.services.ratings import take_ratings
from inbox_tui.services.rules import newest_event, run_new
from inbox_tui.sources.imap_client import FETCH_BATCH, ImapError, ImapSession, MailboxState

if TYPE_CHECKING:
    from inbox_tui.config import Account, Config
    from inbox_tui.store import Store

log = logging.getLogger(__name__)
IDLE_SECONDS = 9 * 60  # servers may drop IDLE after 10-30 minutes; re-issue before that
POLL_SECONDS = 60


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
    batch: list[tuple[int, bytes]],
    last_uid: int,
    box: MailboxState,
    limits: AttachmentLimits | None = None,
    rules: Sequence[Rule] = (),
) -> IngestCounts:
    """One transaction: the messages of this batch, the rules they set off and the
    state that covers them."""
    before = newest_event(session) if rules else 0
    ing = Ingestor(session)
    counts = IngestCounts()
    parsed = []
    for uid, raw in batch:
        # Stable across UIDVALIDITY changes, for messages without a Message-ID.
        external_id = "sha256:" + hashlib.sha256(raw).hexdigest()
        try:
            msg = parse_message(raw, source=source, external_id=external_id, limits=limits)
            parsed.append((msg, raw))
        except ParseError as exc:
            counts.count(ing.quarantine(source, external_id, f"{source} UID {uid}: {exc}", raw))
    counts.merge(ing.add_all(take_ratings(session, ing, counts, parsed)))
    counts.rules_fired += len(run_new(session, list(rules), before))
    st = _state(session, key)
    if st is None:
        st = SyncState(source=key)
        session.add(st)
    st.uidvalidity = box.uidvalidity
    st.last_uid = max(st.last_uid if st.uidvalidity == box.uidvalidity else 0, last_uid)
    st.highestmodseq = box.highestmodseq
    st.updated_at = utcnow()
    return counts


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
    total = len(uids)
    for start in range(0, total, FETCH_BATCH):
        chunk = uids[start : start + FETCH_BATCH]
        fetched = await imap.fetch(chunk)
        report.fetched += len(fetched)
        counts = await asyncio.to_thread(
            store.run,
            _ingest_batch,
            key,
            f"imap:{account.name}/{mailbox}",
            fetched,
            chunk[-1],
            box,
            limits,
            rules,
        )
        report.counts.merge(counts)
        if progress:
            progress(report, min(start + FETCH_BATCH, total), total)
    if not uids and known_validity is None:
        await asyncio.to_thread(
            store.run, _ingest_batch, key, f"imap:{account.name}/{mailbox}", [], 0, box
        )
    return report


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
