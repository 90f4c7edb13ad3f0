"""Attachments kept byte for byte: synced from the real Dovecot, stored once however many
messages carry them, listed and saved with safe names, forwarded intact, and every file
that is not kept says why in one sentence while its message is kept."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hashlib
import json
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import func, select

from inbox_tui.config import Account, AgentIdentity, Config
from inbox_tui.mail.parse import AttachmentLimits, parse_message
from inbox_tui.models import Blob, Conversation, Message
from inbox_tui.services import forward, triage
from inbox_tui.services.attachments import list_attachments, save_attachments
from inbox_tui.services.mailimport import import_mail
from inbox_tui.services.mailsync import sync
from inbox_tui.services.outbox import flush_outbox
from inbox_tui.store import Store, sqlite_url

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
CSV = "item;net;vat\r\nWidget;100;21\r\nZoë's thing;5,50;1,16\r\n".encode()
HTML = (
    "<p>Hello,</p><table><tr><th>Item</th><th>Net</th><th>VAT</th></tr>"
    "<tr><td>Widget</td><td>100</td><td>21</td></tr></table>"
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def customer_mail(n: int = 1, *, files=None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Zoë Brennan <zoe@acme.example>"
    msg["To"] = "support@example.com"
    msg["Cc"] = "Bob <bob@acme.example>, carol@acme.example"
    msg["Subject"] = f"Invoice {n}"
    msg["Message-ID"] = f"<inv-{n}@acme.example>"
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg.set_content("Hello,\nsee the table.\n")
    msg.add_alternative(HTML, subtype="html")
    for name, ctype, data in files or [
        ("Rechnung März.pdf", "application/pdf", PDF),
        ("screen.png", "image/png", PNG),
        ("items.csv", "text/csv", CSV),
    ]:
        main, _, sub = ctype.partition("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()


def test_synced_from_dovecot_byte_for_byte_and_stored_once(dovecot_server, sqlite_store):
    for n in range(1, 6):  # the same three files in five messages
        dovecot_server.add(customer_mail(n))
    cfg = Config(
        path=None,
        db_url=None,
        agent=AgentIdentity("sam", "Sam"),
        accounts={"support": dovecot_server.account()},
    )
    report = asyncio.run(sync(cfg, sqlite_store))
    assert report.mailboxes[0].counts.imported == 5
    with sqlite_store.read() as s:
        cids = s.exec(select(Conversation.id)).all()
        items = list_attachments(s, cids[0])
        assert [(i.filename, i.content_type, i.size) for i in items] == [
            ("Rechnung März.pdf", "application/pdf", len(PDF)),
            ("screen.png", "image/png", len(PNG)),
            ("items.csv", "text/csv", len(CSV)),
        ]
        assert [i.sha256 for i in items] == [sha(PDF), sha(PNG), sha(CSV)]
        for i, data in zip(items, (PDF, PNG, CSV), strict=True):
            assert s.get(Blob, i.sha256).data == data
        m = s.exec(select(Message).where(Message.message_id == "inv-1@acme.example")).one()
        # The three files once however many messages carry them, and the HTML part (the
        # same in all five, so once too: #18 keeps it for the agent to see as sent).
        kept = {sha(PDF), sha(PNG), sha(CSV), m.html_sha256}
        assert set(s.exec(select(Blob.sha256)).all()) == kept and len(kept) == 4
        assert json.loads(m.cc_addrs) == [["Bob", "bob@acme.example"], ["", "carol@acme.example"]]
    # re-sync: nothing new, nothing doubled
    asyncio.run(sync(cfg, sqlite_store))
    with sqlite_store.read() as s:
        assert s.exec(select(func.count()).select_from(Blob)).one() == 4


def test_the_same_file_in_many_messages_is_stored_once(store, tmp_path):
    """On SQLite and PostgreSQL (bytea, ON CONFLICT DO NOTHING)."""
    md = tmp_path / "md"
    import mailbox

    box = mailbox.Maildir(str(md), create=True)
    for n in range(300):
        box.add(customer_mail(n, files=[("logo.pdf", "application/pdf", PDF)]))
    assert import_mail(store, [md]).counts.imported == 300
    assert import_mail(store, [md]).counts.duplicates == 300
    with store.read() as s:
        assert s.exec(select(func.count()).select_from(Message)).one() == 300
        # The file once, and the HTML part (the same in every message) once.
        htmls = set(s.exec(select(Message.html_sha256)).all())
        assert len(htmls) == 1 and None not in htmls
        assert set(s.exec(select(Blob.sha256)).all()) == {sha(PDF), *htmls}
        assert s.get(Blob, sha(PDF)).data == PDF


def test_too_large_broken_and_empty_files_each_say_why_and_the_message_is_kept(sqlite_store):
    raw = customer_mail(
        1,
        files=[
            ("big.bin", "application/octet-stream", b"x" * 20_000),
            ("empty.txt", "text/plain", b""),
            ("ok.pdf", "application/pdf", PDF),
        ],
    )
    broken_b64 = (
        b"From: a@b.example\r\nSubject: broken\r\nMessage-ID: <broken@b.example>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\ntext stays\r\n"
        b'--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename="damaged.zip"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\neXl5eXl5e\r\n--b--\r\n"
    )
    limits = AttachmentLimits(max_attachment_bytes=17_000, max_message_attachment_bytes=10**6)
    parsed = parse_message(raw, source="t", external_id="1", limits=limits)
    kinds = {a.name: (a.status, a.note) for a in parsed.attachments}
    assert kinds["big.bin"][0] == "too_large"
    assert kinds["big.bin"][1] == (
        "'big.bin' (19.5 KB) is over the 16.6 KB limit for one attachment; "
        "its name and size are kept, the file is not"
    )
    assert kinds["empty.txt"][0] == "stored"
    assert kinds["ok.pdf"][0] == "stored"
    assert "Hello" in parsed.body
    damaged = parse_message(broken_b64, source="t", external_id="2")
    (att,) = damaged.attachments
    assert att.status == "unreadable" and "broken base64" in (att.note or "")
    assert damaged.body.startswith("text stays")

    def work(s):
        from inbox_tui.ingest import Ingestor

        ing = Ingestor(s)
        return [ing.add(parsed).conversation_id, ing.add(damaged).conversation_id]

    cid, cid2 = sqlite_store.run(work)
    with sqlite_store.read() as s:
        items = {i.filename: i for i in list_attachments(s, cid)}
        assert items["big.bin"].sha256 is None and "over the" in items["big.bin"].note
        assert items["empty.txt"].sha256 == sha(b"") and items["empty.txt"].size == 0
        m = s.exec(select(Message).where(Message.conversation_id == cid)).one()
        assert "over the" in m.parse_warnings  # shown with the message
        (bad,) = list_attachments(s, cid2)
        assert bad.status == "unreadable"


def test_per_message_cap_keeps_the_first_files_and_names_the_rest():
    files = [(f"f{i}.bin", "application/octet-stream", bytes([i]) * 3000) for i in range(4)]
    parsed = parse_message(
        customer_mail(1, files=files),
        source="t",
        external_id="1",
        limits=AttachmentLimits(max_attachment_bytes=5000, max_message_attachment_bytes=7000),
    )
    assert [a.status for a in parsed.attachments] == ["stored", "stored", "too_large", "too_large"]
    assert "would take this message's attachments over" in parsed.attachments[2].note


HOSTILE = [
    "../../etc/passwd",
    "/etc/shadow",
    "evil\x1b]52;c;aGk=\x07name\x00.txt",
    "x" * 10_000 + ".pdf",
    "report.pdf",
    "report.pdf",  # a collision
    "..",
    "",
    "rapport\u202egnp.exe",
]


def test_save_with_hostile_names_writes_only_inside_the_folder(sqlite_store, tmp_path):
    files = [(name, "application/pdf", PDF + str(i).encode()) for i, name in enumerate(HOSTILE)]
    msg = parse_message(customer_mail(1, files=files), source="t", external_id="1")

    def work(s):
        from inbox_tui.ingest import Ingestor

        return Ingestor(s).add(msg).conversation_id

    cid = sqlite_store.run(work)
    out = tmp_path / "downloads"
    (out / "report.pdf").parent.mkdir()
    (out / "report.pdf").write_bytes(b"mine, do not overwrite")
    before = {p for p in tmp_path.rglob("*")}
    with sqlite_store.read() as s:
        saved = save_attachments(s, cid, out)
    assert (out / "report.pdf").read_bytes() == b"mine, do not overwrite"
    written = [x.path for x in saved if x.path is not None]
    assert len(written) == len(HOSTILE)
    for x in saved:
        assert x.path is not None and x.path.parent == out.resolve()
        name = x.path.name
        assert not name.startswith(".") and "/" not in name
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in name)
        assert "\u202e" not in name and len(name.encode()) <= 150
    contents = sorted(p.read_bytes() for p in written)
    assert contents == sorted(PDF + str(i).encode() for i in range(len(HOSTILE)))
    after = {p for p in tmp_path.rglob("*")}
    assert {p.parent for p in after - before} == {out}
    assert not Path("/etc/passwd.pdf").exists()


def test_attachments_command_lists_json_and_saves(sqlite_store, tmp_path):
    db = sqlite_url(tmp_path / "cli.db")
    store = Store(db)
    md = tmp_path / "mail.eml"
    md.write_bytes(customer_mail(1))
    import_mail(store, [md])
    with store.read() as s:
        cid = s.exec(select(Conversation.id)).one()
    store.close()
    base = [sys.executable, "-m", "inbox_tui", "--db", db, "attachments", str(cid)]
    listed = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [d["filename"] for d in data] == ["Rechnung März.pdf", "screen.png", "items.csv"]
    assert {k for k in data[0]} >= {"message_id", "filename", "content_type", "size", "sha256"}
    assert data[0]["sha256"] == sha(PDF) and data[0]["message_id"] == "inv-1@acme.example"
    target = tmp_path / "out"
    done = subprocess.run(
        [*base, "--save", str(target)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "3 of 3 attachments saved." in done.stdout
    assert (target / "Rechnung März.pdf").read_bytes() == PDF
    assert (target / "items.csv").read_bytes() == CSV
    again = subprocess.run(
        [*base, "--save", str(target)], capture_output=True, text=True, timeout=60
    )
    assert (target / "items (2).csv").read_bytes() == CSV  # never overwritten
    assert "Traceback" not in again.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "inbox_tui", "--db", db, "attachments", "999"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0 and "999" in missing.stderr and "Traceback" not in missing.stderr
    exported = subprocess.run(
        [sys.executable, "-m", "inbox_tui", "--db", db, "export"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    conv = json.loads(exported.stdout.splitlines()[0])
    first = conv["messages"][0]
    assert first["cc"] == [
        {"name": "Bob", "email": "bob@acme.example"},
        {"name": "", "email": "carol@acme.example"},
    ]
    assert first["attachments"][0] == {
        "filename": "Rechnung März.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": sha(PDF),
    }


def test_forward_carries_the_original_attachments(smtp_server, sqlite_store):
    msg = parse_message(customer_mail(1), source="imap:support/INBOX", external_id="1")

    def work(s):
        from inbox_tui.ingest import Ingestor

        triage.ensure_agent(s, "sam", "Sam")
        r = Ingestor(s).add(msg)
        return r.conversation_id, r.message_row_id

    cid, mid = sqlite_store.run(work)
    account = Account(
        name="support",
        host="127.0.0.1",
        security="plain",
        address="support@example.com",
        smtp=smtp_server.settings(),
        sent_mailbox=None,
    )
    cfg = Config(None, None, AgentIdentity("sam", "Sam"), accounts={"support": account})
    sqlite_store.run(
        forward.queue_forward,
        "sam",
        cid,
        ["supplier@vendor.example"],
        config=cfg,
        message_row_id=mid,
    )
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    sent = email.message_from_bytes(smtp_server.messages[0][2], policy=email.policy.default)
    (original,) = [p.get_content() for p in sent.iter_attachments()]
    names = {a.get_filename(): a.get_payload(decode=True) for a in original.iter_attachments()}
    assert names["Rechnung März.pdf"] == PDF
    assert names["screen.png"] == PNG
    assert names["items.csv"] == CSV


def test_forwarding_the_conversation_carries_its_files(smtp_server, sqlite_store):
    """#18 "Forward sends the conversation or one message, with its attachments": the
    whole conversation went quoted with no file at all. Its kept files go along, each
    once however often it was sent, as many as fit within the per-message cap."""
    from inbox_tui.services.review import forward_review

    first = parse_message(customer_mail(1), source="imap:support/INBOX", external_id="1")
    again = customer_mail(2, files=[("Rechnung März.pdf", "application/pdf", PDF)])
    second = parse_message(again, source="imap:support/INBOX", external_id="2")

    def work(s):
        from inbox_tui.ingest import Ingestor

        triage.ensure_agent(s, "sam", "Sam")
        cid = Ingestor(s).add(first).conversation_id
        from inbox_tui.services.merge import merge

        merge(s, "sam", Ingestor(s).add(second).conversation_id, cid)  # one conversation
        return cid

    cid = sqlite_store.run(work)
    account = Account(
        name="support", host="127.0.0.1", security="plain", address="support@example.com",
        smtp=smtp_server.settings(), sent_mailbox=None,
    )  # fmt: skip
    cfg = Config(None, None, AgentIdentity("sam", "Sam"), accounts={"support": account})
    with sqlite_store.read() as s:
        review = forward_review(s, "sam", cid, config=cfg)
    assert (review.carried, review.left_out) == (3, 0)
    sqlite_store.run(forward.queue_forward, "sam", cid, ["boss@example.org"], config=cfg)
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    sent = email.message_from_bytes(smtp_server.messages[0][2], policy=email.policy.default)
    assert "Hello," in sent.get_body(("plain",)).get_content()  # quoted, as before
    files = {a.get_filename(): a.get_payload(decode=True) for a in sent.iter_attachments()}
    assert files == {"Rechnung März.pdf": PDF, "screen.png": PNG, "items.csv": CSV}

    cfg.mail.max_message_attachment_bytes = len(PDF) + 10  # the PDF fits, not the others
    with sqlite_store.read() as s:
        review = forward_review(s, "sam", cid, config=cfg)
    assert (review.carried, review.left_out) == (1, 2)


@pytest.mark.skipif(
    not (Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mail").is_dir(),
    reason="../shared/corpora is not present",
)
def test_corpora_attachments_are_kept_and_match_their_parts():
    """Every attachment the corpora's real mail carries is kept with the bytes the
    stdlib's strict parser decodes for it (or a note saying why not)."""
    root = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mail"
    checked = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".json"):
        raw = path.read_bytes()
        try:
            parsed = parse_message(raw, source="t", external_id=str(path))
        except Exception:
            continue
        for a in parsed.attachments:
            assert a.status in ("stored", "too_large", "unreadable"), path
            if a.status == "stored":
                assert a.data is not None and len(a.data) == a.size
                checked += 1
            else:
                assert a.note, path
    assert checked >= 10


def test_text_attachments_can_be_read_and_others_say_why_not(sqlite_store):
    from inbox_tui.errors import UserError
    from inbox_tui.services.attachments import attachment_text

    log = "line 1\r\nZoë \x1b[31mred\x1b[0m\r\n".encode()
    msg = parse_message(
        customer_mail(
            1,
            files=[("app.log", "text/plain", log), ("Rechnung.pdf", "application/pdf", PDF)],
        ),
        source="t",
        external_id="1",
    )

    def work(s):
        from inbox_tui.ingest import Ingestor

        return Ingestor(s).add(msg).conversation_id

    cid = sqlite_store.run(work)
    with sqlite_store.read() as s:
        text_info, pdf_info = list_attachments(s, cid)
        assert attachment_text(s, text_info) == "line 1\nZoë [31mred[0m\n"
        with pytest.raises(UserError, match="not text; save it to open it"):
            attachment_text(s, pdf_info)
