"""A parse worker of the ingest pipeline: ``python -m inbox_tui.mail.worker``.

Reads jobs from standard input and writes results to standard output, each a pickle
preceded by its length (8 bytes, big-endian): a job is ``(function, args)``, a result
``(True, value)`` or ``(False, exception text)``. It imports only what the function
named in a job needs (the parser), never the store or the CLI, so it starts in a
fraction of a second and stays small. End of input (the writer exited, or was killed)
ends it.

Pure: no store, models, ingest or SQL (the pickles come from our own writer process
over a pipe, never from outside).
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from typing import IO, Any

_LEN = struct.Struct(">Q")


def send(out: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LEN.pack(len(data)))
    out.write(data)
    out.flush()


def receive(inp: IO[bytes]) -> Any:
    """The next object, or raises EOFError at the end of the stream."""
    return pickle.loads(receive_bytes(inp))


def receive_bytes(inp: IO[bytes]) -> bytes:
    """The next object still pickled (to be unpickled by whoever uses it)."""
    head = inp.read(_LEN.size)
    if len(head) < _LEN.size:
        raise EOFError
    size = _LEN.unpack(head)[0]
    data = inp.read(size)
    if len(data) < size:
        raise EOFError
    return data


def main() -> int:
    # The results' pipe is a copy of standard output; anything else printed (a library's
    # stray print) goes to standard error instead of into the stream.
    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    while True:
        try:
            fn, args = receive(inp)
        except EOFError:
            return 0
        try:
            result: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:  # reported to the writer, which raises it there
            result = (False, f"{exc.__class__.__name__}: {exc}")
        send(out, result)


if __name__ == "__main__":
    raise SystemExit(main())
