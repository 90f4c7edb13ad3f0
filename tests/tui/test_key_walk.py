"""A property test (#17): no sequence of keys from a random walk over the app's bindings
raises. Every action key, the widgets' keys, dialog answers and a little typing, in any
order, on the demo inbox; the store is a fresh copy each time."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox_tui.store import Store, sqlite_url
from inbox_tui.tui.actions import ACTIONS
from tests.tui.conftest import make_app, make_config

# Every key bound to an action (quit ends the walk, so it is left out), then the keys
# that widgets and dialogs answer to, and a few characters that get typed into boxes.
ACTION_KEYS = sorted({k for a in ACTIONS if a.id != "quit" for k in a.keys.split(",")} - {"ctrl+q"})
OTHER_KEYS = ["j", "k", "g", "G", "o", "q", "tab", "enter", "escape", "y", "n", "d", "c",
              "down", "up", "pagedown", "backspace", "delete", "R", "ctrl+e", "1", "3", "h"]  # fmt: skip
KEYS = st.sampled_from(ACTION_KEYS + OTHER_KEYS + ["a", "x", "space"])

_RUN = iter(range(10**9))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(walk=st.lists(KEYS, min_size=5, max_size=30))
def test_no_key_sequence_raises(demo_template: Path, tmp_path: Path, walk: list[str]) -> None:
    path = tmp_path / f"walk{next(_RUN)}.db"
    shutil.copy(demo_template, path)
    store = Store(sqlite_url(path))
    # ctrl+e runs the editor: a script that leaves the file as it is.
    editor = [sys.executable, "-c", "pass"]
    app = make_app(store, config=make_config(editor_command=editor))

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.app.workers.wait_for_complete()
            for key in walk:
                await pilot.press(key)
                await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert app.is_running, walk

    try:
        asyncio.run(run())  # an exception in the app is raised here
    finally:
        store.close()
    assert app.return_code in (None, 0), walk
