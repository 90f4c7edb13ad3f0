"""#18: a message forwarded inside a mail (a ``message/rfc822`` part) is kept as a file
too, not only shown as text: named from its subject (cleaned; ``forwarded.eml`` when it
has none), listed by ``attachments --json``, saved by ``--save``, its bytes the enclosed
message itself. Mail synced from the real Dovecot."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from email.message import EmailMessage

from sqlmodel import select

from inbox_tui import cli
from inbox_tui.config import AgentIdentity, Config
from inbox_tui.models import Conversation
from inbox_tui.services.attachments import list_attachments
from inbox_tui.services.conversations import get_thread
from inbox_tui.services.mailsync import sync
from tests.test_attachments import PDF, sha


def enclosed(subject: str | None) -> EmailMessage:
    inner = EmailMessage()
    inner["From"] = "Lars Berg <lars@supplier.example>"
    inner["To"] = "zoe@acme.example"
    if subject is not None:
        inner["Subject"] = subject
    inner["Message-ID"] = "<order-77@supplier.example>"
    inner["Date"] = "Fri, 27 Feb 2026 16:00:00 +0000"
    inner.set_content("Your order 77 ships on Monday.\n")
    inner.add_attachment(PDF, maintype="application", subtype="pdf", filename="order-77.pdf")
    return inner


def outer(n: int, inner: EmailMessage, filename: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Zoë Brennan <zoe@acme.example>"
    msg["To"] = "support@example.com"
    msg["Subject"] = f"Fwd: where is my order {n}"
    msg["Message-ID"] = f"<fwd-{n}@acme.example>"
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg.set_content("See what the supplier told me below.\n")
    msg.add_attachment(inner, filename=filename) if filename else msg.add_attachment(inner)
    return msg.as_bytes()


def synced(dovecot_server, store, *raws: bytes) -> list[int]:
    for raw in raws:
        dovecot_server.add(raw)
    cfg = Config(
        path=None,
        db_url=None,
        agent=AgentIdentity("sam", "Sam"),
        accounts={"support": dovecot_server.account()},
    )
    report = asyncio.run(sync(cfg, store))
    assert report.mailboxes[0].counts.imported == len(raws)
    with store.read() as s:
        return list(s.exec(select(Conversation.id).order_by(Conversation.id)).all())


def run(capsys, *args: str) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


def test_a_forwarded_message_is_kept_as_a_file_listed_and_saved(
    dovecot_server, sqlite_store, tmp_path, capsys
):
    (cid,) = synced(dovecot_server, sqlite_store, outer(1, enclosed("Re: Order 77 / delivery?")))
    with sqlite_store.read() as s:
        items = list_attachments(s, cid)
        body = get_thread(s, cid).messages[0].body
    assert [(i.filename, i.content_type, i.status) for i in items] == [
        ("Re Order 77 delivery.eml", "message/rfc822", "stored"),
        ("order-77.pdf", "application/pdf", "stored"),
    ]
    assert "Your order 77 ships on Monday." in body  # still read in the thread

    listed = json.loads(run(capsys, "--db", sqlite_store.url, "attachments", str(cid), "--json"))
    assert [(a["filename"], a["content_type"]) for a in listed] == [
        ("Re Order 77 delivery.eml", "message/rfc822"),
        ("order-77.pdf", "application/pdf"),
    ]
    out = tmp_path / "saved"
    said = run(capsys, "--db", sqlite_store.url, "attachments", str(cid), "--save", str(out))
    assert "2 of 2 attachments saved." in said
    saved = (out / "Re Order 77 delivery.eml").read_bytes()
    assert sha(saved) == listed[0]["sha256"]
    again = email.message_from_bytes(saved, policy=email.policy.default)
    assert again["Message-ID"] == "<order-77@supplier.example>"
    assert again["Subject"] == "Re: Order 77 / delivery?"
    text = again.get_body(("plain",)).get_content()
    assert text == "Your order 77 ships on Monday.\r\n"  # IMAP's line endings, as it came
    (pdf,) = list(again.iter_attachments())
    assert pdf.get_content() == PDF


def test_no_subject_a_given_name_and_a_hostile_subject(dovecot_server, sqlite_store, tmp_path):
    cids = synced(
        dovecot_server,
        sqlite_store,
        outer(2, enclosed(None)),
        outer(3, enclosed("Order 77"), filename="original message.eml"),
        outer(4, enclosed("../../etc/passwd\x1b[31m\u202e")),
    )
    with sqlite_store.read() as s:
        names = [list_attachments(s, cid)[0].filename for cid in cids]
    assert names[:2] == ["forwarded.eml", "original message.eml"]
    assert names[2] == "etc passwd [31m.eml"  # ESC and U+202E gone, nothing above the folder


def test_a_saved_eml_attached_to_a_reply_arrives_intact(smtp_server, sqlite_store, tmp_path):
    """A kept .eml sent on (attached to a reply) went out as message/rfc822 in base64,
    which RFC 2046 forbids and mail clients refuse: it goes as bytes, unchanged."""
    from inbox_tui.services import replies
    from tests.test_mail_out import flush, make_config, seed

    eml = tmp_path / "Order 77.eml"
    eml.write_bytes(enclosed("Order 77").as_bytes())
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    sqlite_store.run(
        replies.queue_reply, "sam", cid, "The supplier's mail.", config=cfg, attachments=[eml]
    )
    assert flush(sqlite_store, cfg) == 1
    msg = email.message_from_bytes(smtp_server.messages[0][2], policy=email.policy.default)
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "Order 77.eml"
    assert part.get_content_type() == "application/octet-stream"
    assert part.get_content() == eml.read_bytes()
