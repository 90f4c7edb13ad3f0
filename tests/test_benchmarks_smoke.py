"""Tiny runs of the benchmark scripts so they do not rot (no timing is asserted)."""

import re

import pytest

from benchmarks import (
    chat_split,
    cluster_accuracy,
    incident_detection,
    stats_report,
    suggest_accuracy,
    suggest_tags,
)
from benchmarks.generate import generate
from inbox_tui.store import sqlite_url
from tests.conftest import corpus


@pytest.mark.semantic
def test_suggest_accuracy_smoke():
    corpus("faq")
    r = suggest_accuracy.evaluate(limit=30)
    from inbox_tui.services.suggest import W_WORDS

    assert {
        "bm25 only",
        "rapidfuzz only",
        "words: bm25 + rapidfuzz (product without model)",
        "embeddings only",
        f"hybrid (product, words weight {W_WORDS})",
        "reciprocal-rank fusion k=60 (not used)",
    } <= set(r)
    # Reported on the held-out half only: 15 of the 30 queries.
    assert all(v["queries"] == 15 for k, v in r.items() if not k.startswith("_"))


def test_suggest_tags_smoke():
    corpus("labels")
    r = suggest_tags.evaluate(limit=200)
    assert r["naive Bayes (product without model)"]["test"] == 40


def test_chat_split_smoke():
    corpus("chat", "irc-ubuntu")
    r = chat_split.evaluate()
    assert r["product splitter"]["pair_f1"] > r["5-minute gaps"]["pair_f1"]


def test_stats_report_smoke(tmp_path, capsys):
    url = sqlite_url(tmp_path / "g.db")
    generate(url, conversations=30, messages=120, quiet=True)
    assert stats_report.main(["--db", url, "--days", "800"]) == 0
    assert "ratio" in capsys.readouterr().out


def test_import_and_search_smoke(tmp_path, capsys):
    from benchmarks import import_and_search
    from benchmarks.generate import write_maildir

    db = tmp_path / "g.db"
    generate(sqlite_url(db), conversations=20, messages=60, quiet=True)
    write_maildir(tmp_path / "md", 5)
    args = [
        "--maildir",
        str(tmp_path / "md"),
        "--db",
        str(db),
        "--notmuch-dir",
        str(tmp_path / "nm"),
    ]
    assert import_and_search.main(args) == 0
    out = capsys.readouterr().out
    assert "exported 60 messages" in out and "notmuch search, last word as prefix" in out
    assert len(list((tmp_path / "nm" / "cur").iterdir())) == 60


def test_tui_memory_smoke(tmp_path, capsys):
    from benchmarks import tui_memory

    url = sqlite_url(tmp_path / "g.db")
    generate(url, conversations=40, messages=120, quiet=True)
    assert tui_memory.main(["--db", url]) == 0
    out = capsys.readouterr().out
    assert "40 conversations scrolled end to end" in out and "ratio" in out


def test_tui_latency_smoke(tmp_path, capsys):
    from benchmarks import tui_latency

    url = sqlite_url(tmp_path / "g.db")
    generate(url, conversations=40, messages=120, quiet=True)
    assert tui_latency.main(["--db", url, "--rounds", "1", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "start to first frame" in out and "start to first page" in out
    assert re.search(r"open a thread \(\d+ messages\) p95", out)


def test_import_attachments_smoke(capsys):
    from benchmarks import import_attachments

    assert import_attachments.main(["--messages", "12", "--unique-kb", "2", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "with 16 attachments" in out and "store growth" in out


@pytest.mark.semantic
def test_suggest_semantic_speed_smoke(capsys):
    from benchmarks import suggest_semantic_speed

    corpus("faq")
    assert (
        suggest_semantic_speed.main(["--articles", "30", "--sample", "4", "--first-index", "20"])
        == 0
    )
    out = capsys.readouterr().out
    assert "p95" in out
    assert "first index by the static model: 20 articles" in out


def test_cluster_accuracy_smoke():
    corpus("faq")
    r = cluster_accuracy.evaluate()
    assert set(r) == {
        "words",
        "rapidfuzz token_set_ratio (baseline)",
        "rapidfuzz token_sort_ratio (baseline)",
    }
    assert r["words"]["texts"] == 619


def test_incident_detection_smoke():
    corpus("faq")
    r = incident_detection.evaluate(trials=1)
    assert set(r) == {"words"} and r["words"]["trials"] == 1


def test_import_vs_notmuch_smoke(tmp_path, capsys):
    from benchmarks import import_vs_notmuch
    from benchmarks.generate import write_maildir

    write_maildir(tmp_path / "md", 8)
    assert import_vs_notmuch.main(["--maildir", str(tmp_path / "md"), "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "import 8 messages as a Maildir" in out and "notmuch new" in out


def test_imap_sync_smoke(tmp_path, capsys):
    from benchmarks import imap_sync
    from benchmarks.generate import write_maildir

    write_maildir(tmp_path / "md", 8)
    assert imap_sync.main(["--maildir", str(tmp_path / "md"), "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "initial IMAP sync of 8 messages" in out and "peak memory" in out


def test_growth_smoke(tmp_path, capsys):
    from benchmarks import growth
    from benchmarks.generate import write_maildir

    url = sqlite_url(tmp_path / "g.db")
    generate(url, conversations=40, messages=200, quiet=True)
    write_maildir(tmp_path / "md", 6)
    assert growth.main(["--store", f"tiny={url}", "--maildir", str(tmp_path / "md")]) == 0
    out = capsys.readouterr().out
    assert "growth tiny: search_p95_ms" in out and "| tiny | 200.0 |" in out
    assert re.search(r"\| tiny \|.*\| [1-9][\d,.]* \|$", out.strip().splitlines()[-1])


@pytest.mark.semantic
def test_import_articles_smoke(tmp_path, capsys):
    from benchmarks import import_articles

    corpus("faq")
    argv = ["--articles", "12", "--runs", "1", "--dir", str(tmp_path / "kb")]
    assert import_articles.main(argv) == 0
    out = capsys.readouterr().out
    assert "re-import, nothing changed" in out and "re-import, 1 edited" in out
    assert "import articles, 12 Markdown files" in out and "stdlib read + sqlite3 FTS5" in out
