"""Grouping accuracy on StackFAQ's labelled paraphrases (../shared/corpora/faq/stackfaq.xml).

Each FAQ thread has about ten user queries that ask the same thing in other words: the
right grouping puts a thread's queries together and nothing else with them. The threads
are split in two (every other thread): each method's threshold is chosen on the dev half
(best pairwise F0.5: precision counts twice as much as recall, since a group that mixes
two problems raises a false incident) and every number printed is on the held-out half.

Pairwise precision: of the pairs of queries put in one group, the share asking the same
FAQ (what an incident banner needs: a group is one problem). Pairwise recall: of the
pairs asking the same FAQ, the share grouped together.

    python -m benchmarks.cluster_accuracy
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import combinations

from benchmarks.suggest_accuracy import load_faq

WORDS_GRID = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55)
FUZZ_GRID = (0.5, 0.6, 0.7, 0.8, 0.9)
MEANING_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


def pairwise(groups: list[list[int]], labels: list[int]) -> dict[str, float]:
    grouped = {(a, b) for g in groups for a, b in combinations(sorted(g), 2)}
    same = {(a, b) for a, b in combinations(range(len(labels)), 2) if labels[a] == labels[b]}
    tp = len(grouped & same)
    precision = tp / len(grouped) if grouped else 1.0
    recall = tp / len(same) if same else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    f05 = 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "f0.5": round(f05, 3),
        "groups": len(groups),
        "groups_of_3_plus": sum(1 for g in groups if len(g) >= 3),
    }


def halves() -> tuple[tuple[list[str], list[int]], tuple[list[str], list[int]]]:
    dev: tuple[list[str], list[int]] = ([], [])
    test: tuple[list[str], list[int]] = ([], [])
    for i, faq in enumerate(load_faq()):
        part = dev if i % 2 == 0 else test
        for q in faq.queries:
            part[0].append(q)
            part[1].append(i)
    return dev, test


def fuzz_groups(texts: list[str], threshold: float, scorer_name: str) -> list[list[int]]:
    """Baseline: the same star grouping over a rapidfuzz ratio of the content words."""
    from rapidfuzz import fuzz, process

    from inbox_tui.services.clusters import star_groups
    from inbox_tui.services.suggest import words

    scorer = getattr(fuzz, scorer_name)
    keys = [" ".join(words(t)) for t in texts]
    neighbours: list[set[int]] = [set() for _ in keys]
    for i, key in enumerate(keys):
        if key:
            for _, _, j in process.extract(
                key, keys[i + 1 :], scorer=scorer, score_cutoff=threshold * 100, limit=None
            ):
                neighbours[i].add(i + 1 + j)
                neighbours[i + 1 + j].add(i)
    return star_groups(neighbours)


def evaluate() -> dict[str, dict[str, object]]:
    from inbox_tui.services import clusters, embeddings

    (dev_t, dev_l), (test_t, test_l) = halves()
    results: dict[str, dict[str, object]] = {}
    methods = [("words", WORDS_GRID)]
    vectors: dict[str, object] = {}
    if embeddings.encoder() is not None:
        methods.append(("meaning", MEANING_GRID))
        vectors = {"dev": embeddings.encode(dev_t), "test": embeddings.encode(test_t)}
    for method, grid in methods:
        best = max(
            grid,
            key=lambda t: pairwise(
                clusters.group_texts(
                    dev_t, method=method, threshold=t, vectors=vectors.get("dev")
                ).groups,
                dev_l,
            )["f0.5"],
        )
        start = time.perf_counter()
        grouping = clusters.group_texts(
            test_t, method=method, threshold=best, vectors=vectors.get("test")
        )
        ms = (time.perf_counter() - start) * 1000
        results[method] = {
            **pairwise(grouping.groups, test_l),
            "threshold": best,
            "ms": round(ms),
            "texts": len(test_t),
            "faqs": len(set(test_l)),
        }
    for scorer in ("token_set_ratio", "token_sort_ratio"):
        best = max(FUZZ_GRID, key=lambda t: pairwise(fuzz_groups(dev_t, t, scorer), dev_l)["f0.5"])
        start = time.perf_counter()
        groups = fuzz_groups(test_t, best, scorer)
        ms = (time.perf_counter() - start) * 1000
        results[f"rapidfuzz {scorer} (baseline)"] = {
            **pairwise(groups, test_l),
            "threshold": best,
            "ms": round(ms),
            "texts": len(test_t),
            "faqs": len(set(test_l)),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    results = evaluate()
    for name, r in results.items():
        print(
            f"{name:<36} threshold {r['threshold']}: precision {r['precision']}  recall "
            f"{r['recall']}  F1 {r['f1']}  F0.5 {r['f0.5']}  {r['groups']} groups ({r['groups_of_3_plus']} of 3+) "
            f"for {r['texts']} queries of {r['faqs']} FAQs, {r['ms']} ms"
        )
    json.dump(results, sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
