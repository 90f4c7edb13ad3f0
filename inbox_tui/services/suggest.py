"""Suggestions: the right help article and the likely tags for a conversation.

Articles are ranked in two stages. Full-text search in the store finds candidates fast
(SQLite FTS5 bm25 with the title weighted 5x, porter stemming; PostgreSQL ts_rank over a
weighted tsvector), and rapidfuzz re-scores them against the titles and forgives typos,
adding the closest titles by fuzzy match that full-text search missed. The two scores
are blended; ``benchmarks/suggest_accuracy.py`` shows the blend beats each alone.

Tags are predicted by a multinomial naive Bayes classifier trained on the team's own
tagged conversations in the store (subject + the customer's first message): no model to
download, cheap to retrain, and it improves as agents tag.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import text
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.models import (
    Article,
    Conversation,
    ConversationTag,
    Direction,
    Event,
    EventKind,
    Message,
    Tag,
    TagKind,
)
from inbox_tui.services import core
from inbox_tui.store import dialect

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "please",
        "so",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "hi",
        "hello",
        "thanks",
        "thank",
        "regards",
        "dear",
        "team",
        "just",
        "get",
        "got",
        "want",
        "need",
        "like",
    ]
)
_WORD = re.compile(r"[a-z0-9]{2,}")
FTS_CANDIDATES = 50
FUZZY_CANDIDATES = 20
W_FTS, W_FUZZ = 0.5, 0.5  # tuned on StackFAQ (benchmarks/suggest_accuracy.py)


def words(text_: str) -> list[str]:
    return [w for w in _WORD.findall(text_.lower()) if w not in STOPWORDS]


@dataclass
class ArticleSuggestion:
    id: int
    slug: str
    title: str
    url: str | None
    score: float
    reason: str
    excerpt: str

    def __post_init__(self) -> None:
        # Stored article text (and the conversation's words in ``reason``) is untrusted.
        self.slug = sanitize.one_line(self.slug, 300)
        self.title = sanitize.one_line(self.title, 500)
        self.url = sanitize.one_line(self.url, 2000) or None if self.url else None
        self.reason = sanitize.one_line(self.reason, 500)
        self.excerpt = sanitize.one_line(self.excerpt, 1000)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "score": round(self.score, 4),
            "slug": self.slug,
        }


@dataclass
class TagSuggestion:
    name: str
    score: float
    reason: str


# -- ranking -------------------------------------------------------------------------


def fts_candidates(
    session: Session, terms: list[str], limit: int = FTS_CANDIDATES
) -> dict[int, float]:
    """Article id → full-text relevance (higher is better) for any of ``terms``."""
    if not terms:
        return {}
    unique = list(dict.fromkeys(terms))[:40]
    return dialect.article_fts(session, unique, limit)


class TitleIndex:
    """Titles held in memory for the fuzzy stage (rebuilt when articles change)."""

    def __init__(self, session: Session) -> None:
        rows = session.exec(select(Article.id, Article.title)).all()
        self.ids: list[int] = [int(r[0] or 0) for r in rows]
        self.titles = [r[1].lower() for r in rows]
        self.by_id: dict[int, str] = dict(zip(self.ids, self.titles, strict=True))


_TITLE_CACHE: dict[tuple[str, int, str], TitleIndex] = {}


def _titles(session: Session) -> TitleIndex:
    bind = session.get_bind()
    count, newest = session.execute(text("SELECT count(*), max(updated_at) FROM article")).one()
    key = (str(bind.engine.url if hasattr(bind, "engine") else bind), int(count or 0), str(newest))
    index = _TITLE_CACHE.get(key)
    if index is None:
        _TITLE_CACHE.clear()
        index = _TITLE_CACHE[key] = TitleIndex(session)
    return index


def rank(
    session: Session,
    query: str,
    limit: int = 5,
    *,
    fts_weight: float = W_FTS,
    fuzz_weight: float = W_FUZZ,
) -> list[tuple[int, float, str]]:
    """(article id, score 0..1, reason) best first. Either weight may be 0 (benchmarks)."""
    terms = words(query)
    fts = fts_candidates(session, terms) if fts_weight else {}
    titles = _titles(session)
    q = " ".join(terms) or query.lower()
    fuzzy: dict[int, float] = {}
    if fuzz_weight and titles.titles:
        for _, score, idx in process.extract(
            q, titles.titles, scorer=fuzz.token_set_ratio, limit=FUZZY_CANDIDATES
        ):
            fuzzy[titles.ids[idx]] = score / 100
        for aid in fts:
            if aid not in fuzzy and aid in titles.by_id:
                fuzzy[aid] = fuzz.token_set_ratio(q, titles.by_id[aid]) / 100
    top = max(fts.values(), default=0) or 1
    scored = []
    for aid in set(fts) | set(fuzzy):
        f = fts.get(aid, 0.0) / top
        z = fuzzy.get(aid, 0.0)
        score = fts_weight * f + fuzz_weight * z
        matched = [t for t in dict.fromkeys(terms) if t in titles.by_id.get(aid, "")][:4]
        reason = (
            ("matched: " + ", ".join(matched))
            if matched
            else ("similar title" if z >= 0.6 else "text matches")
        )
        scored.append((aid, score, reason))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored[:limit]


def excerpt(art: Article, n: int = 200) -> str:
    body = (art.description or art.body or "").strip().replace("\n", " ")
    return body if len(body) <= n else body[: n - 1].rsplit(" ", 1)[0] + "…"


def suggest_for_text(session: Session, query: str, limit: int = 5) -> list[ArticleSuggestion]:
    out = []
    for aid, score, reason in rank(session, query, limit):
        art = session.get(Article, aid)
        if art is not None:
            out.append(
                ArticleSuggestion(aid, art.slug, art.title, art.url, score, reason, excerpt(art))
            )
    return out


def conversation_text(session: Session, conversation_id: int) -> str:
    """What the conversation is about: subject, the customer's latest messages, tags."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise core.conversation_not_found(conversation_id)
    latest = session.exec(
        select(Message.body)
        .where(
            Message.conversation_id == conversation_id, Message.direction == Direction.INBOUND.value
        )
        .order_by(col(Message.sent_at).desc())
        .limit(2)
    ).all()
    tags = session.exec(
        select(Tag.name)
        .join(ConversationTag)
        .where(ConversationTag.conversation_id == conversation_id)
    ).all()
    bodies = " ".join(_strip_quotes(b)[:1500] for b in latest)
    return f"{conv.subject} {conv.subject} {bodies} {' '.join(tags)}"


