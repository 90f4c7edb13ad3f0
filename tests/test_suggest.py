"""Help-centre import and suggestions, on SQLite and PostgreSQL, with the real
DuckDuckGo help centre."""

import shutil
from dataclasses import replace
from pathlib import Path

from sqlmodel import select

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor, pipeline
from inbox_tui.models import Article, TagKind, utcnow
from inbox_tui.paths import OUTSIDE
from inbox_tui.services import triage
from inbox_tui.services.article_picks import next_articles, record_article_sent
from inbox_tui.services.articles import import_articles, read_articles
from inbox_tui.services.suggest import (
    suggest_articles,
    suggest_for_text,
    suggest_tags,
)
from inbox_tui.sources.articles import load_articles
from tests.conftest import corpus


def test_help_centre_imports_idempotently_with_problems_reported(store):
    root = corpus("kb", "duckduckgo-help")
    files, problems = load_articles(root)
    assert len(files) > 200
    assert all(p.reason for p in problems)
    first = store.run(import_articles, files)
    assert first["added"] == len(files)
    assert store.run(import_articles, files) == {"added": 0, "updated": 0, "unchanged": len(files)}
    files[0].title += " (updated)"
    assert store.run(import_articles, files)["updated"] == 1


def test_a_re_import_keeps_ids_and_touches_only_what_changed(store):
    """Written in bulk: ids kept, only changed rows re-stamped, a slug met twice in one
    import counted and stored as one upsert after the other, the full-text index
    following every change."""
    files, _ = load_articles(corpus("kb", "duckduckgo-help"))
    files = files[:40]
    store.run(import_articles, files)

    def rows(s):
        return {a.slug: (a.id, a.updated_at, a.title) for a in s.exec(select(Article)).all()}

    with store.read() as s:
        before = rows(s)
    changed = replace(files[3], title="Sync bookmarks between quasarphones")
    twice = replace(files[5], body=files[5].body + " Also zebracorn.")
    new = replace(files[7], slug="brand-new", path="new.md")
    counts = store.run(import_articles, [*files[:3], changed, *files[4:], twice, new])
    assert counts == {"added": 1, "updated": 2, "unchanged": 39}
    with store.read() as s:
        after = rows(s)
        assert {k: v[0] for k, v in after.items() if k != "brand-new"} == {
            k: v[0] for k, v in before.items()
        }
        moved = {k for k in before if after[k][1] != before[k][1]}
        assert moved == {files[3].slug, files[5].slug}
        assert after[files[3].slug][2] == "Sync bookmarks between quasarphones"
        found = {f.slug for f in suggest_for_text(s, "quasarphones zebracorn", 5)}
        assert {files[3].slug, files[5].slug} <= found
    # the same file twice in one import: added, then updated, stored as the second
    dup = store.run(
        import_articles, [replace(new, slug="dup"), replace(new, slug="dup", title="B")]
    )
    assert dup == {"added": 1, "updated": 1, "unchanged": 0}
    with store.read() as s:
        assert rows(s)["dup"][2] == "B"


