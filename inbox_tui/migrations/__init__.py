"""Alembic migrations, run programmatically on start (no alembic.ini needed)."""
