"""The first page of the list is read while the screen is being built: the worker that
opens the store reads it at once, and the first reload shows it without asking again.
Only that first reload: a later one reads the store afresh."""

from __future__ import annotations

from textual.worker import get_current_worker

from inbox_tui.services import triage
from inbox_tui.tui.screens import main as main_screen
from tests.tui.conftest import ME, make_app, settle


async def test_first_page_is_read_by_the_opening_worker_and_used_once(demo_store, monkeypatch):
    asked: list[str] = []
    real = main_screen.page_of

    def page_of(session, flt, page, after, me):
        asked.append(get_current_worker().group)
        return real(session, flt, page, after, me)

    monkeypatch.setattr(main_screen, "page_of", page_of)
    with demo_store.read() as s:
        with_store = [r.id for r in real(s, triage_filter(), 0, None, ME)]
    app = make_app(lambda: demo_store)  # a factory: opened in a worker, as in production
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lst = app.main.conv_list
        assert [lst.row_at(i).id for i in range(len(with_store))] == with_store
        assert asked == ["open"]  # read while opening the store; the reload did not ask
        # Nothing asked the store before it was open (the incident check did, from the
        # screen's mount, and said "unexpected error" when the store opened late).
        assert [n.message for n in app._notifications if n.severity == "error"] == []
        first = lst.row_at(0)
        demo_store.run(lambda s: triage.set_status(s, ME, first.id, triage.Status.CLOSED))
        app.main.reload()
        await settle(pilot)
        assert asked == ["open", "list"]
        assert lst.row_at(0).id != first.id  # the closed one left the Open view


def triage_filter():
    from inbox_tui.services.views import resolve_filter

    return resolve_filter("open", "", ME, {})


def test_the_tui_imports_no_database_layer_before_its_first_frame():
    """SQLAlchemy, SQLModel and the models load in the worker that opens the store,
    overlapping the first frame; a screen importing a service at module level put ~2 s
    (under load) in front of it."""
    import subprocess
    import sys

    code = (
        "import sys, inbox_tui.tui.app; "
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'inbox_tui.models') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_line_imports_no_database_layer_before_the_tui_starts(tmp_path):
    """`inbox-tui` (the CLI's way in: its parser, the config, run_app) reaches the app's
    run with no SQLAlchemy, SQLModel or models loaded: the SLA policy's import loaded
    them before the first frame even with no [sla] section (~0.5 s of CPU)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, inbox_tui.tui.app as a\n"
        "def run(self, *args, **kwargs):\n"
        "    print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'inbox_tui.models')"
        " if m in sys.modules))\n"
        "a.InboxApp.run = run\n"
        "from inbox_tui.cli import main\n"
        f"raise SystemExit(main(['--db', 'sqlite:///{tmp_path / 'x.db'}']))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "INBOX_TUI_CONFIG"}
    env["XDG_CONFIG_HOME"] = str(tmp_path)  # no config file: every default
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"


async def test_start_up_objects_leave_the_collector_after_the_first_page(demo_store):
    """Python's full garbage collection walked every object start-up made (Textual,
    SQLAlchemy, the screens) every few hundred keys: one thread open in eight took
    70-240 ms more. Once the first page is shown they are frozen out of it; the app's
    end gives them back (a test process runs many apps)."""
    import gc

    assert gc.get_freeze_count() == 0
    app = make_app(lambda: demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main.conv_list.row_at(0) is not None  # the first page is on screen
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


def test_the_tui_and_the_config_types_load_no_config_schema():
    """The config file's schema (pydantic, ~0.13 s of CPU) loads when a config file is
    read, not for the Config types the TUI and the benchmarks build directly."""
    import subprocess
    import sys

    code = (
        "import sys, inbox_tui.config, inbox_tui.tui.app; "
        "print(sorted(m for m in ('pydantic', 'inbox_tui.config_schema') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_early_first_page_is_the_open_views_first_page(demo_store):
    """services/first_page reads with the standard library what list_conversations gives
    for the Open view: same rows, order, times, tags, draft and @ marks."""
    from inbox_tui.services import drafts
    from inbox_tui.services.conversations import list_conversations, view_filter
    from inbox_tui.services.first_page import open_view_first_page

    with demo_store.read() as s:
        rows = list_conversations(s, view_filter("open", ME), limit=100, drafts_for=ME)
    drafted, noted = rows[1].id, rows[2].id
    demo_store.run(lambda s: drafts.save_draft(s, ME, drafted, "Thanks, looking now"))
    demo_store.run(lambda s: triage.add_note(s, "sam", noted, f"@{ME} can you take this?"))
    with demo_store.read() as s:
        rows = list_conversations(s, view_filter("open", ME), limit=100, drafts_for=ME)
    by_id = {r.id: r for r in rows}
    assert by_id[drafted].draft and by_id[noted].mentioned and any(r.tags for r in rows)
    assert open_view_first_page(demo_store.url, ME, 100) == rows
    assert open_view_first_page(demo_store.url, ME, 3) == rows[:3]
    assert open_view_first_page("sqlite:////nonexistent/inbox.db", ME, 100) is None
    assert open_view_first_page("postgresql://localhost/inbox", ME, 100) is None


def test_the_early_first_page_reads_the_file_the_store_opens_by_default():
    from inbox_tui.services.first_page import store_url
    from inbox_tui.store import sqlite_url
    from inbox_tui.store.engine import default_db_path

    assert store_url(None) == sqlite_url(default_db_path())
    assert store_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


async def test_keys_on_the_early_first_page_wait_for_the_store(demo_store):
    """On SQLite the Open view's first page is on screen before the store has opened;
    a key pressed on it (j, then Enter) acts once the store is open, on that row."""
    import threading

    from inbox_tui.config import AgentIdentity, Config
    from inbox_tui.services.conversations import list_conversations, view_filter
    from inbox_tui.tui.app import InboxApp

    with demo_store.read() as s:
        rows = list_conversations(s, view_filter("open", ME), limit=100, drafts_for=ME)
    gate = threading.Event()

    def open_store():
        assert gate.wait(30)
        return demo_store

    config = Config(path=None, db_url=demo_store.url, agent=AgentIdentity(ME, "Tester"))
    app = InboxApp(open_store, config, ME)
    async with app.run_test(size=(100, 30)) as pilot:
        lst = app.main.conv_list
        for _ in range(100):
            await pilot.pause()
            if lst.total:
                break
        assert app._store is None  # the store is still opening
        assert [lst.row_at(i) for i in range(len(rows))] == rows
        await pilot.press("j", "enter")
        await pilot.pause()
        assert not app.main.has_class("-reading")  # the read waits for the store
        gate.set()
        await settle(pilot)
        assert app.main.has_class("-reading")
        assert app.main.thread_view.thread.conversation.id == rows[1].id
        assert lst.current_row().id == rows[1].id  # the ordinary first page kept the row
        assert lst.filter is not None  # and pages on from it
        assert [n.message for n in app._notifications if n.severity == "error"] == []
