"""The TUI's one door to the services.

Screens never open a session: they ask the gateway to run a service function in a
thread worker, and the answer comes back as a typed Message posted to the asking widget
(messages up): ``Loaded`` subclasses for reads, ``StoreWritten`` after a committed
write, ``ServiceFailed`` with one plain sentence (a UserError's text, or
``explain_unexpected`` for a bug, logged with its traceback). A call made with a
``request`` (what keys wait for: tui/typeahead's ``Asked``) is followed by ``Answered``
once its answer or failure has been handled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from textual.dom import DOMNode
from textual.message import Message

from inbox_tui.errors import UserError

log = logging.getLogger(__name__)


def lazy_module(name: str) -> Any:
    """A module imported on first use: the services pull in SQLAlchemy and the models
    (~0.3 s on an idle machine, seconds under load), which must not delay the first
    frame; by the time a key uses one, the store (opened in a worker) has imported them.
    Import the real module under ``TYPE_CHECKING`` for the types."""
    import importlib

    class _Lazy:
        def __getattr__(self, attr: str) -> Any:
            return getattr(importlib.import_module(name), attr)

    return _Lazy()


class StoreLike(Protocol):
    """What the TUI needs of the store: read sessions, write transactions, its URL."""

    url: str

    def read(self) -> AbstractContextManager[Any]: ...

    def run(self, fn: Callable[..., Any], *args: Any) -> Any: ...


class Loaded(Message):
    """A read finished. Subclass it per purpose, so each has its own handler."""

    def __init__(self, value: Any, flow: Any = None) -> None:
        self.value = value
        self.flow = flow  # what the asking flow needs back (its targets, its request)
        super().__init__()


class StoreWritten(Message):
    """A write committed: ``ok`` is the sentence to show, ``result`` the service's value."""

    def __init__(self, ok: str | None, result: Any, flow: Any = None) -> None:
        self.ok = ok
        self.result = result
        self.flow = flow
        super().__init__()


class ServiceFailed(Message):
    """A service call failed: ``text`` is one plain sentence; ``error`` the exception."""

    def __init__(self, text: str, error: BaseException, flow: Any = None) -> None:
        self.text = text
        self.error = error
        self.flow = flow
        super().__init__()


class Request(Protocol):
    def answer(self) -> None: ...


class Answered(Message):
    """Posted behind a call's answer (or failure) to the same node, so handled after it:
    what the call's ``request`` asked for is on screen (or will not come), and keys that
    waited for it go on. The node handles it by calling ``request.answer()``."""

    def __init__(self, request: Request) -> None:
        self.request = request
        super().__init__()


def explain(exc: BaseException) -> str:
    if isinstance(exc, UserError | ValueError):
        return str(exc)
    from inbox_tui.errors import explain_unexpected

    log.error("service call failed", exc_info=exc)
    return explain_unexpected(exc)


def _post(node: DOMNode, message: Message) -> None:
    # An answer that arrives while the app shuts down (its widgets already gone) is
    # dropped: quitting mid-refresh used to end in a NoMatches traceback.
    if node.app.is_running:
        node.post_message(message)


class Gateway:
    def __init__(self, store: Callable[[], StoreLike]) -> None:
        self._store = store  # the store opens after the first frame
        self._lock = threading.Lock()
        self._ticket = 0
        self._newest: dict[tuple[int, str], int] = {}  # (node, group) → its newest read

    @property
    def store(self) -> StoreLike:
        return self._store()

    # -- blocking, for code already in a thread worker ------------------------------

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(session, *args)`` in a read session and return its value."""
        with self.store.read() as session:
            return fn(session, *args)

    def commit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(session, *args)`` in a write transaction and return its value."""
        return self.store.run(fn, *args)

    # -- workers that answer with messages ------------------------------------------

    def read(
        self,
        node: DOMNode,
        fn: Callable[..., Any],
        *args: Any,
        reply: type[Loaded],
        flow: Any = None,
        group: str = "reads",
        exclusive: bool = False,
        request: Request | None = None,
    ) -> None:
        """``exclusive``: this read replaces the node's earlier ones in ``group`` (a
        refresh): only the newest answer is delivered. Textual's own ``exclusive``
        cannot give that for thread workers: a cancelled thread still runs to its end
        and posts, so a slow older answer (a count taken before a write) could land
        after the newer one and stay on screen (CI: 2 unread mentions shown, 1 in the
        store). Superseded calls still post ``Answered``: keys never wait for them."""
        key = (id(node), group)
        ticket = self._take(key) if exclusive else None

        def job() -> None:
            if ticket is None or self._is_newest(key, ticket):  # else: replaced before it ran
                try:
                    value = self.call(fn, *args)
                except Exception as exc:
                    self._deliver(node, key, ticket, ServiceFailed(explain(exc), exc, flow))
                else:
                    self._deliver(node, key, ticket, reply(value, flow))
            if request is not None:
                _post(node, Answered(request))

        node.run_worker(job, thread=True, group=group)

    def _take(self, key: tuple[int, str]) -> int:
        with self._lock:
            self._ticket += 1
            self._newest[key] = self._ticket
            return self._ticket

    def _is_newest(self, key: tuple[int, str], ticket: int) -> bool:
        with self._lock:
            return self._newest.get(key) == ticket

    def _deliver(
        self, node: DOMNode, key: tuple[int, str], ticket: int | None, message: Message
    ) -> None:
        # Checked and posted under the lock that ``_take`` holds: a newer read cannot
        # be taken between the check and the post, so answers arrive in the order asked
        # (the message queue is FIFO) and a superseded one never arrives at all.
        with self._lock:
            if ticket is None or self._newest.get(key) == ticket:
                _post(node, message)

    def write(
        self,
        node: DOMNode,
        fn: Callable[..., Any],
        *args: Any,
        ok: str | Callable[[Any], str] | None = None,
        flow: Any = None,
        group: str = "actions",
        request: Request | None = None,
    ) -> None:
        """``ok`` is the toast, or makes it from the service's value (to say who)."""

        def job() -> None:
            try:
                result = self.commit(fn, *args)
            except Exception as exc:
                _post(node, ServiceFailed(explain(exc), exc, flow))
            else:
                _post(node, StoreWritten(ok(result) if callable(ok) else ok, result, flow))
            if request is not None:
                _post(node, Answered(request))

        node.run_worker(job, thread=True, group=group)

    def fire(self, node: DOMNode, fn: Callable[..., Any], *args: Any, group: str) -> None:
        """A write nobody waits for (presence): a failure is logged, not shown."""

        def job() -> None:
            try:
                self.commit(fn, *args)
            except Exception as exc:
                log.info("background write failed: %s", exc)

        node.run_worker(job, thread=True, group=group)
