"""Grouping texts by similarity (services/clusters.py): hand-written cases whose right
answer is plain, the star rule that keeps a chain of small changes from becoming one
group, and the measured precision on StackFAQ's labelled paraphrases (skipped when
../shared/corpora is absent)."""

import pytest

from benchmarks.cluster_accuracy import halves, pairwise
from inbox_tui.services import clusters

# Three customers locked out after a password reset, two whose invoice PDF is empty,
# one unrelated question.
TEXTS = [
    "Cannot log in after password reset",
    "Password reset link logs me out, cannot log in",
    "After resetting my password I cannot log in anymore",
    "Invoice PDF is empty",
    "The invoice PDF I downloaded is empty",
    "Do you ship to Norway?",
]


def test_words_group_the_same_problem_and_nothing_else() -> None:
    grouping = clusters.group_texts(TEXTS, method="words")
    assert grouping.method == "words"
    assert grouping.groups == [[0, 1, 2], [3, 4], [5]]


def test_auto_falls_back_to_words_when_the_model_is_off() -> None:
    # The test session runs with the model switched off (conftest).
    assert clusters.group_texts(TEXTS).method == "words"


def test_meaning_is_refused_without_the_model() -> None:
    with pytest.raises(ValueError):
        clusters.group_texts(TEXTS, method="meaning")


def test_star_groups_do_not_chain() -> None:
    # a~b, b~c, c~d but a and d have nothing in common: single-link would make one
    # group; the star rule takes the best-connected centre (b: a and c) and its
    # neighbours, and d stays apart.
    neighbours = [{1}, {0, 2}, {1, 3}, {2}]
    assert clusters.star_groups(neighbours) == [[0, 1, 2], [3]]


def test_every_text_is_in_exactly_one_group() -> None:
    texts = TEXTS * 3 + ["", "   ", "???"]
    groups = clusters.group_texts(texts, method="words").groups
    flat = sorted(i for g in groups for i in g)
    assert flat == list(range(len(texts)))
    # Texts with no content word are never grouped with anything.
    assert [len(texts) - 3] in groups and [len(texts) - 1] in groups


def test_too_many_texts_is_refused() -> None:
    with pytest.raises(ValueError):
        clusters.group_texts(["x"] * (clusters.MAX_TEXTS + 1), method="words")


def test_words_precision_on_stackfaq() -> None:
    from tests.conftest import corpus

    corpus("faq", "stackfaq.xml")
    _, (texts, labels) = halves()
    result = pairwise(clusters.group_texts(texts, method="words").groups, labels)
    # Measured 0.762 precision, 0.353 recall on the held-out half (benchmarks/cluster_accuracy).
    assert result["precision"] >= 0.7
    assert result["recall"] >= 0.3


@pytest.mark.semantic
def test_meaning_precision_on_stackfaq() -> None:
    from inbox_tui.services import embeddings
    from tests.conftest import corpus

    corpus("faq", "stackfaq.xml")
    if embeddings.encoder() is None:
        pytest.skip("the embedding model is not installed")
    _, (texts, labels) = halves()
    grouping = clusters.group_texts(texts)
    assert grouping.method == "meaning"
    result = pairwise(grouping.groups, labels)
    # Measured 0.803 precision, 0.798 recall on the held-out half.
    assert result["precision"] >= 0.75
    assert result["recall"] >= 0.75


@pytest.mark.semantic
def test_conversations_fall_back_to_words_beyond_the_embedding_cap(sqlite_store):
    from datetime import UTC, datetime

    from inbox_tui.services import embeddings
    from tests.test_incidents import new_conversation

    if embeddings.encoder() is None:
        pytest.skip("the embedding model is not installed")
    when = datetime(2026, 3, 2, 9, tzinfo=UTC)
    ids = sqlite_store.run(lambda s: [new_conversation(s, t, when) for t in TEXTS])
    with sqlite_store.read() as s:
        capped = clusters.group_conversations(s, ids, cap=2)
        assert capped.method == "words"
        assert [[ids[i] for i in g] for g in capped.groups][:2] == [ids[0:3], ids[3:5]]
        assert clusters.group_conversations(s, ids).method == "meaning"
        # Now computed and kept in memory: the cap is no longer in the way.
        assert clusters.group_conversations(s, ids, cap=2).method == "meaning"
