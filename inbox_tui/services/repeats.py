"""Next-contact avoidance: repeat contacts, categories and help-content gaps.

Read from the stats aggregates (``store.aggregates``: the ``closed`` and ``received``
rows of ``stat_event``, first messages and tags of ``stat_conversation``) plus the
``article_sent`` events and the conversations' customers. Definitions (also in
``stats_definitions.DEFINITIONS``):

- **a close** is an agent closing a conversation in the period (each close counts: a
  conversation closed, reopened and closed again is two chances to have ended it; closing
  again what another action reopened on the way, before the customer wrote, is no new
  close: ``store.aggregates``);
- it is **followed by a repeat contact** when the same customer writes again within
  ``days`` after it: a message in that conversation (which reopens it) or a new
  conversation of the same contact;
- closes less than ``days`` before ``now`` cannot be judged yet: they are counted as
  ``pending`` and left out of the rate;
- **repeat-contact rate** = closes followed by a repeat contact / closes judged; per
  agent (who closed), per tag (the conversation's tags now) and per help article (sent in
  the conversation before the close);
- **without a category**: distinct conversations closed in the period (by their last
  close in it) that carry no tag of kind ``category``, per agent who last closed them;
- **content gaps**: category tags none of whose conversations closed in the period had
  an article sent, and
  groups of similar closed conversations (``services/clusters``) of at least
  ``GAP_MIN_GROUP`` without any article sent: the answers the help centre lacks.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import TagKind, utcnow
from inbox_tui.services import clusters
from inbox_tui.services.stats import DrillRow, load_subjects
from inbox_tui.store import dialect
from inbox_tui.store.aggregates import to_us

DEFAULT_DAYS = 7
GAP_MIN_GROUP = 3
MAX_GAP_TEXTS = 2000  # newest closed conversations without an article that are grouped
# Meaning vectors computed per report at most (stored ones are free); with more missing,
# the gaps are grouped by words, so a report on a large store never waits on the model.
GAP_EMBED_CAP = 256
DAY_US = 86_400 * 1_000_000

_CLOSES = (
    "SELECT se.conversation_id, se.agent_id, se.t_us, c.contact_id FROM stat_event se "
    "JOIN conversation c ON c.id = se.conversation_id "
    "WHERE se.kind = 'closed' AND se.t_us >= :lo AND se.t_us < :hi"
)
_RECEIVED = (
    "SELECT conversation_id, t_us FROM stat_event "
    "WHERE kind = 'received' AND t_us > :lo AND t_us <= :hi"
)
_NEW = (
    "SELECT c.contact_id, sc.first_message_us, c.id FROM stat_conversation sc "
    "JOIN conversation c ON c.id = sc.conversation_id "
    "WHERE sc.first_message_us > :lo AND sc.first_message_us <= :hi AND c.contact_id IS NOT NULL"
)
_TAGS = text(
    "SELECT conversation_id, tags FROM stat_conversation WHERE conversation_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_ARTICLES = text(
    "SELECT conversation_id, at, data FROM event "
    "WHERE kind = 'article_sent' AND conversation_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


@dataclass
class Row:
    """One line of a repeat-contact table. ``repeated_ids``: the conversations whose
    close was followed by a repeat contact (the drill-down)."""

    key: str
    closes: int = 0
    repeated: int = 0
    pending: int = 0
    repeated_ids: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return round(self.repeated / self.closes, 4) if self.closes else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": sanitize.one_line(self.key, 200),
            "closes": self.closes,
            "repeated": self.repeated,
            "pending": self.pending,
            "rate": self.rate,
            "repeated_conversations": sorted(set(self.repeated_ids)),
        }


@dataclass
class Uncategorised:
    agent: str
    closed: int = 0
    conversations: list[int] = field(default_factory=list)  # closed without a category

    def as_dict(self) -> dict[str, Any]:
        n = len(self.conversations)
        return {
            "agent": self.agent,
            "closed": self.closed,
            "without_category": n,
            "share": round(n / self.closed, 4) if self.closed else None,
            "conversations": sorted(self.conversations),
        }


@dataclass
class RepeatReport:
    since: datetime
    until: datetime
    days: int
    team: Row
    agents: list[Row]
    tags: list[Row]
    articles: list[Row]  # key: the article's slug
    uncategorised: list[Uncategorised]  # per agent, then the team as "team"
    tags_without_article: list[Row]
    groups_without_article: list[dict[str, Any]]
    method: str = "words"
    # A category tag without an article: its conversations closed in the period.
    gap_ids: dict[str, list[int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        from inbox_tui.services.stats_definitions import DEFINITIONS

        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "days": self.days,
            "definitions": {
                k: DEFINITIONS[k]
                for k in ("repeat_contact_rate", "without_category", "content_gaps")
            },
            "team": self.team.as_dict(),
            "agents": [r.as_dict() for r in self.agents],
            "tags": [r.as_dict() for r in self.tags],
            "articles": [r.as_dict() for r in self.articles],
            "without_category": [u.as_dict() for u in self.uncategorised],
            "content_gaps": {
                "method": self.method,
                "tags_without_article": [r.as_dict() for r in self.tags_without_article],
                "groups_without_article": self.groups_without_article,
            },
        }


def _chunks(ids: list[int], n: int = 5000) -> list[list[int]]:
    return [ids[i : i + n] for i in range(0, len(ids), n)]


def _articles_sent(session: Session, ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Per conversation: (time in µs, article slug) of every article sent in it. An
    article sent with a reply that waited in the outbox was sent when the reply went (its
    ``sent`` event); with a reply taken back or never gone, it was not sent."""
    from inbox_tui.services.outbox import went_out

    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for chunk in _chunks(ids):
        went = went_out(session, chunk)
        for conv_id, at, data in session.execute(_ARTICLES, {"ids": chunk}).all():
            info = json.loads(data or "{}")
            slug = str(info.get("slug") or info.get("article") or "")
            when = at if info.get("outbox") is None else went.get(int(info["outbox"]))
            if when is not None:
                out[conv_id].append(
                    (to_us(datetime.fromisoformat(when) if isinstance(when, str) else when), slug)
                )
    return out


