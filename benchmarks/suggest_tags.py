"""Tag-suggestion accuracy on real GitHub issues labelled bug / feature / question
(../shared/corpora/labels/nlbse_issues_train.csv).

A deterministic 80/20 split; the product's classifier (``services.suggest.TagModel``,
multinomial naive Bayes over title + body) is trained on the 80% and scored on the rest,
against a majority-class baseline and a keyword baseline in the same run.

    python -m benchmarks.suggest_tags
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from collections import Counter

from benchmarks.generate import CORPORA

KEYWORDS = {
    "bug": re.compile(
        r"\b(error|crash|fail|fails|failed|exception|broken|bug|wrong|traceback|doesn'?t work|not working)\b",
        re.I,
    ),
    "feature": re.compile(
        r"\b(add|support|feature|request|allow|option|would be nice|enhancement|implement)\b", re.I
    ),
    "question": re.compile(r"(\?|\bhow\b|\bwhat\b|\bwhy\b|\bis it possible\b|\bquestion\b)", re.I),
}


def load() -> list[tuple[str, str]]:
    csv.field_size_limit(10_000_000)
    with (CORPORA / "labels" / "nlbse_issues_train.csv").open(
        encoding="utf-8", errors="replace"
    ) as fh:
        return [(f"{r['title']} {r['body'][:2000]}", r["label"]) for r in csv.DictReader(fh)]


def macro_f1(pairs: list[tuple[str, str]], labels: list[str]) -> float:
    f1s = []
    for lab in labels:
        tp = sum(1 for want, got in pairs if want == lab and got == lab)
        fp = sum(1 for want, got in pairs if want != lab and got == lab)
        fn = sum(1 for want, got in pairs if want == lab and got != lab)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(f1s) / len(f1s)


def keyword(text: str) -> str:
    hits = {lab: len(rx.findall(text)) for lab, rx in KEYWORDS.items()}
    return max(hits, key=lambda k: (hits[k], k == "bug"))


def evaluate(limit: int | None = None) -> dict[str, dict[str, float]]:
    from inbox_tui.services.suggest import TagModel

    rows = load()
    random.Random(42).shuffle(rows)
    if limit:
        rows = rows[:limit]
    cut = int(len(rows) * 0.8)
    train, test = rows[:cut], rows[cut:]
    labels = sorted({lab for _, lab in rows})
    model = TagModel()
    for text, lab in train:
        model.add(text, [lab])
    majority = Counter(lab for _, lab in train).most_common(1)[0][0]
    out = {}
    for name, predict in {
        "majority class": lambda t: majority,
        "keywords": keyword,
        "naive Bayes (product)": lambda t: model.predict(t, 1)[0][0],
    }.items():
        pairs = [(lab, predict(text)) for text, lab in test]
        acc = sum(1 for a, b in pairs if a == b) / len(pairs)
        out[name] = {
            "test": len(pairs),
            "accuracy": round(acc, 3),
            "macro_f1": round(macro_f1(pairs, labels), 3),
        }
    return out


def main() -> int:
    results = evaluate()
    for name, r in results.items():
        print(
            f"{name:<22} accuracy {r['accuracy']:.3f}  macro-F1 {r['macro_f1']:.3f}  ({r['test']} test issues)"
        )
    print(json.dumps(results), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
