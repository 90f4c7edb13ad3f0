"""Article-suggestion accuracy on StackFAQ (../shared/corpora/faq/stackfaq.xml).

The 125 FAQ threads become articles (title = question, body = answers); each of the
~1,250 paraphrased user queries should rank its own thread first. Reports top-1, top-3
and MRR for full-text search alone (bm25), rapidfuzz alone, and the blend the product
uses, all measured in the same run on the same store.

    python -m benchmarks.suggest_accuracy [--limit N] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import CORPORA


@dataclass
class Faq:
    question: str
    answers: str
    queries: list[str]


def load_faq(path: Path = CORPORA / "faq" / "stackfaq.xml") -> list[Faq]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    out = []
    for block in re.findall(r"<qapair>(.*?)</qapair>", raw, re.S):
        q = html.unescape(re.search(r"<question>\s*(.*?)\s*</question>", block, re.S).group(1))  # type: ignore[union-attr]
        answers = " ".join(
            html.unescape(a.strip()) for a in re.findall(r"<answer>(.*?)</answer>", block, re.S)
        )
        queries = [
            html.unescape(r.strip()) for r in re.findall(r"<rephr>(.*?)</rephr>", block, re.S)
        ]
        out.append(Faq(q.strip(), answers, [x for x in queries if x and x != "*"]))
    return out


def evaluate(db_url: str | None = None, limit: int | None = None) -> dict[str, dict[str, float]]:
    from inbox_tui.models import Article
    from inbox_tui.services.suggest import W_FTS, W_FUZZ, rank
    from inbox_tui.store import Store, sqlite_url

    faqs = load_faq()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(db_url or sqlite_url(Path(tmp) / "faq.db"))

        def load(s):  # type: ignore[no-untyped-def]
            ids = []
            for i, f in enumerate(faqs):
                a = Article(slug=f"faq-{i}", title=f.question, body=f.answers)
                s.add(a)
                s.flush()
                ids.append(a.id)
            return ids

        ids = store.run(load)
        methods = {
            "bm25 only": (1.0, 0.0),
            "rapidfuzz only": (0.0, 1.0),
            "blend (product)": (W_FTS, W_FUZZ),
        }
        results: dict[str, dict[str, float]] = {}
        queries = [(ids[i], q) for i, f in enumerate(faqs) for q in f.queries]
        if limit:
            queries = queries[:limit]
        with store.read() as s:
            for name, (wf, wz) in methods.items():
                top1 = top3 = rr = 0.0
                for want, q in queries:
                    got = [aid for aid, _, _ in rank(s, q, 10, fts_weight=wf, fuzz_weight=wz)]
                    if got[:1] == [want]:
                        top1 += 1
                    if want in got[:3]:
                        top3 += 1
                    if want in got:
                        rr += 1 / (got.index(want) + 1)
                n = len(queries)
                results[name] = {
                    "queries": n,
                    "top1": round(top1 / n, 3),
                    "top3": round(top3 / n, 3),
                    "mrr": round(rr / n, 3),
                }
        store.close()
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, help="only the first N queries (smoke run)")
    p.add_argument("--db", help="a database URL (default: a temporary SQLite file)")
    args = p.parse_args(argv)
    results = evaluate(args.db, args.limit)
    for name, r in results.items():
        print(
            f"{name:<18} top-1 {r['top1']:.3f}  top-3 {r['top3']:.3f}  MRR {r['mrr']:.3f}  ({r['queries']} queries)"
        )
    print(json.dumps(results), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