def _strip_quotes(body: str) -> str:
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))


def suggest_articles(
    session: Session, conversation_id: int, limit: int = 5
) -> list[ArticleSuggestion]:
    return suggest_for_text(session, conversation_text(session, conversation_id), limit)


def article_insert_text(art: Article) -> str:
    """Title, link and a short excerpt, as inserted into a reply."""
    from inbox_tui.services.macros import format_article

    return format_article(art)


def record_article_sent(
    session: Session, actor: str, conversation_id: int, article_id: int
) -> None:
    conv = core.lock_conversation(session, conversation_id)
    art = session.get(Article, article_id)
    if art is None:
        raise core.NotFound(f"Help article {article_id} does not exist.")
    core.record(
        session,
        conv,
        core.ensure_agent(session, actor),
        EventKind.ARTICLE_SENT,
        {"article": art.id, "slug": art.slug},
    )


def next_articles(session: Session, article_id: int, limit: int = 3) -> list[ArticleSuggestion]:
    """What customers sent this article usually needed next: articles sent later to the
    same contacts; else articles from the same category."""
    sent = session.exec(
        select(Event.conversation_id, Event.at, Event.data).where(
            Event.kind == EventKind.ARTICLE_SENT.value
        )
    ).all()
    contact_of = (
        dict(session.exec(select(Conversation.id, Conversation.contact_id)).all()) if sent else {}
    )
    by_contact: dict[int, list[tuple[object, int]]] = defaultdict(list)
    for conv_id, at, data in sent:
        contact = contact_of.get(conv_id)
        aid = json.loads(data or "{}").get("article")
        if contact and aid:
            by_contact[contact].append((at, int(aid)))
    follow: Counter[int] = Counter()
    for items in by_contact.values():
        items.sort()
        for i, (_, aid) in enumerate(items):
            if aid == article_id:
                follow.update({later for _, later in items[i + 1 :] if later != article_id})
    ids = [aid for aid, _ in follow.most_common(limit)]
    reasons = {aid: "often needed next" for aid in ids}
    if len(ids) < limit:
        art = session.get(Article, article_id)
        if art is not None and art.category:
            same = session.exec(
                select(Article.id)
                .where(Article.category == art.category, Article.id != article_id)
                .order_by(Article.title)
                .limit(limit - len(ids))
            ).all()
            for aid in same:
                if aid is not None and aid not in ids:
                    ids.append(aid)
                    reasons[aid] = f"same category ({art.category})"
    out = []
    for aid in ids:
        a = session.get(Article, aid)
        if a is not None:
            out.append(
                ArticleSuggestion(aid, a.slug, a.title, a.url, 0.0, reasons[aid], excerpt(a))
            )
    return out


