"""The help articles an agent picks from for a conversation (each with the text a reply
gets, and for the best what customers usually needed next), and the ``article_sent``
event (recorded with the reply it went in, counted once that reply went)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from inbox_tui.models import Article, Conversation, Event, EventKind
from inbox_tui.services import core
from inbox_tui.services.outbox import still_to_go, went_out
from inbox_tui.services.suggest import (
    ArticleSuggestion,
    article_insert_text,
    excerpt,
    suggest_articles,
)


def record_article_sent(
    session: Session,
    actor: str,
    conversation_id: int,
    article_id: int,
    *,
    at: datetime | None = None,
    outbox: int | None = None,
) -> None:
    """``outbox``: the reply it went with (it counts as sent when that reply goes)."""
    conv = core.lock_conversation(session, conversation_id)
    art = session.get(Article, article_id)
    if art is None:
        raise core.NotFound(f"Help article {article_id} does not exist.")
    with_reply = {"outbox": outbox} if still_to_go(session, outbox) is not None else {}
    data: dict[str, object] = {"article": art.id, "slug": art.slug, **with_reply}
    core.record(
        session, conv, core.ensure_agent(session, actor), EventKind.ARTICLE_SENT, data, at=at
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
    went = went_out(session) if sent else {}  # an article in a reply counts once it went
    by_contact: dict[int, list[tuple[object, int]]] = defaultdict(list)
    for conv_id, at, data in sent:
        contact = contact_of.get(conv_id)
        info = json.loads(data or "{}")
        when = at if info.get("outbox") is None else went.get(info["outbox"])
        if contact and info.get("article") and when is not None:
            by_contact[contact].append((when, int(info["article"])))
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
            for other in same:
                if other is not None and other not in ids:
                    ids.append(other)
                    reasons[other] = f"same category ({art.category})"
    out = []
    for aid in ids:
        a = session.get(Article, aid)
        if a is not None:
            out.append(
                ArticleSuggestion(aid, a.slug, a.title, a.url, 0.0, reasons[aid], excerpt(a))
            )
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
