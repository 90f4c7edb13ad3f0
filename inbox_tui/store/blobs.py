"""Attachment bytes, content-addressed: ``blob`` keeps each distinct file once under
its sha256, however many messages (incoming or outgoing) carry it. Writes never fail
on a file that is already there, also when two agents' apps store it at once."""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection

from inbox_tui.models import Blob, utcnow
from inbox_tui.store import dialect

_BLOB = Blob.__table__  # type: ignore[attr-defined]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(conn: Connection, data: bytes, sha: str | None = None) -> str:
    """Store ``data`` unless a blob with its sha256 exists; returns the sha256."""
    sha = sha or sha256_of(data)
    conn.execute(
        dialect.insert_ignoring_conflict(_BLOB, "sha256", "sha256", conn.dialect.name),
        {"sha256": sha, "size": len(data), "data": data, "created_at": utcnow()},
    )
    return sha


def put_many(conn: Connection, rows: list[dict[str, object]]) -> None:
    """``put`` for many blobs in one statement (rows of ``sha256``, ``size``, ``data``,
    ``created_at``); those already there are left as they are."""
    if rows:
        conn.execute(dialect.insert_many_ignoring(_BLOB, "sha256", conn.dialect.name), rows)
