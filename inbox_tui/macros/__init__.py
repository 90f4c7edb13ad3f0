"""Macros: saved replies with placeholders and actions, kept as files a team can review."""