def _tags_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        for conv_id, tags in session.execute(_TAGS, {"ids": chunk}).all():
            out[conv_id] = [t for t in json.loads(tags or "[]") if t]
    return out


def report(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
    gaps: bool = True,
    method: str = "auto",
) -> RepeatReport:
    """The repeat-contact report of the closes in [since, until) (module docstring)."""
    if not 1 <= days <= 90:
        raise UserError("The repeat-contact window must be between 1 and 90 days.")
    if until <= since:
        raise UserError("The period is empty: --until must be after --since.")
    lo, hi, horizon = to_us(since), to_us(until), days * DAY_US
    judged_until = to_us(now or utcnow()) - horizon  # closes after this are pending
    names = {int(i): str(u) for i, u in session.execute(text("SELECT id, username FROM agent"))}
    closes = dialect.raw_rows(session, _CLOSES, {"lo": lo, "hi": hi})
    received: dict[int, list[int]] = defaultdict(list)
    for conv_id, t in dialect.raw_rows(session, _RECEIVED, {"lo": lo, "hi": hi + horizon}):
        received[conv_id].append(t)
    new_of: dict[int, list[int]] = defaultdict(list)
    for contact_id, t, _ in dialect.raw_rows(session, _NEW, {"lo": lo, "hi": hi + horizon}):
        new_of[contact_id].append(t)
    conv_ids = sorted({c[0] for c in closes})
    tags = _tags_of(session, conv_ids)
    articles = _articles_sent(session, conv_ids)
    kinds = dict(session.execute(text("SELECT name, kind FROM tag")).all())

    t = _Tally(names, judged_until, horizon)
    for conv_id, agent_id, at, contact_id in sorted(closes, key=lambda c: (c[2], c[0])):
        sent = sorted({slug for when, slug in articles.get(conv_id, []) if when <= at})
        again = any(at < r <= at + horizon for r in received.get(conv_id, ())) or any(
            at < n <= at + horizon for n in new_of.get(contact_id, ())
        )
        t.add(conv_id, agent_id, at, tags.get(conv_id, []), sent, again)
    last_close = t.last_close

    def ordered(rows: dict[str, Row]) -> list[Row]:
        return sorted(rows.values(), key=lambda r: (-(r.rate or 0), -r.closes, r.key))

    uncat = _uncategorised(last_close, tags, kinds, names)
    tag_rows = ordered(t.by_tag)
    without = [
        r
        for r in tag_rows
        if kinds.get(r.key) == TagKind.CATEGORY.value
        and not any(articles.get(c) for c in _closed_with_tag(last_close, tags, r.key))
    ]
    groups, used = (
        _groups_without_article(session, last_close, articles, method) if gaps else ([], "words")
    )
    return RepeatReport(
        since,
        until,
        days,
        t.team,
        sorted(t.by_agent.values(), key=lambda r: r.key),
        tag_rows,
        ordered(t.by_article),
        uncat,
        without,
        groups,
        used,
        {r.key: sorted(_closed_with_tag(last_close, tags, r.key)) for r in without},
    )


