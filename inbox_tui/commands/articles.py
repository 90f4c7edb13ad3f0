"""``inbox-tui import articles PATH`` and ``inbox-tui suggest``."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_tui.commands import import_group
from inbox_tui.errors import UserError
from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.context import Context

# Seconds `import articles` spends on MiniLM's vectors itself (a few changed articles
# are done at once; a large import leaves the rest to the TUI's background catch-up, and
# a large new help centre, searched by its static vectors until MiniLM's cover it, all
# of them after one article showed the model cannot finish in time: semantic.catch_up).
IMPORT_UPGRADE_SECONDS = 10.0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = import_group(sub).add_parser(
        "articles",
        help="load a help centre (Markdown with YAML front matter)",
        description="Loads Markdown help articles with YAML front matter (title, description, category, tags, url or slug). "
        "Re-importing updates changed articles and keeps their ids. Files with problems are listed; the rest are imported.",
    )
    p.add_argument("path", type=Path, metavar="PATH")
    p.add_argument(
        "--json", action="store_true", help='print {"added", "updated", "unchanged", "problems"}'
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="build the fast static model if this machine has none yet (about a minute, "
        "once) and compute the language model's vectors of every article now (minutes for "
        "thousands), instead of leaving those not done within "
        f"{IMPORT_UPGRADE_SECONDS:.0f} s to the TUI's background catch-up",
    )
    p.set_defaults(func=run_import)

    s = sub.add_parser(
        "suggest",
        help="suggest help articles for a text or a conversation",
        description="Ranks help articles: full-text search for candidates, then fuzzy re-ranking that forgives typos, fused with a ranking by meaning when the optional model is installed (inbox-tui[semantic]).",
    )
    s.add_argument("conversation", nargs="?", type=int, metavar="CONVERSATION_ID")
    s.add_argument("--text", help="suggest for this text instead of a conversation")
    s.add_argument("--limit", type=int, default=5)
    s.add_argument(
        "--tags",
        action="store_true",
        help="suggest tags (for the conversation or the --text) instead of articles",
    )
    s.add_argument("--json", action="store_true", help='print [{"id", "title", "score", "slug"}]')
    s.set_defaults(func=run_suggest)


def run_import(ctx: Context) -> int:
    from inbox_tui.services import embeddings, static_embeddings
    from inbox_tui.services.articles import import_articles, read_articles
    from inbox_tui.services.semantic import catch_up

    # The static table loads while the files are read.
    threading.Thread(target=_load_models, daemon=True, name="model-load").start()
    files, problems = read_articles(ctx.args.path)
    counts = ctx.store.run(import_articles, files)
    # Their embeddings after the import, in short transactions of their own: the import
    # stands even if this fails or is interrupted, and the next one (or the TUI) catches up.
    # Every article gets the static model's vectors at once; MiniLM's (~40 ms of CPU per
    # chunk) for IMPORT_UPGRADE_SECONDS here, the rest in the TUI's background.
    report: dict[str, int] = {}
    counts["embedded"] = catch_up(
        ctx.store,
        8,  # articles per batch (~1-2 s of CPU): the time budget is checked between them
        conversations=False,
        upgrade_seconds=None if ctx.args.wait else IMPORT_UPGRADE_SECONDS,
        report=report,
        # The static table (~40 s of CPU, once per machine: `make` builds it at install)
        # is not distilled on a first import's behalf: the TUI does it in its background.
        build_static=ctx.args.wait,
    )
    counts["upgrade_pending"] = report.get("left", 0)
    table = static_embeddings.available()
    counts["static_table"] = int(table)
    no_table = embeddings.installed() and not table and counts["upgrade_pending"]
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    sys.stderr.flush()
    if ctx.args.json:
        print(json.dumps({**counts, "problems": len(problems)}))
    else:
        print(
            f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged; {count(len(problems), 'file')} skipped (listed above)."
        )
        if no_table:
            print(static_embeddings.problem() or NO_TABLE)
        elif counts["upgrade_pending"]:
            print(
                f"{count(counts['upgrade_pending'], 'article')} ranked by the fast static "
                "model until the TUI computes the language model's vectors in the "
                "background (or run this again with --wait)."
            )
    return 0


NO_TABLE = (
    "Suggestions rank by words until the fast static model is built: the TUI builds it "
    "in the background (once on this machine, about a minute), or run this again with --wait."
)


def _load_models() -> None:
    from inbox_tui.services import static_embeddings

    # MiniLM loads when the import has work for it (not for a large new help centre)
    static_embeddings.encoder(build=False)  # a table not built yet: the TUI builds it


def run_suggest(ctx: Context) -> int:
    from inbox_tui.services.suggest import (
        suggest_articles,
        suggest_for_text,
        suggest_tags,
        suggest_tags_for_text,
    )

    args = ctx.args
    if args.conversation is None and args.text is not None and not args.text.strip():
        raise UserError(
            '--text is empty: give the words to suggest for, e.g. --text "card declined".'
        )
    if args.conversation is None and not args.text:
        raise UserError("Give a conversation id or --text.")
    with ctx.store.read() as session:
        if args.tags:
            tags = (
                suggest_tags_for_text(session, args.text, args.limit)
                if args.text
                else suggest_tags(session, args.conversation, args.limit)
            )
            if args.json:
                print(
                    json.dumps(
                        [
                            {"tag": t.name, "score": round(t.score, 4), "reason": t.reason}
                            for t in tags
                        ]
                    )
                )
            else:
                for t in tags:
                    print(f"{t.score:.2f}  {t.name}  ({t.reason})")
            return 0
        found = (
            suggest_for_text(session, args.text, args.limit)
            if args.text
            else suggest_articles(session, args.conversation, args.limit)
        )
    if args.json:
        print(json.dumps([f.as_dict() for f in found]))
        return 0
    if not found:
        print("No matching articles.")
    for f in found:
        print(f"{f.score:.2f}  {f.title}  [{f.slug}]  {f.reason}")
    return 0
