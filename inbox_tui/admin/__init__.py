"""Administration helpers for a shared store (PostgreSQL roles, permissions)."""
