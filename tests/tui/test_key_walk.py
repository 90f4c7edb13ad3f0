"""A random walk over the documented keys never raises (#17: "never crash on a
documented key"). Fixed seeds, so a failure is reproducible; quit is left out (it ends
the walk); ctrl+e runs an $EDITOR that leaves the text as it is."""

from __future__ import annotations

import random
import sys

import pytest

from inbox_tui.tui.actions import ACTIONS
from tests.tui.conftest import make_app, make_config
from tests.tui.test_triage_keys import settle

LEFT_OUT = {"ctrl+q"}
DOCUMENTED = {k for a in ACTIONS for k in a.keys.split(",")}
INSIDE = {"j", "k", "g", "G", "o", "q", "y", "n", "c", "d", "e", "1", "2", "3", "down", "up"}
KEYS = sorted((DOCUMENTED | INSIDE | {"tab", "enter", "escape", "x", "a", "h"}) - LEFT_OUT)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_key_walk_never_raises(demo_store, seed):
    rng = random.Random(seed)
    app = make_app(demo_store, config=make_config(editor_command=[sys.executable, "-c", "pass"]))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        walked: list[tuple[str, str]] = []
        for step in range(120):
            key = rng.choice(KEYS)
            await pilot.press(key)
            if step % 10 == 0:
                await settle(pilot, 1)
            walked.append((key, type(app.screen).__name__))
            assert app._exception is None and app.is_running, (seed, step, walked[-8:])
        await settle(pilot)
        assert app.is_running and app._exception is None
