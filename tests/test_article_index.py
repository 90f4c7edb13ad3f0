"""The in-memory article index (services/article_index.py): the two-stage search returns
exact cosines and finds what one exact pass finds on vectors with structure, an update
gives the same index as a rebuild, and the store-backed index follows changes made
behind its back (new, changed and deleted vectors) on both databases."""

import numpy as np
import pytest

from inbox_tui.models import Article, Embedding, utcnow
from inbox_tui.services import article_index, embeddings, semantic
from inbox_tui.services.article_index import ArticleIndex

DIM = 384


def clustered(n_articles: int, seed: int = 1) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Articles of 1-6 chunks around 40 topics (real help centres have topics: that is
    what a first pass on the main directions relies on), and queries near the topics."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((40, DIM)).astype(np.float32)
    items = {}
    for a in range(1, n_articles + 1):
        rows = topics[rng.integers(40)] + 0.6 * rng.standard_normal((rng.integers(1, 7), DIM))
        items[a * 3] = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    queries = topics[rng.integers(40, size=30)] + 0.6 * rng.standard_normal((30, DIM))
    return items, (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)


def brute(items: dict[int, np.ndarray], q: np.ndarray, k: int) -> list[tuple[int, float]]:
    best = {a: float((rows @ q).max()) for a, rows in items.items()}
    return sorted(best.items(), key=lambda x: (-x[1], x[0]))[:k]


def test_two_stage_search_finds_the_exact_nearest_with_exact_cosines(monkeypatch):
    monkeypatch.setattr(article_index, "TWO_STAGE_ROWS", 1000)
    monkeypatch.setattr(article_index, "SHORTLIST", 150)
    items, queries = clustered(3000)
    index = ArticleIndex.build(items.items(), DIM)
    index.prepare()
    assert index.reduced is not None  # the first pass is on
    for q in queries:
        got = index.nearest(q, 10)
        want = brute(items, q, 10)
        assert [a for a, _ in got] == [a for a, _ in want]
        assert np.allclose([c for _, c in got], [c for _, c in want], atol=1e-5)
    many = index.nearest(queries[0], 200)  # more than the shortlist: as many as asked
    assert [a for a, _ in many] == [a for a, _ in brute(items, queries[0], 200)]
    some = [3, 300, 9000, 4]  # 4 is not an article
    cos = index.cosines(queries[0], some)
    assert set(cos) == {3, 300, 9000}
    for a, c in cos.items():
        assert c == pytest.approx(float((items[a] @ queries[0]).max()), abs=1e-5)


def test_an_update_gives_the_index_a_rebuild_would(monkeypatch):
    monkeypatch.setattr(article_index, "TWO_STAGE_ROWS", 1000)
    monkeypatch.setattr(article_index, "SHORTLIST", 150)
    items, queries = clustered(1200)
    index = ArticleIndex.build(items.items(), DIM)
    index.prepare()
    rng = np.random.default_rng(5)
    changed = {a: items[a + 3][:2] for a in (30, 60)}  # new text: another article's rows
    changed[10**6] = items[9][:1]  # a new article
    gone = [3, 12, 33]
    after = index.updated(changed, gone)
    items = {a: r for a, r in {**items, **changed}.items() if a not in gone}
    assert after.ids.tolist() == sorted(items)
    assert np.array_equal(after.matrix, ArticleIndex.build(items.items(), DIM).matrix)
    assert after.basis is index.basis  # the projection is kept, not refitted
    for q in [*queries[:10], *rng.standard_normal((3, DIM)).astype(np.float32)]:
        assert [a for a, _ in after.nearest(q, 5)] == [a for a, _ in brute(items, q, 5)]


def test_small_and_empty_indexes():
    empty = ArticleIndex.build([], DIM)
    assert empty.nearest(np.ones(DIM, np.float32), 5) == []
    assert empty.cosines(np.ones(DIM, np.float32), [1]) == {}
    items, queries = clustered(20)
    index = ArticleIndex.build(items.items(), DIM)
    index.prepare()
    assert index.reduced is None  # one exact pass
    assert [a for a, _ in index.nearest(queries[0], 50)] == [
        a for a, _ in brute(items, queries[0], 50)
    ]


@pytest.mark.semantic
def test_the_store_index_follows_changed_and_deleted_vectors(store, monkeypatch):
    """Vectors another process changed or deleted (here: behind the service's back) are
    seen after RECHECK_SECONDS, by an update of the index in memory."""
    embeddings.set_enabled(True)
    try:
        assert embeddings.encoder() is not None
        a, b, c = np.eye(3, DIM, dtype=np.float32)

        def put(s, rows):
            for aid, vec in rows.items():
                s.merge(
                    Embedding(
                        kind=semantic.ARTICLE,
                        ref_id=aid,
                        model=embeddings.MODEL_ID,
                        text_hash=str(aid),
                        vectors=embeddings.vector_bytes(vec[None, :]),
                        updated_at=utcnow(),
                    )
                )

        def articles(s):
            rows = [Article(slug=f"s{i}", title=f"t{i}", body="") for i in range(3)]
            s.add_all(rows)
            s.flush()
            ids = [int(r.id or 0) for r in rows]
            put(s, dict(zip(ids, (a, b, c), strict=True)))
            return ids

        ids = store.run(articles)
        with store.read() as s:
            assert semantic.article_index(s).nearest(a, 1)[0][0] == ids[0]
        monkeypatch.setattr(semantic, "RECHECK_SECONDS", 0.0)
        store.run(put, {ids[1]: a})  # the second article now has the first one's vector
        with store.read() as s:
            index = semantic.article_index(s)
            assert index.cosines(a, [ids[1]])[ids[1]] == pytest.approx(1.0, abs=1e-3)
        store.run(lambda s: s.delete(s.get(Embedding, (semantic.ARTICLE, ids[0]))))
        with store.read() as s:
            index = semantic.article_index(s)
            assert ids[0] not in index.position
            assert index.nearest(a, 1)[0][0] == ids[1]
            assert sorted(index.position) == sorted(ids[1:])
    finally:
        embeddings.set_enabled(None)
