"""Tag suggestions by a softmax (multinomial logistic) regression over the words of a
conversation (tf-idf) and, with the optional model, its sentence embedding: plain numpy,
full-batch gradient descent, trained from the team's own tagged conversations.

Words are kept sparse (a conversation has a few dozen distinct words), so training on
5,000 tagged conversations takes seconds and predicting one is a few hundred
multiplications. The model is cached by a fingerprint of the tagging; when tagging
changes it is re-trained from the previous weights (a few steps over the same
vocabulary) and rebuilt from scratch only when the tag set changes or the history grew
by a quarter. On NLBSE (bug / feature / question) it lifted accuracy from 0.643 (naive
Bayes) to 0.757 with embeddings, its L2 weight chosen on a dev part
(``benchmarks/suggest_tags.py``).
"""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

VOCAB = 5000  # most frequent words (in at least MIN_DF conversations) used as features
MIN_DF = 2
L2 = 1e-3  # chosen on NLBSE's dev part (benchmarks/suggest_tags.py)
STEP = 2.0
MOMENTUM = 0.9
ITERATIONS = 80
WARM_ITERATIONS = 15  # a re-train from the previous weights after tagging changed


def available() -> bool:
    """numpy comes with the ``[semantic]`` extra; without it tags fall back to naive
    Bayes (services/suggest.py)."""
    return importlib.util.find_spec("numpy") is not None


def _softmax(z: Any) -> Any:
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class _Sparse:
    """Rows of tf-idf values as (row, column, value) triples, unit length per row."""

    rows: Any
    cols: Any
    vals: Any
    n: int


@dataclass
class TagClassifier:
    labels: list[str]
    vocab: dict[str, int]
    idf: Any  # (V,)
    words_w: Any  # (V, k)
    dense_w: Any | None  # (DIM, k) when trained with embeddings
    bias: Any  # (k,)
    trained_on: int = 0  # conversations in the last full build
    extra: dict[str, Any] = field(default_factory=dict)

    # -- features --------------------------------------------------------------------

    def _row(self, tokens: Sequence[str]) -> tuple[list[int], list[float]]:
        counts = Counter(t for t in tokens if t in self.vocab)
        cols = [self.vocab[t] for t in counts]
        vals = [(1 + math.log(c)) * float(self.idf[self.vocab[t]]) for t, c in counts.items()]
        norm = math.sqrt(sum(v * v for v in vals)) or 1.0
        return cols, [v / norm for v in vals]

    def _sparse(self, docs: Sequence[Sequence[str]]) -> _Sparse:
        import numpy as np

        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for i, toks in enumerate(docs):
            c, v = self._row(toks)
            rows += [i] * len(c)
            cols += c
            vals += v
        return _Sparse(
            np.array(rows, np.int64), np.array(cols, np.int64), np.array(vals), len(docs)
        )

    def _scores(self, x: _Sparse, dense: Any | None) -> Any:
        import numpy as np

        k = len(self.labels)
        contrib = x.vals[:, None] * self.words_w[x.cols]
        z = np.stack([np.bincount(x.rows, contrib[:, c], minlength=x.n) for c in range(k)], 1)
        if self.dense_w is not None and dense is not None:
            z = z + dense @ self.dense_w
        return z + self.bias

    # -- training ---------------------------------------------------------------------

    def fit(self, x: _Sparse, dense: Any | None, targets: Any, iterations: int) -> None:
        """Full-batch gradient descent with Nesterov momentum (80 steps reach the accuracy
        of 400 plain ones on NLBSE's dev part, 0.72)."""
        import numpy as np

        k = len(self.labels)
        use_dense = self.dense_w is not None and dense is not None
        params = [self.words_w, self.bias] + ([self.dense_w] if use_dense else [])
        velocity = [np.zeros_like(p) for p in params]
        for _ in range(iterations):
            for p, v in zip(params, velocity, strict=True):  # look ahead
                p += MOMENTUM * v
            g = (_softmax(self._scores(x, dense)) - targets) / max(x.n, 1)
            per = x.vals[:, None] * g[x.rows]
            grads = [
                np.stack(
                    [np.bincount(x.cols, per[:, c], minlength=len(self.vocab)) for c in range(k)],
                    1,
                )
                + L2 * self.words_w,
                g.sum(axis=0),
            ]
            if use_dense and dense is not None and self.dense_w is not None:
                grads.append(dense.T @ g + L2 * self.dense_w)
            for p, v, grad in zip(params, velocity, grads, strict=True):
                p -= MOMENTUM * v  # back from the look-ahead
                v *= MOMENTUM
                v -= STEP * grad
                p += v

    # -- prediction -------------------------------------------------------------------

    def predict(
        self,
        tokens: Sequence[str],
        vector: Any | None = None,
        *,
        hide: frozenset[str] = frozenset(),
    ) -> list[tuple[str, float, list[str]]]:
        """(tag, probability, the words that argued for it most) best first. ``hide``:
        words never given as a reason (the customer's own name)."""
        import numpy as np

        if not self.labels:
            return []
        cols, vals = self._row(tokens)
        x = _Sparse(np.zeros(len(cols), np.int64), np.array(cols, np.int64), np.array(vals), 1)
        dense = None if vector is None else np.asarray(vector, np.float32)[None, :]
        probs = _softmax(self._scores(x, dense))[0]
        names = self.extra.get("names")
        if names is None:
            names = self.extra["names"] = list(self.vocab)  # index → word
        out = []
        for c in np.argsort(-probs, kind="stable"):
            # a word argues for a tag by how much more it adds to it than to the others
            other = (self.words_w[cols].sum(axis=1) - self.words_w[cols, c]) / max(
                len(self.labels) - 1, 1
            )
            push = np.array(vals) * (self.words_w[cols, c] - other) if cols else np.zeros(0)
            best = [names[cols[i]] for i in np.argsort(-push) if push[i] > 0]
            out.append((self.labels[c], float(probs[c]), [w for w in best if w not in hide][:3]))
        return out


