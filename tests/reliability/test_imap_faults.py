"""IMAP sync under faults, against a real Dovecot: the connection cut at many points in
the middle of FETCH (a proxy in between), and the sync process killed (SIGKILL) at
random moments. After resuming: exactly the server's messages, none twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email.message import EmailMessage

from sqlmodel import func, select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.models import Message
from inbox_tui.services.mailsync import sync
from tests.servers.postgres import free_port

N = 450  # three FETCH batches


def seed(server) -> None:
    md = server.maildir()
    for i in range(N):
        m = EmailMessage()
        m["From"] = f"c{i}@example.com"
        m["Subject"] = f"question {i} " + "(unbalanced"
        m["Message-ID"] = f"<f{i}@example.com>"
        m.set_content(f"body {i} " + "x" * 2000)
        md.add(m.as_bytes())


class CuttingProxy:
    """Forwards 127.0.0.1:port to Dovecot; cuts both sides after ``cut_after`` bytes
    from the server, once per connection, while ``cut_after`` is set."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target = target_port
        self.cut_after: int | None = None
        self.cuts = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            limit = self.cut_after
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, limit), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[: max(0, limit - sent)])
                    self.cuts += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.sock.close()


def counts(store) -> tuple[int, int]:
    with store.read() as s:
        total = s.exec(select(func.count()).select_from(Message)).one()
        distinct = s.exec(select(func.count(func.distinct(Message.message_id)))).one()
    return total, distinct


def test_connection_cut_mid_fetch_at_many_points(dovecot_server, sqlite_store):
    seed(dovecot_server)
    proxy = CuttingProxy(dovecot_server.port)
    cfg = Config(
        path=None,
        db_url=None,
        agent=AgentIdentity("t", "t"),
        accounts={"support": dovecot_server.account(port=proxy.port, timeout=3.0)},
    )
    try:
        for cut in (3_000, 60_000, 200_000, 450_000, 700_000, 950_000):
            proxy.cut_after = cut
            before = proxy.cuts
            report = asyncio.run(sync(cfg, sqlite_store))
            if proxy.cuts > before:  # the cut happened (later runs have less left to fetch)
                assert report.errors, f"the cut at {cut} bytes was not noticed"
                assert all(e.startswith("support: ") for e in report.errors)
            total, distinct = counts(sqlite_store)
            assert total == distinct  # never a duplicate, even half-way
        proxy.cut_after = None
        final = asyncio.run(sync(cfg, sqlite_store))
        assert final.errors == []
    finally:
        proxy.close()
    assert proxy.cuts >= 3
    assert counts(sqlite_store) == (N, N)


def test_sync_killed_at_random_points_resumes_exactly(dovecot_server, tmp_path):
    seed(dovecot_server)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[accounts.support]\nhost = "127.0.0.1"\nport = {dovecot_server.port}\nsecurity = "plain"\nusername = "agent"\npassword_env = "IMAP_PW"\n'
    )
    db = f"sqlite:///{tmp_path / 'k.db'}"
    env = {**os.environ, "IMAP_PW": "secret"}
    cmd = [sys.executable, "-m", "inbox_tui", "--config", str(cfg), "--db", db, "sync"]
    for delay in (0.6, 1.0, 1.4, 1.9):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    from inbox_tui.store import Store

    store = Store(db)
    assert counts(store) == (N, N)
    store.close()
