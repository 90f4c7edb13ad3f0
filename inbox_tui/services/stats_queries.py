"""The queries a stats report runs over the aggregate tables (``store.aggregates``):
each a range scan of ``stat_event`` or ``stat_conversation`` between ``:lo`` and ``:hi``
(microseconds since the epoch, ``period_params``). ``services.stats`` turns the rows
into figures.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from inbox_tui.store.aggregates import from_us, to_us

# The cell of an instant in the weekday x hour heatmaps is read per 15-minute UTC bucket:
# every time zone's offset (and every DST change) is a multiple of 15 minutes, so all
# instants of a bucket fall in the same local hour.
BUCKET_US = 15 * 60 * 1_000_000
DAY_US = 86400 * 1_000_000


def local_cell(t_us: int, tz: ZoneInfo) -> tuple[int, int]:
    """(weekday 0 = Monday, hour) of an instant in ``tz``."""
    local = from_us(t_us).astimezone(tz)
    return local.weekday(), local.hour


def period_params(since: datetime, until: datetime) -> dict[str, int]:
    return {"lo": to_us(since), "hi": to_us(until)}


def events_query(postgres: bool, agents: int) -> str:
    """The counted events of a period (``:lo``, ``:hi``) by the agents ``:a0`` ...
    (``agents`` of them), one row per (kind, agent): how many, and their conversations
    and durations (whole microseconds; empty where none) as comma-separated lists in
    the same order. Each (kind, agent) is one range of ``ix_stat_event_kind_agent_t``
    (migration 0026), grouped as it is read; Python splits the lists in C. One row per
    event (136,000 a period at 1 M messages) cost twice as much to fetch and count."""
    ids = ", ".join(f":a{i}" for i in range(agents))
    if postgres:
        convs = "string_agg(CAST(conversation_id AS text), ',')"
        times = "string_agg(coalesce(CAST(duration_us AS text), ''), ',')"
    else:
        convs = "group_concat(conversation_id)"
        times = "group_concat(ifnull(duration_us, ''))"
    return (
        f"SELECT kind, agent_id, count(*), {convs}, {times} FROM stat_event "
        "WHERE kind IN ('replied', 'noted', 'closed', 'macro', 'article') "
        f"AND agent_id IN ({ids}) AND t_us >= :lo AND t_us < :hi GROUP BY kind, agent_id"
    )


INCOMING = text(
    f"SELECT t_us / {BUCKET_US}, (t_us - :lo) / {DAY_US}, count(*) FROM stat_event "
    "WHERE kind = 'received' AND t_us >= :lo AND t_us < :hi GROUP BY 1, 2"
)
# Conversations whose first message or last close is in the period (tags, handle time,
# feature requests, per-conversation output); first responses come from the former.
CONVERSATION_COLUMNS = (
    "SELECT conversation_id, first_message_us, first_response_us, first_responder_id, "
    "last_closed_us, last_closer_id, tags FROM stat_conversation "
)
CONVERSATIONS = (
    CONVERSATION_COLUMNS + "WHERE first_message_us IS NOT NULL AND ("
    "(first_message_us >= :lo AND first_message_us < :hi) "
    "OR (last_closed_us >= :lo AND last_closed_us < :hi))"
)
FIRST_MESSAGES = CONVERSATION_COLUMNS + "WHERE first_message_us >= :lo AND first_message_us < :hi"
# Conversations confirmed as part of an incident (services/incidents tags them
# "incident:<name>"), left out of the response times on request.
INCIDENT_CONVERSATIONS = text(
    "SELECT DISTINCT ct.conversation_id FROM conversationtag ct "
    "JOIN tag t ON t.id = ct.tag_id WHERE t.name LIKE 'incident:%'"
)
# The latest rating of each conversation wins (the customer changed their mind): an
# earlier one counts nowhere, whatever period it falls in.
RATINGS = text(
    "SELECT se.conversation_id, se.rating, se.owner_id, c.assignee_id FROM stat_event se "
    "LEFT JOIN conversation c ON c.id = se.conversation_id "
    "WHERE se.kind = 'rated' AND se.t_us >= :lo AND se.t_us < :hi "
    "AND NOT EXISTS (SELECT 1 FROM stat_event later WHERE later.kind = 'rated' "
    "AND later.conversation_id = se.conversation_id AND (later.t_us > se.t_us "
    "OR (later.t_us = se.t_us AND later.event_id > se.event_id))) "
    "ORDER BY se.t_us, se.event_id"
)


def rating_owner(
    owner_id: int | None, assignee_id: int | None, names: dict[int, str]
) -> int | None:
    """Who a rating is credited to: the agent who last closed the conversation before it,
    else its assignee."""
    if owner_id is not None and owner_id in names:
        return owner_id
    return assignee_id
