"""``inbox-tui import articles`` of a generated help centre (10,000 Markdown files by
default), end to end as a user runs it: a fresh store, then the same folder again (every
article unchanged), then again with 1 % of the files edited. Each is a separate process
(``python -m inbox_tui --db … import articles DIR --json``), so the time includes start-up,
reading and parsing the files, writing the articles with their full-text index, and the
embeddings the command computes (the static model's for every article, MiniLM's for at
most ``IMPORT_UPGRADE_SECONDS``); the goal is under a minute for 10,000 articles.

**Baseline, measured in the same run on the same files:** the standard library doing the
bare job in a process of its own: read every file, split the front matter with the same
regular expression, take ``key: value`` lines, and insert the rows into a ``sqlite3`` file
with the same ``article`` table, FTS5 table and triggers as our schema, in one
transaction. It parses no YAML, cleans no text and embeds nothing: it is the floor of
reading 10,000 files and indexing their words, not a competitor.

With ``--before CHECKOUT`` another checkout's code (e.g. main) is timed too, alternating
with ours run by run (the machine is shared: only same-minute pairs compare).

    python -m benchmarks.import_articles [--articles 10000] [--runs 2] [--before CHECKOUT]
        [--db postgresql+psycopg://…  (emptied before each run)]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._util import report

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = [
    "Account",
    "Billing",
    "Calendar",
    "Sharing",
    "Security",
    "Mobile",
    "Integrations",
    "Notifications",
    "Privacy",
    "Troubleshooting",
]


def article_lengths() -> list[int]:
    """Body lengths (characters) of real help articles: StackFAQ's answers and the
    DuckDuckGo help centre's articles; a spread of typical lengths when absent."""
    from benchmarks.suggest_accuracy import load_ddg_headings, load_faq

    try:
        lengths = [len(f.answers) for f in load_faq()]
    except OSError:
        lengths = []
    lengths += [len(b) for _, b in load_ddg_headings()[0]]
    return lengths or [300, 800, 1500, 2500, 4000, 6000]


def write_help_centre(folder: Path, n: int, seed: int = 7) -> None:
    """``n`` Markdown articles with YAML front matter under ``folder`` (one sub-folder per
    category), deterministic for a seed: titles from the corpus's questions, bodies of
    corpus sentences whose lengths follow real help articles', with headings, links,
    emphasis and lists as help centres write them."""
    from benchmarks.generate import load_text

    subjects, sentences = load_text()
    lengths = article_lengths()
    rng = random.Random(seed)
    for i in range(n):
        category = CATEGORIES[i % len(CATEGORIES)]
        title = rng.choice(subjects)[:200].replace("\n", " ")
        want, size, lines = rng.choice(lengths), 0, []
        while size < want:
            kind = rng.random()
            if kind < 0.15:
                line = "## " + rng.choice(subjects)[:80].replace("\n", " ")
            elif kind < 0.25:
                line = "\n".join(f"- {rng.choice(sentences)}" for _ in range(rng.randint(2, 4)))
            else:
                words = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
                if rng.random() < 0.3:
                    words += f" See [{category} settings](https://help.example.com/{i}/settings)."
                if rng.random() < 0.2:
                    words = f"**Note:** {words}"
                line = words
            lines.append(line)
            size += len(line) + 2
        front = [
            "---",
            f"title: {json.dumps(title)}",
            f"description: {json.dumps(rng.choice(sentences)[:200])}",
            f"category: {category}",
            f"tags: [{category.lower()}, {rng.choice(['howto', 'faq', 'setup', 'errors'])}]",
            f"url: https://help.example.com/articles/{i}-article",
            f"order: {i}",
            "---",
            "",
        ]
        path = folder / category.lower() / f"article-{i:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(front) + "\n\n".join(lines) + "\n", encoding="utf-8")


