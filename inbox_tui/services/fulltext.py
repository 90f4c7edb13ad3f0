"""Free-text conditions of the search language, on the message full-text index.

A search word or phrase becomes one condition on ``conversation.id``: the conversation
has a message whose subject or body contains it. The index (migration 0002) is an FTS5
table on SQLite and a GIN-indexed tsvector column on PostgreSQL; both see text as runs of
letters and digits, so punctuation separates words (``acme.com`` is the phrase
``acme com``, as in notmuch). User text never reaches either query language as syntax:
it is cut into those runs here, and only the runs are quoted into the query.

Text that has no letters or digits (``--``, ``@``) or that is written without spaces
between words (Chinese, Japanese: FTS sees a whole run of such characters as one word)
falls back to a substring scan of subjects and bodies, which is slow on a big store but
finds what was typed.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import bindparam, column, false, func, literal_column, or_, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement, TextClause
from sqlmodel import Session, col, select

from inbox_tui.models import Contact, Conversation, Message
from inbox_tui.sanitize import clean
from inbox_tui.store import dialect

# Runs of letters and digits: what FTS5's unicode61 tokenizer and PostgreSQL's parser
# (after the punctuation is blanked) both call a word. "_" is punctuation to both.
_WORD = re.compile(r"[^\W_]+")
# Scripts written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

# A one-letter prefix matches most of the index and says little; it is matched as a word.
MIN_PREFIX = 2


def words(term: str) -> list[str]:
    """The words the index sees in ``term``; empty when it has none it can search.

    Composed (NFC) first, as almost all stored mail is: a decomposed "é" typed or pasted
    would otherwise split the word at its combining accent."""
    term = unicodedata.normalize("NFC", term)
    if _UNSPACED.search(term):
        return []
    return _WORD.findall(term)


def fts5_query(tokens: list[str], prefix: bool) -> str:
    """An FTS5 phrase of ``tokens`` (the last one a prefix when asked). Tokens hold only
    letters and digits, so quoting them makes every FTS5 keyword (NEAR, AND, OR, NOT)
    and character plain text."""
    star = "*" if prefix and len(tokens[-1]) >= MIN_PREFIX else ""
    return '"' + " ".join(tokens) + '"' + star


def pg_tsquery(tokens: list[str], prefix: bool) -> str:
    """A PostgreSQL ``to_tsquery`` text: the tokens quoted, adjacent (``<->``), the last
    one a prefix (``:*``) when asked."""
    parts = [f"'{t}'" for t in tokens]
    if prefix and len(tokens[-1]) >= MIN_PREFIX:
        parts[-1] += ":*"
    return " <-> ".join(parts)


def text_condition(
    session: Session, term: str, prefix: bool, ordered: bool = True
) -> ColumnElement[bool] | TextClause:
    """The condition "a message of the conversation (subject or body) contains ``term``"
    (see ``text_conditions``)."""
    return text_conditions(session, [(term, prefix)], ordered)[0]


def text_conditions(
    session: Session, terms: list[tuple[str, bool]], ordered: bool = True
) -> list[ColumnElement[bool] | TextClause]:
    """One condition per ``(term, prefix)``: "a message of the conversation (subject or
    body) contains the term" (all must hold, not necessarily in the same message).

    ``ordered`` says the query reads conversations in list order and stops at a page,
    as opposed to reading every match (counts, far jumps); on SQLite that, and how
    common each word is, picks the plan (see ``_sqlite_condition``).
    """
    out: list[ColumnElement[bool] | TextClause] = []
    fts: list[tuple[int, str]] = []
    for term, prefix in terms:
        # Stored text went through the same cleaning (no control characters, which
        # PostgreSQL would refuse in a parameter anyway).
        term = clean(term)
        tokens = words(term)
        if not tokens:
            out.append(_substring_condition(term))
        elif dialect.is_sqlite(session):
            fts.append((len(out), fts5_query(tokens, prefix)))
            out.append(false())  # placeholder, filled below
        else:
            out.append(_pg_condition(pg_tsquery(tokens, prefix)))
    if fts:
        cache = _match_cache(session)
        # Every word but the last (the one being typed) is kept with its matches: the
        # next keystrokes test conversations against them instead of reading them again.
        cached = [
            cache.get(session, match, keep=j < len(fts) - 1) for j, (_, match) in enumerate(fts)
        ]
        plans = [
            "cached" if key is not None else _sqlite_plan(session, match, ordered)
            for (_, match), key in zip(fts, cached, strict=True)
        ]
        if "rare" in plans:
            # The rare word's few conversations drive the query, not the list order:
            # testing each of them per conversation would be the slow case of "dense".
            plans = ["common" if p == "dense" else p for p in plans]
        for (i, match), plan, key in zip(fts, plans, cached, strict=True):
            out[i] = _cached_condition(key) if key is not None else _sqlite_condition(match, plan)
    return out


# -- a word's matches kept between keystrokes (SQLite) --------------------------------

CACHE_WORDS = 2  # words kept per connection (a common one holds ~100k conversation ids)
_CACHE_FUNCTION = "inbox_fts_cached"


class _MatchCache:
    """The conversations matching a few common words, for one SQLite connection: while
    a query is typed, its earlier words are the same at every keystroke, and reading a
    common word's matches again (200,000 messages for "install" on the 1 M store) was
    most of a keystroke's time. Valid while nothing was written to the store: SQLite's
    ``data_version`` moves when another connection commits, ``total_changes()`` when
    this one writes; either empties the cache. A condition on a kept word is a test of
    the conversation's id against a Python set (``inbox_fts_cached``), ~1 us a row."""

    def __init__(self, dbapi_conn: Any) -> None:
        self.words: OrderedDict[str, frozenset[int]] = OrderedDict()
        self.version: tuple[int, int] | None = None
        self._conn = dbapi_conn
        dbapi_conn.create_function(_CACHE_FUNCTION, 2, self._test, deterministic=True)

    def _test(self, match: str, conversation_id: int) -> int:
        ids = self.words.get(match)
        return 1 if ids is not None and conversation_id in ids else 0

    def _check_version(self) -> None:
        cur = self._conn.cursor()
        try:
            version = (
                int(cur.execute("PRAGMA data_version").fetchone()[0]),
                int(cur.execute("SELECT total_changes()").fetchone()[0]),
            )
        finally:
            cur.close()
        if version != self.version:
            self.words.clear()
            self.version = version

    def get(self, session: Session, match: str, keep: bool) -> str | None:
        """``match`` if its matches are (now) kept, else None. Only common words are
        kept (a rare one is cheap to read again), and only when ``keep``."""
        self._check_version()
        if match in self.words:
            self.words.move_to_end(match)
            return match
        if not keep or CACHE_WORDS <= 0 or _hits(session, match, cap=COMMON_HITS) < COMMON_HITS:
            return None
        # On the connection's own cursor (the session's transaction, same snapshot):
        # SQLAlchemy's rows made up most of a first keystroke after a common word (the
        # 88,000 conversations of "install": "install u" 126 -> 91 ms CPU at 1 M).
        cur = self._conn.cursor()
        try:
            cur.execute(
                "SELECT DISTINCT rowid >> 32 FROM message_fts WHERE message_fts MATCH ?", (match,)
            )
            self.words[match] = frozenset(map(itemgetter(0), cur))
        finally:
            cur.close()
        while len(self.words) > CACHE_WORDS:
            self.words.popitem(last=False)
        return match


