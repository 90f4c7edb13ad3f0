"""Attachments: their bytes kept, content-addressed; and each message's Reply-To.

``message.reply_to_addrs`` (JSON like ``to_addrs``): replies go where the sender asked,
e.g. the customer behind a web form's no-reply address.

``blob`` holds each distinct file once, keyed by its sha256 (the same PDF in a thousand
messages is stored once); each message's ``attachments`` JSON (name, type, size) gains
the ``sha256`` of its blob and a ``status`` (stored, too_large, unreadable) with a
``note`` saying why a file was not kept. The list stays in the message row, so a thread
opens without a join and old rows read as before. A table on both SQLite and PostgreSQL rather than a folder of
files beside the SQLite store: the blob is written in the message's own transaction,
so an import killed half-way leaves neither an orphan file nor a message whose file is
missing, the store's permissions (the group's file on SQLite, the agents' roles on
PostgreSQL) cover attachments with no second set to keep right, and one backup holds
everything. The size cap ([mail] max_attachment_mb, 25 MB by default) keeps single
rows well within both databases' limits.

Messages imported before this revision keep only the name and size they had (the
``message.attachments`` JSON); re-syncing cannot bring their bytes back, as the
message is a duplicate by then.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"  # drafts, view scope, undo
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("reply_to_addrs", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("reply_to_addrs")
    op.drop_table("blob")
