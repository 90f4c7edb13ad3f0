"""No command writes a control sequence from the data to a terminal: imports (with their
file:line problem reports), export, stats, suggest, outbox list/flush, sync, fed the
shared hostile corpus (tests/hostile.py) through file names, chat logs, tags, agent
names, help articles and hostile SMTP and IMAP servers. Run as real processes; output
read from a pseudo-terminal where the command behaves differently on one."""

from __future__ import annotations

import os
import pty
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.hostile import HOSTILE, LONG_LINE, assert_no_control_bytes, hostile_chat_logs
from tests.servers.postgres import free_port

EVIL = "\x1b]52;c;cHduZWQ=\x07\x9b31m\u202eevil\x1b[2J\rover"


def run(args: list[str], *, tty: bool = False, env: dict[str, str] | None = None) -> bytes:
    """Output (stdout + stderr) of ``inbox-tui ARGS``; on a pseudo-terminal if ``tty``."""
    cmd = [sys.executable, "-m", "inbox_tui", *args]
    full_env = {**os.environ, **(env or {})}
    if not tty:
        done = subprocess.run(cmd, capture_output=True, timeout=180, env=full_env)
        assert b"Traceback" not in done.stderr, done.stderr
        return done.stdout + done.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=slave, stderr=slave, stdin=slave, env=full_env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=180)
    os.close(master)
    out = b"".join(chunks)
    assert b"Traceback" not in out, out
    return out