def _match_cache(session: Session) -> _MatchCache:
    """The cache of the session's connection, made (and its SQL function registered)
    the first time; it lives as long as the connection (the pool's ``info``)."""
    pooled = session.connection().connection
    cache = pooled.info.get("inbox_fts_cache")
    if cache is None:
        cache = pooled.info["inbox_fts_cache"] = _MatchCache(pooled.dbapi_connection)
    return cast(_MatchCache, cache)


def _cached_condition(match: str) -> TextClause:
    # Correlated by name, as the "dense" plan: the list queries read ``conversation``.
    return text(f"{_CACHE_FUNCTION}(:m, conversation.id)").bindparams(
        bindparam("m", match, unique=True)
    )


def _pg_condition(tsquery: str) -> ColumnElement[bool]:
    tsq = func.to_tsquery(literal_column("'simple'::regconfig"), tsquery)
    # message.fts_document: a generated tsvector column with a GIN index (migration 0002).
    return col(Conversation.id).in_(
        select(Message.conversation_id).where(literal_column("message.fts_document").op("@@")(tsq))
    )


# A word in fewer messages than this is rare; in more than DENSE_SHARE of all messages
# it is dense (see _sqlite_condition). Tuned on the 1,000,000-message benchmark store.
COMMON_HITS = 5000
DENSE_SHARE = 0.1
# The longest prefix with its own FTS5 index (``prefix='2 3'`` in migration 0002).
PREFIX_INDEX_MAX = 3


