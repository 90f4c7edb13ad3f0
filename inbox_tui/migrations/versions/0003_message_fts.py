"""Full-text search over messages (subject and body), for the search language's free
words and phrases.

SQLite: a *contentless* FTS5 table. Its rowid is not the message id but
``conversation_id << 32 | message_id``, so a match yields its conversation with a shift
instead of a lookup in ``message`` (the lookup was most of the cost of a common word on
a million messages), and the matches of one conversation are one rowid range that FTS5
seeks to directly. External content cannot do this (its rowid must be a real column of
the content table), and storing the text a second time would double the store; the
price of contentless is that a delete must repeat the indexed values, which the triggers
have as ``old.*``. Triggers keep it in step whatever inserts messages (ingest, the
benchmark generator, a script). ``unicode61`` without diacritic removal matches what
PostgreSQL's ``simple`` configuration does, so both stores find the same things; the
2- and 3-character prefix indexes make the first keystrokes of a word cheap.

PostgreSQL: a stored generated column ``fts_document`` holding
``to_tsvector('simple', ...)`` of subject and body, with ASCII punctuation turned into
spaces first so that ``ann@acme.com`` is the words ``ann acme com`` as in SQLite
(PostgreSQL's parser would keep it as one e-mail token), and a GIN index on it. A bare
expression index was tried first: the planner then tests a conversation's messages by
recomputing the expression for each (it has no idea that costs ~150 us a message), and
a page of "password" took 1.5 s on 200,000 messages. Being generated, the column stays
right whatever writes the row.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import string

from alembic import op

revision = "0003"
down_revision = "0002"  # the stats aggregates
branch_labels = None
depends_on = None

_PUNCT = string.punctuation
_PG_TSVECTOR = (
    "to_tsvector('simple'::regconfig, translate(subject || ' ' || body, '{punct}', '{spaces}'))"
).format(punct=_PUNCT.replace("'", "''"), spaces=" " * len(_PUNCT))
# Not a model field: it is PostgreSQL-only and nothing reads it but the search.

_FTS_ROWID = "(({t}.conversation_id << 32) | {t}.id)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE message_fts USING fts5(subject, body, content='', "
            "columnsize=0, prefix='2 3', tokenize='unicode61 remove_diacritics 0')"
        )
        new, old = _FTS_ROWID.format(t="new"), _FTS_ROWID.format(t="old")
        add = (
            f"INSERT INTO message_fts(rowid, subject, body) VALUES ({new}, new.subject, new.body);"
        )
        remove = (
            "INSERT INTO message_fts(message_fts, rowid, subject, body) "
            f"VALUES ('delete', {old}, old.subject, old.body);"
        )
        op.execute(f"CREATE TRIGGER message_fts_ai AFTER INSERT ON message BEGIN {add} END")
        op.execute(f"CREATE TRIGGER message_fts_ad AFTER DELETE ON message BEGIN {remove} END")
        # Only the indexed columns (and the conversation, which is part of the rowid):
        # status-like updates to a message must not rewrite its index entry.
        op.execute(
            "CREATE TRIGGER message_fts_au AFTER UPDATE OF conversation_id, id, subject, body "
            f"ON message BEGIN {remove} {add} END"
        )
        op.execute(
            "INSERT INTO message_fts(rowid, subject, body) "
            f"SELECT {_FTS_ROWID.format(t='message')}, subject, body FROM message"
        )
    else:
        op.execute(
            f"ALTER TABLE message ADD COLUMN fts_document tsvector "
            f"GENERATED ALWAYS AS ({_PG_TSVECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_message_fts ON message USING gin (fts_document)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("message_fts_ai", "message_fts_ad", "message_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS message_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_message_fts")
        op.execute("ALTER TABLE message DROP COLUMN IF EXISTS fts_document")
