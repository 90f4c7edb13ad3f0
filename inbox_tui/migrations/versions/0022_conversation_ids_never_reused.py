"""Conversation ids are never reused on SQLite (AUTOINCREMENT)

Revision ID: 0022
Revises: 0023 (main's head at the last merge of main; the lead re-chains it if needed)

SQLite gives a new row the largest id + 1, so a conversation merged away while it had the
largest id lent its id to the next new conversation, and undoing the merge was refused
("Conversation 312 exists again"); a number an agent had noted now named another
customer's conversation. ``AUTOINCREMENT`` keeps the largest id ever used (in
``sqlite_sequence``) and never gives it again; PostgreSQL's sequences already never do.

SQLite can only declare it by rebuilding the table, and the rebuild runs inside the
store's migration transaction, where ``PRAGMA foreign_keys`` cannot be turned off. Alembic's
batch mode (copy into a new table, drop the old, rename) leaves the rows that point to
conversations (messages, events, tags...) counted as violations of their foreign keys when
the old table is dropped, and the commit fails. So, with the foreign keys deferred: the
rows are copied aside, the old table dropped (each referencing row counted once), the new
one created under the same name and the rows put back (each referencing row found again,
the count back to zero), then its indexes. Every referencing column has an index while this
runs (a temporary one where it has none), so both steps are index lookups: 0.5 s for 50,000
conversations and 500,000 messages. No trigger is defined on the table (the full-text
index's are on ``message``). The sequence starts above the largest id ever merged away,
so ids lost before this migration are not given again either.

Downgrade: nothing to do (an AUTOINCREMENT table is an ordinary one to older code).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0023"  # store_meta (main's head)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPY = "conversation_0022_copy"


def _referencing(conn: sa.Connection) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to conversation.id."""
    out = []
    for (table,) in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ):
        for fk in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")'):
            if fk[2] == "conversation":
                out.append((table, fk[3]))
    return out


def _indexed(conn: sa.Connection, table: str, column: str) -> bool:
    """Whether some index (or the primary key) of ``table`` starts with ``column``."""
    for idx in conn.exec_driver_sql(f'PRAGMA index_list("{table}")'):
        first = conn.exec_driver_sql(f'PRAGMA index_info("{idx[1]}")').first()
        if first is not None and first[2] == column:
            return True
    pk = [r for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")') if r[5] == 1]
    return bool(pk) and pk[0][1] == column


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return  # sequences never give an id twice
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'conversation'"
    ).scalar()
    if sql and "AUTOINCREMENT" in sql.upper():
        return
    meta = sa.MetaData()  # with the tables it refers to (agent, contact), reflected too
    old = sa.Table("conversation", meta, autoload_with=conn)
    columns = [c.name for c in old.columns]
    indexes = [(i.name, [c.name for c in i.columns], bool(i.unique)) for i in old.indexes]
    # The foreign keys (to agent, contact) and any other constraint; the primary key is
    # the column's own, which AUTOINCREMENT needs.
    others = [c._copy() for c in old.constraints if not isinstance(c, sa.PrimaryKeyConstraint)]
    meta.remove(old)
    new = sa.Table(
        "conversation",
        meta,
        *[c._copy() for c in old.columns],
        *others,
        sqlite_autoincrement=True,
    )
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
    temporary = []
    for table, column in _referencing(conn):
        if not _indexed(conn, table, column):
            name = f"ix_0022_{table}_{column}"
            conn.exec_driver_sql(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
            temporary.append(name)
    listed = ", ".join(f'"{c}"' for c in columns)
    conn.exec_driver_sql(f'CREATE TEMP TABLE "{_COPY}" AS SELECT {listed} FROM conversation')
    highest = conn.exec_driver_sql(
        "SELECT max(m) FROM (SELECT max(id) AS m FROM conversation UNION ALL "
        "SELECT max(CAST(json_extract(data, '$.from') AS INTEGER)) FROM event "
        "WHERE kind = 'merged')"
    ).scalar()
    conn.exec_driver_sql("DROP TABLE conversation")
    new.create(conn)
    conn.exec_driver_sql(
        f'INSERT INTO conversation ({listed}) SELECT {listed} FROM "{_COPY}" ORDER BY id'
    )
    conn.exec_driver_sql(f'DROP TABLE "{_COPY}"')
    for name, cols, unique in indexes:
        op.create_index(name, "conversation", cols, unique=unique)
    for name in temporary:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    if highest:  # ids merged away before this migration are not given again either
        seq = conn.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = 'conversation'"
        ).scalar()
        if seq is None:
            conn.exec_driver_sql(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('conversation', ?)",
                (int(highest),),
            )
        elif int(seq) < int(highest):
            conn.exec_driver_sql(
                "UPDATE sqlite_sequence SET seq = ? WHERE name = 'conversation'", (int(highest),)
            )


def downgrade() -> None:
    pass
