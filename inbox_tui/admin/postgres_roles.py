"""PostgreSQL roles for a team: every agent logs in as their own role, and nobody but
the owner can rewrite history.

The owner role (the one that runs ``inbox-tui`` first, or an admin) owns the tables and
runs migrations. Agents belong to a group role that may read and change the working
tables but may only *append* to the event log: UPDATE, DELETE and TRUNCATE on ``event``
are not granted, except UPDATE of ``event.conversation_id``, which a conversation merge
needs (it re-points the merged conversation's history; it cannot change what happened,
who did it or when).
"""

from __future__ import annotations

import re

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(
            f"{name!r} is not a plain PostgreSQL name (use lower-case letters, digits and _)"
        )
    return name


def group_setup_sql(database: str, group: str = "inbox_agents") -> str:
    """SQL (run by the owner, after the schema exists) that creates the agents' group role
    and its grants. Safe to run again after upgrades: it re-grants on new tables."""
    g, db = _ident(group), _ident(database)
    return f"""\
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{g}') THEN CREATE ROLE {g} NOLOGIN; END IF;
END $$;
GRANT CONNECT ON DATABASE {db} TO {g};
GRANT USAGE ON SCHEMA public TO {g};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {g};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {g};
-- The event log is append-only for agents.
REVOKE UPDATE, DELETE, TRUNCATE ON event FROM {g};
GRANT UPDATE (conversation_id) ON event TO {g};
-- Only the owner migrates the schema.
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {g};
-- Tables a later upgrade creates (run by this same owner) are granted as they appear,
-- so agents keep working after an upgrade even before this script is run again.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {g};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {g};
"""


def agent_role_sql(username: str, group: str = "inbox_agents") -> str:
    """SQL that creates one agent's login role in the group (authentication, e.g. peer
    or scram, is configured in pg_hba.conf as usual)."""
    u, g = _ident(username), _ident(group)
    return f"""\
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{u}') THEN CREATE ROLE {u} LOGIN; END IF;
END $$;
GRANT {g} TO {u};
"""
