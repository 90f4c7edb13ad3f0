"""The real app in a real terminal: one tmux session per test, driven by typing.

Tests wait for what the screen shows, never for a fixed time: on a loaded CI machine a
key sent before the app has drawn its first frame is read by the terminal's line
discipline, not by the app, and a fixed sleep that fits this machine does not fit that one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Something in the test process (a C library) can export COLUMNS/LINES at the C level;
# the tmux server would inherit them and the app would believe it is 80x24.
_CLEAN_ENV = "env -u COLUMNS -u LINES"


class Tmux:
    def __init__(self, session: str) -> None:
        self.session = session

    def screen(self) -> str:
        """The screen's text."""
        return self._capture()

    def _frame(self) -> str:
        """The screen with its colours: a cursor moving one row changes only colours."""
        return self._capture("-e")

    def _capture(self, *flags: str) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", *flags, "-t", self.session],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def send(self, *keys: str, literal: bool = False) -> None:
        args = ["-l", *keys] if literal else list(keys)
        subprocess.run(["tmux", "send-keys", "-t", self.session, *args], check=True)

    def wait_for(
        self, predicate: Callable[[str], bool], timeout: float = 30.0, *, colours: bool = False
    ) -> str:
        """The screen once ``predicate(screen)`` holds; the last screen if it never does."""
        capture = self._frame if colours else self.screen
        deadline = time.monotonic() + timeout
        text = capture()
        while not predicate(text) and time.monotonic() < deadline:
            time.sleep(0.2)
            text = capture()
        return text

    def settled(self, before: str, timeout: float = 20.0) -> str:
        """The screen once its frame has changed from ``before`` (a frame with colours)
        and then held still for 0.6 s (a key's answer may arrive in several frames: a
        screen, then its worker's rows)."""
        frame = self.wait_for(lambda t: t != before, timeout, colours=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.6)
            again = self._frame()
            if again == frame:
                break
            frame = again
        return self.screen()

    def press(self, *keys: str, literal: bool = False) -> str:
        """Send keys that change the screen; returns the screen once their answer has
        settled. (A key that changes nothing would wait for the timeout.)"""
        before = self._frame()
        self.send(*keys, literal=literal)
        return self.settled(before)


@contextmanager
def tmux_app(
    session: str,
    args: str,
    *,
    size: tuple[int, int] = (80, 24),
    env: dict[str, str] | None = None,
    raw: Path | None = None,
    ready: Callable[[str], bool] = lambda t: "inbox-tui" in t,
) -> Iterator[Tmux]:
    """``python -m inbox_tui ARGS`` in a detached tmux session; yields once the first
    frame satisfies ``ready``. ``raw`` collects every byte the app writes to the pty."""
    env_args = [part for k, v in (env or {}).items() for part in ("-e", f"{k}={v}")]
    cmd = f"{_CLEAN_ENV} {sys.executable} -m inbox_tui {args}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]),
         *env_args, cmd],
        check=True,
    )  # fmt: skip
    try:
        if raw is not None:
            subprocess.run(["tmux", "pipe-pane", "-o", "-t", session, f"cat >> {raw}"], check=True)
        term = Tmux(session)
        first = term.wait_for(ready, timeout=60)
        assert ready(first), f"the app did not start:\n{first}"
        term.settled("")  # the first page's rows arrive after the first frame
        yield term
        time.sleep(0.5)  # let the pipe catch the last frame
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