def train(
    docs: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    vectors: Any | None = None,
    *,
    previous: TagClassifier | None = None,
) -> TagClassifier | None:
    """A classifier over ``docs`` (token lists) labelled with ``tags`` (a conversation
    with several tags counts for each equally); ``vectors``: their sentence embeddings
    (one row each) or None. From ``previous`` (same tags, same kind of features, history
    grown by less than a quarter): a few steps from its weights over its vocabulary.
    None when fewer than two tags are in use."""
    import numpy as np

    labels = sorted({t for ts in tags for t in ts})
    if len(labels) < 2:
        return None
    dim = None if vectors is None else int(np.asarray(vectors).shape[1])
    warm = (
        previous is not None
        and previous.labels == labels
        and (previous.dense_w is None) == (dim is None)
        and len(docs) < 1.25 * max(previous.trained_on, 1)
    )
    if warm and previous is not None:
        # new weights (another thread may be predicting with the previous ones), same
        # vocabulary
        model = replace(
            previous,
            words_w=previous.words_w.copy(),
            dense_w=None if previous.dense_w is None else previous.dense_w.copy(),
            bias=previous.bias.copy(),
        )
        iterations = WARM_ITERATIONS
    else:
        df: Counter[str] = Counter()
        for toks in docs:
            df.update(set(toks))
        words = [w for w, c in df.most_common(VOCAB) if c >= MIN_DF]
        k = len(labels)
        model = TagClassifier(
            labels,
            {w: j for j, w in enumerate(words)},
            np.array([math.log(len(docs) / df[w]) for w in words]),
            np.zeros((len(words), k)),
            None if dim is None else np.zeros((dim, k)),
            np.zeros(k),
            trained_on=len(docs),
        )
        iterations = ITERATIONS
    index = {t: c for c, t in enumerate(labels)}
    targets = np.zeros((len(docs), len(labels)))
    for i, ts in enumerate(tags):
        for t in ts:
            targets[i, index[t]] = 1.0 / len(ts)
    dense = None if vectors is None else np.asarray(vectors, np.float64)
    model.fit(model._sparse(docs), dense, targets, iterations)
    return model
