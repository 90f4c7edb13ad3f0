"""The ingest pipeline: read, parse and write at the same time, with memory kept flat.

Every source (``import mail``, ``import chat``, IMAP ``sync``) goes through here:

- **read**: the source yields raw items (files, FETCH literals, chat lines);
- **parse**: ``ordered_map`` runs a pure function over chunks of them in a process pool
  (parsing is bytes in, ``IncomingMessage`` out), at most ``max_ahead_items`` items or
  ``max_ahead_bytes`` bytes in flight, results in input order;
- **write**: one writer (the caller) takes the parsed items in order and commits them in
  batches (``batches``), each batch one transaction through ``Ingestor.add_all``.

Order in, order out: the writer sees exactly the sequence the old one-by-one path saw,
so threading, dedupe and counts are the same, and a batch committed is a prefix of the
input (a sync state or a re-run picks up after it). Small inputs are parsed in the
writer's process: starting a pool costs more than it saves below ``POOL_THRESHOLD``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from inbox_tui.mail import worker

T = TypeVar("T")
R = TypeVar("R")

POOL_THRESHOLD = 200  # items: fewer than this are parsed without a pool
CHUNK_ITEMS = 40  # items handed to a worker at once
CHUNK_BYTES = 2 * 1024 * 1024
MAX_AHEAD_ITEMS = 1200  # parsed or being parsed, not yet taken by the writer
MAX_AHEAD_BYTES = 24 * 1024 * 1024
# The workers run this checkout's package, whatever the current directory.
_ROOT = str(Path(__file__).resolve().parents[2])


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _asked_workers() -> int | None:
    raw = os.environ.get("INBOX_TUI_PARSE_WORKERS", "").strip()
    return int(raw) if raw.isdigit() else None


def workers() -> int:
    """Parse processes: ``INBOX_TUI_PARSE_WORKERS`` if set (0: parse in the writer's
    process), else one per core this process may run on, at most 4."""
    asked = _asked_workers()
    return max(1, min(_cores(), 4)) if asked is None else asked


def cores_idle() -> bool:
    """Whether a core is free beside this process: the 1-minute load average (runnable
    threads of every process) is below the cores minus one."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return True
    return load < _cores() - 1


class PoolBroken(RuntimeError):
    """A parse worker died or failed; the import stops (what was committed stays)."""


