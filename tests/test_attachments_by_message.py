"""``inbox-tui attachments`` lists files per message, each message with its kind
(customer, reply, forward, note) and date, and ``--save`` writes each distinct file
(sha256) once unless ``--all`` (walk5 #4): on INV-2291 a forward carried the customer's
files again, the list showed them twice with nothing saying where each came from, and
``--save`` wrote "INV-2291 (2).pdf". The forward and the reply go out through the real
aiosmtpd server first."""

from __future__ import annotations

import json
import os
from datetime import timedelta

from inbox_tui.cli import main
from inbox_tui.incoming import Attachment, IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import utcnow
from inbox_tui.services import forward, replies, triage
from tests.test_mail_out import flush, make_config

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 3 + b"\n%%EOF\n"
CSV = b"item,qty\nseats,25\n"


def _seed(store, tmp_path, smtp) -> int:
    msg = IncomingMessage(
        source="imap:support/INBOX",
        external_id="inv-1",
        message_id="<inv-1@bigcorp.example>",
        subject="Invoice INV-2291 is for the wrong number of seats",
        author_name="Priya Raman",
        author_email="priya@bigcorp.example",
        to=[("Support", "support@example.com")],
        sent_at=utcnow() - timedelta(hours=2),
        body="See the invoice.",
        attachments=[
            Attachment("INV-2291.pdf", "application/pdf", len(PDF), PDF, "stored"),
            Attachment("line-items.csv", "text/csv", len(CSV), CSV, "stored"),
        ],
    )

    def work(s):
        triage.ensure_agent(s, "sam", "Sam Carter", "sam@example.com")
        return Ingestor(s).add(msg).conversation_id

    cid = store.run(work)
    cfg = make_config(smtp)
    # The whole conversation forwarded (quoted: the customer's files go along).
    store.run(forward.queue_forward, "sam", cid, ["ana@supplier.example"], config=cfg, note="FYI")
    (tmp_path / "INV-2291.pdf").write_bytes(PDF)
    (tmp_path / "credit-note.txt").write_bytes(b"credit 7 seats\n")
    store.run(  # a note keeping the same PDF, and a reply with a new file
        lambda s: triage.add_note(
            s, "sam", cid, "Their copy", attachments=[tmp_path / "INV-2291.pdf"], config=cfg
        )
    )
    store.run(
        replies.queue_reply, "sam", cid, "Credit note attached.", config=cfg,
        attachments=[tmp_path / "credit-note.txt"],
    )  # fmt: skip
    assert flush(store, cfg) == 2
    return cid


def test_the_list_says_which_message_each_file_came_from(
    smtp_server, sqlite_store, tmp_path, capsys
):
    cid = _seed(sqlite_store, tmp_path, smtp_server)
    assert main(["--db", sqlite_store.url, "attachments", str(cid), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(d["kind"], d["filename"]) for d in data] == [
        ("customer", "INV-2291.pdf"),
        ("customer", "line-items.csv"),
        ("forward", "INV-2291.pdf"),
        ("forward", "line-items.csv"),
        ("note", "INV-2291.pdf"),
        ("reply", "credit-note.txt"),
    ]
    assert all(d["sent_at"] and d["sent_at"][:4].isdigit() for d in data)
    assert main(["--db", sqlite_store.url, "attachments", str(cid)]) == 0
    lines = capsys.readouterr().out.splitlines()
    heads = [line for line in lines if not line.startswith(" ")]
    assert [h.split()[0] for h in heads] == ["customer", "forward", "note", "reply"]
    assert "Priya Raman" in heads[0] and "Sam Carter" in heads[1]
    files = [line.split()[0] for line in lines if line.startswith(" ")]
    assert files == [
        "INV-2291.pdf", "line-items.csv", "INV-2291.pdf", "line-items.csv", "INV-2291.pdf",
        "credit-note.txt",
    ]  # fmt: skip
    assert sum("same file as" in line for line in lines) == 3  # the copies say so


def test_save_writes_each_distinct_file_once_unless_all(
    smtp_server, sqlite_store, tmp_path, capsys
):
    cid = _seed(sqlite_store, tmp_path, smtp_server)
    out = tmp_path / "out"
    assert main(["--db", sqlite_store.url, "attachments", str(cid), "--save", str(out)]) == 0
    said = capsys.readouterr().out
    assert sorted(os.listdir(out)) == ["INV-2291.pdf", "credit-note.txt", "line-items.csv"]
    assert (out / "INV-2291.pdf").read_bytes() == PDF
    assert (
        "3 files saved; 3 copies of files saved above were left out (--all writes them too)."
        in said
    )
    every = tmp_path / "every"
    assert (
        main(["--db", sqlite_store.url, "attachments", str(cid), "--save", str(every), "--all"])
        == 0
    )
    assert "6 of 6 attachments saved." in capsys.readouterr().out
    assert main(["--db", sqlite_store.url, "attachments", str(cid), "--all"]) != 0
    assert "--all goes with --save DIR" in capsys.readouterr().err
    assert sorted(os.listdir(every)) == [
        "INV-2291 (2).pdf", "INV-2291 (3).pdf", "INV-2291.pdf", "credit-note.txt",
        "line-items (2).csv", "line-items.csv",
    ]  # fmt: skip


def test_the_attachments_panel_says_which_message_too(smtp_server, sqlite_store, tmp_path):
    """``P`` names the message a file came with the same way: from the customer, reply
    by, forward by, note by."""
    from inbox_tui.services.attachments import list_attachments
    from inbox_tui.tui.screens.attachments import row_text

    cid = _seed(sqlite_store, tmp_path, smtp_server)
    with sqlite_store.read() as s:
        rows = [row_text(i, 200).plain for i in list_attachments(s, cid)]
    whose = [r.split("  ")[-1].split(",")[0] for r in rows]
    assert whose == [
        "from Priya Raman", "from Priya Raman", "forward by Sam Carter", "forward by Sam Carter",
        "note by Sam Carter", "reply by Sam Carter",
    ]  # fmt: skip
