"""SMTP servers on 127.0.0.1 for the reply tests.

- ``smtp_server``: a real aiosmtpd server (in-process ``Controller``). Messages it accepts
  are kept in ``server.messages`` and, when ``server.deliver_to`` is set to a
  ``mailbox.Maildir`` (e.g. the Dovecot fixture's), delivered there too: a full reply
  round trip through two real servers. ``server.replies`` is a list of codes to answer
  DATA with before accepting (e.g. ``["451 4.3.0 try later"]`` or a 5xx).
- ``faulty_smtp``: a tiny hand-written SMTP peer that drops the connection at a chosen
  point (``"greeting"``, ``"mail"``, ``"rcpt"``, ``"data"`` (mid-DATA) or ``"dot"``
  (after the final dot, before answering)), and accepts normally once ``fail`` is None.
"""

from __future__ import annotations

import mailbox
import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.servers.postgres import free_port


class Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_DATA(self, server, session, envelope):
        if self.owner.replies:
            return self.owner.replies.pop(0)
        raw = envelope.original_content or envelope.content
        self.owner.messages.append((envelope.mail_from, list(envelope.rcpt_tos), raw))
        if self.owner.deliver_to is not None:
            self.owner.deliver_to.add(raw)
        return "250 2.0.0 OK queued"


class SmtpServer:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.replies: list[str] = []
        self.deliver_to: mailbox.Maildir | None = None
        self.controller = Controller(Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def settings(self, **overrides: object):  # type: ignore[no-untyped-def]
        from inbox_tui.config import SmtpSettings

        values: dict[str, object] = dict(
            host="127.0.0.1", port=self.port, security="plain", timeout=5.0
        )
        values.update(overrides)
        return SmtpSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class FaultySmtp:
    """Drops the connection at ``fail``; counts messages it fully accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.fail: str | None = "mail"
        self.accepted: list[bytes] = []
        self.received_dot: list[bytes] = []  # messages whose final dot arrived
        owner = self

        class Conn(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                w = self.wfile
                if owner.fail == "greeting":
                    return
                w.write(b"220 faulty ESMTP\r\n")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.strip().upper()
                    if cmd.startswith((b"EHLO", b"HELO")):
                        w.write(b"250-faulty\r\n250 8BITMIME\r\n")
                    elif cmd.startswith(b"MAIL"):
                        if owner.fail == "mail":
                            return
                        w.write(b"250 OK\r\n")
                    elif cmd.startswith(b"RCPT"):
                        w.write(b"250 OK\r\n")
                        if owner.fail == "rcpt":
                            return
                    elif cmd == b"DATA":
                        w.write(b"354 go\r\n")
                        data = b""
                        while True:
                            chunk = self.rfile.readline()
                            if not chunk:
                                return
                            if owner.fail == "data" and len(data) > 50:
                                return
                            if chunk in (b".\r\n", b".\n"):
                                break
                            data += chunk
                        owner.received_dot.append(data)
                        if owner.fail == "dot":
                            return
                        owner.accepted.append(data)
                        w.write(b"250 OK accepted\r\n")
                    elif cmd == b"QUIT":
                        w.write(b"221 bye\r\n")
                        return
                    else:
                        w.write(b"250 OK\r\n")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Conn)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings(self, **overrides: object):  # type: ignore[no-untyped-def]
        from inbox_tui.config import SmtpSettings

        values: dict[str, object] = dict(
            host="127.0.0.1", port=self.port, security="plain", timeout=3.0
        )
        values.update(overrides)
        return SmtpSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def faulty_smtp() -> Iterator[FaultySmtp]:
    server = FaultySmtp()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def port_is_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0