def test_a_large_help_centre_is_read_in_parse_workers_as_in_one_process(tmp_path, monkeypatch):
    """Over POOL_THRESHOLD files the import parses in the ingest pipeline's worker
    processes: the same articles and problems, in the same order, links leading outside
    the folder refused there too."""
    kb = tmp_path / "kb"
    shutil.copytree(corpus("kb", "duckduckgo-help"), kb)
    (tmp_path / "secret.md").write_text("---\ntitle: Secret\n---\nkey\n")
    (kb / "zz-leak.md").symlink_to(tmp_path / "secret.md")
    (kb / "aa-bad.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    pools = []
    new_pool = pipeline.new_pool
    monkeypatch.setattr(pipeline, "new_pool", lambda: pools.append(1) or new_pool())
    assert len(list(kb.rglob("*.md"))) >= pipeline.POOL_THRESHOLD
    monkeypatch.setenv("INBOX_TUI_PARSE_WORKERS", "2")  # whatever the machine's load
    got = read_articles(kb)
    assert pools == [1]
    assert got == load_articles(kb)
    assert got[1][0].reason.startswith("has front matter that is not valid YAML")
    assert any(p.reason == OUTSIDE for p in got[1]) and "Secret" not in {a.title for a in got[0]}


def test_a_busy_machine_reads_a_large_help_centre_without_workers(tmp_path, monkeypatch):
    """Workers add no CPU time when every core is busy (the kernel shares the cores
    between sessions, not processes), only their start-up and copying: a large help
    centre is then read in this process; with a core idle, or workers asked for, in
    workers."""
    kb = tmp_path / "kb"
    shutil.copytree(corpus("kb", "duckduckgo-help"), kb)
    pools = []
    new_pool = pipeline.new_pool
    monkeypatch.setattr(pipeline, "new_pool", lambda: pools.append(1) or new_pool())
    monkeypatch.setattr(pipeline, "_cores", lambda: 2)
    monkeypatch.delenv("INBOX_TUI_PARSE_WORKERS", raising=False)
    load = [9.5]
    monkeypatch.setattr(pipeline.os, "getloadavg", lambda: (load[0], 9.0, 8.0))
    busy = read_articles(kb)
    assert pools == [] and busy == load_articles(kb)
    load[0] = 0.4
    assert read_articles(kb) == busy and pools == [1]
    load[0] = 9.5
    monkeypatch.setenv("INBOX_TUI_PARSE_WORKERS", "2")
    assert read_articles(kb) == busy and pools == [1, 1]


def test_front_matter_errors_are_reported_and_the_rest_imported(tmp_path: Path):
    (tmp_path / "good.md").write_text("---\ntitle: Reset your password\n---\nGo to settings.\n")
    (tmp_path / "notitle.md").write_text("---\ncategory: x\n---\nbody\n")
    (tmp_path / "badyaml.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (tmp_path / "binary.md").write_bytes(b"\x00\x01\x02\xff" * 20)
    (tmp_path / "nofront.md").write_text("just text\n")
    files, problems = load_articles(tmp_path)
    assert [f.slug for f in files] == ["good"]
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert reasons == {
        "badyaml.md": "has front matter that is not valid YAML (line 2)",
        "binary.md": "is a binary file, not Markdown",
        "nofront.md": "has no front matter (--- title: … ---)",
        "notitle.md": "has no title in its front matter",
    }


def test_a_conversation_about_something_covered_gets_the_right_article_first(store):
    files, _ = load_articles(corpus("kb", "duckduckgo-help"))
    store.run(import_articles, files)
    msg = IncomingMessage(
        source="t",
        external_id="1",
        message_id="<q1@x>",
        subject="Can't see my bookmarks on my new phone",
        body="I installed the browser on my new phone but my bookmarks and passwords are not syncing from my laptop. How do I sync devices?",
        author_email="c@x.example",
        sent_at=utcnow(),
    )
    cid = store.run(lambda s: Ingestor(s).add(msg)).conversation_id
    with store.read() as s:
        found = suggest_articles(s, cid, 3)
        assert "sync" in found[0].slug and found[0].reason
        typo = suggest_for_text(s, "how to hide duk.ai", 3)
        assert typo[0].slug == "duckai/how-to-hide-ai-chat"


def test_next_article_and_article_sent_event(store):
    files, _ = load_articles(corpus("kb", "duckduckgo-help"))
    store.run(import_articles, files)

    def work(s):
        ing = Ingestor(s)
        c1 = ing.add(
            IncomingMessage(
                source="t",
                external_id="a",
                message_id="<a@x>",
                subject="sync",
                author_email="same@x.example",
                sent_at=utcnow(),
                body="sync?",
            )
        ).conversation_id
        c2 = ing.add(
            IncomingMessage(
                source="t",
                external_id="b",
                message_id="<b@x>",
                subject="codes",
                author_email="same@x.example",
                sent_at=utcnow(),
                body="codes?",
            )
        ).conversation_id
        triage.ensure_agent(s, "sam")
        return c1, c2

    c1, c2 = store.run(work)
    with store.read() as s:
        first = suggest_for_text(s, "sync new devices", 1)[0]
        second = suggest_for_text(s, "recovery codes troubleshooting sync", 1)[0]
    store.run(record_article_sent, "sam", c1, first.id)
    store.run(record_article_sent, "sam", c2, second.id)
    with store.read() as s:
        nxt = next_articles(s, first.id, 3)
    assert nxt[0].id == second.id and nxt[0].reason == "often needed next"


def test_tag_suggestions_learn_from_the_team(store):
    def work(s):
        ing = Ingestor(s)
        triage.ensure_agent(s, "sam")
        examples = [("App crashes on start", "crash error when opening", "bug")] * 6 + [
            ("Please add dark mode", "would love a dark theme option", "feature request")
        ] * 6
        for i, (subj, body, tag) in enumerate(examples):
            cid = ing.add(
                IncomingMessage(
                    source="t",
                    external_id=str(i),
                    message_id=f"<t{i}@x>",
                    subject=subj,
                    body=body,
                    author_email=f"u{i}@x.example",
                    sent_at=utcnow(),
                )
            ).conversation_id
            triage.tag(s, "sam", cid, tag, kind=TagKind.CATEGORY)
        return ing.add(
            IncomingMessage(
                source="t",
                external_id="new",
                message_id="<new@x>",
                subject="Crash after update",
                body="it shows an error and crashes",
                author_email="n@x.example",
                sent_at=utcnow(),
            )
        ).conversation_id

    cid = store.run(work)
    with store.read() as s:
        tags = suggest_tags(s, cid, 2)
    assert tags[0].name == "bug" and tags[0].score > 0.5 and "crash" in tags[0].reason


def test_cli_import_articles_and_suggest(tmp_path: Path, capsys):
    """The two commands end to end on a fresh SQLite file: import, re-import, ranked JSON,
    and a plain sentence (no traceback) when neither a conversation nor --text is given."""
    import json

    from inbox_tui import cli

    kb = corpus("kb", "duckduckgo-help")
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    assert cli.main(["--db", db, "import", "articles", "--json", str(kb)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["added"] > 10 and first["updated"] == 0
    assert cli.main(["--db", db, "import", "articles", "--json", str(kb)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["added"] == 0 and again["unchanged"] == first["added"]

    assert (
        cli.main(["--db", db, "suggest", "--json", "--text", "how do I clear my search history"])
        == 0
    )
    ranked = json.loads(capsys.readouterr().out)
    assert ranked and set(ranked[0]) >= {"id", "title", "score", "slug"}
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)

    assert cli.main(["--db", db, "suggest"]) != 0
    err = capsys.readouterr().err.strip()
    assert err == "inbox-tui: Give a conversation id or --text."
    assert cli.main(["--db", db, "suggest", "--text", " "]) == 2  # walk7: as if not given
    err = capsys.readouterr().err.strip()
    assert (
        err
        == 'inbox-tui: --text is empty: give the words to suggest for, e.g. --text "card declined".'
    )


def test_suggest_speed_benchmark_smoke(capsys):
    """A tiny run of benchmarks/suggest_speed.py so it does not rot (no timing asserted)."""
    from benchmarks import suggest_speed

    assert suggest_speed.main(["--articles", "40"]) == 0
    assert "ratio" in capsys.readouterr().out


def test_a_tag_reason_never_names_the_customer(store):
    """Kenji writes (and signs) every bug report: his name is no reason for "bug", in the
    suggestions nor in the picker's hint (the demo picker said "words: kenji")."""
    from inbox_tui.services.suggest import tag_choices

    def mail(ing, key, subject, body, sender, name):  # type: ignore[no-untyped-def]
        return ing.add(
            IncomingMessage(
                source="t",
                external_id=key,
                message_id=f"<{key}@x>",
                subject=subject,
                body=body,
                author_email=sender,
                author_name=name,
                sent_at=utcnow(),
            )
        ).conversation_id

    def work(s):  # type: ignore[no-untyped-def]
        ing = Ingestor(s)
        bugs = ["Export crashes", "Error on save", "Sync is broken", "Upload fails with error"]
        for i, subject in enumerate(bugs * 2):
            cid = mail(
                ing,
                f"b{i}",
                subject,
                f"{subject.lower()} again since the update.\n\nKenji Tanaka",
                "kenji.tanaka@customer.example",
                "Kenji Tanaka",
            )
            triage.tag(s, "sam", cid, "bug", kind=TagKind.CATEGORY)
        asks = ["Add dark mode", "Please support CSV import", "Option to hide the sidebar"]
        for i, subject in enumerate(asks * 2):
            cid = mail(
                ing, f"f{i}", subject, f"would love {subject.lower()}", f"u{i}@x.example", ""
            )
            triage.tag(s, "sam", cid, "feature request", kind=TagKind.CATEGORY)
        crash = mail(
            ing,
            "new",
            "The export crashes",
            "It crashes with an error.\n\nKenji Tanaka",
            "kenji.tanaka@customer.example",
            "Kenji Tanaka",
        )
        # Nothing but his name says "bug" here.
        hello = mail(
            ing,
            "hello",
            "Hello again",
            "Kenji Tanaka here, Kenji Tanaka",
            "kenji.tanaka@customer.example",
            "Kenji Tanaka",
        )
        return crash, hello

    crash, hello = store.run(work)
    with store.read() as s:
        tags = suggest_tags(s, crash, 3)
        assert tags[0].name == "bug", tags
        assert "crash" in tags[0].reason or "error" in tags[0].reason, tags[0]
        reasons = [t.reason for t in tags] + [c.hint for c in tag_choices(s, crash)]
        reasons += [t.reason for t in suggest_tags(s, hello, 3)]
        reasons += [c.hint for c in tag_choices(s, hello)]
    for reason in reasons:
        assert "kenji" not in reason.lower() and "tanaka" not in reason.lower(), reason


def test_the_tag_classifier_learns_and_retrains_from_its_weights():
    from inbox_tui.services import tag_classifier
    from inbox_tui.services.suggest import words

    examples = [
        ("App crashes on start with an error", "bug"),
        ("Crash when saving, error dialog", "bug"),
        ("Please add a dark mode option", "feature"),
        ("Would love an option to export PDF", "feature"),
        ("How do I change my password?", "question"),
        ("How can I invite a colleague?", "question"),
    ] * 3
    docs = [words(t) for t, _ in examples]
    tags = [[lab] for _, lab in examples]
    model = tag_classifier.train(docs, tags)
    assert model is not None
    best = model.predict(words("it crashes with an error"))[0]
    assert best[0] == "bug" and best[1] > 0.5, best
    assert "crashes" in best[2] or "error" in best[2], best
    assert model.predict(words("how do I change the language?"))[0][0] == "question"
    # One more tagged conversation: a few steps from the same weights and vocabulary,
    # into new arrays (the previous model may be in use in another thread).
    before = model.words_w.copy()
    again = tag_classifier.train(
        [*docs, words("add an option for themes")], [*tags, ["feature"]], previous=model
    )
    assert again is not None and again is not model and again.vocab is model.vocab
    assert (model.words_w == before).all()
    assert again.predict(words("please add an option"))[0][0] == "feature"
    # A new tag: rebuilt from scratch.
    rebuilt = tag_classifier.train([*docs, words("refund")], [*tags, ["billing"]], previous=model)
    assert rebuilt is not model and rebuilt is not None and "billing" in rebuilt.labels
    # Hidden words are never a reason.
    assert "crashes" not in model.predict(words("it crashes"), hide=frozenset({"crashes"}))[0][2]
    assert tag_classifier.train(docs[:2], tags[:2]) is None  # one tag: nothing to choose


def test_without_numpy_tags_fall_back_to_naive_bayes(store, monkeypatch):
    """numpy comes with the [semantic] extra: without it the regression is skipped and
    naive Bayes still puts the team's tag first."""
    from inbox_tui.services import suggest, tag_classifier

    calls = []
    monkeypatch.setattr(tag_classifier, "available", lambda: False)
    monkeypatch.setattr(tag_classifier, "train", lambda *a, **k: calls.append(a))

    def work(s):  # type: ignore[no-untyped-def]
        ing = Ingestor(s)
        for i, (subject, tag) in enumerate(
            [("App crashes on start", "bug"), ("Please add dark mode", "feature request")] * 4
        ):
            cid = ing.add(
                IncomingMessage(
                    source="t",
                    external_id=str(i),
                    message_id=f"<nb{i}@x>",
                    subject=subject,
                    body=subject,
                    author_email=f"u{i}@x.example",
                    sent_at=utcnow(),
                )
            ).conversation_id
            triage.tag(s, "sam", cid, tag, kind=TagKind.CATEGORY)

    store.run(work)
    with store.read() as s:
        tags = suggest.suggest_tags_for_text(s, "the app crashes", 2)
    assert tags[0].name == "bug" and tags[0].reason.startswith("words:"), tags
    assert calls == []


def test_a_reason_names_words_not_pieces_of_words(store, tmp_path: Path):
    """walk7: "matched: re" (from "we're") was the reason given for an article whose title
    holds "re" inside a word; the reason names the query's words the title has."""
    (tmp_path / "reset.md").write_text(
        "---\ntitle: Password reset\n---\nWe're sorry you are locked out: reset it here.\n"
    )
    (tmp_path / "calendar.md").write_text(
        "---\ntitle: Calendar sync stopped\n---\nReconnect the calendar in settings.\n"
    )
    files, _ = load_articles(tmp_path)
    store.run(import_articles, files)

    def matched(text: str, slug: str) -> list[str]:
        with store.read() as s:
            reason = {f.slug: f.reason for f in suggest_for_text(s, text, 3)}[slug]
        return reason.partition("matched: ")[2].split(", ")

    assert matched("we're locked out, password?", "reset") == ["password"]
    assert matched("my calend stopped syncing", "calendar") == ["calend", "stopped"]
