"""The one way in: every source's ``IncomingMessage`` values are written by ``Ingestor``.

- ``writer``: ``Ingestor`` (idempotent adds, quarantine, the conversation summary);
- ``threading``: which conversation a message joins, and merges.

Above the store, below the services: sources and services hand it messages; it never
imports a service.
"""

from inbox_tui.ingest.writer import IngestCounts, Ingestor, IngestResult, Outcome, ingest_one

__all__ = ["IngestCounts", "IngestResult", "Ingestor", "Outcome", "ingest_one"]
