"""Fixtures for a throwaway dovecot server on 127.0.0.1 (see ../shared/recipes/servers.md)."""