# -- tags ------------------------------------------------------------------------------


class TagModel:
    """Multinomial naive Bayes with Laplace smoothing over words; one class per tag."""

    def __init__(self) -> None:
        self.word_counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.totals: Counter[str] = Counter()
        self.docs: Counter[str] = Counter()
        self.vocab: set[str] = set()
        self.n_docs = 0

    def add(self, text_: str, tags: Iterable[str]) -> None:
        toks = words(text_)
        self.n_docs += 1
        for tag in tags:
            self.docs[tag] += 1
            self.word_counts[tag].update(toks)
            self.totals[tag] += len(toks)
        self.vocab.update(toks)

    def predict(self, text_: str, limit: int = 3) -> list[tuple[str, float, list[str]]]:
        """(tag, probability, words that argued for it) best first."""
        if not self.docs:
            return []
        toks = words(text_)
        v = len(self.vocab) or 1
        logs: dict[str, float] = {}
        evidence: dict[str, list[tuple[float, str]]] = {}
        for tag, n in self.docs.items():
            lp = math.log(n / self.n_docs)
            counts, total = self.word_counts[tag], self.totals[tag]
            ev = []
            for t in toks:
                p = (counts.get(t, 0) + 1) / (total + v)
                lp += math.log(p)
                if counts.get(t, 0):
                    ev.append((p, t))
            logs[tag] = lp
            evidence[tag] = ev
        top = max(logs.values())
        z = sum(math.exp(lp - top) for lp in logs.values())
        probs = sorted(
            ((tag, math.exp(lp - top) / z) for tag, lp in logs.items()), key=lambda x: -x[1]
        )
        return [
            (tag, p, [w for _, w in sorted(evidence[tag], reverse=True)[:3]])
            for tag, p in probs[:limit]
        ]


def train_tag_model(session: Session, limit: int = 5000, exclude: int | None = None) -> TagModel:
    """From the newest ``limit`` conversations that have category tags."""
    model = TagModel()
    rows = session.exec(
        select(ConversationTag.conversation_id, Tag.name)
        .join(Tag, col(Tag.id) == ConversationTag.tag_id)
        .where(Tag.kind == TagKind.CATEGORY.value)
        .order_by(col(ConversationTag.conversation_id).desc())
    ).all()
    tags_by_conv: dict[int, list[str]] = defaultdict(list)
    for cid, name in rows:
        if cid != exclude and (cid in tags_by_conv or len(tags_by_conv) < limit):
            tags_by_conv[cid].append(name)
    if not tags_by_conv:
        return model
    ids = list(tags_by_conv)
    subjects = dict(
        session.exec(
            select(Conversation.id, Conversation.subject).where(col(Conversation.id).in_(ids))
        ).all()
    )
    first: dict[int, str] = {}
    for cid, body in session.exec(
        select(Message.conversation_id, Message.body)
        .where(col(Message.conversation_id).in_(ids), Message.direction == Direction.INBOUND.value)
        .order_by(col(Message.conversation_id), col(Message.sent_at))
    ).all():
        first.setdefault(cid, body[:2000])
    for cid, tags in tags_by_conv.items():
        model.add(f"{subjects.get(cid, '')} {first.get(cid, '')}", tags)
    return model