def test_chat_imports_report_hostile_names_and_lines_as_text(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    for path in hostile_chat_logs(tmp_path / "logs"):
        out = run(["--db", db, "import", "chat", str(path)], tty=True)
        assert_no_control_bytes(out, f"import chat {path.name!r}")
    out = run(["--db", db, "import", "chat", str(tmp_path / f"missing{EVIL}.jsonl")])
    assert b"does not exist" in out
    assert_no_control_bytes(out, "the missing-file sentence")


def test_mail_import_lists_hostile_file_names_as_text(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / f"notes{EVIL}.txt").write_text("just some notes\n")
    (src / f"ok{EVIL}.eml").write_bytes(
        f"From: {HOSTILE[2][0]} <a@b.example>\nSubject: {HOSTILE[3][0]}\n\n{LONG_LINE}\n".encode()
    )
    db = f"sqlite:///{tmp_path / 'm.db'}"
    out = run(["--db", db, "import", "mail", str(src)], tty=True)
    assert b"skipped" in out
    assert_no_control_bytes(out, "import mail")
    out = run(["--db", db, "import", "mail", str(src / f"gone{EVIL}")])
    assert_no_control_bytes(out, "the missing-path sentence")


def hostile_store(tmp_path: Path) -> str:
    """A store with hostile chat, tags, an agent name and help articles."""
    from inbox_tui.models import TagKind
    from inbox_tui.services import triage
    from inbox_tui.store import Store, sqlite_url

    db = sqlite_url(tmp_path / "h.db")
    for path in hostile_chat_logs(tmp_path / "logs"):
        run(["--db", db, "import", "chat", str(path)])
    kb = tmp_path / "kb"
    kb.mkdir()
    for i, (text, _) in enumerate(HOSTILE):
        (kb / f"a{i}.md").write_text(
            f'---\ntitle: "Export help {text.encode("unicode_escape").decode()}"\n'
            f'description: "{EVIL.encode("unicode_escape").decode()}"\n---\nHow to export help {text}\n'
        )
    run(["--db", db, "import", "articles", str(kb)])
    store = Store(db)
    store.run(triage.ensure_agent, "eve", f"Eve {EVIL}")
    with store.read() as s:
        from sqlmodel import select

        from inbox_tui.models import Conversation

        cid = s.exec(select(Conversation.id)).first()
    for text, _ in HOSTILE[:6]:  # categories: what tag suggestions learn from
        store.run(triage.tag, "eve", cid, text[:40], kind=TagKind.CATEGORY)
    store.run(triage.set_status, "eve", cid, "closed")
    store.close()
    return db


def test_export_stats_suggest_print_hostile_data_as_text(tmp_path):
    db = hostile_store(tmp_path)
    checks = {
        "export": ["export"],
        "stats": ["stats", "--period", "6m"],
        "stats csv": ["stats", "--period", "6m", "--format", "csv"],
        "stats per conversation": ["stats", "--period", "6m", "--per-conversation"],
        "suggest": ["suggest", "--text", "export help"],
        "suggest tags": ["suggest", "--text", "export help", "--tags"],
        "suggest conversation": ["suggest", "1"],
    }
    for name, args in checks.items():
        out = run(["--db", db, *args], tty=True)
        assert out.strip(), name
        assert_no_control_bytes(out, name)


class HostileSmtp:
    """aiosmtpd answering DATA with a hostile permanent (5xx) or temporary (4xx) error."""

    def __init__(self, code: str) -> None:
        self.port = free_port()

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                return f"{code} {EVIL} mailbox {HOSTILE[0][0]}"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


def test_smtp_server_error_text_is_shown_as_text(tmp_path):
    from inbox_tui.config import load_config
    from inbox_tui.incoming import IncomingMessage
    from inbox_tui.ingest import Ingestor
    from inbox_tui.models import utcnow
    from inbox_tui.services import replies, triage
    from inbox_tui.store import Store, sqlite_url

    smtp = HostileSmtp("550")
    smtp.controller.start()
    try:
        cfg = tmp_path / "config.toml"
        cfg.write_text(
            f'[agent]\nusername = "sam"\n[accounts.support]\nhost = "127.0.0.1"\nport = 1\n'
            f'security = "plain"\naddress = "support@example.com"\nsent_mailbox = ""\n'
            f'[accounts.support.smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "plain"\n'
            "[mail]\nundo_seconds = 0\n"  # flushed at once: this test is about the output
        )
        db = sqlite_url(tmp_path / "o.db")
        store = Store(db)

        def seed(s):
            triage.ensure_agent(s, "sam")
            return (
                Ingestor(s)
                .add(
                    IncomingMessage(
                        source="t",
                        external_id="1",
                        message_id="<q@x.example>",
                        subject="q",
                        author_email="c@x.example",
                        sent_at=utcnow(),
                        body="q",
                    )
                )
                .conversation_id
            )

        cid = store.run(seed)
        store.run(replies.queue_reply, "sam", cid, "answer", config=load_config(cfg))
        store.close()
        base = ["--config", str(cfg), "--db", db]
        out = run([*base, "outbox", "flush"], tty=True)
        assert b"550" in out
        assert_no_control_bytes(out, "outbox flush")
        for args in (["outbox", "list"], ["outbox", "list", "--json"]):
            out = run([*base, *args], tty=True)
            assert b"550" in out
            assert_no_control_bytes(out, " ".join(args))
    finally:
        smtp.controller.stop()


class HostileImap:
    """An IMAP peer that accepts the login and refuses SELECT with hostile text."""

    def __init__(self) -> None:
        self.port = free_port()

        class Conn(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                w = self.wfile
                w.write(b"* OK [CAPABILITY IMAP4rev1] hostile ready\r\n")
                while line := self.rfile.readline():
                    tag, _, rest = line.decode(errors="replace").strip().partition(" ")
                    cmd = rest.split(" ")[0].upper()
                    if cmd == "CAPABILITY":
                        w.write(b"* CAPABILITY IMAP4rev1\r\n")
                        w.write(f"{tag} OK done\r\n".encode())
                    elif cmd == "LOGOUT":
                        w.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                        return
                    elif cmd in ("SELECT", "EXAMINE", "STATUS"):
                        w.write(f"{tag} NO [NONEXISTENT] {EVIL} {HOSTILE[1][0]}\r\n".encode())
                    else:
                        w.write(f"{tag} OK {EVIL}\r\n".encode())

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Conn)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_imap_server_error_text_is_shown_as_text(tmp_path):
    imap = HostileImap()
    try:
        cfg = tmp_path / "config.toml"
        cfg.write_text(
            f'[accounts.support]\nhost = "127.0.0.1"\nport = {imap.port}\nsecurity = "plain"\n'
            f'username = "agent"\npassword_env = "PW"\ntimeout = 5\n'
        )
        out = run(
            ["--config", str(cfg), "--db", f"sqlite:///{tmp_path / 's.db'}", "sync"],
            tty=True,
            env={"PW": "x"},
        )
        assert b"support" in out
        assert_no_control_bytes(out, "sync")
    finally:
        imap.server.shutdown()
        imap.server.server_close()


def test_commands_print_raw_stored_rows_as_text(tmp_path):
    """Issue 19: the database is untrusted too. An article, a macro, a customer address,
    an agent name, a tag and a saved search stored raw (as an older version left them):
    every command that lists them prints text only, on a terminal and in --json."""
    from tests.tui.test_every_widget_hostile import hostile_everything

    db_path = tmp_path / "raw.db"
    hostile_everything(db_path).close()
    db = f"sqlite:///{db_path}"
    checks = {
        "macros list": ["macros", "list"],
        "views list": ["views", "list"],
        "tags list": ["tags", "list"],
        "tags list json": ["tags", "list", "--json"],
        "search": ["search", "bidi"],
        "search json": ["search", "bidi", "--json"],
        "export": ["export"],
        "suggest": ["suggest", "--text", "bidi isolates marks markup"],
        "suggest conversation": ["suggest", "1"],
        "attachments": ["attachments", "1"],
        "stats": ["stats", "--period", "6m", "--per-conversation"],
    }
    for name, args in checks.items():
        out = run(["--db", db, *args], tty=True)
        assert_no_control_bytes(out, name)
    assert b"MACROMARK" in run(["--db", db, "macros", "list"], tty=True)
