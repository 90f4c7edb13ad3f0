"""Incident detection on simulated inboxes built from StackFAQ's real user queries
(../shared/corpora/faq/stackfaq.xml).

Each trial builds a store with five Monday mornings (09:00-12:00, this week and four
before): every morning brings ``BACKGROUND`` conversations asking random FAQs, plus
``RECURRING`` paraphrases of one FAQ that is asked every Monday (it must not be raised);
this Monday also brings ``BURST`` paraphrases of a FAQ never asked before (the incident).
``services.incidents.detect`` runs at noon. Reported over the trials:

- detected: trials where a burst's members are mostly the incident's FAQ;
- false bursts per trial: bursts that are mostly something else (the recurring FAQ, or
  background that happened to coincide);
- member precision / recall: of the detected burst, the share of its conversations that
  are the incident, and the share of the incident's conversations it holds.

    python -m benchmarks.incident_detection [--trials 20]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.suggest_accuracy import load_faq

NOW = datetime(2026, 3, 30, 12, tzinfo=UTC)
BACKGROUND, RECURRING, BURST, WEEKS = 15, 3, 5, 4


def build(s: Any, rng: random.Random, faqs: list[Any]) -> dict[int, int]:
    """The five mornings; returns the FAQ index of every conversation."""
    from inbox_tui.incoming import IncomingMessage
    from inbox_tui.ingest import Ingestor

    burst, recurring = rng.sample(range(len(faqs)), 2)
    others = [i for i in range(len(faqs)) if i not in (burst, recurring)]
    label: dict[int, int] = {}
    n = 0
    for week in range(WEEKS + 1):
        end = NOW - timedelta(weeks=week)
        asked = [rng.choice(others) for _ in range(BACKGROUND)] + [recurring] * RECURRING
        if week == 0:
            asked += [burst] * BURST
        queries = {f: rng.sample(faqs[f].queries, len(faqs[f].queries)) for f in set(asked)}
        for f in asked:
            n += 1
            q = queries[f].pop() if queries[f] else rng.choice(faqs[f].queries)
            when = end - timedelta(minutes=rng.randrange(1, 180))
            conv = Ingestor(s).add(
                IncomingMessage(
                    source="bench",
                    external_id=str(n),
                    message_id=f"<{n}@bench.example>",
                    subject=q[:200],
                    author_email=f"c{n}@bench.example",
                    author_name=f"Customer {n}",
                    sent_at=when,
                    body=q,
                )
            )
            label[conv.conversation_id] = f
    label[-1] = burst
    return label


def trial(seed: int, faqs: list[Any], method: str, tmp: Path) -> dict[str, float]:
    from inbox_tui.services import incidents
    from inbox_tui.store import Store, sqlite_url

    store = Store(sqlite_url(tmp / f"t{seed}-{method}.db"))
    label = store.run(build, random.Random(seed), faqs)
    burst = label.pop(-1)
    with store.read() as s:
        found = incidents.detect(s, now=NOW, method=method)
    store.close()
    out = {"detected": 0.0, "false": 0.0, "precision": 0.0, "recall": 0.0}
    for b in found:
        top, _ = Counter(label[c] for c in b.conversations).most_common(1)[0]
        if top == burst and not out["detected"]:
            hits = sum(1 for c in b.conversations if label[c] == burst)
            out.update(detected=1.0, precision=hits / b.count, recall=hits / BURST)
        else:
            out["false"] += 1
    return out


def evaluate(trials: int) -> dict[str, dict[str, float]]:
    from inbox_tui.services import embeddings

    faqs = [f for f in load_faq() if len(f.queries) >= BURST]
    methods = ["words"] + (["meaning"] if embeddings.encoder() is not None else [])
    results = {}
    with tempfile.TemporaryDirectory() as d:
        for method in methods:
            runs = [trial(seed, faqs, method, Path(d)) for seed in range(trials)]
            detected = [r for r in runs if r["detected"]]
            results[method] = {
                "trials": trials,
                "detected": round(len(detected) / trials, 3),
                "false_bursts_per_trial": round(sum(r["false"] for r in runs) / trials, 3),
                "member_precision": round(
                    sum(r["precision"] for r in detected) / max(1, len(detected)), 3
                ),
                "member_recall": round(
                    sum(r["recall"] for r in detected) / max(1, len(detected)), 3
                ),
            }
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=20)
    results = evaluate(p.parse_args(argv).trials)
    for name, r in results.items():
        print(
            f"{name:<8} detected {r['detected']:.0%} of {r['trials']} incidents, "
            f"{r['false_bursts_per_trial']} false bursts per trial, members: precision "
            f"{r['member_precision']}, recall {r['member_recall']}"
        )
    json.dump(results, sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
