"""Bounded work on every input (issue 19, findings 5, 6 and 11): one bad chat line is
reported and the rest imported; YAML bombs and deep nesting in articles and macros are
one problem each, fast and small; a giant chat line or mbox message keeps memory
bounded. Each runs the real command and measures its peak RSS (``wait4``)."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The command's own peak RSS (VmHWM of its process, read at exit). Not wait4's
# ru_maxrss: Linux carries the forking process's high-water mark across exec, so a
# pytest worker that had loaded the embedding model made every child look 414 MB.
_MEASURED = """
import atexit, sys
out = sys.argv[1]
def _peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            open(out, "w").write(line.split()[1])
atexit.register(_peak)
sys.argv = ["inbox-tui", *sys.argv[2:]]
from inbox_tui.cli import main
raise SystemExit(main())
"""


def run(tmp_path: Path, *args: str) -> tuple[int, str, int, float]:
    """``inbox-tui ARGS`` on a fresh store: exit code, output, peak RSS in MB, seconds."""
    out = tmp_path / "out.txt"
    peak = tmp_path / "peak_kb.txt"
    db = f"sqlite:///{tmp_path / 'inbox.db'}"
    started = time.monotonic()
    with out.open("wb") as sink:
        proc = subprocess.run(
            [sys.executable, "-c", _MEASURED, str(peak), "--db", db, *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
        )
    text = out.read_text(errors="replace")
    assert "Traceback" not in text, text
    return (
        proc.returncode,
        text,
        int(peak.read_text()) // 1024,
        time.monotonic() - started,
    )


def good(i: int) -> str:
    return json.dumps({"author": "Ann", "ts": f"2026-03-02T10:0{i}:00Z", "text": f"hi {i}"})


def test_one_bad_chat_line_never_aborts_the_import(tmp_path):
    log = tmp_path / "chat.jsonl"
    log.write_text(
        "\n".join(
            [
                good(1),
                json.dumps({"author": "a", "ts": "9999-12-31T23:59:59-14:00", "text": "far"}),
                "[" * 5000 + "]" * 5000,
                json.dumps({"author": "a", "ts": "2026-03-02T10:00:00Z", "text": {"x": [1]}}),
                good(2),
            ]
        )
        + "\n"
    )
    code, out, _, _ = run(tmp_path, "import", "chat", str(log), "--format", "jsonl", "--json")
    assert code == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    assert report["imported"] == 3 and report["problems"] == 2, out  # the dict text is text
    assert report["skipped"] == {
        "'ts' '9999-12-31T23:59:59-14:00' is not an ISO 8601 time": 1,
        "JSON nested too deeply": 1,
    }
    code, out, _, _ = run(tmp_path, "import", "chat", str(log), "--format", "jsonl")
    assert code == 0 and f"{log}:3: JSON nested too deeply" in out, out


def test_one_bad_slack_message_never_aborts_the_export(tmp_path):
    export = tmp_path / "slack"
    (export / "general").mkdir(parents=True)
    (export / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
    (export / "users.json").write_text(json.dumps([{"id": "U1", "name": "ann"}]))
    (export / "general" / "2026-03-02.json").write_text(
        json.dumps(
            [
                {"type": "message", "user": "U1", "ts": "1772442000.000100", "text": "one"},
                {"type": "message", "user": "U1", "ts": "1e300", "text": "far"},
                {"type": "message", "user": "U1", "ts": "1772442001.0", "text": ["not text"]},
                {"type": "message", "user": "U1", "ts": "1772442002.000100", "text": "two"},
            ]
        )
    )
    (export / "general" / "2026-03-03.json").write_text("[" * 5000 + "]" * 5000)
    code, out, _, _ = run(tmp_path, "import", "chat", str(export), "--json")
    assert code == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    assert report["imported"] == 2 and report["problems"] == 3, out


def billion_laughs(key: str) -> str:
    text = f'a: &a ["{"lol"}"' + ', "lol"' * 8 + "]\n"
    prev = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text + f"{key}: *i\n"


@pytest.mark.parametrize("kind", ["article", "macro"])
@pytest.mark.parametrize("bomb", ["laughs", "deep"])
def test_yaml_bombs_are_one_problem_each_fast_and_small(tmp_path, kind, bomb):
    folder = tmp_path / "in"
    folder.mkdir()
    if bomb == "laughs":
        yaml_text = billion_laughs("title" if kind == "article" else "name")
        expected = "uses the alias *"
    else:
        yaml_text = "title: " + "[" * 20_000 + "]" * 20_000 + "\n"
        expected = "nested more than 50 levels deep"
    if kind == "article":
        (folder / "bomb.md").write_text(f"---\n{yaml_text}---\nbody\n")
        (folder / "fine.md").write_text("---\ntitle: Fine\n---\nbody\n")
        commands = [("import", "articles", str(folder), "--json")]
    else:
        (folder / "bomb.yaml").write_text("reply: hello\n" + yaml_text)
        (folder / "fine.yaml").write_text("name: Fine\nreply: hello\n")
        commands = [("macros", "lint", str(folder)), ("import", "macros", str(folder))]
    for args in commands:
        code, out, rss, seconds = run(tmp_path, *args)
        assert expected in out, out
        assert seconds < 20 and rss < 250, f"{args}: {seconds:.1f} s, {rss} MB"
        if args[:2] == ("import", "articles"):
            assert (code == 0 and '"added": 1' in out.replace("'", '"')) or "1 added" in out, out
        else:
            assert code != 0  # lint reports it; import refuses the lot (nothing half-done)


def test_libyaml_reads_front_matter_as_the_python_parser_does():
    """``safeyaml.load`` scans with libyaml (6x faster on a help centre) under the same
    bounded composer; values and problems (type, words, line) must be the Python
    parser's, including where libyaml stops earlier or counts lines differently."""
    import yaml

    from inbox_tui import safeyaml
    from inbox_tui.sources.articles import _FRONT
    from tests.conftest import corpus

    assert safeyaml._Loader is not safeyaml._BoundedLoader  # libyaml is there to compare
    texts = [
        m.group(1)
        for p in sorted(corpus("kb", "duckduckgo-help").rglob("*.md"))
        if (m := _FRONT.match(p.read_text(encoding="utf-8")))
    ]
    texts += [
        "title: [unclosed\n",
        billion_laughs("title"),
        "title: " + "[" * 2000 + "]" * 2000 + "\n",  # libyaml's own limit is 1,000
        "title: " + "[" * 60 + "]" * 60,
        "a: \x85x",  # libyaml counts the line differently
        "a: b: c",
        "\ttitle: x",
        "x: 2020-01-01\ny: yes\nz: 0x10\nw: 1e3\nv: ~\nt: [a, {b: c}]",
        "a: &x foo\nb: *x",
        "a: !!python/object:os.system x",
        "a: 1\n---\nb: 2",
        "",
    ]

    def read(loader, text):
        try:
            return loader(text)
        except yaml.YAMLError as exc:
            return type(exc), str(exc)

    python_parser = functools.partial(safeyaml._load, safeyaml._BoundedLoader)
    for text in texts:
        assert read(safeyaml.load, text) == read(python_parser, text), text[:60]