def edit_some(folder: Path, every: int = 100) -> dict[Path, str]:
    """Append a sentence to every ``every``-th article (a re-import must update exactly
    those). Returns their original texts, to put back."""
    original = {p: p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.md"))[::every]}
    for p, text in original.items():
        p.write_text(text + "\nEdited for the benchmark.\n", encoding="utf-8")
    return original


# -- the baseline: the standard library doing the bare job ----------------------------

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
_SCHEMA = [
    "CREATE TABLE article (id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, title TEXT NOT "
    "NULL, description TEXT NOT NULL, category TEXT NOT NULL, tags TEXT NOT NULL, url TEXT, "
    "body TEXT NOT NULL, source_path TEXT, updated_at TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE article_fts USING fts5(title, body, content='article', "
    "content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER article_fts_ai AFTER INSERT ON article BEGIN INSERT INTO article_fts(rowid, "
    "title, body) VALUES (new.id, new.title, new.description || ' ' || new.body); END",
]


def baseline(folder: Path, db: Path) -> int:
    """Read, split and insert every article with the standard library (see the module's
    docstring). Returns how many rows."""
    con = sqlite3.connect(db)
    for statement in _SCHEMA:
        con.execute(statement)
    rows = []
    for path in sorted(folder.rglob("*.md")):
        m = _FRONT.match(path.read_text(encoding="utf-8"))
        if not m:
            continue
        meta = dict(line.split(":", 1) for line in m.group(1).splitlines() if ":" in line)
        meta = {k.strip(): v.strip().strip('"') for k, v in meta.items()}
        rows.append(
            (
                meta.get("url", str(path)).rsplit("/", 1)[-1],
                meta.get("title", ""),
                meta.get("description", ""),
                meta.get("category", ""),
                meta.get("tags", ""),
                meta.get("url"),
                m.group(2),
                str(path),
                time.strftime("%Y-%m-%d %H:%M:%S"),
            )
        )
    with con:
        con.executemany(
            "INSERT INTO article (slug, title, description, category, tags, url, body, "
            "source_path, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    con.close()
    return len(rows)


# -- timing ---------------------------------------------------------------------------


def timed_child(cmd: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """(wall s, CPU s of the child and its workers, the child's peak RSS in MiB, stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=os.environ.copy())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        if status:
            raise SystemExit(f"{' '.join(cmd)[-120:]} failed: {err.read().decode()[-800:]}")
        cpu = usage.ru_utime + usage.ru_stime
        return wall, cpu, usage.ru_maxrss // 1024, out.read().decode()


def empty_postgres(url: str) -> None:
    """Drop every table of the database at ``url`` (the import then migrates it afresh)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=2, help="fresh imports per side")
    ap.add_argument("--before", type=Path, help="another checkout to time, alternating")
    ap.add_argument("--db", help="a PostgreSQL URL to import into (emptied before each run)")
    ap.add_argument("--dir", type=Path, help="keep the generated articles here")
    ap.add_argument("--baseline", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.baseline:
        print(baseline(*args.baseline))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        kb = args.dir or t / "kb"
        if not kb.exists() or not any(kb.rglob("*.md")):
            t0 = time.perf_counter()
            write_help_centre(kb, args.articles)
            print(f"generated {args.articles:,} articles in {time.perf_counter() - t0:.1f} s")
        n = sum(1 for _ in kb.rglob("*.md"))
        sides = [("ours", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
        results: dict[str, list[tuple[float, float, int]]] = {s: [] for s, _ in sides}
        bases: list[float] = []
        for r in range(args.runs):
            for side, cwd in sides if r % 2 == 0 else sides[::-1]:
                db_file = t / f"{side}-{r}.db"
                url = args.db or f"sqlite:///{db_file}"
                if args.db:
                    empty_postgres(args.db)
                cmd = [sys.executable, "-m", "inbox_tui", "--db", url, "import", "articles"]
                wall, cpu, peak, out = timed_child([*cmd, str(kb), "--json"], cwd)
                counts = json.loads(out.strip().splitlines()[-1])
                assert counts["added"] == n, counts
                results[side].append((wall, cpu, peak))
                print(
                    f"  {side}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak {peak} MiB, "
                    f"{counts} (load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
                bw, bcpu, _, _ = timed_child(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.import_articles",
                        "--baseline",
                        str(kb),
                        str(t / f"base-{side}-{r}.db"),
                    ],
                    ROOT,
                )
                bases.append(bw)
                print(f"  baseline (stdlib read + sqlite3 FTS5): {bw:.1f} s wall, {bcpu:.1f} s CPU")
                if r == 0:  # the re-imports, once per side: unchanged, then 1 % edited
                    wall2, cpu2, _, out = timed_child([*cmd, str(kb), "--json"], cwd)
                    again = json.loads(out.strip().splitlines()[-1])
                    assert again["unchanged"] == n, again
                    print(f"  {side} re-import, nothing changed: {wall2:.1f} s, {cpu2:.1f} s CPU")
                    original = edit_some(kb)
                    wall3, cpu3, _, out = timed_child([*cmd, str(kb), "--json"], cwd)
                    for p, text in original.items():
                        p.write_text(text, encoding="utf-8")
                    edited = json.loads(out.strip().splitlines()[-1])
                    assert edited["updated"] == len(original), edited
                    assert edited["unchanged"] == n - len(original), edited
                    print(
                        f"  {side} re-import, {len(original)} edited: {wall3:.1f} s, "
                        f"{cpu3:.1f} s CPU, {edited}"
                    )
        for side, rows in results.items():
            walls = [w for w, _, _ in rows]
            report(
                f"import articles, {n:,} Markdown files into a fresh "
                f"{'PostgreSQL' if args.db else 'SQLite'} store, {side} (median of {len(rows)})",
                statistics.median(walls),
                statistics.median(bases),
                "stdlib read + sqlite3 FTS5 insert",
                note=f"CPU {statistics.median(c for _, c, _ in rows):.1f} s, peak "
                f"{max(p for *_, p in rows)} MiB, load {os.getloadavg()[0]:.1f}",
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
