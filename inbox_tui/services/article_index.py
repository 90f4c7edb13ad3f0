"""The help centre's chunk vectors in memory, and the search over them.

One contiguous float32 matrix holds every chunk row of every article, sorted by article,
so an article's score (the cosine of its best chunk) is one matrix-vector product and a
``np.maximum.reduceat`` over the article boundaries. The product reads the whole matrix
(10,000 articles are ~70,000 rows, ~110 MB): on a shared machine that memory traffic was
most of a suggestion's time. A large index therefore searches in two stages: a first
pass over the rows projected onto their main directions (REDUCED_DIM of them, found by an
eigen-decomposition of a sample of the rows, so 3x less to read) picks a shortlist of
SHORTLIST articles, and only their rows are scored exactly. Every cosine returned is
exact; what the first pass can do is miss an article, and benchmarks/README.md measures
how often that changes a suggestion.

The index is built once and then updated with the rows that changed
(:meth:`ArticleIndex.updated`), so the projection of an unchanged article is never
recomputed and the store is not read again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

TWO_STAGE_ROWS = 20_000  # below this many rows one exact pass is cheap enough
REDUCED_DIM = 128
SHORTLIST = 400  # articles scored exactly after the first pass
SHORTLIST_PER_ASKED = 4  # and at least this many per article asked for
FIT_ROWS = 8192  # rows sampled to find the main directions
_fit_lock = threading.Lock()


class ArticleIndex:
    def __init__(
        self,
        ids: np.ndarray,
        starts: np.ndarray,
        matrix: np.ndarray,
        basis: np.ndarray | None = None,
        reduced: np.ndarray | None = None,
    ) -> None:
        import numpy as np

        self.ids = ids  # (n,) article ids, ascending
        self.starts = starts  # (n,) first row of each article in ``matrix``
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)  # (rows, dim)
        self.ends = np.append(starts[1:], len(matrix)).astype(np.int64) if len(ids) else starts
        self.position = {int(a): i for i, a in enumerate(ids.tolist())}
        self.basis, self.reduced = basis, reduced
        self.model = ""  # whose vectors (the store's loader sets it)
        self._searches = 0

    def prepare(self) -> None:
        """Find the main directions and project the rows, when the index is large enough
        to gain from a first pass (10,000 articles: 1-6 s of CPU, so it is done by the
        TUI's warm-up or at an index's second search, never for a one-off query)."""
        if self.basis is None and len(self.matrix) >= TWO_STAGE_ROWS:
            with _fit_lock:  # the TUI's warm-up and a search may both ask
                if self.basis is None:
                    self._fit()

    @classmethod
    def build(cls, items: Iterable[tuple[int, np.ndarray]], dim: int) -> ArticleIndex:
        """From (article id, its rows) in any order."""
        import numpy as np

        ordered = sorted(items, key=lambda x: x[0])
        ids = np.array([a for a, _ in ordered], dtype=np.int64)
        counts = np.array([len(r) for _, r in ordered], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        matrix = (
            np.concatenate([r for _, r in ordered]).astype(np.float32, copy=False)
            if ordered
            else np.zeros((0, dim), np.float32)
        )
        return cls(ids, starts[: len(ids)], matrix)

    def _fit(self) -> None:
        """The main directions of the rows (eigenvectors of their second moment, so dot
        products, not distances from a mean, are what is kept) and the rows projected."""
        import numpy as np

        step = max(1, len(self.matrix) // FIT_ROWS)
        sample = self.matrix[::step]
        values, vectors = np.linalg.eigh(sample.T @ sample)
        basis = np.ascontiguousarray(vectors[:, np.argsort(values)[::-1][:REDUCED_DIM]])
        reduced = np.ascontiguousarray(self.matrix @ basis)
        self.reduced = None  # a search meanwhile makes one exact pass
        self.basis, self.reduced = basis, reduced

    def __len__(self) -> int:
        return len(self.ids)

    def _exact(self, query: np.ndarray, sel: np.ndarray) -> np.ndarray:
        """Exact best-chunk cosines of the articles at positions ``sel``."""
        import numpy as np

        counts = self.ends[sel] - self.starts[sel]
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        rows = np.repeat(self.starts[sel] - offsets, counts) + np.arange(counts.sum())
        return np.maximum.reduceat(self.matrix[rows] @ query, offsets)  # type: ignore[no-any-return]

    def nearest(self, query: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The ``limit`` articles nearest to a normalised query vector, as (article id,
        cosine of its best chunk), best first."""
        import numpy as np

        n = len(self.ids)
        k = min(limit, n)
        if k <= 0:
            return []
        self._searches += 1
        if self._searches == 2:
            self.prepare()
        shortlist = max(SHORTLIST, SHORTLIST_PER_ASKED * k)
        if self.reduced is None or self.basis is None or n <= shortlist:
            best = np.maximum.reduceat(self.matrix @ query, self.starts)
            sel = np.argpartition(-best, k - 1)[:k]
            scores = best[sel]
        else:
            rough = np.maximum.reduceat(self.reduced @ (query @ self.basis), self.starts)
            short = np.sort(np.argpartition(-rough, shortlist - 1)[:shortlist])
            exact = self._exact(query, short)
            top = np.argpartition(-exact, k - 1)[:k]
            sel, scores = short[top], exact[top]
        order = np.lexsort((self.ids[sel], -scores))
        return [(int(self.ids[sel[i]]), float(scores[i])) for i in order]

    def cosines(self, query: np.ndarray, article_ids: Iterable[int]) -> dict[int, float]:
        """Exact best-chunk cosines of some articles (those without vectors are left out)."""
        import numpy as np

        known = [(a, self.position[a]) for a in dict.fromkeys(article_ids) if a in self.position]
        if not known:
            return {}
        exact = self._exact(query, np.array([p for _, p in known], dtype=np.int64))
        return {a: float(c) for (a, _), c in zip(known, exact.tolist(), strict=True)}

    def updated(self, changed: dict[int, np.ndarray], gone: Iterable[int]) -> ArticleIndex:
        """A new index with ``changed`` articles' rows replaced (or added) and ``gone``
        articles removed; unchanged articles keep their rows and projections."""
        import numpy as np

        drop = set(gone)
        keep = [a for a in self.position if a not in changed and a not in drop]
        new_ids = sorted({*keep, *(a for a in changed if a not in drop)})
        pieces, reduced = [], []
        for a in new_ids:
            rows = changed.get(a)
            if rows is not None:
                pieces.append(np.asarray(rows, dtype=np.float32))
                if self.basis is not None:
                    reduced.append(pieces[-1] @ self.basis)
            else:
                p = self.position[a]
                pieces.append(self.matrix[self.starts[p] : self.ends[p]])
                if self.reduced is not None:
                    reduced.append(self.reduced[self.starts[p] : self.ends[p]])
        dim = self.matrix.shape[1]
        counts = np.array([len(p) for p in pieces], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)[: len(pieces)]
        matrix = np.concatenate(pieces) if pieces else np.zeros((0, dim), np.float32)
        if self.basis is not None and reduced:
            return ArticleIndex(
                np.array(new_ids, dtype=np.int64),
                starts,
                matrix,
                self.basis,
                np.concatenate(reduced),
            )
        return ArticleIndex(np.array(new_ids, dtype=np.int64), starts, matrix)
