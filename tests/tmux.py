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


def new_session(session: str, cmd: str, size: tuple[int, int], env: dict[str, str]) -> None:
    """Start ``cmd`` in a detached session. A server whose last session was just killed
    exits a moment later; a client that reached it in that moment fails ("server exited
    unexpectedly"), so a failed start is retried once the old server is gone."""
    env_args = [part for k, v in env.items() for part in ("-e", f"{k}={v}")]
    argv = ["tmux", "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]),
            *env_args, cmd]  # fmt: skip
    for attempt in range(5):
        run = subprocess.run(argv, capture_output=True, text=True)
        if run.returncode == 0:
            return
        _wait_for_server_exit()
        time.sleep(0.2 * (attempt + 1))
    raise AssertionError(f"tmux could not start a session: {run.stderr.strip()}")


def kill_session(session: str) -> None:
    """End the session; when it was the server's last, wait until the server has exited,
    so that the next test's (or loop's) new session starts a fresh one."""
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    _wait_for_server_exit()


def _wait_for_server_exit(timeout: float = 5.0) -> None:
    """Until no server answers, or one answers with sessions (then it stays up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ls = subprocess.run(["tmux", "list-sessions"], capture_output=True, text=True)
        if ls.returncode == 0 and ls.stdout.strip():
            return
        if ls.returncode != 0 and "no server running" in ls.stderr:
            return
        time.sleep(0.05)


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
    cmd = f"{_CLEAN_ENV} {sys.executable} -m inbox_tui {args}"
    new_session(session, cmd, size, env or {})
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
        kill_session(session)
