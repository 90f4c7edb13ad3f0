"""Alembic environment: always handed a live connection by runner.upgrade()."""

from alembic import context
from sqlmodel import SQLModel

import inbox_tui.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via runner.upgrade
    raise RuntimeError("run migrations through inbox_tui.migrations.runner")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
context.run_migrations()