def _sqlite_plan(session: Session, match: str, ordered: bool) -> str:
    """ "rare", "common" or "dense" (see ``_sqlite_condition``), from how many messages
    match (one FTS read, capped) and whether the query stops at a page (``ordered``)."""
    if not ordered:
        return "rare"
    # A word FTS5 cannot probe cheaply is never dense: counting its matches up to the
    # dense share (100,000 on the 1 M store) only to learn it is common cost ~5 ms of a
    # common prefix's keystroke (4+ letters); counting stops at "common" instead.
    cheap = _cheap_to_probe(match)
    dense_at = max(COMMON_HITS, int(_message_count(session) * DENSE_SHARE)) if cheap else 0
    hits = _hits(session, match, cap=max(dense_at, COMMON_HITS))
    if hits < COMMON_HITS:
        return "rare"
    return "dense" if cheap and hits >= dense_at else "common"


def _sqlite_condition(match: str, plan: str) -> ColumnElement[bool] | TextClause:
    """The conversation's id among the FTS matches (``rowid >> 32``, see migration 0002).

    The plan (see ``_sqlite_plan``) is one of:

    - rare word, or a query that reads every match (count, far jump):
      ``id IN (matches)``. SQLite looks up each matching conversation (and sorts them
      for a page): best for few, but a page of "the" (99,999 of the benchmark's
      100,000 conversations) took 240 ms this way.
    - common word: read the matches once into a temporary index, then walk the
      activity index testing each conversation against it until the page is full
      (``id + 0`` keeps SQLite from driving the join by the IN list instead).
    - dense word (in a tenth of all messages or more) that FTS5 can test for one
      conversation cheaply: skip reading the matches, walk the activity index and test
      each conversation's rowid range: about 100 tests for a page of "the", 15-25 ms
      instead of 145. Each test costs ~70 us, so this loses when matches are sparse,
      or when a rare word (or a tag) picks the conversations instead of list order.
    """
    matches = text("SELECT rowid >> 32 FROM message_fts WHERE message_fts MATCH :m")
    # unique: a query with several words has several of these subqueries.
    sub = matches.bindparams(bindparam("m", match, unique=True)).columns(column("c"))
    if plan == "dense":
        # Correlated by name: the list queries read ``conversation`` unaliased.
        return text(
            "EXISTS (SELECT 1 FROM message_fts WHERE message_fts MATCH :m AND "
            "message_fts.rowid BETWEEN (conversation.id << 32) "
            "AND (conversation.id << 32) + 4294967295)"
        ).bindparams(bindparam("m", match, unique=True))
    if plan == "common":
        return (col(Conversation.id) + 0).in_(sub)
    return col(Conversation.id).in_(sub)


def _cheap_to_probe(match: str) -> bool:
    """Whether FTS5 can test one conversation's rowid range for ``match`` without first
    merging the lists of every word with that prefix (which it redoes for each test):
    true for whole words and for prefixes short enough to have their own index."""
    if not match.endswith("*"):
        return True
    return len(match.rstrip("*").strip('"').split(" ")[-1]) <= PREFIX_INDEX_MAX


def _message_count(session: Session) -> int:
    """About how many messages there are: the highest id, read from the primary key."""
    return int(session.execute(text("SELECT coalesce(max(id), 0) FROM message")).scalar_one())


def _hits(session: Session, match: str, cap: int) -> int:
    """How many messages match, counting no further than ``cap``."""
    hits = session.execute(
        text(
            "SELECT count(*) FROM (SELECT 1 FROM message_fts WHERE message_fts MATCH :m LIMIT :n)"
        ),
        {"m": match, "n": cap},
    ).scalar_one()
    return int(hits)


