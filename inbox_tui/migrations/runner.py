"""Run alembic against a Store, serialised so agents starting at once migrate once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import text

if TYPE_CHECKING:
    from inbox_tui.store import Store

# Any constant works; it only has to be the same in every process of this app.
_PG_MIGRATION_LOCK = 0x1B0C5


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "inbox_tui:migrations")
    return cfg


def upgrade(store: Store, revision: str = "head") -> None:
    cfg = alembic_config()
    # The write engine begins IMMEDIATE on SQLite: a second process waits for the
    # first one's migration and then finds nothing to do.
    with store._write_engine.begin() as conn:
        if not store.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
