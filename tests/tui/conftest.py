"""A demo store built once per session with a fixed clock, copied for each test."""

from __future__ import annotations

import contextlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.worker import WorkerCancelled

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.demo import build_demo
from inbox_tui.store import Store, sqlite_url

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday afternoon
ME = "tester"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = Store(sqlite_url(path))
    # The demo's data, not the demo mode: these tests bring their own settings (the
    # demo mode would keep replies from their SMTP server and add the demo's targets).
    build_demo(store, me=ME, now=NOW, mark=False)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def demo_store(demo_template: Path, tmp_path: Path):
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    store = Store(sqlite_url(path))
    yield store
    store.close()


async def settle(pilot, times: int = 3, *, skip_groups: tuple[str, ...] = ()) -> None:
    """Wait until the app is quiet: at least ``times`` passes of "wait for the workers,
    then let the message queue drain", and more while any worker is still pending or
    running (on a loaded machine an answer starts the next worker, a page then its count,
    after the passes). ``skip_groups`` names workers that run until the app ends (the
    background IMAP sync)."""

    def busy():
        return [w for w in pilot.app.workers if w.group not in skip_groups and not w.is_finished]

    for n in range(30):
        if n >= times and not busy():
            break
        pending = busy()
        if pending:
            # an exclusive worker may be replaced by a newer one while waited for
            with contextlib.suppress(WorkerCancelled):
                await pilot.app.workers.wait_for_complete(pending)
        await pilot.pause()


def make_config(**kw) -> Config:
    return Config(path=None, db_url=None, agent=AgentIdentity(ME, "Tess Ter"), demo=True, **kw)


def make_app(store, **kw):
    from inbox_tui.tui.app import InboxApp

    return InboxApp(
        store,
        kw.pop("config", None) or make_config(),
        ME,
        clock=lambda: NOW,
        poll_seconds=kw.pop("poll_seconds", 3600),
        **kw,
    )


@pytest.fixture(autouse=True)
def _truecolor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render as on a truecolor terminal whatever $TERM the suite runs under: the app
    draws highlights differently with 16 colours or NO_COLOR (tests/tui/test_colours.py
    asks for those itself), and snapshots must not depend on who runs them."""
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)
