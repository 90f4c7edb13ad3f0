"""Run alembic on a connection the caller opened and locked (``Store.migrate``).

The runner knows nothing of the Store: the Store opens a write transaction, takes the
migration lock (``store.dialect.lock_for_migration``) and hands the connection here.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "inbox_tui:migrations")
    return cfg


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Upgrade the schema on ``conn``, inside the caller's transaction."""
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def downgrade(conn: Connection, revision: str) -> None:
    """Take the schema back to ``revision`` on ``conn`` (rolling back a release)."""
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
