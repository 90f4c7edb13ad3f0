"""Server error text is a stranger's text: when background mail sync or the outbox fails
with an error full of escapes, markup and bidi controls, the TUI's status line shows it
as plain text (exactly the sanitized sentence) and none of it reaches the terminal.

Real peers: a hostile IMAP server (refuses SELECT with hostile text), a hostile SMTP
server (answers DATA with a hostile 5xx or 4xx), real Dovecot for the mail side of the
outbox test; the real app under Pilot, and under tmux for the raw terminal bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from sqlmodel import select

from inbox_tui.config import Account, AgentIdentity, Config, SmtpSettings
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Outbox, utcnow
from inbox_tui.sanitize import one_line
from inbox_tui.services import triage
from inbox_tui.services.mailsync import sync
from inbox_tui.store import Store, sqlite_url
from tests.hostile import FORBIDDEN_TUI_BYTES, HOSTILE, assert_no_control_text
from tests.test_cli_terminal_safety import HostileImap, HostileSmtp
from tests.tmux import kill_session, new_session
from tests.tui.conftest import ME, NOW, make_app

SIZE = (160, 30)


def live_config(account: Account) -> Config:
    """What a real agent runs with: accounts configured, not the demo."""
    return Config(
        path=None,
        db_url=None,
        agent=AgentIdentity(ME, "Tess Ter"),
        accounts={account.name: account},
        demo=False,
    )


def one_conversation(store: Store) -> int:
    def work(s):
        triage.ensure_agent(s, ME, "Tess Ter")
        return (
            Ingestor(s)
            .add(
                IncomingMessage(
                    source="t",
                    external_id="1",
                    message_id="<q@x.example>",
                    subject="Where is my invoice?",
                    author_email="c@x.example",
                    sent_at=utcnow(),
                    body="q",
                )
            )
            .conversation_id
        )

    return store.run(work)


def status_text(app) -> str:
    return str(app.main.query_one("#status").content)


async def wait_for_status(pilot, prefix: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while not status_text(pilot.app).startswith(prefix):
        assert time.monotonic() < deadline, (
            f"status never started with {prefix!r}: {status_text(pilot.app)!r}"
        )
        await pilot.pause(0.1)
    return status_text(pilot.app)


@pytest.fixture
def hostile_imap():
    imap = HostileImap()
    yield imap
    imap.server.shutdown()
    imap.server.server_close()


def hostile_imap_account(imap: HostileImap) -> Account:
    return Account(
        name="support",
        host="127.0.0.1",
        port=imap.port,
        security="plain",
        username="agent",
        password="x",
        # The hostile server answers at once; on a loaded CI machine its greeting took
        # more than 5 s while the app under Pilot ran, and the test saw a timeout's
        # sentence instead of the server's text.
        timeout=30.0,
    )


async def test_background_sync_error_is_text_in_the_status_line(hostile_imap, tmp_path):
    store = Store(sqlite_url(tmp_path / "s.db"))
    one_conversation(store)
    account = hostile_imap_account(hostile_imap)
    # The sentence the server's refusal becomes, as the one-shot sync reports it.
    report = await sync(live_config(account), store)
    (error,) = report.errors
    assert error.startswith("support: ")  # the one-shot sync names the account
    app = make_app(store, config=live_config(account), poll_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        shown = await wait_for_status(pilot, "Mail sync at")
        assert shown == one_line(
            f"Mail sync at {NOW:%H:%M}: {error.removeprefix('support: ')}", 300
        )
        assert_no_control_text(shown, "the status line")
        # Markup in the server's text is text: literally there, and the app still runs.
        assert HOSTILE[1][0].strip() in shown and "evil" in shown
        assert app.is_running and app._exception is None
        line = app.main.query_one("#status").render_line(0).text
        assert_no_control_text(line, "the rendered status line")
    store.close()


@pytest.fixture
def hostile_smtp(request):
    smtp = HostileSmtp(request.param)
    smtp.controller.start()
    yield smtp
    smtp.controller.stop()


@pytest.mark.parametrize(
    ("hostile_smtp", "code", "kind"),
    [("550", "550", "could not be sent"), ("451", "451", "will be retried")],
    indirect=["hostile_smtp"],
)
async def test_outbox_failure_is_text_in_the_status_line(
    hostile_smtp, code, kind, dovecot_server, tmp_path
):
    store = Store(sqlite_url(tmp_path / "o.db"))
    one_conversation(store)
    account = dovecot_server.account(sent_mailbox="")
    account.smtp = SmtpSettings(
        host="127.0.0.1", port=hostile_smtp.port, security="plain", timeout=5.0
    )
    app = make_app(store, config=live_config(account), poll_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_status(pilot, "Mail checked at")  # the sync side is quiet from here on
        await pilot.press("enter", "r")
        await pilot.pause(0.2)
        await pilot.press(*"Here it is", "ctrl+s", "y")
        shown = await wait_for_status(pilot, "1 reply")
        with store.read() as s:
            (row,) = s.exec(select(Outbox)).all()
        assert row.last_error and f"answered {code}" in row.last_error
        assert shown == one_line(f"1 reply {kind}: {row.last_error}", 300)
        assert_no_control_text(shown, "the status line")
        assert HOSTILE[0][0] in shown  # "[@click=app.quit]Click me[/]" is text, not an action
        for toast in app._notifications:
            assert_no_control_text(str(toast.message), "a notification")
        assert app.is_running and app._exception is None
    store.close()


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps")
def test_sync_error_reaches_the_terminal_as_text_only(hostile_imap, tmp_path):
    """The real app in tmux: the raw bytes it writes carry none of the server's escapes."""
    db = tmp_path / "t.db"
    store = Store(sqlite_url(db))
    one_conversation(store)
    store.close()
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[agent]\nusername = "{ME}"\n'
        f'[accounts.support]\nhost = "127.0.0.1"\nport = {hostile_imap.port}\n'
        f'security = "plain"\nusername = "agent"\npassword_env = "PW"\ntimeout = 5\n'
    )
    raw = tmp_path / "raw.bin"
    session = f"srverr{os.getpid()}"
    home = tmp_path / "home"
    # Something in the test process (a C library) exports COLUMNS=80/LINES=24 at the C
    # level; the tmux server inherits them and the app would believe it is 80x24.
    cmd = (
        f"env -u COLUMNS -u LINES {sys.executable} -m inbox_tui --config {cfg} --db sqlite:///{db}"
    )
    new_session(
        session, cmd, (160, 30), {"HOME": str(home), "XDG_CONFIG_HOME": str(home), "PW": "x"}
    )
    try:
        subprocess.run(["tmux", "pipe-pane", "-o", "-t", session, f"cat >> {raw}"], check=True)
        screen = ""
        deadline = time.monotonic() + 60
        while "Mail sync at" not in screen:
            assert time.monotonic() < deadline, f"no sync error on screen:\n{screen}"
            time.sleep(0.5)
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        time.sleep(1)  # let the pipe catch the frame that drew it
    finally:
        kill_session(session)
    data = raw.read_bytes()
    assert b"Mail sync at" in data and b"NONEXISTENT" in data
    for needle in FORBIDDEN_TUI_BYTES:
        assert needle not in data, needle
    assert "[link=https://evil.example]login[/link]" in screen


async def test_status_line_shows_any_hostile_text_as_one_plain_line(tmp_path):
    """The last line of defence: whatever a background task reports (a server's text that
    was not cleaned on its way) is one plain line in the status bar."""
    store = Store(sqlite_url(tmp_path / "x.db"))
    one_conversation(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for text, why in [*HOSTILE, ("two\nlines\r\nhere", "newlines")]:
            app.main.set_status(f"Mail sync at 15:30: {text}")
            await pilot.pause()
            shown = status_text(app)
            assert shown == one_line(f"Mail sync at 15:30: {text}", 300), why
            assert "\n" not in shown, why
            assert_no_control_text(shown, why)
            assert_no_control_text(app.main.query_one("#status").render_line(0).text, why)
        assert app.is_running and app._exception is None
    store.close()