def test_deep_toml_macro_is_a_problem_not_a_crash(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "deep.toml").write_text("name = 'x'\nreply = " + "[" * 20_000 + "]" * 20_000 + "\n")
    code, out, _, _ = run(tmp_path, "macros", "lint", str(folder))
    assert code == 1 and "nested too deeply" in out, out


def test_a_huge_single_line_chat_log_keeps_memory_bounded(tmp_path):
    log = tmp_path / "huge.jsonl"
    with log.open("w") as fh:
        fh.write('{"author": "a", "ts": "2026-03-02T10:00:00Z", "text": "')
        fh.write("x" * (64 * 1024 * 1024))
        fh.write('"}\n' + good(1) + "\n")
    # (no --format: a first line longer than the sniffed head is still seen as JSON lines)
    code, out, rss, _ = run(tmp_path, "import", "chat", str(log), "--json")
    assert code == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    assert report["imported"] == 1 and report["skipped"] == {"a line over 1,024 KB, not read": 1}
    assert rss < 150, f"peak RSS {rss} MB for a 64 MB line"


def test_a_huge_mbox_message_keeps_memory_bounded(tmp_path):
    box = tmp_path / "big.mbox"
    with box.open("wb") as fh:
        fh.write(b"From a Mon Mar  2 09:00:00 2026\nFrom: a@x\nSubject: big\nMessage-ID: <b@x>\n\n")
        line = b"y" * 76 + b"\n"
        chunk = line * 13_000  # 1 MB
        for _ in range(200):
            fh.write(chunk)
        fh.write(
            b"\nFrom a Mon Mar  2 09:00:00 2026\nFrom: b@x\nSubject: s\nMessage-ID: <s@x>\n\nhi\n"
        )
    code, out, rss, _ = run(tmp_path, "import", "mail", str(box), "--json")
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["imported"] == 2, out
    assert rss < 450, f"peak RSS {rss} MB for a 200 MB message"


def test_a_slack_zip_bomb_day_file_is_skipped_not_inflated(tmp_path):
    """A Slack export zip whose day file inflates to 100 MB (100 KB compressed) is read
    no further than the cap: skipped with a reason, the other day imported."""
    import zipfile

    export = tmp_path / "export.zip"
    day = json.dumps([{"type": "message", "user": "U1", "ts": "1772442000.0001", "text": "hi"}])
    with zipfile.ZipFile(export, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        z.writestr("users.json", json.dumps([{"id": "U1", "name": "ann"}]))
        z.writestr("general/2026-03-02.json", day)
        with z.open("general/2026-03-03.json", "w") as fh:
            fh.write(b"[" + b" " * (100 * 1024 * 1024) + b"]")
    assert export.stat().st_size < 2 * 1024 * 1024
    code, out, rss, _ = run(tmp_path, "import", "chat", str(export), "--json")
    assert code == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    assert report["imported"] == 1 and report["problems"] == 1, out
    assert rss < 250, f"peak RSS {rss} MB"
