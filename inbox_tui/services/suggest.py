"""Suggestions: the right help article and the likely tags for a conversation.

Articles are ranked in two stages. Full-text search in the store finds candidates fast
(SQLite FTS5 bm25 with the title weighted 5x, porter stemming; PostgreSQL ts_rank over a
weighted tsvector), and rapidfuzz re-scores them against the titles and forgives typos,
adding the closest titles by fuzzy match that full-text search missed. The two scores
are blended. When the optional embedding model is installed (services/embeddings.py),
an article scores the cosine similarity of its best chunk to the query (sentence
embeddings, services/semantic.py) plus a small weight of that word score; without the
model the word ranking is used alone. ``benchmarks/suggest_accuracy.py`` measures each
part and the hybrid on queries held out from choosing the weights.

Tags are predicted by a softmax regression (services/tag_classifier.py) over the words
of the team's own tagged conversations (subject + the customer's first message, tf-idf)
and, with the embedding model, their sentence embeddings; it is cached until tagging
changes and then re-trained from its previous weights. Naive Bayes over words serves
while fewer than two tags are in use, blended with a similarity-weighted vote of the most
similar tagged conversations (and, with no tagged history yet, the closeness of the text
to each tag's name). The people's names and addresses are never evidence nor a reason.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import text
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.models import (
    Agent,
    Article,
    Contact,
    Conversation,
    ConversationTag,
    Direction,
    Message,
    Tag,
    TagKind,
)
from inbox_tui.services import core, embeddings, semantic, tag_classifier
from inbox_tui.services.article_index import ArticleIndex
from inbox_tui.services.suggest_words import words
from inbox_tui.store import dialect

FTS_CANDIDATES = 50
FUZZY_CANDIDATES = 20
W_FTS, W_FUZZ = 0.5, 0.5  # tuned on StackFAQ (benchmarks/suggest_accuracy.py)
# Hybrid ranking: cosine similarity of sentence embeddings (on a fixed -1..1 scale) plus
# W_WORDS times the word score relative to the query's best word match, for articles
# with word evidence only (a full-text match or a similar title). Meaning decides; words
# lift an article among near-equals (an exact product name, an error code). Rank fusion
# (RRF, k=60) was measured first and lost to embeddings alone on StackFAQ's dev half,
# because it throws away how much closer the best article is. W_WORDS was chosen on that
# dev half from a grid that includes 0 (meaning alone) and is reported on the other half
# and on a second set no weight was chosen on (benchmarks/suggest_accuracy.py).
W_WORDS = 0.05
# The same over the static model's vectors (the fast first index of a large help
# centre), a weaker ranker by meaning: chosen on the same dev half from the same grid.
W_WORDS_STATIC = 0.2
SEM_CANDIDATES = 50
SIMILAR_TITLE = 0.6  # a fuzzy title score that counts as a word match on its own
# The tag vote of similar conversations against naive Bayes: chosen on a dev part of the
# NLBSE history (grid 0.25-1.0), reported on the held-out 20% (benchmarks/suggest_tags.py).
W_KNN = 0.75
# Naive Bayes beside the regression of tag_classifier: chosen on the same dev part.
W_NB = 0.0


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
    count, newest = session.execute(text("SELECT count(*), max(updated_at) FROM article")).one()
    key = (dialect.db_key(session), int(count or 0), str(newest))
    index = _TITLE_CACHE.get(key)
    if index is None:
        _TITLE_CACHE.clear()
        index = _TITLE_CACHE[key] = TitleIndex(session)
    return index


def _some_titles(session: Session, ids: list[int]) -> dict[int, str]:
    """Article id → lower-cased title, for these articles only."""
    wanted = select(Article.id, Article.title).where(col(Article.id).in_(list(set(ids))))
    return {int(a or 0): t.lower() for a, t in session.exec(wanted).all()} if ids else {}


def rank(
    session: Session,
    query: str,
    limit: int = 5,
    *,
    fts_weight: float = W_FTS,
    fuzz_weight: float = W_FUZZ,
    meaning: bool = True,
    words_weight: float | None = None,
    query_vector: object | None = None,
) -> list[tuple[int, float, str]]:
    """(article id, score 0..1, reason) best first.

    With the embedding model (and ``meaning``), an article scores its cosine similarity
    to the query plus ``words_weight`` (default: W_WORDS, or W_WORDS_STATIC over the
    static model's vectors) times its word score relative to the best word match;
    without it, the word score alone. ``words_weight=0`` ranks by meaning alone
    and ``meaning=False`` by words alone (benchmarks). ``query_vector``: the query's
    embedding when the caller has it (a conversation's is cached)."""
    index = semantic.article_index(session) if meaning else None
    vector: Any = None
    if index is not None and len(index.ids):
        vector = semantic.query_vector(index, query, query_vector)
    words_on = bool(fts_weight or fuzz_weight)
    if index is None or not len(index.ids) or vector is None:
        lexical = _rank_words(session, query, fts_weight=fts_weight, fuzz_weight=fuzz_weight)
        return [(aid, score, why) for aid, score, why, _ in lexical[:limit]] if words_on else []
    near = index.nearest(vector, SEM_CANDIDATES)
    # With meaning, the nearest articles stand in for the fuzzy stage's sweep over every
    # title (its cost grew with the help centre: ~70% of a suggestion at 10,000
    # articles): titles are compared only for them and the full-text candidates.
    lexical = (
        _rank_words(
            session,
            query,
            fts_weight=fts_weight,
            fuzz_weight=fuzz_weight,
            among=[aid for aid, _ in near],
        )
        if words_on
        else []
    )
    if words_weight is None:
        words_weight = W_WORDS if index.model == embeddings.MODEL_ID else W_WORDS_STATIC
    return _fuse(lexical, index, vector, near, words_weight)[:limit]


def _fuse(
    lexical: list[tuple[int, float, str, bool]],
    index: ArticleIndex,
    vector: Any,
    near: list[tuple[int, float]],
    words_weight: float,
) -> list[tuple[int, float, str]]:
    """Cosine of the best chunk (exact, from ``index``) plus the weighted word score,
    over the nearest articles by meaning (``near``) and every word candidate with evidence
    (a full-text match or a similar title; the fuzzy stage's closest-of-nothing titles
    are left out). An article without an embedding yet counts by its words only."""
    evident = [(aid, score, why) for aid, score, why, hit in lexical if hit]
    top_words = max((score for _, score, _ in evident), default=0.0) or 1.0
    word_score = {aid: score / top_words for aid, score, _ in evident}
    reasons = {aid: why for aid, _, why in evident}
    first = {aid for aid, _ in near[:3]}
    cosine = dict(near)
    cosine.update(index.cosines(vector, [aid for aid in word_score if aid not in cosine]))
    out = []
    for aid in dict.fromkeys([a for a, _ in near] + list(word_score)):
        cos = max(cosine.get(aid, 0.0), 0.0)
        score = (cos + words_weight * word_score.get(aid, 0.0)) / (1.0 + words_weight)
        why = reasons.get(aid, "")
        if aid in first:
            why = f"similar meaning, {why}" if why.startswith("matched") else "similar meaning"
        out.append((aid, score, why or "similar meaning"))
    out.sort(key=lambda x: (-x[1], x[0]))
    return out


def _shown_words(terms: list[str], title: str) -> list[str]:
    """The query's words a title shows as words of its own, for the reason "matched: …":
    the whole word, or the start of one when at least 3 letters long (walk7: "re" of
    "we're" was given as the reason for "Password reset", a part of a word)."""
    title_words = words(title)
    return [
        t
        for t in dict.fromkeys(terms)
        if any(w == t or (len(t) >= 3 and w.startswith(t)) for w in title_words)
    ][:4]


def _rank_words(
    session: Session,
    query: str,
    *,
    fts_weight: float,
    fuzz_weight: float,
    among: list[int] | None = None,
) -> list[tuple[int, float, str, bool]]:
    """The word ranking: full-text candidates re-scored by fuzzy title match, best first,
    as (id, score, reason, evidence): evidence is a full-text match or a similar title.
    ``among``: compare titles only for these articles and the full-text candidates,
    instead of sweeping every title for the closest."""
    terms = words(query)
    fts = fts_candidates(session, terms) if fts_weight else {}
    q = " ".join(terms) or query.lower()
    fuzzy: dict[int, float] = {}
    if among is None:
        titles = _titles(session)
        by_id = titles.by_id
        if fuzz_weight and titles.titles:
            for _, score, idx in process.extract(
                q, titles.titles, scorer=fuzz.token_set_ratio, limit=FUZZY_CANDIDATES
            ):
                fuzzy[titles.ids[idx]] = score / 100
    else:  # only these titles are needed: read them, rather than check the title cache
        by_id = _some_titles(session, [*among, *fts])
    if fuzz_weight:
        for aid in [*(among or ()), *fts]:
            if aid not in fuzzy and aid in by_id:
                fuzzy[aid] = fuzz.token_set_ratio(q, by_id[aid]) / 100
    top = max(fts.values(), default=0) or 1
    scored = []
    for aid in set(fts) | set(fuzzy):
        f = fts.get(aid, 0.0) / top
        z = fuzzy.get(aid, 0.0)
        score = fts_weight * f + fuzz_weight * z
        matched = _shown_words(terms, by_id.get(aid, ""))
        reason = (
            ("matched: " + ", ".join(matched))
            if matched
            else ("similar title" if z >= SIMILAR_TITLE else "text matches")
        )
        scored.append((aid, score, reason, aid in fts or z >= SIMILAR_TITLE))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored


def excerpt(art: Article, n: int = 200) -> str:
    body = (art.description or art.body or "").strip().replace("\n", " ")
    return body if len(body) <= n else body[: n - 1].rsplit(" ", 1)[0] + "…"


def suggest_for_text(
    session: Session, query: str, limit: int = 5, *, query_vector: object | None = None
) -> list[ArticleSuggestion]:
    out = []
    for aid, score, reason in rank(session, query, limit, query_vector=query_vector):
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
    bodies = " ".join(semantic.strip_quotes(b)[:1500] for b in latest)
    return f"{conv.subject} {conv.subject} {bodies} {' '.join(tags)}"


def suggest_articles(
    session: Session, conversation_id: int, limit: int = 5
) -> list[ArticleSuggestion]:
    query = conversation_text(session, conversation_id)
    # The conversation's own embedding (subject and customer messages, cached), not the
    # lexical query above, which repeats the subject and adds tag names for bm25.
    vector = semantic.conversation_vector(session, conversation_id)
    found = suggest_for_text(session, query, limit, query_vector=vector)
    hide = personal_words(session, conversation_id)
    for f in found:  # "matched: grace" for Grace's conversation told the agent nothing
        f.reason = _without_people(f.reason, hide)
    return found


def _without_people(reason: str, hide: frozenset[str]) -> str:
    """A "matched: …" reason without the people's words (``personal_words``)."""
    if not reason.startswith("matched: "):
        return reason
    kept = [w for w in reason.removeprefix("matched: ").split(", ") if w not in hide]
    return "matched: " + ", ".join(kept) if kept else "text matches"


def article_insert_text(art: Article) -> str:
    """Title, link and a short excerpt, as inserted into a reply."""
    from inbox_tui.services.macros import format_article

    return format_article(art)


# -- tags ------------------------------------------------------------------------------


class TagModel:
    """Multinomial naive Bayes with Laplace smoothing over words; one class per tag."""

    def __init__(self) -> None:
        self.word_counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.totals: Counter[str] = Counter()
        self.docs: Counter[str] = Counter()
        self.vocab: set[str] = set()
        self.n_docs = 0

    def add(self, text_: str, tags: Iterable[str], hide: frozenset[str] = frozenset()) -> None:
        toks = [t for t in words(text_) if t not in hide]
        self.n_docs += 1
        for tag in tags:
            self.docs[tag] += 1
            self.word_counts[tag].update(toks)
            self.totals[tag] += len(toks)
        self.vocab.update(toks)

    def predict(
        self, text_: str, limit: int = 3, hide: frozenset[str] = frozenset()
    ) -> list[tuple[str, float, list[str]]]:
        """(tag, probability, words that argued for it) best first. Words in ``hide``
        (the people's names and addresses: ``personal_words``) are left out: they say
        nothing about the tag and are never given as a reason; each reason word is
        given once."""
        if not self.docs:
            return []
        toks = [t for t in words(text_) if t not in hide]
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
                if counts.get(t, 0) and t not in hide:
                    ev.append((p, t))
            logs[tag] = lp
            evidence[tag] = ev
        top = max(logs.values())
        z = sum(math.exp(lp - top) for lp in logs.values())
        probs = sorted(
            ((tag, math.exp(lp - top) / z) for tag, lp in logs.items()), key=lambda x: -x[1]
        )
        return [
            (tag, p, list(dict.fromkeys(w for _, w in sorted(evidence[tag], reverse=True)))[:3])
            for tag, p in probs[:limit]
        ]


def tagged_texts(
    session: Session, limit: int = 5000, exclude: int | None = None
) -> dict[int, tuple[str, list[str], frozenset[str]]]:
    """The newest ``limit`` conversations with category tags: id → (subject + the
    customer's first message, tags, the customer's name words)."""
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
        return {}
    ids = list(tags_by_conv)
    heads = {
        cid: (subject, name_words(name, email))
        for cid, subject, name, email in session.exec(
            select(Conversation.id, Conversation.subject, Contact.name, Contact.email)
            .join(Contact, col(Contact.id) == Conversation.contact_id, isouter=True)
            .where(col(Conversation.id).in_(ids))
        ).all()
    }
    first: dict[int, str] = {}
    for cid, body in session.exec(
        select(Message.conversation_id, Message.body)
        .where(col(Message.conversation_id).in_(ids), Message.direction == Direction.INBOUND.value)
        .order_by(col(Message.conversation_id), col(Message.sent_at))
    ).all():
        first.setdefault(cid, body[:2000])
    return {
        cid: (f"{heads.get(cid, ('', None))[0]} {first.get(cid, '')}", tags, heads[cid][1])
        for cid, tags in tags_by_conv.items()
        if cid in heads
    }


def name_words(name: str | None, email: str | None) -> frozenset[str]:
    """The words of a customer's name and address: never a reason for a tag (a demo
    picker said "words: kenji"), nor evidence the tag model learns from."""
    local = (email or "").split("@")[0]
    return frozenset(words(f"{name or ''} {local.replace('.', ' ')}"))


def train_tag_model(session: Session, limit: int = 5000, exclude: int | None = None) -> TagModel:
    """From the newest ``limit`` conversations that have category tags."""
    model = TagModel()
    for text_, tags, hide in tagged_texts(session, limit, exclude).values():
        model.add(text_, tags, hide)
    return model


_MODEL_CACHE: dict[tuple[str, int, int], TagModel] = {}


def _tagging_key(session: Session) -> tuple[str, int, int]:
    n, newest = session.execute(
        text("SELECT count(*), max(id) FROM event WHERE kind IN ('tagged', 'untagged')")
    ).one()
    return (dialect.db_key(session), int(n or 0), int(newest or 0))


def _cached_model(session: Session) -> TagModel:
    """The team's tag model, retrained only when tagging changed (training reads a few
    thousand conversations: ~0.6 s on a 100k-conversation store)."""
    key = _tagging_key(session)
    model = _MODEL_CACHE.get(key)
    if model is None:
        _MODEL_CACHE.clear()
        model = _MODEL_CACHE[key] = train_tag_model(session)
    return model


# db key → (tagging key, with embeddings, classifier): one per store; a change of tagging
# re-trains from the previous weights (tag_classifier.train).
_CLASSIFIERS: dict[str, tuple[tuple[str, int, int], int, tag_classifier.TagClassifier | None]] = {}


def _cached_classifier(session: Session) -> tag_classifier.TagClassifier | None:
    """The regression over words (and embeddings, when the model is there and most
    tagged conversations have a vector), cached until tagging changes. None while fewer
    than two tags are in use, or without numpy (the ``[semantic]`` extra)."""
    if not tag_classifier.available():
        return None
    key = _tagging_key(session)
    index = semantic.tag_index(session)
    have = _CLASSIFIERS.get(key[0])
    vectors_known = -1 if index is None else len(index.ids)
    if have is not None and have[0] == key and have[1] == vectors_known:
        return have[2]
    texts = tagged_texts(session)
    vectors = None
    ids = list(texts)
    if index is not None and len(index.ids) >= 0.9 * len(texts):
        ids = [int(i) for i in index.ids if int(i) in texts]
        row = {int(c): i for i, c in enumerate(index.ids)}
        vectors = index.matrix[[row[c] for c in ids]] if ids else None
    docs = [[t for t in words(texts[c][0]) if t not in texts[c][2]] for c in ids]
    model = tag_classifier.train(
        docs,
        [texts[c][1] for c in ids],
        vectors,
        previous=None if have is None else have[2],
    )
    _CLASSIFIERS[key[0]] = (key, vectors_known, model)
    return model


def warm_tag_models(store: Any) -> None:
    """Train the tag models now (a background worker after the embeddings' catch-up), so
    the first tag picker does not wait for them (seconds on a large tagged history)."""
    with store.read() as s:
        _cached_model(s)
        _cached_classifier(s)


def suggest_tags(session: Session, conversation_id: int, limit: int = 3) -> list[TagSuggestion]:
    """Likely category tags not already on the conversation."""
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
    vector = semantic.conversation_vector(session, conversation_id)
    return _likely_tags(
        session,
        f"{conv.subject} {first[:2000]}",
        vector,
        have,
        limit,
        exclude=conversation_id,
        hide=personal_words(session, conversation_id),
    )


def personal_words(session: Session, conversation_id: int) -> frozenset[str]:
    """The words of the people in a conversation: its customer's and every author's name
    and address (local part and domain), and the agents'. A reason such as "words:
    kenji" told the agent that the customer's own name made the tag likely (#17)."""
    conv = session.get(Conversation, conversation_id)
    contact = session.get(Contact, conv.contact_id) if conv and conv.contact_id else None
    people = session.exec(
        select(Message.author_name, Message.author_email)
        .where(Message.conversation_id == conversation_id)
        .distinct()
    ).all()
    agents = session.exec(select(Agent.username, Agent.name, Agent.email)).all()
    texts = [contact.name, contact.email] if contact is not None else []
    texts += [t for row in [*people, *agents] for t in row]
    return frozenset(words(" ".join(t for t in texts if t)))


def suggest_tags_for_text(session: Session, text_: str, limit: int = 3) -> list[TagSuggestion]:
    """Likely category tags for a text that is not (yet) a conversation."""
    vecs = embeddings.encode([text_])
    return _likely_tags(session, text_, None if vecs is None else vecs[0], set(), limit)


def _likely_tags(
    session: Session,
    text_: str,
    vector: Any | None,
    have: set[str],
    limit: int,
    exclude: int | None = None,
    hide: frozenset[str] = frozenset(),
) -> list[TagSuggestion]:
    """The regression over words and meaning (tag_classifier) blended with naive Bayes
    (W_NB); without a tagged history of two tags or more, naive Bayes blended (W_KNN) with
    the vote of the most similar tagged conversations, or the closeness to each tag's
    name. A tag's reason is the words that argued for it, or the subject of the most
    similar conversation with that tag; never the customer's name."""
    model = _cached_model(session)
    bayes = model.predict(text_, len(model.docs), hide)
    votes = semantic.knn_tags(session, vector, exclude=exclude) if vector is not None else []
    clf = _cached_classifier(session)
    if clf is None:
        scored = blend_tags(bayes, votes)
    else:
        toks = [t for t in words(text_) if t not in hide]
        like = {tag: why for tag, _, why in votes}
        top_vote = votes[0][0] if votes else None
        scored = [
            (
                tag,
                p,
                like[tag] if tag == top_vote or (tag in like and not ws) else _words_reason(ws),
            )
            for tag, p, ws in blend_bayes(clf.predict(toks, vector, hide=hide), bayes)
        ]
    return [TagSuggestion(tag, score, reason) for tag, score, reason in scored if tag not in have][
        :limit
    ]


def _words_reason(ws: list[str]) -> str:
    return ("words: " + ", ".join(ws)) if ws else "most common tag"


def blend_bayes(
    regression: list[tuple[str, float, list[str]]],
    bayes: list[tuple[str, float, list[str]]],
    w_nb: float | None = None,
) -> list[tuple[str, float, list[str]]]:
    """(tag, score, words that argued for it) best first: (1 - w) x the regression +
    w x naive Bayes (w = W_NB unless given)."""
    w = W_NB if w_nb is None else w_nb
    nb = {tag: (p, ws) for tag, p, ws in bayes}
    out = [
        (tag, (1 - w) * p + w * nb.get(tag, (0.0, []))[0], ws or nb.get(tag, (0.0, []))[1])
        for tag, p, ws in regression
    ]
    out.sort(key=lambda x: (-x[1], x[0]))
    return out


def blend_tags(
    bayes: list[tuple[str, float, list[str]]],
    votes: list[tuple[str, float, str]],
    w_knn: float = W_KNN,
) -> list[tuple[str, float, str]]:
    """(tag, score, reason) best first: (1 - w) x naive Bayes + w x the similarity vote
    (w = 1 when there is no naive Bayes, as at cold start; 0 without a vote). Each tag
    keeps the reason of the part that argued for it most."""
    nb = {tag: (p, why) for tag, p, why in bayes}
    knn = {tag: (v, why) for tag, v, why in votes}
    w = (w_knn if nb else 1.0) if knn else 0.0
    scored = []
    for tag in set(nb) | set(knn):
        p, words_ = nb.get(tag, (0.0, []))
        v, like = knn.get(tag, (0.0, ""))
        if w * v > (1 - w) * p:
            reason = like
        else:
            reason = ("words: " + ", ".join(words_)) if words_ else "most common tag"
        scored.append((tag, (1 - w) * p + w * v, reason))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored


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
