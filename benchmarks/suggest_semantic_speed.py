"""Costs of suggestions by meaning at help-centre scale: model load, embedding throughput
(and so the import of 10,000 articles), and the latency of suggestions for an opened
conversation over 10,000 articles with its embedding cached (p50 / p95) against words
only and against one exact pass over every row, on SQLite and, with ``--db``,
PostgreSQL; then the static model's first index of 10,000 articles (``--first-index``).

The latency run stores random unit vectors for the 10,000 articles (what a search costs
does not depend on what the vectors say; embedding 10,000 real articles takes longer than
this run should) beside real text for the word ranking. Embedding throughput is measured
on real StackFAQ answers, 128 word pieces per chunk, and the import time is extrapolated
from it. Accuracy is ``benchmarks/suggest_accuracy.py``.

    python -m benchmarks.suggest_semantic_speed [--articles 10000] [--first-index 10000]
        [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import inbox_tui  # noqa: F401  # before numpy, as in the product: one BLAS thread (its __init__)
from benchmarks.generate import load_text
from benchmarks.suggest_accuracy import load_faq
from benchmarks.suggest_speed import TYPED


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def first_index(n: int, db: str | None) -> None:
    """The static model's first index of ``n`` articles (services/static_embeddings.py):
    the table's distillation when this machine has none, then ``catch_up_static`` over a
    store of generated articles whose lengths follow the StackFAQ and DuckDuckGo
    articles' (text from the generator's corpus sentences)."""
    from benchmarks.suggest_accuracy import load_ddg_headings
    from inbox_tui.models import Article
    from inbox_tui.services import semantic, static_embeddings
    from inbox_tui.store import Store, sqlite_url

    t0, c0 = time.perf_counter(), time.process_time()
    enc = static_embeddings.encoder(build=False)
    if enc is None:
        enc = static_embeddings.encoder()
        print(
            f"static table distilled: {time.perf_counter() - t0:.1f} s wall, "
            f"{time.process_time() - c0:.1f} s CPU"
        )
    else:
        print(f"static table loaded from the cache: {time.perf_counter() - t0:.2f} s")
    lengths = [len(f.answers) for f in load_faq()] + [len(b) for _, b in load_ddg_headings()[0]]
    subjects, sentences = load_text()
    rng = random.Random(5)

    def body() -> str:
        want, out, size = rng.choice(lengths), [], 0
        while size < want:
            out.append(rng.choice(sentences))
            size += len(out[-1]) + 1
        return " ".join(out)

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(db or sqlite_url(Path(tmp) / "first.db"))
        store.run(
            lambda s: s.add_all(
                Article(slug=f"f{i}", title=rng.choice(subjects)[:200], body=body())
                for i in range(n)
            )
        )
        t0, c0 = time.perf_counter(), time.process_time()
        done = semantic.catch_up_static(store)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        with store.read() as s:
            rows = len(semantic.article_index(s).matrix)  # type: ignore[union-attr]
        store.close()
    print(
        f"first index by the static model: {done:,} articles ({rows:,} chunks) in {wall:.1f} s "
        f"wall, {cpu:.1f} s CPU (load average {os.getloadavg()[0]:.1f}); MiniLM at ~40 ms of "
        f"CPU per chunk would take ~{rows * 0.04 / 60:.0f} CPU-minutes"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--db", help="a database URL (default: a temporary SQLite file)")
    ap.add_argument(
        "--first-index",
        type=int,
        default=10_000,
        metavar="N",
        help="articles for the static model's first index (0: skip)",
    )
    ap.add_argument(
        "--sample", type=int, default=200, help="article chunks to embed for throughput"
    )
    args = ap.parse_args(argv)
    import numpy as np

    from inbox_tui.models import Article
    from inbox_tui.services import embeddings, semantic
    from inbox_tui.services.suggest import rank
    from inbox_tui.store import Store, sqlite_url

    t0 = time.perf_counter()
    enc = embeddings.encoder()
    load_s = time.perf_counter() - t0
    if enc is None:
        print(embeddings.status())
        return 1
    print(f"model load: {load_s:.2f} s")

    faqs = load_faq()
    chunks = [c for f in faqs for c in semantic.article_chunks(f.question, "", f.answers)]
    sample = chunks[: args.sample]
    t0 = time.perf_counter()
    enc.encode(sample)
    per_chunk = (time.perf_counter() - t0) / len(sample)
    per_article = len(chunks) / len(faqs)
    print(
        f"embedding: {per_chunk * 1000:.1f} ms per article chunk ({len(sample)} chunks, batches of "
        f"{embeddings.BATCH}); StackFAQ articles average {per_article:.1f} chunks, so "
        f"{args.articles:,} such articles take ~{per_chunk * per_article * args.articles:.0f} s"
    )
    queries = [q for f in faqs[:20] for q in f.queries[:2]]
    t0 = time.perf_counter()
    for q in queries:
        enc.encode([q])
    print(f"one query text: {(time.perf_counter() - t0) / len(queries) * 1000:.1f} ms")

    subjects, sentences = load_text()
    rng = random.Random(3)
    vrng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.db or sqlite_url(Path(tmp) / "kb.db"))

        def fill(s):  # type: ignore[no-untyped-def]
            arts = [
                Article(
                    slug=f"a{i}",
                    title=rng.choice(subjects)[:200],
                    body=" ".join(rng.choice(sentences) for _ in range(8)),
                )
                for i in range(args.articles)
            ]
            s.add_all(arts)
            s.flush()
            rows = []
            for a in arts:
                m = vrng.standard_normal((rng.randint(2, semantic.MAX_CHUNKS + 1), embeddings.DIM))
                rows.append((a.id, "synthetic", m / np.linalg.norm(m, axis=1, keepdims=True)))
            semantic._write(s, semantic.ARTICLE, rows)

        store.run(fill)
        qvecs = embeddings.encode(TYPED)
        assert qvecs is not None
        with store.read() as s:
            t0 = time.perf_counter()
            index = semantic.article_index(s)
            load_s = time.perf_counter() - t0
            assert index is not None
            t0 = time.perf_counter()
            index.prepare()  # the TUI's warm-up does it; else an index's second search
            prepare_s = time.perf_counter() - t0
            hybrid, words, one_pass = [], [], []
            reduced = index.reduced
            for _ in range(5):
                for q, v in zip(TYPED, qvecs, strict=True):
                    t0 = time.perf_counter()
                    rank(s, q, 8, query_vector=v)
                    hybrid.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    rank(s, q, 8, meaning=False)
                    words.append(time.perf_counter() - t0)
                    # before: one exact pass over every row (no first pass on the
                    # projected rows)
                    index.reduced = None
                    t0 = time.perf_counter()
                    rank(s, q, 8, query_vector=v)
                    one_pass.append(time.perf_counter() - t0)
                    index.reduced = reduced
        store.close()
    dialect = "PostgreSQL" if args.db else "SQLite"
    print(
        f"article vectors loaded into memory once: {load_s * 1000:.0f} ms ({dialect}; "
        f"{len(index.matrix):,} rows), projected for the first pass: {prepare_s * 1000:.0f} ms"
    )
    for name, times in (
        ("hybrid, embedding cached", hybrid),
        ("words only", words),
        ("hybrid, one exact pass over every row (before)", one_pass),
    ):
        print(
            f"suggestions over {args.articles:,} articles, {name} ({dialect}): "
            f"p50 {statistics.median(times) * 1000:.1f} ms, p95 {percentile(times, 95) * 1000:.1f} ms"
        )
    for name, times in (("words only", words), ("one exact pass", one_pass)):
        print(
            f"hybrid / {name}: p50 {statistics.median(hybrid) / statistics.median(times):.2f}, "
            f"p95 {percentile(hybrid, 95) / percentile(times, 95):.2f}"
        )
    print(f"load average: {os.getloadavg()[0]:.1f}")
    if args.first_index:
        first_index(args.first_index, args.db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
