"""Importing chat logs: parse, split into conversations, ingest in committed batches.

Every line is accounted for: imported, duplicate (already in the store), quarantined, or
skipped with a reason (notices, blank lines; broken lines are reported with file and
line number and the rest still imported). Attributes a log gives its writers (a JSONL
``contact`` object, a Slack profile) are stored through ``import contacts``' path in the
transaction that brings their lines, before the rules run, so a rule or a response
target on ``contact.plan`` sees them; an agent's attributes are not kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import IngestCounts, Ingestor
from inbox_tui.ingest.rows import contact_key
from inbox_tui.models import Channel
from inbox_tui.rules import Rule
from inbox_tui.sanitize import one_line
from inbox_tui.services.contactimport import ContactRecord, ContactsReport, store_contacts
from inbox_tui.services.rules import newest_event, run_new
from inbox_tui.sources.chat import ChatLine, Skip, irc, jsonl, slack
from inbox_tui.sources.chat.detect import detect
from inbox_tui.sources.chat.split import split
from inbox_tui.store import Store

BATCH = 1000


@dataclass
class ChatReport:
    counts: IngestCounts = field(default_factory=IngestCounts)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    contacts: ContactsReport = field(default_factory=ContactsReport)

    def as_dict(self) -> dict[str, object]:
        return {
            **self.counts.as_dict(),
            "skipped": dict(self.skipped),
            "problems": len(self.problems),
            "attributes": self.contacts.attributes,
        }


def read_lines(path: Path, fmt: str) -> tuple[list[ChatLine], list[Skip]]:
    fmt = detect(path) if fmt == "auto" else fmt
    if fmt == "empty":
        return [], [Skip(str(path), "empty file")]
    parser = {"jsonl": jsonl.parse, "irc": irc.parse, "slack": slack.parse}.get(fmt)
    if parser is None:
        raise UserError(f"Unknown chat format {fmt!r}; use jsonl, slack or irc.")
    if fmt == "slack" and not slack.is_export(path):
        raise UserError(f"{path} is not a Slack export (no channels.json).")
    lines: list[ChatLine] = []
    skips: list[Skip] = []
    for item in parser(path):
        (lines if isinstance(item, ChatLine) else skips).append(item)  # type: ignore[arg-type]
    if fmt != "slack" and lines == [] and skips and all(s.problem for s in skips):
        raise UserError(f"{path} is not a {fmt} chat log (no line could be read).")
    return lines, skips


def to_messages(lines: list[ChatLine], agents: dict[str, str]) -> list[IncomingMessage]:
    by_channel: dict[str, list[ChatLine]] = defaultdict(list)
    for line in lines:
        by_channel[line.channel].append(line)
    out: list[IncomingMessage] = []
    for channel, items in by_channel.items():
        items.sort(key=lambda ln: (ln.at, ln.line_no))
        keys = split(items)
        first_text: dict[str, str] = {}
        for line, key in zip(items, keys, strict=True):
            first_text.setdefault(key, line.text)
            out.append(
                IncomingMessage(
                    source=f"chat:{channel}",
                    external_id=line.external_id,
                    channel=Channel.CHAT,
                    thread_key=key,
                    subject=one_line(first_text[key], 80),
                    author_name=line.author,
                    author_email=line.email,
                    author_handle=line.handle,
                    agent_username=agents.get(line.handle) or agents.get(line.author),
                    sent_at=line.at,
                    utc_offset=line.utc_offset,
                    body=line.text,
                )
            )
    return out


def import_chat(
    store: Store,
    paths: list[Path],
    *,
    fmt: str = "auto",
    agents: dict[str, str] | None = None,
    progress: Callable[[ChatReport], None] | None = None,
    rules: Sequence[Rule] = (),
) -> ChatReport:
    report = ChatReport()
    for path in paths:
        if not path.exists():
            raise UserError(f"{path} does not exist.")
    for path in paths:
        lines, skips = read_lines(path, fmt)
        for s in skips:
            report.skipped[s.reason] += 1
            if s.problem:
                report.problems.append(f"{s.where}: {s.reason}")
        for line in lines:
            report.problems.extend(line.problems)
        rated = [line for line in lines if line.rating is not None]
        lines = [line for line in lines if line.rating is None]
        messages = to_messages(lines, agents or {})
        by_id = {line.external_id: line for line in lines if line.attributes}
        for start in range(0, len(messages), BATCH):
            batch = messages[start : start + BATCH]
            contacts = _contacts(batch, by_id)
            counts, stored = store.run(_ingest_batch, batch, list(rules), contacts)
            report.counts.merge(counts)
            report.contacts.created += stored.created
            report.contacts.attributes += stored.attributes
            report.contacts.removed += stored.removed
            if progress:
                progress(report)
        if rated:  # after the messages, so a rating finds a conversation its file opened
            store.run(_record_ratings, rated, report)
    store.after_bulk_load(report.counts.imported)
    return report


def _record_ratings(session: Session, lines: list[ChatLine], report: ChatReport) -> None:
    """The rating lines of one file, oldest first, in one transaction (counted once a
    retried transaction succeeds: ``report`` is only changed at the end)."""
    from inbox_tui.services.ratings import RatingRefused, record_chat_rating

    counted, problems = 0, []
    for line in sorted(lines, key=lambda ln: (ln.at, ln.line_no)):
        # Whose it is, by the key ingest gives a chat writer's contact (email, else handle).
        who = IncomingMessage(
            source="",
            external_id=None,
            sent_at=line.at,
            author_email=line.email,
            author_handle=line.handle,
        )
        key = (contact_key(who) or ("", ""))[0]
        try:
            record_chat_rating(
                session,
                line.channel,
                line.thread or "",
                key,
                str(line.rating),
                line.external_id,
                line.at,
            )
            counted += 1
        except RatingRefused as exc:
            problems.append(f"line {line.line_no + 1}: {exc}")
    report.counts.read += counted
    report.counts.ratings += counted
    report.problems.extend(problems)


def _contacts(batch: list[IncomingMessage], lines: dict[str, ChatLine]) -> dict[str, ContactRecord]:
    """The attributes the batch's customer lines give, by contact key; a writer's later
    line wins."""
    given = sorted(
        ((lines[m.external_id], m) for m in batch if m.external_id in lines),
        key=lambda pair: (pair[0].at, pair[0].line_no),
    )
    out: dict[str, ContactRecord] = {}
    for line, msg in given:
        key = contact_key(msg)
        if msg.agent_username or key is None:
            continue
        out.setdefault(key[0], ContactRecord(key[1] or None, "", {})).attributes.update(
            line.attributes
        )
    return out


def _ingest_batch(
    session: Session,
    batch: list[IncomingMessage],
    rules: list[Rule],
    contacts: dict[str, ContactRecord],
) -> tuple[IngestCounts, ContactsReport]:
    """One transaction: the writers' attributes, the batch's messages and the rules they
    set off (counted afresh on each attempt, so a retried transaction counts once)."""
    stored = ContactsReport()
    store_contacts(session, contacts, stored)
    before = newest_event(session) if rules else 0
    counts = Ingestor(session).add_all(batch)
    counts.rules_fired += len(run_new(session, rules, before))
    return counts, stored
