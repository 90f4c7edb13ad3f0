"""The store: one database shared by every agent, and the rules for using it.

- ``engine``: ``Store`` (sessions, write transactions with retry, migration on open);
- ``dialect``: every SQLite / PostgreSQL difference;
- ``hooks``: what every write transaction does at commit (aggregates, NOTIFY);
- ``aggregates``: the stats tables folded from the event log.

Below it are only ``models`` (the tables) and ``migrations``; ``ingest`` and the
services sit above.
"""

from inbox_tui.store.dialect import CHANNEL
from inbox_tui.store.engine import (
    SCHEMA_REVISION,
    Store,
    StoreError,
    default_db_path,
    insert_or_get,
    sqlite_url,
)
from inbox_tui.store.hooks import note_core_writes

__all__ = [
    "CHANNEL",
    "SCHEMA_REVISION",
    "Store",
    "StoreError",
    "default_db_path",
    "insert_or_get",
    "note_core_writes",
    "sqlite_url",
]
