"""Article-suggestion accuracy on StackFAQ (../shared/corpora/faq/stackfaq.xml).

The 125 FAQ threads become articles (title = question, body = answers); each of the
~1,250 paraphrased user queries should rank its own thread first. Reports top-1, top-3,
MRR and milliseconds per query for full-text search alone (bm25), rapidfuzz alone, their
blend (the word ranking), sentence embeddings alone, and the hybrid (reciprocal-rank
fusion of words and embeddings), all in the same run on the same store. The queries are
split in two halves: the hybrid's weight is chosen on the dev half, and every number
printed is on the other (held-out) half. The halves are then swapped (weight chosen on
the test half, reported on the dev half) to show the choice is stable.

A second labelled set checks the hybrid where no weight was chosen: the DuckDuckGo help
centre (../shared/corpora/kb/duckduckgo-help, 262 articles). Its question headings
("## Can I pay to increase the usage limit?", 123 of them in 43 articles) become the
queries, and every heading line is removed from the articles' text, so a question must
find the article whose section answers it.

    python -m benchmarks.suggest_accuracy [--limit N] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import CORPORA


@dataclass
class Faq:
    question: str
    answers: str
    queries: list[str]


def load_faq(path: Path = CORPORA / "faq" / "stackfaq.xml") -> list[Faq]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    out = []
    for block in re.findall(r"<qapair>(.*?)</qapair>", raw, re.S):
        q = html.unescape(re.search(r"<question>\s*(.*?)\s*</question>", block, re.S).group(1))  # type: ignore[union-attr]
        answers = " ".join(
            html.unescape(a.strip()) for a in re.findall(r"<answer>(.*?)</answer>", block, re.S)
        )
        queries = [
            html.unescape(r.strip()) for r in re.findall(r"<rephr>(.*?)</rephr>", block, re.S)
        ]
        out.append(Faq(q.strip(), answers, [x for x in queries if x and x != "*"]))
    return out


# Word methods as (fts weight, fuzz weight) of services.suggest.rank without meaning.
WORDS = {
    "bm25 only": (1.0, 0.0),
    "rapidfuzz only": (0.0, 1.0),
    "words: bm25 + rapidfuzz (product without model)": (None, None),  # W_FTS / W_FUZZ
}
WORDS_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)  # weights of words beside meaning tried on dev
# (0.0 is meaning alone, so the choice can never be worse than it on the dev half)
RRF_K = 60


def split(queries: list[tuple[int, str]]) -> tuple[list, list]:
    """A deterministic half/half split of the queries (every other query of each FAQ goes
    to the dev half), so weights are chosen on one half and reported on the other."""
    dev, test = [], []
    seen: dict[int, int] = {}
    for want, q in queries:
        seen[want] = seen.get(want, 0) + 1
        (dev if seen[want] % 2 else test).append((want, q))
    return dev, test


def measure(queries, ranker) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """top-1, top-3, MRR (over the first 10) and ms per query of ``ranker(query) -> ids``."""
    top1 = top3 = rr = 0.0
    t0 = time.perf_counter()
    for want, q in queries:
        got = ranker(q)[:10]
        if got[:1] == [want]:
            top1 += 1
        if want in got[:3]:
            top3 += 1
        if want in got:
            rr += 1 / (got.index(want) + 1)
    elapsed = time.perf_counter() - t0
    n = len(queries) or 1
    return {
        "queries": len(queries),
        "top1": round(top1 / n, 3),
        "top3": round(top3 / n, 3),
        "mrr": round(rr / n, 3),
        "ms_per_query": round(elapsed / n * 1000, 2),
    }


def load_ddg_headings(
    root: Path = CORPORA / "kb" / "duckduckgo-help",
) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """The DuckDuckGo help centre as (title, body without heading lines) articles and
    (article index, question heading) queries; empty when the corpus is absent."""
    from inbox_tui.sources.articles import load_articles

    if not root.is_dir():
        return [], []
    files, _ = load_articles(root)
    articles, queries = [], []
    for f in files:
        raw = (root / f.path).read_text(encoding="utf-8", errors="replace")
        heads = {m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.*?)\s*$", raw, re.M)}
        queries += [(len(articles), h) for h in sorted(heads) if h.endswith("?")]
        # load_articles gives the text without Markdown marks: a heading is a line of its own
        body = "\n".join(line for line in f.body.splitlines() if line.strip() not in heads)
        articles.append((f.title, "\n".join(p for p in (f.description, body) if p)))
    return articles, queries


def _store_with(store, articles: list[tuple[str, str]]) -> list[int]:  # type: ignore[no-untyped-def]
    from inbox_tui.models import Article

    def load(s):  # type: ignore[no-untyped-def]
        ids = []
        for i, (title, body) in enumerate(articles):
            a = Article(slug=f"a-{i}", title=title, body=body)
            s.add(a)
            s.flush()
            ids.append(a.id)
        return ids

    return store.run(load)  # type: ignore[no-any-return]


def _methods(s, vecs, words_weight: float) -> dict:  # type: ignore[no-untyped-def]
    """name → ranker(query) -> article ids, for one store session."""
    from inbox_tui.services import semantic
    from inbox_tui.services.suggest import W_FTS, W_FUZZ, _rank_words, rank

    out = {}
    for name, (wf, wz) in WORDS.items():
        fts, fz = (W_FTS if wf is None else wf), (W_FUZZ if wz is None else wz)
        out[name] = lambda q, fts=fts, fz=fz: [
            a for a, _, _ in rank(s, q, 10, fts_weight=fts, fuzz_weight=fz, meaning=False)
        ]
    if vecs is None:
        return out

    def hybrid(weight: float):  # type: ignore[no-untyped-def]
        return lambda q: [
            a for a, _, _ in rank(s, q, 10, words_weight=weight, query_vector=vecs[q])
        ]

    def rrf(q: str) -> list[int]:  # measured for the record; not what the product does
        fused: dict[int, float] = {}
        lexical = [
            a for a, _, _, hit in _rank_words(s, q, fts_weight=W_FTS, fuzz_weight=W_FUZZ) if hit
        ]
        meaning = [a for a, _ in semantic.search_articles(s, vecs[q], 50)]
        for ranking in (lexical, meaning):
            for r, a in enumerate(ranking, 1):
                fused[a] = fused.get(a, 0.0) + 1 / (RRF_K + r)
        return sorted(fused, key=lambda a: (-fused[a], a))

    out["embeddings only"] = hybrid(0.0)
    out[f"hybrid (product, words weight {words_weight})"] = hybrid(words_weight)
    out["reciprocal-rank fusion k=60 (not used)"] = rrf
    out["_hybrid"] = hybrid
    return out


def evaluate(db_url: str | None = None, limit: int | None = None) -> dict[str, dict[str, float]]:
    """Every method on the held-out (test) half of the StackFAQ queries; the words' weight
    in the hybrid is chosen on the dev half (and, swapped, on the test half to show the
    choice is stable). Then the same methods on the DuckDuckGo headings, with no weight
    chosen there. Without the embedding model only the word methods are reported. Query
    embeddings are computed once up front (as a conversation's is cached); their cost per
    query is reported on its own."""
    from inbox_tui.services import embeddings, semantic
    from inbox_tui.services.suggest import W_WORDS
    from inbox_tui.store import Store, sqlite_url

    faqs = load_faq()
    if limit:  # a smoke run: a small help centre too, so embedding it stays quick
        faqs = faqs[: max(10, limit // 5)]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(db_url or sqlite_url(Path(tmp) / "faq.db"))
        ids = _store_with(store, [(f.question, f.answers) for f in faqs])
        t0 = time.perf_counter()
        embedded = store.run(semantic.refresh_articles)
        embed_s = time.perf_counter() - t0
        queries = [(ids[i], q) for i, f in enumerate(faqs) for q in f.queries]
        if limit:
            queries = queries[:limit]
        dev, test = split(queries)
        vecs = None
        encode_ms = 0.0
        if embeddings.encoder() is not None:
            texts = [q for _, q in queries]
            t0 = time.perf_counter()
            for q in texts[:100]:
                embeddings.encode([q])
            encode_ms = (time.perf_counter() - t0) / min(100, len(texts)) * 1000
            vecs = dict(zip(texts, embeddings.encode(texts), strict=True))  # type: ignore[arg-type]
        with store.read() as s:
            methods = _methods(s, vecs, W_WORDS)
            hybrid = methods.pop("_hybrid", None)
            for name, ranker in methods.items():
                results[name] = measure(test, ranker)
            if hybrid is not None:
                dev_mrr = {w: measure(dev, hybrid(w))["mrr"] for w in WORDS_GRID}
                chosen = max(WORDS_GRID, key=lambda w: (dev_mrr[w], -w))
                if chosen != W_WORDS:
                    results[f"hybrid, words weight {chosen} (chosen on dev)"] = measure(
                        test, hybrid(chosen)
                    )
                # Swapped: choose on the test half, report on the dev half.
                test_mrr = {w: measure(test, hybrid(w))["mrr"] for w in WORDS_GRID}
                swapped = max(WORDS_GRID, key=lambda w: (test_mrr[w], -w))
                results["swapped halves: embeddings only"] = measure(dev, hybrid(0.0))
                results[f"swapped halves: hybrid, weight {swapped} chosen on test"] = measure(
                    dev, hybrid(swapped)
                )
                results["_setup"] = {
                    "articles": len(ids),
                    "embedded": embedded,
                    "embed_articles_s": round(embed_s, 2),
                    "encode_one_query_ms": round(encode_ms, 1),
                    "dev_queries": len(dev),
                    "dev_mrr_by_words_weight": {str(w): m for w, m in dev_mrr.items()},  # type: ignore[dict-item]
                }
        store.close()
    if not limit and db_url is None:
        results.update(_second_set(W_WORDS))
    return results


def _second_set(words_weight: float) -> dict[str, dict[str, float]]:
    """The methods on the DuckDuckGo question headings (no weight chosen here)."""
    from inbox_tui.services import embeddings, semantic
    from inbox_tui.store import Store, sqlite_url

    articles, labelled = load_ddg_headings()
    if not labelled:
        return {}
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(sqlite_url(Path(tmp) / "ddg.db"))
        ids = _store_with(store, articles)
        store.run(semantic.refresh_articles)
        queries = [(ids[i], q) for i, q in labelled]
        texts = [q for _, q in queries]
        encoded = embeddings.encode(texts)
        vecs = None if encoded is None else dict(zip(texts, encoded, strict=True))
        with store.read() as s:
            methods = _methods(s, vecs, words_weight)
            methods.pop("_hybrid", None)
            for name, ranker in methods.items():
                out[f"DuckDuckGo headings: {name}"] = measure(queries, ranker)
        store.close()
    return out


def static_model() -> dict[str, dict[str, float]]:
    """The static table (services/static_embeddings.py) in place of MiniLM: alone and in
    the product's hybrid, on StackFAQ's held-out half (the words' weight beside it chosen
    on the dev half from WORDS_GRID) and on the DuckDuckGo headings (nothing chosen)."""
    from inbox_tui.services import semantic, static_embeddings
    from inbox_tui.services.suggest import W_WORDS_STATIC, rank
    from inbox_tui.store import Store, sqlite_url

    if static_embeddings.encoder() is None:
        return {}
    out: dict[str, dict[str, float]] = {}
    faqs = load_faq()
    ddg_articles, ddg_queries = load_ddg_headings()
    sets = [("StackFAQ", [(f.question, f.answers) for f in faqs], None)]
    if ddg_queries:
        sets.append(("DuckDuckGo headings", ddg_articles, ddg_queries))
    chosen = W_WORDS_STATIC
    with tempfile.TemporaryDirectory() as tmp:
        for name, articles, labelled in sets:
            store = Store(sqlite_url(Path(tmp) / f"{len(out)}.db"))
            ids = _store_with(store, articles)
            t0 = time.perf_counter()
            store.run(semantic.refresh_articles, semantic.STATIC_ARTICLE)
            embed_s = time.perf_counter() - t0
            with store.read() as s:
                index = semantic.article_index(s)
                assert index is not None and index.model == static_embeddings.MODEL_ID

                def ranker(weight: float, s=s):  # type: ignore[no-untyped-def]
                    return lambda t: [a for a, _, _ in rank(s, t, 10, words_weight=weight)]

                if labelled is None:
                    queries = [(ids[i], q) for i, f in enumerate(faqs) for q in f.queries]
                    dev, test = split(queries)
                    dev_mrr = {w: measure(dev, ranker(w))["mrr"] for w in WORDS_GRID}
                    chosen = max(WORDS_GRID, key=lambda w: (dev_mrr[w], -w))
                else:
                    test = [(ids[i], q) for i, q in labelled]
                out[f"static model: {name}: embeddings only"] = measure(test, ranker(0.0))
                out[f"static model: {name}: hybrid (product, words weight {W_WORDS_STATIC})"] = (
                    measure(test, ranker(W_WORDS_STATIC))
                )
                if chosen != W_WORDS_STATIC:
                    out[f"static model: {name}: hybrid, words weight {chosen} (chosen on dev)"] = (
                        measure(test, ranker(chosen))
                    )
                out[f"_static {name}"] = {
                    "articles": len(ids),
                    "embed_articles_s": round(embed_s, 2),
                }
            store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, help="only the first N queries (smoke run)")
    p.add_argument("--db", help="a database URL (default: a temporary SQLite file)")
    p.add_argument("--static-only", action="store_true", help="only the static model's numbers")
    args = p.parse_args(argv)
    results = {} if args.static_only else evaluate(args.db, args.limit)
    if not args.limit and args.db is None:
        results.update(static_model())
    for name, r in results.items():
        if name.startswith("_"):
            print(f"{name[1:]}: {r}")
            continue
        print(
            f"{name:<62} top-1 {r['top1']:.3f}  top-3 {r['top3']:.3f}  MRR {r['mrr']:.3f}  "
            f"{r['ms_per_query']:6.2f} ms/query  ({r['queries']} queries)"
        )
    print(json.dumps(results), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
