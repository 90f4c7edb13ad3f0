"""Every stored field that holds text from outside is clean, whichever reader wrote it.

Hostile values (OSC 8 links, OSC 52 clipboard writes, CSI, 8-bit C1, NUL, bidi
overrides and marks, markup) go into every field of every entry point: a mail's headers,
addresses (a quoted local part, a NUL), attachment names and body; a JSON-lines chat's
channel, author, email, conversation, ids and text; an IRC nick; a Slack user; an
article's front matter and body; a macro's name, reply, fallback values and actions.
Then every text column of every table is read back (JSON columns decoded) and must hold
none of them. ``TEXT_COLUMNS`` classifies every text column the models have, so a new
column fails this test until someone says where its text comes from; the untrusted ones
must actually have received the hostile marker, so the test cannot pass by not reaching
them (issue 19, findings 1, 2 and 12).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, String, text
from sqlmodel import SQLModel

import inbox_tui.models  # noqa: F401  (registers the tables)
from inbox_tui.incoming import Attachment, IncomingMessage
from inbox_tui.macros.files import load as load_macros
from inbox_tui.mail.parse import parse_message
from inbox_tui.services import triage
from inbox_tui.services.articles import import_articles
from inbox_tui.services.chatimport import import_chat
from inbox_tui.services.contactimport import import_contacts
from inbox_tui.services.macros import get_macro, import_specs, preview
from inbox_tui.services.mailimport import import_mail
from inbox_tui.sources.articles import load_articles
from inbox_tui.store import Store, sqlite_url

MARK = "EVIL"
# What must never be stored or shown from the data: C0 but \n and \t, DEL, C1, bidi
# embeddings, overrides, isolates and marks.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def bad_chars(value: str) -> list[str]:
    return sorted(
        {
            c
            for c in value
            if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or c in BIDI
        }
    )


PAYLOADS = [
    f"{MARK}\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    f"{MARK}\x1b]52;c;cHduZWQ=\x07",
    f"{MARK}\x1b[2J\x1b[H",
    f"{MARK}\x9b2J\x9d0;t\x9c",
    f"{MARK}\u202eexe.txt\u202c\u200f\u061c\u200e\u2066x\u2069",
    f"{MARK}\x00nul\x7fdel\rcr",
    f"{MARK}[@click=app.quit]x[/]",
]
EVIL = "".join(PAYLOADS)

# Every text column of every table: where its text comes from. "untrusted" columns must
# receive the marker below; "app" columns hold values the app itself chooses (enums,
# keys it derives, counters as text) or that agents type; "evidence" keeps raw bytes.
TEXT_COLUMNS: dict[str, dict[str, str]] = {
    "agent": {"username": "app", "name": "app", "email": "app"},
    "article": {
        "slug": "untrusted",
        "title": "untrusted",
        "description": "untrusted",
        "category": "untrusted",
        "tags": "untrusted",
        "url": "untrusted",
        "body": "untrusted",
        "source_path": "untrusted",
    },
    "contact": {"key": "untrusted", "email": "untrusted", "name": "untrusted", "company": "app"},
    "macro": {
        "slug": "app",  # checked against [a-z0-9_-]
        "name": "untrusted",
        "body": "untrusted",
        "body_kind": "app",
        "actions": "untrusted",
        "source_path": "untrusted",
    },
    "quarantine": {
        "dedupe_key": "untrusted",  # from the source and external id
        "source": "app",  # "mail:import", "imap:<account>/<mailbox>" from the config
        "external_id": "untrusted",
        "reason": "untrusted",
        "raw": "evidence",
    },
    "stat_conversation": {"tags": "app"},
    "stat_event": {"kind": "app", "rating": "app"},
    "syncstate": {"source": "app", "cursor": "app"},
    "store_meta": {"key": "app", "value": "app"},
    # A feature request's subject (its base form, store/subject_keys) and its sha1.
    "subject_key": {"digest": "app", "key": "untrusted"},  # "demo" = "1" (services/demo_mode)
    "tag": {"name": "app", "kind": "app", "color": "app"},
    "conversation": {
        "subject": "untrusted",
        "channel": "app",
        "source": "untrusted",
        "status": "app",
        "rating": "app",
    },
    "savedsearch": {
        "name": "app",
        "query": "app",
        "scope": "app",
    },  # scope: a built-in view name, checked
    "event": {"kind": "app", "data": "untrusted", "batch": "app", "undoes": "app"},
    "message": {
        "dedupe_key": "untrusted",
        "source": "untrusted",
        "external_id": "untrusted",
        "message_id": "untrusted",
        "in_reply_to": "untrusted",
        "refs": "untrusted",
        "direction": "app",
        "author_name": "untrusted",
        "author_email": "untrusted",
        "to_addrs": "untrusted",
        "cc_addrs": "untrusted",
        "reply_to_addrs": "untrusted",
        "subject": "untrusted",
        "body": "untrusted",
        "attachments": "untrusted",
        "html_sha256": "app",  # a hash the app computes; the HTML itself is a blob
        "parse_warnings": "app",
    },
    "presence": {"activity": "app"},
    "blob": {"sha256": "app", "data": "evidence"},  # attachment bytes, kept as they came
    "embedding": {"kind": "app", "model": "app", "text_hash": "app", "vectors": "evidence"},
    # What the agent typed in their own composer (articles and macros inserted into it
    # were cleaned by the services above); only that agent sees it.
    # kind: reply or note (#17 note drafts); review: the review step's edits as JSON, what
    # the agent typed or chose (recipients, file paths), shown only through sanitize (#18).
    "draft": {"body": "app", "kind": "app", "review": "app"},
    # A contacts CSV (inbox-tui import contacts): column names must be plain words, so the
    # marker reaches the name only as a word; values carry every payload.
    "contact_attribute": {"name": "untrusted", "value": "untrusted"},
    "threadref": {"ref": "untrusted"},
    "outbox": {
        "account": "app",
        "channel": "app",
        "message_id": "app",
        "mail_from": "app",
        "rcpt_to": "app",
        "raw": "evidence",
        "status": "app",
        "last_error": "untrusted",  # SMTP servers' replies
    },
}
# Untrusted columns the entry points below cannot reach with the marker (with why).
NOT_REACHED = {
    ("event", "data"),  # JSON the app writes (ids, statuses); checked for control text only
    ("threadref", "ref"),  # message ids: no marker survives their own validation (no spaces)
    ("message", "in_reply_to"),  # same
    ("message", "message_id"),  # same
    ("message", "refs"),  # same
    ("message", "dedupe_key"),  # derived from the above
    # SMTP replies: a hostile server in tests/test_cli_terminal_safety.py
    # (test_smtp_server_error_text_is_shown_as_text) and tests/tui/test_hostile_server_errors.py
    ("outbox", "last_error"),
}


def text_columns() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        cols = [
            c.name
            for c in table.columns
            if isinstance(getattr(c.type, "impl", c.type), String | LargeBinary)
        ]
        if cols:
            out[table.name] = cols
    return out


def test_every_text_column_is_classified():
    found = text_columns()
    for table, cols in found.items():
        known = TEXT_COLUMNS.get(table, {})
        missing = [c for c in cols if c not in known]
        assert not missing, (
            f"{table}.{missing} hold text: say in TEXT_COLUMNS where it comes from, and if "
            "it is untrusted, feed it a hostile value below"
        )
    assert {t for t in TEXT_COLUMNS if TEXT_COLUMNS[t]} <= set(found) | {"conversationtag"}


def hostile_mail(root: Path) -> Path:
    """An mbox with the hostile value in every header a message can carry."""
    enc = "=?utf-8?b?" + __import__("base64").b64encode(EVIL.encode()).decode() + "?="
    root.mkdir(parents=True, exist_ok=True)
    msgs = []
    msgs.append(
        'From: "x\x1b]8;;http://evil.example/\x1b\\\\click\x1b]8;;\x1b\\\\"@example.com\n'
        f"To: {enc} <to@example.com>, x <to\x1b[2J@example.com>\nCc: {enc} <cc@example.com>\n"
        f"Reply-To: {enc} <rt@example.com>\n"
        f"Subject: {enc}\nMessage-ID: <a1@x>\nDate: Mon, 2 Mar 2026 09:00:00 +0000\n"
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        f"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        f'{EVIL}\n--b\nContent-Type: application/octet-stream; name="{enc}"\n'
        f'Content-Disposition: attachment; filename="{enc}"\n\nxx\n--b--\n'
    )
    msgs.append(
        f"From: {enc} <nul\x00{MARK}@example.com>\nSubject: nul\nMessage-ID: <a2@x>\n"
        "Date: Mon, 2 Mar 2026 09:05:00 +0000\n\nbody\n"
    )
    msgs.append(
        f"From: {enc} <{MARK}\u202e\u200f@example.com>\nSubject: bidi\nMessage-ID: <a3@x>\n"
        "Date: Mon, 2 Mar 2026 09:06:00 +0000\n\nbody\n"
    )
    path = root / f"box {MARK}\x1b]52;c;aGk=\x07\u202e.mbox"
    with path.open("wb") as fh:
        for m in msgs:
            fh.write(b"From sender Mon Mar  2 09:00:00 2026\n")
            fh.write(m.encode("utf-8", "surrogateescape") + b"\n")
    # A message with nothing in it, under a hostile name: quarantined, name cleaned.
    (root / f"q {MARK}\x1b[2J\u202e.eml").write_bytes(b"\n\n")
    return root


def hostile_chat(root: Path) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    jsonl = root / "chat.jsonl"
    with jsonl.open("w") as fh:
        for i, p in enumerate(PAYLOADS):
            fh.write(
                json.dumps(
                    {
                        "conversation": f"c{i}{p}",
                        "author": f"Ann {p}",
                        "email": f"ann{i}{p}@example.com",
                        "ts": f"2026-03-02T10:{i:02d}:00Z",
                        "text": f"hello {p}",
                        "id": f"j{i}{p}",
                        "in_reply_to": f"j{i - 1}{p}",
                        "channel": f"widget {p}",
                    }
                )
                + "\n"
            )
    irc = root / "irc.log"
    irc.write_text(
        "".join(f"[10:{i:02d}] <nick{MARK}\x1b[2J\u202e> hi {p}\n" for i, p in enumerate(PAYLOADS)),
        encoding="utf-8",
    )
    return [jsonl, irc]


def hostile_articles(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)

    def y(s: str) -> str:  # a YAML double-quoted string can carry any character escaped
        return json.dumps(s)

    (root / "evil.md").write_text(
        "---\n"
        f"title: {y('Title ' + EVIL)}\n"
        f"description: {y('Desc ' + EVIL)}\n"
        f"category: {y('Cat ' + EVIL)}\n"
        f"tags: [{y('t ' + EVIL)}]\n"
        f"url: {y('https://help.example/' + EVIL)}\n"
        f"slug: {y('evil-' + EVIL)}\n"
        "---\n"
        # (a raw NUL in a Markdown body makes it a binary file, refused as such)
        f"Body {EVIL.replace(chr(0), '')}\n",
        encoding="utf-8",
    )
    (root / f"{MARK}\x1b]52;c;aGk=\x07\u202e.md").write_text(
        "---\ntitle: named\n---\nbody\n", encoding="utf-8"
    )
    return root


def hostile_contacts(root: Path) -> Path:
    """A contacts CSV whose attribute values carry every payload (the column name can
    only be a plain word: anything else refuses the whole file)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["email", f"plan{MARK}"])
        for i, payload in enumerate(PAYLOADS):
            out.writerow([f"c{i}@evil.example", payload.replace("\0", "")])
    return path


