"""How well does the chat splitter find conversations? Scored on the annotated #ubuntu
IRC logs (../shared/corpora/chat/irc-ubuntu, Kummerfeld et al.): each ``.annotation.txt``
line ``a b -`` links line a to line b (a self-link starts a conversation).

Reported over the annotated message lines, against two baselines in the same run (the
whole channel as one conversation; a new conversation after every 5-minute silence):
- link recall: share of annotated reply links whose two lines land in one conversation;
- kept apart: share of pairs of lines from different true conversations (within 50
  lines of each other) that we keep in different conversations;
- pairwise F1: precision and recall over all same-conversation pairs.

    python -m benchmarks.chat_split
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from itertools import combinations
from pathlib import Path

from benchmarks.generate import CORPORA
from inbox_tui.sources.chat import ChatLine, irc
from inbox_tui.sources.chat.split import split

WINDOW = 50


def gold(path: Path) -> tuple[list[tuple[int, int]], dict[int, int]]:
    links = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            links.append((int(parts[0]), int(parts[1])))
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    return links, {x: find(x) for x in list(parent)}


def by_gap(lines: list[ChatLine], minutes: int = 5) -> list[str]:
    keys, current, last = [], "", None
    for ln in lines:
        if last is None or ln.at - last > timedelta(minutes=minutes):
            current = ln.external_id
        keys.append(current)
        last = ln.at
    return keys


def score(
    pred: dict[int, str], links: list[tuple[int, int]], clusters: dict[int, int]
) -> dict[str, float]:
    lines = sorted(x for x in clusters if x in pred)
    linked = [(a, b) for a, b in links if a != b and a in pred and b in pred]
    recall_links = sum(pred[a] == pred[b] for a, b in linked) / max(1, len(linked))
    apart_total = apart_ok = 0
    tp = fp = fn = 0
    for a, b in combinations(lines, 2):
        same_gold = clusters[a] == clusters[b]
        same_pred = pred[a] == pred[b]
        tp += same_gold and same_pred
        fp += (not same_gold) and same_pred
        fn += same_gold and not same_pred
        if not same_gold and abs(a - b) <= WINDOW:
            apart_total += 1
            apart_ok += not same_pred
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return {
        "link_recall": recall_links,
        "kept_apart": apart_ok / max(1, apart_total),
        "pair_precision": p,
        "pair_recall": r,
        "pair_f1": 2 * p * r / max(1e-9, p + r),
    }


def evaluate() -> dict[str, dict[str, float]]:
    totals: dict[str, list[dict[str, float]]] = {
        "one conversation": [],
        "5-minute gaps": [],
        "product splitter": [],
    }
    for ann in sorted((CORPORA / "chat" / "irc-ubuntu").glob("*.annotation.txt")):
        raw = ann.with_name(ann.name.replace(".annotation.txt", ".raw.txt"))
        lines = [x for x in irc.parse(raw) if isinstance(x, ChatLine)]
        links, clusters = gold(ann)
        methods = {
            "one conversation": ["all"] * len(lines),
            "5-minute gaps": by_gap(lines),
            "product splitter": split(lines),
        }
        for name, keys in methods.items():
            pred = {ln.line_no: k for ln, k in zip(lines, keys, strict=True)}
            totals[name].append(score(pred, links, clusters))
    return {
        name: {k: round(sum(r[k] for r in rs) / len(rs), 3) for k in rs[0]}
        for name, rs in totals.items()
    }


def main() -> int:
    results = evaluate()
    for name, r in results.items():
        print(
            f"{name:<18} link recall {r['link_recall']:.3f}  kept apart {r['kept_apart']:.3f}  pair P {r['pair_precision']:.3f} R {r['pair_recall']:.3f} F1 {r['pair_f1']:.3f}"
        )
    print(json.dumps(results), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