class ParsePool:
    """Parse processes (``python -m inbox_tui.mail.worker``) fed over pipes, one job at
    a time each. ``submit`` returns a ``Future``. The workers import only the parser:
    they start in a fraction of a second, share nothing with the writer (no connection,
    thread or lock is inherited, unlike a fork) and end when the writer does, even when
    it is killed (their input closes)."""

    def __init__(self, n: int) -> None:
        self._jobs: queue.SimpleQueue[
            tuple[Callable[..., Any], tuple[Any, ...], Future[Any]] | None
        ]
        self._jobs = queue.SimpleQueue()
        self._procs = [
            subprocess.Popen(
                [sys.executable, "-m", "inbox_tui.mail.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # never onto the TUI's screen; failures come back
                cwd=_ROOT,  # not the caller's folder, which may hold another checkout
                env={
                    **os.environ,
                    "PYTHONPATH": _ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                },
            )
            for _ in range(n)
        ]
        self._threads = [
            threading.Thread(target=self._serve, args=(p,), daemon=True, name="parse-feed")
            for p in self._procs
        ]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[bytes]:
        """Run ``fn(*args)`` in a worker; the future's result is still pickled: ``unpack``
        it in the thread that uses it (objects are then made by that thread, so memory
        freed by the writer is reused by the writer instead of piling up per thread)."""
        fut: Future[bytes] = Future()
        self._jobs.put((fn, args, fut))
        return fut

    def _serve(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        while (job := self._jobs.get()) is not None:
            fn, args, fut = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                worker.send(proc.stdin, (fn, args))
                data = worker.receive_bytes(proc.stdout)
            except (OSError, EOFError) as exc:
                fut.set_exception(PoolBroken(f"a parse worker stopped ({exc.__class__.__name__})"))
                self._jobs.put(None)  # let the other feeders notice too
                return
            fut.set_result(data)

    def shutdown(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join()
        while True:  # jobs nobody will run
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[2].cancel()
        for p in self._procs:
            assert p.stdin is not None and p.stdout is not None
            with contextlib.suppress(OSError):
                p.stdin.close()
            p.wait()
            p.stdout.close()


def unpack(data: bytes) -> Any:
    """A worker's result from ``ParsePool.submit``'s future."""
    ok, value = pickle.loads(data)
    if not ok:
        raise PoolBroken(f"a parse worker failed: {value}")
    return value


def new_pool(n: int | None = None) -> ParsePool | None:
    """A parse pool of ``n`` workers (default ``workers()``), or None for none."""
    n = workers() if n is None else n
    return ParsePool(n) if n > 0 else None


def chunked(
    items: Iterable[T], size: Callable[[T], int], max_items: int, max_bytes: int
) -> Iterator[list[T]]:
    """``items`` in consecutive lists of at most ``max_items`` items or ``max_bytes``
    bytes (a single larger item is a list of its own)."""
    chunk: list[T] = []
    nbytes = 0
    for item in items:
        chunk.append(item)
        nbytes += size(item)
        if len(chunk) >= max_items or nbytes >= max_bytes:
            yield chunk
            chunk, nbytes = [], 0
    if chunk:
        yield chunk


def ordered_map(
    fn: Callable[[list[T]], list[R]],
    items: Iterable[T],
    *,
    size: Callable[[T], int],
    pool: ParsePool | None,
    max_ahead_items: int = MAX_AHEAD_ITEMS,
    max_ahead_bytes: int = MAX_AHEAD_BYTES,
) -> Iterator[tuple[T, R]]:
    """``(item, fn's result for it)`` in input order. ``fn`` maps a chunk of items to
    one result each and must be picklable (a module-level function or a ``partial`` of
    one). With a pool, chunks are parsed ahead of the consumer while it writes, but never
    more than ``max_ahead_*``: a slow writer stops the reading, so memory stays flat."""
    chunks = chunked(items, size, CHUNK_ITEMS, CHUNK_BYTES)
    if pool is None:
        for chunk in chunks:
            yield from zip(chunk, fn(chunk), strict=True)
        return
    pending: deque[tuple[list[T], int, Future[bytes]]] = deque()
    ahead_items = ahead_bytes = 0
    try:
        for chunk in chunks:
            nbytes = sum(size(i) for i in chunk)
            while pending and (
                ahead_items + len(chunk) > max_ahead_items or ahead_bytes + nbytes > max_ahead_bytes
            ):
                done, done_bytes, fut = pending.popleft()
                ahead_items -= len(done)
                ahead_bytes -= done_bytes
                yield from zip(done, unpack(fut.result()), strict=True)
            pending.append((chunk, nbytes, pool.submit(fn, chunk)))
            ahead_items += len(chunk)
            ahead_bytes += nbytes
        while pending:
            done, _, fut = pending.popleft()
            yield from zip(done, unpack(fut.result()), strict=True)
    finally:
        for _, _, fut in pending:
            fut.cancel()


def batches(
    pairs: Iterable[T], size: Callable[[T], int], max_items: int, max_bytes: int
) -> Iterator[list[T]]:
    """The writer's transactions: consecutive batches of parsed items."""
    return chunked(pairs, size, max_items, max_bytes)


def pooled(count: int, *, when_idle: bool = False) -> ParsePool | None:
    """A pool when the input (``count`` items, or at least that many) pays for one.
    ``when_idle``: and only when a core is idle (``cores_idle``) or
    ``INBOX_TUI_PARSE_WORKERS`` asks for workers. On a busy machine workers add no CPU
    time: the kernel shares the cores fairly between sessions (autogroups), not between
    processes, so they only cost their start-up and the copying of their input and
    results (1.5 s of CPU for 10,000 help articles: a tenth of the import)."""
    if count < POOL_THRESHOLD:
        return None
    if when_idle and _asked_workers() is None and not cores_idle():
        return None
    return new_pool()


def peek(
    items: Iterable[T], n: int, size: Callable[[T], int], max_bytes: int = CHUNK_BYTES
) -> tuple[int, Iterator[T]]:
    """How many items the input starts with, counting up to ``n`` (or until
    ``max_bytes`` were read), and an iterator over all of them. The peeked items are let
    go as they are consumed."""
    it = iter(items)
    head: deque[T] = deque()
    nbytes = 0
    for item in it:
        head.append(item)
        nbytes += size(item)
        if len(head) >= n or nbytes >= max_bytes:
            break
    count = len(head) if nbytes < max_bytes else n

    def replay() -> Iterator[T]:
        while head:
            yield head.popleft()
        yield from it

    return count, replay()
