"""A throwaway Dovecot IMAP server on 127.0.0.1 (see ../shared/recipes/servers.md).

``dovecot_server`` (function scope) starts one in a temp dir with user ``agent`` /
password ``secret``; its API:

- ``server.port``, ``server.maildir(mailbox="INBOX")`` (a ``mailbox.Maildir`` to seed or
  for aiosmtpd to deliver into), ``server.add(raw, mailbox)``;
- ``server.recreate(mailbox)`` (deletes and recreates: a new UIDVALIDITY);
- ``server.restart(capabilities=None, tls=False)`` (e.g. ``"IMAP4rev1 IDLE"`` hides
  CONDSTORE/QRESYNC; ``tls=True`` serves implicit TLS with ``server.ca_file``);
- ``server.account(**overrides)`` → a config ``Account`` pointing at it.

Dovecot refuses to run mail processes as root, so it uses the package's own users.
"""

from __future__ import annotations

import mailbox
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.servers.postgres import free_port

USER, PASSWORD = "agent", "secret"


class DovecotServer:
    def __init__(self) -> None:
        if not shutil.which("dovecot"):
            pytest.fail(
                "dovecot is not installed; run .ci/system-deps (apt-get install dovecot-imapd)"
            )
        self.dir = Path(tempfile.mkdtemp(prefix="inbox-dovecot-"))
        self.dir.chmod(0o755)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.tls = False
        self.ca_file: str | None = None
        (self.dir / "mail").mkdir()
        (self.dir / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")

    @property
    def home(self) -> Path:
        return self.dir / "mail" / USER

    def _conf(self, capabilities: str | None) -> str:
        ssl = "no"
        if self.tls:
            ssl = f"required\nssl_cert = <{self.dir}/cert.pem\nssl_key = <{self.dir}/key.pem"
        cap = f"imap_capability = {capabilities}\n" if capabilities else ""
        listeners = (
            f"inet_listener imap {{\n    port = 0\n  }}\n  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.port}\n    ssl = yes\n  }}"
            if self.tls
            else f"inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}"
        )
        return f"""base_dir = {self.dir}/run
state_dir = {self.dir}/state
protocols = imap
listen = 127.0.0.1
ssl = {ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
mail_location = maildir:{self.dir}/mail/%u
first_valid_uid = 0
log_path = {self.dir}/dovecot.log
{cap}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={self.dir}/mail/%u
}}
service imap-login {{
  {listeners}
}}
"""

    def _make_cert(self) -> None:
        if (self.dir / "cert.pem").exists():
            return
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(self.dir / "key.pem"),
                "-out",
                str(self.dir / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        self.ca_file = str(self.dir / "cert.pem")

    def start(self, capabilities: str | None = None) -> None:
        if self.tls:
            self._make_cert()
        (self.dir / "dovecot.conf").write_text(self._conf(capabilities))
        shutil.rmtree(self.dir / "run", ignore_errors=True)
        self._chown()
        self.proc = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.dir / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        import socket

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"dovecot exited: {self.proc.stderr.read().decode(errors='replace') if self.proc.stderr else ''} {self.log()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"dovecot did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        p = self.dir / "dovecot.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""

    def _chown(self) -> None:
        for root, dirs, files in os.walk(self.dir / "mail"):
            for name in [*dirs, *files]:
                shutil.chown(os.path.join(root, name), "dovecot", "dovecot")
        shutil.chown(self.dir / "mail", "dovecot", "dovecot")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, capabilities: str | None = None, tls: bool | None = None) -> None:
        self.stop()
        if tls is not None:
            self.tls = tls
        self.start(capabilities)

    def maildir(self, mailbox_name: str = "INBOX") -> mailbox.Maildir:
        path = self.home if mailbox_name == "INBOX" else self.home / f".{mailbox_name}"
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        md = mailbox.Maildir(path, create=False)
        self._chown()
        return md

    def add(
        self, raw: bytes, mailbox_name: str = "INBOX", received: datetime | None = None
    ) -> None:
        """Seed directly into the Maildir (Dovecot picks new files up on the next SELECT).
        ``received``: when the server got it, its INTERNALDATE (a Maildir file's mtime)."""
        md = self.maildir(mailbox_name)
        key = md.add(raw)
        if received is not None:
            stamp = received.timestamp()
            os.utime(os.path.join(md._path, md._lookup(key)), (stamp, stamp))  # type: ignore[attr-defined]
        self._chown()

    def recreate(self, mailbox_name: str = "INBOX") -> None:
        """Throw the mailbox's index away: Dovecot assigns a new UIDVALIDITY."""
        path = self.home if mailbox_name == "INBOX" else self.home / f".{mailbox_name}"
        for name in os.listdir(path):
            if name.startswith("dovecot"):
                full = path / name
                if full.is_dir():
                    shutil.rmtree(full)
                else:
                    full.unlink()

    def account(self, **overrides: object):  # type: ignore[no-untyped-def]
        from inbox_tui.config import Account

        values: dict[str, object] = dict(
            name="support",
            host="127.0.0.1",
            port=self.port,
            security="tls" if self.tls else "plain",
            tls_ca_file=self.ca_file if self.tls else None,
            username=USER,
            password=PASSWORD,
            mailboxes=["INBOX"],
            address="support@example.com",
            timeout=10.0,
        )
        values.update(overrides)
        return Account(**values)  # type: ignore[arg-type]


@pytest.fixture
def dovecot_server() -> Iterator[DovecotServer]:
    server = DovecotServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