_MODEL_CACHE: dict[tuple[str, int, int], TagModel] = {}


def _cached_model(session: Session) -> TagModel:
    """The team's tag model, retrained only when tagging changed (training reads a few
    thousand conversations: ~0.6 s on a 100k-conversation store)."""
    bind = session.get_bind()
    n, newest = session.execute(
        text("SELECT count(*), max(id) FROM event WHERE kind IN ('tagged', 'untagged')")
    ).one()
    key = (str(bind.engine.url if hasattr(bind, "engine") else bind), int(n or 0), int(newest or 0))
    model = _MODEL_CACHE.get(key)
    if model is None:
        _MODEL_CACHE.clear()
        model = _MODEL_CACHE[key] = train_tag_model(session)
    return model


def suggest_tags(session: Session, conversation_id: int, limit: int = 3) -> list[TagSuggestion]:
    """Likely category tags not already on the conversation."""
    model = _cached_model(session)
    have = set(
        session.exec(
            select(Tag.name)
            .join(ConversationTag)
            .where(ConversationTag.conversation_id == conversation_id)
        ).all()
    )
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise core.conversation_not_found(conversation_id)
    first = (
        session.exec(
            select(Message.body)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.INBOUND.value,
            )
            .order_by(col(Message.sent_at))
            .limit(1)
        ).first()
        or ""
    )
    out = []
    for tag, p, why in model.predict(f"{conv.subject} {first[:2000]}", limit + len(have)):
        if tag not in have:
            out.append(
                TagSuggestion(tag, p, ("words: " + ", ".join(why)) if why else "most common tag")
            )
    return out[:limit]


@dataclass
class TagChoice:
    name: str
    kind: str
    applied: bool  # on the conversation now
    score: float  # likelihood from the tag model; 0.0 when not suggested
    hint: str  # "suggested 62% (words: export, csv)", else the tag's kind


def tag_choices(
    session: Session, conversation_id: int, suggest: int = 3, min_score: float = 0.2
) -> list[TagChoice]:
    """Every tag for one conversation: applied ones marked, the likely ones (score at
    least ``min_score``) scored; sorted likely first, then as the tag table orders them
    (kind, name). Raises NotFound when the conversation does not exist."""
    tags = session.exec(select(Tag).order_by(col(Tag.kind), col(Tag.name))).all()
    applied = set(
        session.exec(
            select(ConversationTag.tag_id).where(ConversationTag.conversation_id == conversation_id)
        ).all()
    )
    likely = {
        t.name: t for t in suggest_tags(session, conversation_id, suggest) if t.score >= min_score
    }
    out = [
        TagChoice(
            t.name,
            t.kind,
            t.id in applied,
            likely[t.name].score if t.name in likely else 0.0,
            (
                f"suggested {likely[t.name].score:.0%} ({likely[t.name].reason})"
                if t.name in likely
                else t.kind
            ),
        )
        for t in tags
    ]
    out.sort(key=lambda c: -c.score)  # stable: the table's order within equal scores
    return out


@dataclass
class ArticleChoice:
    suggestion: ArticleSuggestion
    insert_text: str  # what goes into a reply
    preview: str  # why it matched, its excerpt, and (for the best) what usually follows


def article_choices(session: Session, conversation_id: int, limit: int = 8) -> list[ArticleChoice]:
    """The help articles likely to answer this conversation, best first, each with the
    text a reply would get. Empty when none matches."""
    found = suggest_articles(session, conversation_id, limit)
    nxt = next_articles(session, found[0].id, 1) if found else []
    out = []
    for i, f in enumerate(found):
        art = session.get(Article, f.id)
        if art is None:
            continue
        preview = f"{f.reason} · score {f.score:.2f}\n{f.excerpt}"
        if i == 0 and nxt:
            preview += f"\nNext, customers often need: {nxt[0].title}"
        out.append(ArticleChoice(f, article_insert_text(art), preview))
    return out
