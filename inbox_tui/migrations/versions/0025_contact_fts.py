"""Full-text index of customers' names and addresses, so a plain search word finds the
customer too (walk4: ``/Zoe Larsen`` missed conversations ``from:`` found) without
scanning every contact at each keystroke (a scan with LIKE patterns made search per
keystroke ~10x slower on 33,333 contacts; benchmarks/search_names.py).

SQLite: an external-content FTS5 table over ``contact(name, key)`` (``key`` is the
lower-cased address), the same tokenizer and prefix indexes as ``message_fts`` (0003),
kept by triggers. PostgreSQL: a GIN index on the same ``to_tsvector('simple', ...)`` of
name and key, ASCII punctuation blanked first as 0003 does for messages.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import string

from alembic import op

revision = "0025"
down_revision = "0024"  # subject keys (main's head when written)
branch_labels = None
depends_on = None

_PUNCT = string.punctuation
# services/fulltext.CONTACT_TSVECTOR must be this expression, or the index is not used.
PG_TSVECTOR = (
    "to_tsvector('simple'::regconfig, translate(coalesce(name, '') || ' ' || key, "
    "'{punct}', '{spaces}'))"
).format(punct=_PUNCT.replace("'", "''"), spaces=" " * len(_PUNCT))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE contact_fts USING fts5(name, key, content='contact', "
            "content_rowid='id', prefix='2 3', tokenize='unicode61 remove_diacritics 0')"
        )
        add = "INSERT INTO contact_fts(rowid, name, key) VALUES (new.id, new.name, new.key);"
        remove = (
            "INSERT INTO contact_fts(contact_fts, rowid, name, key) "
            "VALUES ('delete', old.id, old.name, old.key);"
        )
        op.execute(f"CREATE TRIGGER contact_fts_ai AFTER INSERT ON contact BEGIN {add} END")
        op.execute(f"CREATE TRIGGER contact_fts_ad AFTER DELETE ON contact BEGIN {remove} END")
        op.execute(
            "CREATE TRIGGER contact_fts_au AFTER UPDATE OF id, name, key ON contact "
            f"BEGIN {remove} {add} END"
        )
        op.execute("INSERT INTO contact_fts(contact_fts) VALUES ('rebuild')")
    else:
        op.execute(f"CREATE INDEX ix_contact_fts ON contact USING gin (({PG_TSVECTOR}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("contact_fts_ai", "contact_fts_ad", "contact_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS contact_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_contact_fts")