def gap_groups(
    session: Session, since: datetime, until: datetime, method: str = "auto"
) -> list[dict[str, Any]]:
    """Only the groups of similar conversations closed in [since, until) without any
    article sent (``report``'s ``groups_without_article``), for a screen that shows the
    rest first and these when they are ready."""
    last_close: dict[int, tuple[int, int | None]] = {}
    closes = dialect.raw_rows(session, _CLOSES, {"lo": to_us(since), "hi": to_us(until)})
    for conv_id, agent_id, at, _ in sorted(closes, key=lambda c: (c[2], c[0])):
        last_close[conv_id] = (at, agent_id)
    articles = _articles_sent(session, sorted(last_close))
    return _groups_without_article(session, last_close, articles, method)[0]


class _Tally:
    """The repeat-contact rows, close by close (in time order)."""

    def __init__(self, names: dict[int, str], judged_until: int, horizon: int) -> None:
        self.names, self.judged_until, self.horizon = names, judged_until, horizon
        self.team = Row("team")
        self.by_agent: dict[str, Row] = {}
        self.by_tag: dict[str, Row] = {}
        self.by_article: dict[str, Row] = {}
        self.last_close: dict[int, tuple[int, int | None]] = {}

    def add(
        self,
        conv_id: int,
        agent_id: int | None,
        at: int,
        tags: list[str],
        articles: list[str],
        again: bool,
    ) -> None:
        self.last_close[conv_id] = (at, agent_id)
        agent = self.names.get(agent_id, "?") if agent_id is not None else "?"
        rows = [self.team, self.by_agent.setdefault(agent, Row(agent))]
        rows += [self.by_tag.setdefault(tag, Row(tag)) for tag in tags]
        rows += [self.by_article.setdefault(slug, Row(slug)) for slug in articles]
        for r in rows:
            if at > self.judged_until:
                r.pending += 1
                continue
            r.closes += 1
            if again:
                r.repeated += 1
                r.repeated_ids.append(conv_id)


def _closed_with_tag(
    last_close: dict[int, tuple[int, int | None]], tags: dict[int, list[str]], tag: str
) -> list[int]:
    return [c for c in last_close if tag in tags.get(c, [])]


def _uncategorised(
    last_close: dict[int, tuple[int, int | None]],
    tags: dict[int, list[str]],
    kinds: dict[str, str],
    names: dict[int, str],
) -> list[Uncategorised]:
    per: dict[str, Uncategorised] = {}
    team = Uncategorised("team")
    for conv_id, (_, agent_id) in sorted(last_close.items()):
        agent = names.get(agent_id, "?") if agent_id is not None else "?"
        row = per.setdefault(agent, Uncategorised(agent))
        has_category = any(kinds.get(t) == TagKind.CATEGORY.value for t in tags.get(conv_id, []))
        for r in (row, team):
            r.closed += 1
            if not has_category:
                r.conversations.append(conv_id)
    return [*sorted(per.values(), key=lambda u: u.agent), team]


def _groups_without_article(
    session: Session,
    last_close: dict[int, tuple[int, int | None]],
    articles: dict[int, list[tuple[int, str]]],
    method: str,
) -> tuple[list[dict[str, Any]], str]:
    """Groups of similar closed conversations that never had an article sent."""
    ids = sorted((c for c in last_close if not articles.get(c)), key=lambda c: -last_close[c][0])
    ids = ids[:MAX_GAP_TEXTS]
    if len(ids) < GAP_MIN_GROUP:
        return [], "words"
    grouping = clusters.group_conversations(session, ids, method=method, cap=GAP_EMBED_CAP)
    subjects = dict(
        session.execute(
            text("SELECT id, subject FROM conversation WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        ).all()
    )
    out = []
    for group in grouping.groups:
        if len(group) < GAP_MIN_GROUP:
            continue
        members = sorted(ids[i] for i in group)
        out.append(
            {
                "subject": sanitize.one_line(subjects.get(members[0]) or "", 200),
                "count": len(members),
                "conversations": members,
            }
        )
    return out, grouping.method


def conversations(session: Session, ids: list[int]) -> list[DrillRow]:
    """The drill-down of a repeat-contact row: its conversations with their subjects,
    newest id first."""
    rows = [DrillRow(i, "", 1) for i in sorted(set(ids), reverse=True)]
    if rows:
        load_subjects(session, rows)
    return rows
