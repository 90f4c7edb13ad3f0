"""A refresh read (``exclusive``) replaces the earlier ones of its node and group: only
the newest answer is delivered, however the threads finish. CI once showed 2 unread
mentions with 1 in the store: a views load begun before the mentions were marked read
finished after the load begun after it, and its count stayed on screen."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from textual.app import App
from textual.widget import Widget

from inbox_tui.tui.gateway import Answered, Gateway, Loaded


class Counted(Loaded):
    pass


class FakeStore:
    url = "memory:"

    @contextmanager
    def read(self):
        yield None

    def run(self, fn, *args):
        return fn(None, *args)


class Request:
    def __init__(self) -> None:
        self.answered = False

    def answer(self) -> None:
        self.answered = True


class Box(Widget):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def on_counted(self, message: Counted) -> None:
        self.seen.append(message.value)

    def on_answered(self, message: Answered) -> None:
        message.request.answer()


async def test_an_older_refresh_that_finishes_last_is_not_shown():
    gateway = Gateway(FakeStore)
    box = Box()
    release = threading.Event()

    def slow(_session):
        release.wait(10)  # the count taken before the write: it finishes last
        return "old"

    def fast(_session):
        return "new"

    app = App()
    async with app.run_test() as pilot:
        await app.mount(box)
        first, second = Request(), Request()
        gateway.read(box, slow, reply=Counted, group="views", exclusive=True, request=first)
        await pilot.pause(0.05)  # the slow read has begun
        gateway.read(box, fast, reply=Counted, group="views", exclusive=True, request=second)
        for _ in range(100):
            await pilot.pause(0.02)
            if box.seen:
                break
        release.set()
        for _ in range(100):
            await pilot.pause(0.02)
            if first.answered:
                break
        await pilot.pause(0.1)
        assert box.seen == ["new"]  # the old count never lands after it
        assert first.answered and second.answered  # keys never wait for a replaced read


async def test_reads_that_are_not_exclusive_all_answer():
    gateway = Gateway(FakeStore)
    box = Box()
    app = App()
    async with app.run_test() as pilot:
        await app.mount(box)
        for value in ("a", "b"):
            gateway.read(box, lambda _s, v=value: v, reply=Counted, group="pickers")
        for _ in range(100):
            await pilot.pause(0.02)
            if len(box.seen) == 2:
                break
        assert sorted(box.seen) == ["a", "b"]
