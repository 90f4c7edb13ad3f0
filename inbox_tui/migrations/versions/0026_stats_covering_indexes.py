"""stats: indexes that answer a report's reads without the tables

- ``stat_event (kind, agent_id, t_us, conversation_id, duration_us)``: each (kind,
  agent) of a period is one contiguous range in index order, so the report's event
  query groups by kind and agent as it reads (no temporary B-tree) and returns one row
  per (kind, agent) with its conversations and durations concatenated, instead of one
  row per event (services/stats_queries.EVENTS).
- ``stat_conversation``: the first-message and last-close indexes carry every column
  the report reads, so the period's conversations are two index range scans with no
  lookup into the table. They replace the one-column indexes of 0002 (their prefixes).

Only indexes of derived tables: nothing to backfill.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"  # contact full text (main's head when written)
branch_labels = None
depends_on = None

_COLUMNS = ["first_response_us", "first_responder_id", "last_closer_id", "tags"]


def upgrade() -> None:
    op.create_index(
        "ix_stat_event_kind_agent_t",
        "stat_event",
        ["kind", "agent_id", "t_us", "conversation_id", "duration_us"],
    )
    op.drop_index("ix_stat_conversation_first", table_name="stat_conversation")
    op.drop_index("ix_stat_conversation_closed", table_name="stat_conversation")
    op.create_index(
        "ix_stat_conversation_first_cover",
        "stat_conversation",
        ["first_message_us", "last_closed_us", *_COLUMNS],
    )
    op.create_index(
        "ix_stat_conversation_closed_cover",
        "stat_conversation",
        ["last_closed_us", "first_message_us", *_COLUMNS],
    )


def downgrade() -> None:
    op.drop_index("ix_stat_conversation_closed_cover", table_name="stat_conversation")
    op.drop_index("ix_stat_conversation_first_cover", table_name="stat_conversation")
    op.create_index("ix_stat_conversation_first", "stat_conversation", ["first_message_us"])
    op.create_index("ix_stat_conversation_closed", "stat_conversation", ["last_closed_us"])
    op.drop_index("ix_stat_event_kind_agent_t", table_name="stat_event")
