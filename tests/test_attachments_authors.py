"""``inbox-tui attachments`` (and ``P``) name an agent's messages one way: the agent's
name as the store has it now (walk10 #14: "note sam" above "reply Sam Carter", the
names each message was written under, one of them from a start that had renamed the
agent)."""

from __future__ import annotations

from datetime import timedelta

from inbox_tui.cli import main
from inbox_tui.config import AgentIdentity, Config
from inbox_tui.incoming import Attachment, IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import utcnow
from inbox_tui.services import core, replies, triage
from inbox_tui.services.attachments import list_attachments

CSV = b"item,qty\nseats,25\n"


def seed(store, tmp_path) -> int:  # type: ignore[no-untyped-def]
    msg = IncomingMessage(
        source="imap:support/INBOX",
        external_id="inv-1",
        message_id="<inv-1@bigcorp.example>",
        subject="Invoice INV-2291",
        author_name="Priya Raman",
        author_email="priya@bigcorp.example",
        to=[("Support", "support@example.com")],
        sent_at=utcnow() - timedelta(hours=2),
        body="See the table.",
        attachments=[Attachment("line-items.csv", "text/csv", len(CSV), CSV, "stored")],
    )
    cfg = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam Carter"), demo=True)
    cid = store.run(
        lambda s: (
            core.ensure_agent(s, "sam", "Sam Carter", "sam@example.com"),
            Ingestor(s).add(msg).conversation_id,
        )[1]
    )
    (tmp_path / "fix.txt").write_bytes(b"fixed\n")
    store.run(  # a reply written as "Sam Carter"
        replies.queue_reply, "sam", cid, "Fixed.", config=cfg, attachments=[tmp_path / "fix.txt"]
    )
    store.run(lambda s: core.ensure_agent(s, "sam", "sam"))  # a start that renamed him
    store.run(
        lambda s: triage.add_note(
            s, "sam", cid, "Their copy", attachments=[tmp_path / "fix.txt"], config=cfg
        )
    )
    store.run(lambda s: core.ensure_agent(s, "sam", "Sam Carter"))  # named again
    return cid


def test_each_agent_is_named_one_way(store, tmp_path, capsys):
    cid = seed(store, tmp_path)
    assert main(["--db", store.url, "attachments", str(cid)]) == 0
    heads = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(" ")]
    assert [" ".join(h.split()[:3]) for h in heads] == [
        "customer Priya Raman",
        "reply Sam Carter",
        "note Sam Carter",
    ]
    with store.read() as s:
        assert [i.author for i in list_attachments(s, cid)] == [
            "Priya Raman",
            "Sam Carter",
            "Sam Carter",
        ]