LIKE_ESCAPE = "\\"

# -- the customer's name and address (a plain word finds them too) --------------------

_CONTACT_MATCH = text("SELECT rowid FROM contact_fts WHERE contact_fts MATCH :m")
_CONTACT_MATCH_LIMITED = text("SELECT rowid FROM contact_fts WHERE contact_fts MATCH :m LIMIT :n")
# Migration 0025's index expression, exactly (else PostgreSQL cannot use the index).
CONTACT_TSVECTOR = (
    "to_tsvector('simple'::regconfig, translate(coalesce(contact.name, '') || ' ' || "
    "contact.key, '{punct}', '{spaces}'))"
).format(punct=string.punctuation.replace("'", "''"), spaces=" " * len(string.punctuation))
# Up to this many customers are named in the query by id; more (a common first name)
# are found by the index inside the query.
CUSTOMERS_BY_ID = 200


def customer_condition(session: Session, term: str, prefix: bool) -> ColumnElement[bool] | None:
    """ "The conversation's customer has ``term`` in their name or address", read as
    the message index reads text (its words in a row, the last a prefix while typed),
    on the contact index (migration 0025: FTS5 on SQLite, a GIN tsvector on PostgreSQL).
    None when no customer has it, so the text's condition and its plan stay as they are
    (walk4: ``/Zoe Larsen`` missed conversations only ``from:`` found). A one-letter
    word says too little about a name and matches no customer."""
    tokens = words(clean(term))
    if not tokens or (len(tokens) == 1 and len(tokens[0]) < MIN_PREFIX):
        return None
    if dialect.is_sqlite(session):
        match = {"m": fts5_query(tokens, prefix)}
        ids = session.execute(_CONTACT_MATCH_LIMITED, {**match, "n": CUSTOMERS_BY_ID + 1})
        many = _CONTACT_MATCH.bindparams(bindparam("m", match["m"], unique=True))
        wide: Any = many.columns(column("c"))
    else:
        tsq = func.to_tsquery(literal_column("'simple'::regconfig"), pg_tsquery(tokens, prefix))
        wide = select(Contact.id).where(literal_column(CONTACT_TSVECTOR).op("@@")(tsq))
        ids = session.execute(wide.limit(CUSTOMERS_BY_ID + 1))
    found = [int(r[0]) for r in ids]
    if not found:
        return None
    if len(found) > CUSTOMERS_BY_ID:
        return col(Conversation.contact_id).in_(wide)
    return col(Conversation.contact_id).in_(found)


def like_contains(term: str) -> str:
    """A LIKE pattern (with ``escape=LIKE_ESCAPE``) for "contains ``term``", lower-cased:
    ``%`` and ``_`` typed by the agent are plain characters, not wildcards."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _substring_condition(term: str) -> ColumnElement[bool]:
    needle = like_contains(term)
    return or_(
        func.lower(Conversation.subject).like(needle, escape=LIKE_ESCAPE),
        col(Conversation.id).in_(
            select(Message.conversation_id).where(
                func.lower(Message.body).like(needle, escape=LIKE_ESCAPE)
            )
        ),
    )


@contextmanager
def sqlite_bulk_load(conn: Connection) -> Iterator[None]:
    """For bulk loaders of messages on SQLite (the benchmark generator): the index
    triggers are set aside while the block runs, then every message is indexed in one
    pass and the triggers are put back exactly as they were. Generating 200,000
    messages took 21 s without the index, 74 s with the triggers firing per row, and
    29 s this way. Messages written by others meanwhile would be missed, so
    this is only for a store nobody else uses yet."""
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'message_fts_%'"
    ).all()
    for name, _ in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    conn.commit()
    yield
    conn.exec_driver_sql("INSERT INTO message_fts(message_fts) VALUES ('delete-all')")
    conn.exec_driver_sql(
        "INSERT INTO message_fts(rowid, subject, body) "
        "SELECT (conversation_id << 32) | id, subject, body FROM message"
    )
    for _, sql in triggers:
        conn.exec_driver_sql(sql)
    conn.commit()