def hostile_macros(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)

    def t(s: str) -> str:  # a TOML basic string with escapes
        return json.dumps(s)

    (root / "evil.toml").write_text(
        f"name = {t('Macro ' + EVIL)}\n"
        f"reply = {t('Hi {{contact.first_name | fallback: ' + json.dumps(EVIL) + '}}, ' + EVIL)}\n"
        "[actions]\n"
        f"add_tags = [{t('tag' + MARK)}]\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def hostile_store(tmp_path: Path) -> Store:
    store = Store(sqlite_url(tmp_path / "inbox.db"))
    report = import_mail(store, [hostile_mail(tmp_path / "mail")])
    assert report.counts.read >= 3
    chat = import_chat(store, hostile_chat(tmp_path / "chat"))
    assert chat.counts.imported == 2 * len(PAYLOADS), chat.problems
    articles, problems = load_articles(hostile_articles(tmp_path / "help"))
    assert not problems and len(articles) == 2
    store.run(import_articles, articles)
    specs, mproblems = load_macros([hostile_macros(tmp_path / "macros")])
    assert not mproblems, mproblems
    store.run(import_specs, specs)
    store.run(import_contacts, hostile_contacts(tmp_path / "contacts"))

    def feature_requests(s):  # their subjects are kept for the stats (subject_key)
        for (conv_id,) in s.execute(text("SELECT id FROM conversation")):
            triage.tag(s, "ann", conv_id, "feature request")

    store.run(feature_requests)
    yield store
    store.close()


def stored_strings(value: object) -> list[str]:
    """The strings in a column value, JSON columns decoded (``json.dumps`` escapes
    control characters, which would hide them from a plain search)."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value) if value[:1] in "[{" else None
        except ValueError:
            decoded = None
        if decoded is None:
            return [value]
        out: list[str] = []
        stack = [decoded]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return out
    return []


def test_every_untrusted_column_is_stored_clean(hostile_store):
    reached: set[tuple[str, str]] = set()
    with hostile_store.read() as s:
        for table, cols in text_columns().items():
            for col in cols:
                if TEXT_COLUMNS[table][col] == "evidence":
                    continue
                rows = s.execute(text(f'SELECT "{col}" FROM "{table}"')).scalars().all()
                for value in rows:
                    for piece in stored_strings(value):
                        assert not bad_chars(piece), (
                            f"{table}.{col} stored {bad_chars(piece)}: {piece[:120]!r}"
                        )
                        if MARK.lower() in piece.lower():
                            reached.add((table, col))
    untrusted = {
        (t, c)
        for t, cols in TEXT_COLUMNS.items()
        for c, kind in cols.items()
        if kind == "untrusted"
    }
    missed = untrusted - reached - NOT_REACHED
    assert not missed, f"the hostile input never reached {sorted(missed)}: the test is blind there"


def test_macro_and_article_text_for_the_composer_is_clean(hostile_store):
    """Issue 19, finding 2: what ``m`` and ``h`` put into the composer."""
    from sqlmodel import select

    from inbox_tui.models import Article
    from inbox_tui.services.macros import format_article

    with hostile_store.read() as s:
        conv_id = s.execute(text("SELECT min(id) FROM conversation")).scalar_one()
        info = get_macro(s, "evil")
        shown = preview(s, "sam", conv_id, "evil")
        arts = s.exec(select(Article)).all()
        inserted = [format_article(a) for a in arts]
    for value in [info.name, info.body, shown.text or "", *inserted]:
        assert MARK in value or value == "" or "named" in value
        assert not bad_chars(value), f"{bad_chars(value)} in {value[:100]!r}"


def test_database_rows_written_before_the_fix_are_cleaned_on_the_way_out(hostile_store):
    """The database is untrusted too: a macro or article stored raw by an older version
    is cleaned when a service hands it out."""
    from sqlmodel import select

    from inbox_tui.models import Article, Macro
    from inbox_tui.services.macros import format_article

    with hostile_store.write() as s:
        m = s.exec(select(Macro)).first()
        m.body = EVIL
        m.name = EVIL
        a = s.exec(select(Article)).first()
        a.title, a.url, a.description = EVIL, EVIL, EVIL
    with hostile_store.read() as s:
        info = get_macro(s, m.slug)
        art = s.exec(select(Article).where(Article.id == a.id)).one()
        for value in (info.name, info.body, format_article(art)):
            assert not bad_chars(value), value[:80]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_incoming_message_is_clean_by_construction(payload):
    """Whatever a reader sets, at construction or later, is cleaned as it is set."""
    from datetime import UTC, datetime

    msg = IncomingMessage(
        source=f"s{payload}",
        external_id=f"e{payload}",
        sent_at=datetime(2026, 1, 1, tzinfo=UTC),
        body=f"b{payload}\nline two",
        subject=f"s{payload}\nnext",
        author_name=payload,
        author_email=f"a{payload}@x",
        author_handle=payload,
        thread_key=payload,
        to=[(payload, f"t{payload}@x")],
        cc=[(payload, payload)],
        references=[f"<{payload}>"],
        attachments=[Attachment(payload, payload, 1)],
        warnings=[payload],
    )
    msg.subject = payload  # set later by a reader
    msg.body = payload
    for name, value in vars(msg).items():
        as_json = json.dumps(value, default=lambda o: getattr(o, "__dict__", None) or str(o))
        for piece in stored_strings(as_json) if as_json[:1] in "[{" else [str(value)]:
            assert not bad_chars(piece), f"{name}: {piece!r}"
    assert (
        "\n" not in msg.subject
        and "\n"
        in IncomingMessage(
            source="s", external_id=None, sent_at=datetime(2026, 1, 1, tzinfo=UTC), body="a\nb"
        ).body
    )


def test_parse_message_cleans_the_sender(tmp_path):
    """Issue 19, findings 1 and 12: a quoted local part with OSC 8 and a NUL."""
    raw = (
        b'From: "x\x1b]8;;http://evil.example/\x1b\\\\click\x1b]8;;\x1b\\\\"@example.com\n'
        b"Subject: hi\n\nbody\n"
    )
    msg = parse_message(raw, source="t", external_id="1")
    assert msg.author_email and not bad_chars(msg.author_email)
    nul = parse_message(
        b"From: nul\x00@example.com\nSubject: x\n\nb\n", source="t", external_id="2"
    )
    assert nul.author_email and "\x00" not in nul.author_email
    quoted = parse_message(
        b'From: "ann lee"@example.com\nSubject: x\n\nb\n', source="t", external_id="3"
    )
    assert quoted.author_email == '"ann lee"@example.com'  # a customer, whom c can find
