"""Fixtures for a throwaway smtp server on 127.0.0.1 (see ../shared/recipes/servers.md)."""
