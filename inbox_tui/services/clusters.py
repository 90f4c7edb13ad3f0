"""Grouping texts that say the same thing: incidents, subject groups, help-content gaps.

One algorithm over two similarity measures:

- **meaning**: the cosine of sentence embeddings (``services/embeddings``) when the
  optional model is available;
- **words**: the cosine of TF-IDF vectors of the content words (``suggest.words``:
  lower-cased, stop words out, a light plural/-ing/-ed stemming), the IDF taken over the
  texts being grouped (smoothed, so words every text shares still count). Used when the
  model is not available. rapidfuzz's ratios were measured first and lost clearly:
  token_set_ratio calls any text whose words are a subset of another's the same.

Star clustering: two texts are neighbours when their similarity reaches the measure's
threshold. The text with the most unassigned neighbours (ties: the earliest) becomes a
centre and takes all its unassigned neighbours; repeat until every text has a group.
Every member is a neighbour of its centre, so a group never drifts through a chain of
slightly different texts (what single-link grouping does), and the result does not
depend on the order texts arrive in beyond ties. The thresholds were chosen on half of
StackFAQ's labelled paraphrases and are reported on the other half
(``benchmarks/cluster_accuracy.py``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from inbox_tui.services import embeddings, semantic
from inbox_tui.services.suggest import words

# Chosen on StackFAQ's dev half (benchmarks/cluster_accuracy.py).
WORDS_THRESHOLD = 0.4
MEANING_THRESHOLD = 0.65
MAX_TEXTS = 5000  # what one call groups; more is refused (the caller pages or samples)


@dataclass
class Grouping:
    """Groups of indices into the texts given, biggest first; ``method`` says which
    similarity made them ("meaning" or "words")."""

    groups: list[list[int]]
    method: str


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def word_vectors(texts: Sequence[str]) -> list[dict[str, float]]:
    """L2-normalised TF-IDF vectors (sublinear term frequency, smoothed IDF)."""
    docs = [Counter(_stem(w) for w in words(t)) for t in texts]
    df = Counter(w for d in docs for w in d)
    n = len(docs)
    out = []
    for d in docs:
        v = {w: (1 + math.log(c)) * (1 + math.log((1 + n) / (1 + df[w]))) for w, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        out.append({w: x / norm for w, x in v.items()})
    return out


def _word_neighbours(texts: Sequence[str], threshold: float) -> list[set[int]]:
    vectors = word_vectors(texts)
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, v in enumerate(vectors):
        for w, x in v.items():
            postings[w].append((i, x))
    out: list[set[int]] = [set() for _ in texts]
    for i, v in enumerate(vectors):
        dot: dict[int, float] = defaultdict(float)
        for w, x in v.items():
            for j, y in postings[w]:
                if j > i:  # pairs are symmetric: each is summed once
                    dot[j] += x * y
        for j, s in dot.items():
            if s >= threshold:
                out[i].add(j)
                out[j].add(i)
    return out


def _vector_neighbours(vectors: Any, threshold: float) -> list[set[int]]:
    sims = vectors @ vectors.T
    out: list[set[int]] = []
    for i in range(len(vectors)):
        row = set((sims[i] >= threshold).nonzero()[0].tolist())
        row.discard(i)
        out.append(row)
    return out


def star_groups(neighbours: list[set[int]]) -> list[list[int]]:
    """Star clustering of a neighbour graph (see the module docstring)."""
    unassigned = set(range(len(neighbours)))
    groups: list[list[int]] = []
    while unassigned:
        centre = min(unassigned, key=lambda i: (-len(neighbours[i] & unassigned), i))
        members = sorted({centre} | (neighbours[centre] & unassigned))
        unassigned.difference_update(members)
        groups.append(members)
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def group_texts(
    texts: Sequence[str],
    *,
    method: str = "auto",
    threshold: float | None = None,
    vectors: Any = None,
) -> Grouping:
    """Group ``texts`` by similarity. ``method``: "auto" (meaning when the model is
    available, else words), "meaning" or "words". ``vectors``: the texts' embeddings when
    the caller already has them (rows L2-normalised, in the order of ``texts``)."""
    if len(texts) > MAX_TEXTS:
        raise ValueError(f"group_texts takes at most {MAX_TEXTS} texts")
    if method not in ("auto", "meaning", "words"):
        raise ValueError(f"unknown method {method!r}")
    if method != "words" and vectors is None and texts:
        vectors = embeddings.encode(list(texts))
    if method == "meaning" and vectors is None and texts:
        raise ValueError("the embedding model is not available")
    if method != "words" and vectors is not None:
        t = MEANING_THRESHOLD if threshold is None else threshold
        return Grouping(star_groups(_vector_neighbours(vectors, t)), "meaning")
    t = WORDS_THRESHOLD if threshold is None else threshold
    return Grouping(star_groups(_word_neighbours(texts, t)), "words")


def group_conversations(
    session: Session, ids: Sequence[int], *, method: str = "auto", cap: int | None = None
) -> Grouping:
    """Group conversations by what they are about (``semantic.conversation_texts``: the
    subject and the customer's latest messages). By meaning, their vectors come from
    ``semantic.conversation_vectors``: stored ones are reused and computed ones are kept
    in memory, so checking the same window again (the TUI's incident banner, at every
    change) costs no model run. ``cap``: at most this many vectors are computed; when
    more are missing, "auto" groups by words instead (the result says which)."""
    texts = semantic.conversation_texts(session, list(ids))
    vectors = None
    if method != "words":
        found = semantic.conversation_vectors(session, list(ids), cap=cap)
        if ids and all(i in found for i in ids):
            import numpy as np

            vectors = np.stack([found[i] for i in ids])
        elif method == "auto" and cap is not None:
            method = "words"
    return group_texts([texts.get(i, "") for i in ids], method=method, vectors=vectors)
