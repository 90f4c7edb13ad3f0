"""On PostgreSQL each agent can log in as their own role: they can triage, but the event
log is append-only for them (the SQL comes from `inbox-tui admin postgres-roles`)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from inbox_tui.admin.postgres_roles import agent_role_sql, group_setup_sql
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import utcnow
from inbox_tui.services import triage
from inbox_tui.store import Store


def test_agent_role_can_work_but_not_rewrite_history(postgres_url_factory):
    owner_url = postgres_url_factory()
    owner = Store(owner_url)
    cid = owner.run(
        lambda s: (
            Ingestor(s)
            .add(
                IncomingMessage(
                    source="t",
                    external_id="1",
                    message_id="<r1@x>",
                    subject="s",
                    author_email="c@x.example",
                    sent_at=utcnow(),
                    body="b",
                )
            )
            .conversation_id
        )
    )
    url = make_url(owner_url)
    conninfo = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(group_setup_sql(url.database))
        conn.execute(agent_role_sql("sam"))
    sam = Store(url.set(username="sam").render_as_string(hide_password=False))
    assert sam.run(triage.tag, "sam", cid, "bug")  # normal work is allowed
    sam.run(triage.add_note, "sam", cid, "checked")
    with pytest.raises(ProgrammingError, match="permission denied"):
        sam.run(lambda s: s.exec(text("UPDATE event SET kind = 'tagged' WHERE id = 1")))
    with pytest.raises(ProgrammingError, match="permission denied"):
        sam.run(lambda s: s.exec(text("DELETE FROM event")))
    with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"):
        sam.run(lambda s: s.exec(text("DROP TABLE event")))
    # a table a later upgrade adds (created by the owner) is usable at once
    owner.run(lambda s: s.exec(text("CREATE TABLE later_upgrade (id serial PRIMARY KEY, v int)")))
    sam.run(lambda s: s.exec(text("INSERT INTO later_upgrade (v) VALUES (1)")))
    sam.close()
    owner.close()
