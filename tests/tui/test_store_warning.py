"""Issue 19, finding 9: the world-readable-store warning reached only the log file. The
TUI shows it as a notification once the store is open."""

from __future__ import annotations

from inbox_tui.store import Store, sqlite_url
from tests.tui.conftest import make_app


async def test_world_readable_store_is_shown_in_the_tui(tmp_path):
    path = tmp_path / "inbox.db"
    Store(sqlite_url(path)).close()
    path.chmod(0o644)
    store = Store(sqlite_url(path))
    app = make_app(lambda: store)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(4):
            await app.workers.wait_for_complete()
            await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert app.is_running
    store.close()
    assert any("readable by every user" in m and f"chmod o-rwx {path}" in m for m in shown), shown
