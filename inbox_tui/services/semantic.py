"""Suggestions by meaning: embeddings of articles and conversations kept in the store,
and exact cosine search over them with numpy.

Articles are embedded in chunks (the title alone, then the description and body cut at
headings and paragraphs, each piece with the title in front); an article scores by its
best chunk. A conversation is embedded from its subject and its customer's latest
messages with quoted text stripped. Each stored row carries the sha256 of the text it
was computed from (and the model's name), so :func:`refresh_articles`,
:func:`refresh_conversations` and :func:`catch_up` recompute exactly what changed,
whatever changed it.

Vectors live in a plain BLOB (SQLite) / bytea (PostgreSQL) column as float16, the same
bytes on both, so both stores rank identically. Search loads all article vectors into
memory once per change of the article embeddings (10,000 articles: ~15 MB) and scores
them with one matrix product; ``benchmarks/README.md`` has the timings.

Nothing here needs the model to be installed: without it every function returns
nothing and the caller ranks by words alone.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, text
from sqlmodel import Session, col, select

from inbox_tui.ingest import pipeline
from inbox_tui.models import (
    Article,
    Conversation,
    ConversationTag,
    Direction,
    Embedding,
    Message,
    Tag,
    TagKind,
    utcnow,
)
from inbox_tui.sanitize import one_line
from inbox_tui.services import embeddings, static_embeddings
from inbox_tui.services.article_index import ArticleIndex
from inbox_tui.store import dialect

if TYPE_CHECKING:
    import numpy as np

    from inbox_tui.store import Store

log = logging.getLogger(__name__)

ARTICLE, CONVERSATION = "article", "conversation"
# An article's vectors from the static table (services/static_embeddings.py): a fast
# first index of a large help centre, searched until MiniLM's vectors (ARTICLE) cover it.
STATIC_ARTICLE = "article-static"
DIM = embeddings.DIM
# MiniLM's vectors are searched once they miss at most this share of the articles the
# static ones cover (a few new articles wait seconds for theirs: not worth a switch).
FULL_COVERAGE = 0.98
STATIC_BATCH = 1024  # articles per transaction for the static table
# Below MiniLM's CPU time for any article chunk measured here (45 ms for 128 word pieces,
# ~7 ms for a short query): more chunks than a budget / this can never be done in it.
MIN_CHUNK_SECONDS = 0.004
# Chunks stay within the model's 128-word-piece window (about 500 characters of
# English); the cost of embedding grows with their length and number.
CHUNK_CHARS = 500  # at most, per chunk of an article's body (with its title in front)
MAX_CHUNKS = 12  # chunks of the body per article (the title alone is one more)
HEADING_CHARS = 80  # a line this short without closing punctuation is a heading
# Part of every article's fingerprint: bump it when article_chunks changes, so every
# stored article vector is recomputed with the new chunking.
CHUNKING = "sections-1"
CONVERSATION_CHARS = 1500  # of the customer's latest messages
TAGGED_HISTORY = 5000  # newest tagged conversations the tag vote looks at
EMBED_ON_THE_FLY = 64  # tagged conversations without a stored vector embedded per rebuild
WRITE_BATCH = 256


def strip_quotes(body: str) -> str:
    """The lines of a message that are not quoted (``>``) text."""
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))


def text_hash(parts: Sequence[str]) -> str:
    h = hashlib.sha256(embeddings.MODEL_ID.encode())
    for p in parts:
        h.update(b"\x1f" + p.encode("utf-8", "replace"))
    return h.hexdigest()


def _is_heading(line: str) -> bool:
    return line.startswith("#") or (
        len(line) <= HEADING_CHARS and not line.endswith((".", ",", ";", ":", "!", ")"))
    )


def _windows(text: str, size: int) -> list[str]:
    """``text`` cut at spaces into pieces of at most ``size`` characters."""
    out = []
    while text:
        piece = text[:size]
        if len(text) > size and " " in piece:
            piece = piece.rsplit(" ", 1)[0]
        if piece.strip():
            out.append(piece.strip())
        text = text[len(piece) :].lstrip()
    return out


def _sections(body: str, size: int) -> list[str]:
    """The body packed into pieces of at most ``size`` characters, whole lines where they
    fit: a new piece starts at a heading (once the current piece is a third full) or
    when the next line would not fit; a line longer than ``size`` is cut at spaces."""
    pieces: list[str] = []
    current = ""
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        full = len(current) + 1 + len(line) > size
        if current and (full or (_is_heading(line) and len(current) >= size // 3)):
            pieces.append(current)
            current = ""
        if len(line) > size:
            *whole, current = _windows(line, size)
            pieces += whole
        else:
            current = f"{current}\n{line}" if current else line
    return [*pieces, current] if current else pieces


def article_chunks(title: str, description: str, body: str) -> list[str]:
    """What is embedded for one article: its title alone (the question the article
    answers, which is what a customer's question most resembles), then the description
    and the body split at headings and paragraphs into pieces of at most CHUNK_CHARS
    (MAX_CHUNKS of them), each with the title in front so a piece keeps its topic. An
    article up to MAX_CHUNKS pieces (4,000-6,000 characters) is covered whole, so a
    question answered in its last section finds it. An article scores by its best chunk
    (benchmarks/README.md has the measurements)."""
    title, description, body = title.strip(), (description or "").strip(), (body or "").strip()
    text = "\n".join(p for p in (description, body) if p)
    size = max(CHUNK_CHARS - len(title) - 1, CHUNK_CHARS // 2)
    chunks = [f"{title}\n{p}" if title else p for p in _sections(text, size)[:MAX_CHUNKS]]
    return [title, *chunks] if title else chunks or [""]


def model_of(kind: str) -> str:
    """The model whose vectors are stored under ``kind``."""
    return static_embeddings.MODEL_ID if kind == STATIC_ARTICLE else embeddings.MODEL_ID


def _encode(kind: str, texts: list[str]) -> Any:
    if kind == STATIC_ARTICLE:
        return static_embeddings.encode(texts)
    return embeddings.encode(texts)


def _write(session: Session, kind: str, rows: list[tuple[int, str, Any]]) -> None:
    """Store (ref id, text hash, matrix) rows, replacing what was there."""
    if kind in (ARTICLE, STATIC_ARTICLE):
        _article_vectors_changed()
    now = utcnow()
    session.execute(
        dialect.upsert(
            Embedding.__table__,  # type: ignore[attr-defined]
            ("kind", "ref_id"),
            dialect.name(session),
        ),
        [
            {
                "kind": kind,
                "ref_id": ref,
                "model": model_of(kind),
                "text_hash": h,
                "vectors": embeddings.vector_bytes(m),
                "updated_at": now,
            }
            for ref, h, m in rows
        ],
    )


def _stored_hashes(session: Session, kind: str, ids: Iterable[int] | None = None) -> dict[int, str]:
    q = select(Embedding.ref_id, Embedding.text_hash).where(Embedding.kind == kind)
    if ids is not None:
        q = q.where(col(Embedding.ref_id).in_(list(ids)))
    return {int(r): h for r, h in session.exec(q).all()}


# What is to embed: (kind, ref id, hash of the texts, the texts: an article's chunks or
# a conversation's one text).
Todo = list[tuple[str, int, str, list[str]]]


Chunked = list[tuple[int, list[str]]]  # every article's id and chunks


def _chunked_articles(session: Session) -> Chunked:
    return [
        (aid, article_chunks(title, description, body))
        for aid, title, description, body in session.exec(
            select(Article.id, Article.title, Article.description, Article.body)
        ).all()
        if aid is not None
    ]


def _stale_articles(
    session: Session, kind: str = ARTICLE, chunked: Chunked | None = None
) -> tuple[Todo, list[int]]:
    """Articles whose text changed since they were embedded (or never were) with the
    model of ``kind``, and the ids of embedded articles that are gone (``chunked``:
    the articles as ``_chunked_articles`` read them, when the caller has them)."""
    have = _stored_hashes(session, kind)
    seed = [CHUNKING] if kind == ARTICLE else [static_embeddings.MODEL_ID, CHUNKING]
    todo: Todo = []
    present = set()
    for aid, chunks in _chunked_articles(session) if chunked is None else chunked:
        present.add(aid)
        if have.get(aid) != (h := text_hash([*seed, *chunks])):
            todo.append((kind, aid, h, chunks))
    return todo, [aid for aid in have if aid not in present]


def _stale_conversations(session: Session, ids: Sequence[int]) -> Todo:
    texts = conversation_texts(session, list(ids)) if ids else {}
    have = _stored_hashes(session, CONVERSATION, texts)
    return [
        (CONVERSATION, cid, h, [t])
        for cid, t in texts.items()
        if have.get(cid) != (h := text_hash([t]))
    ]


def _drop_articles(session: Session, gone: list[int], kind: str = ARTICLE) -> None:
    if gone:
        _article_vectors_changed()
        session.execute(
            delete(Embedding).where(col(Embedding.kind) == kind, col(Embedding.ref_id).in_(gone))
        )


def _embedded(part: Todo) -> dict[str, list[tuple[int, str, Any]]] | None:
    """The rows to store for ``part``, by kind (each embedded with its kind's model);
    None without the model."""
    rows: dict[str, list[tuple[int, str, Any]]] = defaultdict(list)
    for static in (True, False):
        items = [t for t in part if (t[0] == STATIC_ARTICLE) == static]
        if not items:
            continue
        vecs = _encode(items[0][0], [c for *_, chunks in items for c in chunks])
        if vecs is None:
            return None
        at = 0
        for kind, ref, h, chunks in items:
            rows[kind].append((ref, h, vecs[at : at + len(chunks)]))
            at += len(chunks)
    return rows


def _write_rows(session: Session, rows: dict[str, list[tuple[int, str, Any]]]) -> None:
    for kind, items in rows.items():
        _write(session, kind, items)


def _embed_and_store(session: Session, todo: Todo) -> int:
    done = 0
    for start in range(0, len(todo), WRITE_BATCH):
        rows = _embedded(todo[start : start + WRITE_BATCH])
        if rows is None:
            break
        _write_rows(session, rows)
        done += sum(len(items) for items in rows.values())
    session.flush()
    return done


def refresh_articles(session: Session, kind: str = ARTICLE) -> int:
    """Embed every article whose text changed since it was embedded (or never was) and
    drop the vectors of articles that are gone, in this session's transaction, with
    MiniLM (or, for ``STATIC_ARTICLE``, the static table). Returns how many were
    embedded; 0 when the model is not available (then nothing is touched). A running
    team uses :func:`catch_up`, which never holds a write transaction while the model
    works."""
    if embeddings.encoder() is None:
        return 0
    if kind == STATIC_ARTICLE and static_embeddings.encoder() is None:
        return 0
    todo, gone = _stale_articles(session, kind)
    _drop_articles(session, gone, kind)
    return _embed_and_store(session, todo)


# -- conversations -------------------------------------------------------------------


def conversation_texts(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """What each conversation is about, for embedding: the subject and the customer's
    latest messages (quoted text stripped), newest first, up to CONVERSATION_CHARS."""
    subjects = dict(
        session.exec(
            select(Conversation.id, Conversation.subject).where(col(Conversation.id).in_(ids))
        ).all()
    )
    bodies: dict[int, list[str]] = defaultdict(list)
    size: dict[int, int] = defaultdict(int)
    for cid, body in session.exec(
        select(Message.conversation_id, Message.body)
        .where(col(Message.conversation_id).in_(ids), Message.direction == Direction.INBOUND.value)
        .order_by(col(Message.conversation_id), col(Message.sent_at).desc())
    ).all():
        if size[cid] < CONVERSATION_CHARS:
            part = strip_quotes(body).strip()[: CONVERSATION_CHARS - size[cid]]
            bodies[cid].append(part)
            size[cid] += len(part)
    return {
        cid: "\n".join([subjects[cid] or "", *bodies.get(cid, [])]).strip()
        for cid in ids
        if cid in subjects
    }


_CONV_CACHE: OrderedDict[tuple[str, int, str], Any] = OrderedDict()
_CONV_CACHE_SIZE = 512
_cache_lock = threading.Lock()


def conversation_vectors(session: Session, ids: Sequence[int], *, cap: int | None = None) -> dict:
    """conversation id → normalised vector, from the store when its text is unchanged,
    else computed (at most ``cap`` of them) and kept in memory for this process. Empty
    without the model."""
    if embeddings.encoder() is None or not ids:
        return {}
    texts = conversation_texts(session, list(ids))
    hashes = {cid: text_hash([t]) for cid, t in texts.items()}
    db = dialect.db_key(session)
    out: dict[int, Any] = {}
    with _cache_lock:
        for cid, h in hashes.items():
            v = _CONV_CACHE.get((db, cid, h))
            if v is not None:
                _CONV_CACHE.move_to_end((db, cid, h))
                out[cid] = v
    missing = [cid for cid in hashes if cid not in out]
    if missing:
        for ref, h, blob in session.exec(
            select(Embedding.ref_id, Embedding.text_hash, Embedding.vectors).where(
                Embedding.kind == CONVERSATION, col(Embedding.ref_id).in_(missing)
            )
        ).all():
            if hashes.get(ref) == h:
                out[ref] = embeddings.vector_rows(blob)[0]
        todo = [cid for cid in missing if cid not in out][:cap]
        if todo:
            vecs = embeddings.encode([texts[c] for c in todo])
            if vecs is not None:
                for cid, v in zip(todo, vecs, strict=True):
                    out[cid] = v
        with _cache_lock:  # only what was computed: the store keeps the rest
            for cid in todo:
                if cid in out:
                    _CONV_CACHE[(db, cid, hashes[cid])] = out[cid]
            while len(_CONV_CACHE) > _CONV_CACHE_SIZE:
                _CONV_CACHE.popitem(last=False)
    return out


def conversation_vector(session: Session, conversation_id: int) -> np.ndarray | None:
    return conversation_vectors(session, [conversation_id]).get(conversation_id)


def refresh_conversations(session: Session, ids: Sequence[int] | None = None) -> int:
    """Store the vectors of the given conversations (default: the newest tagged ones the
    tag vote uses) whose text changed since they were embedded. Returns how many were
    embedded; 0 without the model."""
    if embeddings.encoder() is None:
        return 0
    if ids is None:
        ids = _tagged_conversations(session)[0]
    return _embed_and_store(session, _stale_conversations(session, ids))


def catch_up(
    store: Store,
    batch: int = 32,
    *,
    conversations: bool = True,
    upgrade_limit: int | None = None,
    upgrade_seconds: float | None = None,
    report: dict[str, int] | None = None,
    build_static: bool = True,
) -> int:
    """:func:`refresh_articles` and (unless told not to) :func:`refresh_conversations`
    for a running team: what is stale is read in one read session and embedded outside
    any transaction, and each batch is written in a short transaction of its own, so no
    agent's write waits for the model (a large help centre takes minutes). Every
    article first gets its static vectors (10,000 articles in well under a minute), so
    suggestions work at once; then MiniLM's: at most ``upgrade_limit`` articles, and no
    batch started after ``upgrade_seconds``, when given (the rest at the next
    catch-up). Within ``upgrade_seconds``, while MiniLM's vectors are not the ones
    searched, the first article is a probe of the model's speed: when the rest cannot be
    done in the time left, it is all left to the background (a few MiniLM vectors of a
    large new help centre change no suggestion until nearly all are there). Returns how
    many MiniLM vectors were computed; ``report`` gets how many static ones ("static")
    and how many articles are left for MiniLM ("left"). ``build_static``: distil the
    static table first when this machine has none (else no static vectors). MiniLM is
    loaded only when it has something to do: a large new help centre whose chunks could
    not be done within ``upgrade_seconds`` even at MIN_CHUNK_SECONDS each is left to the
    background without loading it or probing its speed."""
    if not embeddings.installed():
        return 0
    with store.read() as s:
        chunked = _chunked_articles(s)  # once for both models
    static = catch_up_static(store, chunked, build=build_static)
    with store.read() as s:
        todo, gone = _stale_articles(s, ARTICLE, chunked)
        stale = len(todo)
        todo = todo[:upgrade_limit]
        articles = len(todo)
        if conversations:
            todo += _stale_conversations(s, _tagged_conversations(s)[0])
        searched = upgrade_seconds is None or _searched_kind(_stamps(s)) == ARTICLE
    if not searched and upgrade_seconds is not None:
        chunks = sum(len(t[3]) for t in todo[:articles])
        if chunks * MIN_CHUNK_SECONDS > upgrade_seconds:
            todo = todo[articles:]  # hopeless within the budget: no probe, no model load
    if gone:
        store.run(_drop_articles, gone)
    done = start = 0
    started = time.monotonic()
    while start < len(todo):
        if upgrade_seconds is not None and not _in_budget(
            todo, start, time.monotonic() - started, upgrade_seconds, searched
        ):
            break
        step = batch if start or searched else 1
        rows = _embedded(todo[start : start + step])
        if rows is None:
            break
        store.run(_write_rows, rows)
        done += sum(len(items) for items in rows.values())
        start += step
    if report is not None:
        report.update(static=static, left=stale - min(start, articles))
    return done


def _in_budget(todo: Todo, start: int, spent: float, budget: float, searched: bool) -> bool:
    """Whether a budgeted catch-up starts another batch at ``todo[start]``: not once the
    budget is spent; and, while MiniLM's vectors are not searched, not when the rest
    would take longer than the budget left at the speed of what was done so far."""
    if spent >= budget:
        return False
    if searched or not start:
        return True
    per_chunk = spent / max(1, sum(len(t[3]) for t in todo[:start]))
    return per_chunk * sum(len(t[3]) for t in todo[start:]) <= budget - spent


def catch_up_static(store: Store, chunked: Chunked | None = None, *, build: bool = True) -> int:
    """The static vectors of every article that has none for its current text (the
    table is distilled first if this machine has none yet and ``build``). Returns how
    many."""
    enc = static_embeddings.encoder(build=build)
    if enc is None:
        return 0
    with store.read() as s:
        todo, gone = _stale_articles(s, STATIC_ARTICLE, chunked)
    if gone:
        store.run(_drop_articles, gone, STATIC_ARTICLE)
    parts = [todo[start : start + STATIC_BATCH] for start in range(0, len(todo), STATIC_BATCH)]
    done = 0
    if enc.source is not None and len(parts) > 1:
        done = _static_in_workers(store, enc.source, parts)
    for part in parts[done:]:
        rows = _embedded(part)
        if rows is None:
            break
        store.run(_write_rows, rows)
    return len(todo)


def _static_in_workers(store: Store, source: tuple[str, str], parts: list[Todo]) -> int:
    """Static vectors of ``parts`` computed in the ingest pipeline's worker processes
    (tokenizing and summing: ~0.6 ms of CPU an article, on every core) and written here
    in order, a part per transaction. Returns how many parts were written: the rest is
    done in this process when a worker fails or there is no pool."""
    pool = pipeline.pooled(sum(map(len, parts)), when_idle=True)
    if pool is None:
        return 0
    done = 0
    try:
        texts = [[chunks for *_, chunks in part] for part in parts]
        encode = partial(static_embeddings.encode_parts, source)
        # one part per job: a part's distinct words are tokenized once
        for part, (_, vecs) in zip(
            parts,
            pipeline.ordered_map(encode, texts, size=lambda _: pipeline.CHUNK_BYTES, pool=pool),
            strict=False,
        ):
            rows = [(ref, h, m) for (_, ref, h, _), m in zip(part, vecs, strict=True)]
            store.run(_write_rows, {STATIC_ARTICLE: rows})
            done += 1
    except pipeline.PoolBroken:
        log.warning("static vectors computed in this process: a worker failed", exc_info=True)
    finally:
        pool.shutdown()
    return done


# -- article search ------------------------------------------------------------------


_INDEX: dict[tuple[str, str], tuple[tuple[int, Any], ArticleIndex]] = {}
# This process's article-vector writes (bumped by _write and _drop_articles), and when
# each store's index was last checked against the store: a suggestion re-reads the
# store's change stamps (a count and a max over 10,000+ rows: ~17 ms of a 90 ms query
# under load) only after a write of its own or RECHECK_SECONDS, so another process's
# new vectors are seen within that time and this process's at once.
RECHECK_SECONDS = 2.0
# Rows written this long before the newest one seen are read again when the index is
# updated: another process may commit a row dated a little before one already seen.
CLOCK_MARGIN = timedelta(seconds=30)
_generation = [0]
_checked: dict[str, tuple[int, float, ArticleIndex]] = {}


def _article_vectors_changed() -> None:
    _generation[0] += 1


def _stamps(session: Session) -> dict[str, tuple[int, Any]]:
    """kind → how many article rows of its model and the newest one's time (as the
    driver gives it)."""
    out: dict[str, tuple[int, Any]] = {}
    for kind in (ARTICLE, STATIC_ARTICLE):
        n, newest = session.execute(
            text("SELECT count(*), max(updated_at) FROM embedding WHERE kind = :k AND model = :m"),
            {"k": kind, "m": model_of(kind)},
        ).one()
        out[kind] = (int(n or 0), newest)
    return out


def _aware(value: Any) -> datetime:
    """A raw ``max(updated_at)`` (a string on SQLite, a datetime on PostgreSQL) as an
    aware UTC datetime."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _article_rows(session: Session, kind: str, since: Any = None) -> dict[int, Any]:
    dim = static_embeddings.STATIC_DIM if kind == STATIC_ARTICLE else DIM
    q = select(Embedding.ref_id, Embedding.vectors).where(
        Embedding.kind == kind, Embedding.model == model_of(kind)
    )
    if since is not None:
        q = q.where(col(Embedding.updated_at) >= since)
    return {int(ref): embeddings.vector_rows(blob, dim) for ref, blob in session.exec(q).all()}


def _searched_kind(stamps: dict[str, tuple[int, Any]]) -> str:
    """MiniLM's vectors once they cover (nearly) every article the static ones cover;
    the static ones before, when their table can be loaded without distilling it."""
    full, static = stamps[ARTICLE][0], stamps[STATIC_ARTICLE][0]
    if full >= FULL_COVERAGE * static or not static_embeddings.available():
        return ARTICLE
    return STATIC_ARTICLE


def _load_index(session: Session, db: str, kind: str, stamp: tuple[int, Any]) -> ArticleIndex:
    """The index of ``kind`` in memory, read once and then updated with the rows that
    changed since (the store's stamp differs from the one it was read at)."""
    cached = _INDEX.get((db, kind))
    if cached is None:
        dim = static_embeddings.STATIC_DIM if kind == STATIC_ARTICLE else DIM
        index = ArticleIndex.build(_article_rows(session, kind).items(), dim)
    elif cached[0] != stamp:
        since = None if cached[0][1] is None else _aware(cached[0][1]) - CLOCK_MARGIN
        changed = _article_rows(session, kind, since)
        gone: set[int] = set()
        if len(set(cached[1].position) | set(changed)) != stamp[0]:  # some were deleted
            present = set(
                session.exec(
                    select(Embedding.ref_id).where(
                        Embedding.kind == kind, Embedding.model == model_of(kind)
                    )
                ).all()
            )
            gone = set(cached[1].position) - present
        index = cached[1].updated(changed, gone)
    else:
        return cached[1]
    index.model = model_of(kind)
    for other in [k for k in _INDEX if k[0] == db and k[1] != kind]:
        del _INDEX[other]  # one index per store in memory
    _INDEX[(db, kind)] = (stamp, index)
    return index


def article_index(session: Session) -> ArticleIndex | None:
    """The article vectors searched now (``index.model`` says whose), kept up to date
    with the store; None without the model."""
    if embeddings.encoder() is None:
        return None
    db = dialect.db_key(session)
    now = time.monotonic()
    seen = _checked.get(db)
    if seen is not None and seen[0] == _generation[0] and now - seen[1] < RECHECK_SECONDS:
        return seen[2]
    generation = _generation[0]
    stamps = _stamps(session)
    kind = _searched_kind(stamps)
    index = _load_index(session, db, kind, stamps[kind])
    _checked[db] = (generation, now, index)
    return index


def query_vector(index: ArticleIndex, text_: str, vector: Any = None) -> Any:
    """The query's vector for ``index``'s model: ``vector`` (MiniLM's, when the caller
    has it cached) for MiniLM's index, else computed; None when it cannot be."""
    if index.model == static_embeddings.MODEL_ID:
        vecs = static_embeddings.encode([text_], build=False)
    elif vector is not None:
        return vector
    else:
        vecs = embeddings.encode([text_])
    return None if vecs is None else vecs[0]


def search_articles(session: Session, query: Any, limit: int) -> list[tuple[int, float]]:
    """Articles nearest to a query text, or to a MiniLM query vector (never compared with
    the static model's vectors: [] while those are searched); [] without the model."""
    index = article_index(session)
    if index is None:
        return []
    if isinstance(query, str):
        query = query_vector(index, query)
    elif index.model != embeddings.MODEL_ID:
        return []
    return [] if query is None else index.nearest(query, limit)


# -- tags ----------------------------------------------------------------------------


def _tagged_conversations(session: Session) -> tuple[list[int], dict[int, list[str]]]:
    rows = session.exec(
        select(ConversationTag.conversation_id, Tag.name)
        .join(Tag, col(Tag.id) == ConversationTag.tag_id)
        .where(Tag.kind == TagKind.CATEGORY.value)
        .order_by(col(ConversationTag.conversation_id).desc())
    ).all()
    tags: dict[int, list[str]] = defaultdict(list)
    for cid, name in rows:
        if cid in tags or len(tags) < TAGGED_HISTORY:
            tags[cid].append(name)
    return list(tags), tags


@dataclass
class TagIndex:
    ids: Any  # (n,) conversation ids
    matrix: Any  # (n, DIM)
    tags: list[list[str]]
    subjects: dict[int, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # cold start: the tag names
    name_matrix: Any = None


_TAG_INDEX: dict[tuple[str, int, int], TagIndex] = {}


def tag_index(session: Session) -> TagIndex | None:
    """Vectors of the team's tagged conversations (stored ones, plus a few computed on
    the fly), rebuilt when tagging changes. None without the model."""
    if embeddings.encoder() is None:
        return None
    import numpy as np

    n, newest = session.execute(
        text("SELECT count(*), max(id) FROM event WHERE kind IN ('tagged', 'untagged')")
    ).one()
    key = (dialect.db_key(session), int(n or 0), int(newest or 0))
    index = _TAG_INDEX.get(key)
    if index is None:
        ids, tags = _tagged_conversations(session)
        vecs = conversation_vectors(session, ids, cap=EMBED_ON_THE_FLY)
        have = [cid for cid in ids if cid in vecs]
        matrix = (
            np.stack([vecs[c] for c in have]) if have else np.zeros((0, embeddings.DIM), np.float32)
        )
        subjects = dict(
            session.exec(
                select(Conversation.id, Conversation.subject).where(col(Conversation.id).in_(have))
            ).all()
        )
        names = list(
            session.exec(
                select(Tag.name).where(Tag.kind == TagKind.CATEGORY.value).order_by(col(Tag.name))
            ).all()
        )
        name_matrix = embeddings.encode(names) if names else None
        index = TagIndex(
            np.array(have, dtype=np.int64),
            matrix,
            [tags[c] for c in have],
            {int(k): v for k, v in subjects.items() if k is not None},
            names,
            name_matrix,
        )
        _TAG_INDEX.clear()
        _TAG_INDEX[key] = index
    return index


KNN = 15


def knn_tags(
    session: Session, query: Any, *, exclude: int | None = None, k: int = KNN
) -> list[tuple[str, float, str]]:
    """(tag, share of the vote 0..1, reason) best first: a vote of the ``k`` most similar
    tagged conversations, each weighted by its similarity. With no tagged history, the
    tags whose names are closest in meaning. [] without the model."""
    index = tag_index(session)
    if index is None or query is None:
        return []
    return vote(index, query, exclude=exclude, k=k)


def vote(
    index: TagIndex, query: Any, *, exclude: int | None = None, k: int = KNN
) -> list[tuple[str, float, str]]:
    """The vote of :func:`knn_tags` over an index in memory (benchmarks build their own)."""
    import numpy as np

    if len(index.ids):
        sims = index.matrix @ query
        if exclude is not None:
            sims = np.where(index.ids == exclude, -np.inf, sims)
        k = min(k, int(np.isfinite(sims).sum()))
        if k > 0:
            top = np.argpartition(-sims, k - 1)[:k]
            top = top[np.argsort(-sims[top], kind="stable")]
            votes: dict[str, float] = defaultdict(float)
            nearest: dict[str, int] = {}
            for i in top:
                w = max(float(sims[i]), 0.0)
                for t in index.tags[i]:
                    votes[t] += w
                    nearest.setdefault(t, int(index.ids[i]))
            total = sum(votes.values()) or 1.0
            return [
                (t, v / total, f'like "{one_line(index.subjects.get(nearest[t], ""), 60)}"')
                for t, v in sorted(votes.items(), key=lambda x: (-x[1], x[0]))
            ]
    if index.name_matrix is not None and index.names:
        sims = index.name_matrix @ query
        order = np.argsort(-sims, kind="stable")
        return [
            (index.names[i], max(float(sims[i]), 0.0), "close to the tag's name") for i in order
        ]
    return []
