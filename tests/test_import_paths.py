"""Importers never read outside what they were given.

A Slack export's ``channels.json`` names the folders the importer reads; a Maildir or a
help-centre folder may hold links. Each test puts a bait file *outside* the export (or
folder) and checks it is not imported and that the importer reports why in one sentence.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlmodel import select

from inbox_tui.models import Message
from inbox_tui.services.chatimport import import_chat
from inbox_tui.sources.chat import slack

BAIT = "BAIT-OUTSIDE-THE-EXPORT"
TS = 1_700_000_000


def day(text: str, n: int = 1) -> bytes:
    return json.dumps(
        [
            {"type": "message", "user": "U1", "text": f"{text} {i}", "ts": f"{TS + i}.0001"}
            for i in range(n)
        ]
    ).encode()


def channels(*names: object) -> bytes:
    return json.dumps([{"id": f"C{i}", "name": n} for i, n in enumerate(names)]).encode()


USERS = json.dumps([{"id": "U1", "name": "ann"}]).encode()


def bodies(store) -> list[str]:
    with store.read() as s:
        return [m.body for m in s.exec(select(Message)).all()]


def one_sentence(problem: str) -> bool:
    return "\n" not in problem and "Traceback" not in problem and len(problem) < 400


def test_slack_folder_export_never_reads_outside(sqlite_store, tmp_path):
    bait_dir = tmp_path / "bait"
    bait_dir.mkdir()
    (bait_dir / "2023-11-14.json").write_bytes(day(BAIT))
    abs_dir = tmp_path / "abs"
    abs_dir.mkdir()
    (abs_dir / "2023-11-14.json").write_bytes(day(BAIT + "-abs"))
    root = tmp_path / "export"
    (root / "general").mkdir(parents=True)
    (root / "general" / "2023-11-14.json").write_bytes(day("hello from general"))
    # A day file and a whole channel folder that are links to the bait.
    (root / "general" / "2023-11-15.json").symlink_to(bait_dir / "2023-11-14.json")
    (root / "linked").symlink_to(bait_dir)
    (root / "users.json").write_bytes(USERS)
    (root / "channels.json").write_bytes(
        channels("general", "../bait", str(abs_dir), "..\\bait", "ba\x00it", "..", "linked")
    )

    report = import_chat(sqlite_store, [root])

    texts = bodies(sqlite_store)
    assert texts and all("hello from general" in t for t in texts), texts
    assert not any(BAIT in t for t in texts)
    problems = report.problems
    assert all(one_sentence(p) for p in problems), problems
    for needle in ("'../bait'", repr(str(abs_dir)), repr("..\\bait"), repr("ba\x00it"), "'..'"):
        assert any(needle in p and "not a plain folder name" in p for p in problems), (
            needle,
            problems,
        )
    assert any("'linked'" in p and "links outside the export" in p for p in problems), problems
    assert any(
        p.startswith(f"{root}/general/2023-11-15.json: links to a file outside") for p in problems
    ), problems
    assert len(problems) == 7


def test_slack_folder_export_with_linked_channels_json(sqlite_store, tmp_path):
    outside = tmp_path / "outside"
    (outside / "general").mkdir(parents=True)
    (outside / "channels.json").write_bytes(channels("general"))
    (outside / "general" / "2023-11-14.json").write_bytes(day(BAIT))
    root = tmp_path / "export"
    root.mkdir()
    (root / "channels.json").symlink_to(outside / "channels.json")
    (root / "users.json").symlink_to(outside / "users.json")  # dangling is fine too
    (root / "general").symlink_to(outside / "general")

    report = import_chat(sqlite_store, [root])

    assert not any(BAIT in t for t in bodies(sqlite_store))
    assert report.problems == [
        f"{root}/channels.json: links to a file outside the export, so it was not read"
    ]


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            # ZipFile.writestr keeps the name as given: "../x" and "/x" go in as written.
            zf.writestr(zipfile.ZipInfo(name), data)
    return path


def test_slack_zip_export_reads_only_members_inside(sqlite_store, tmp_path):
    # The same bait on disk next to the zip: a zip import must never touch the disk.
    (tmp_path / "bait").mkdir()
    (tmp_path / "bait" / "2023-11-14.json").write_bytes(day(BAIT + "-disk"))
    z = make_zip(
        tmp_path / "export.zip",
        {
            "export/channels.json": channels("general", "../bait", "/etc", "sub/../../x"),
            "export/users.json": USERS,
            "export/general/2023-11-14.json": day("hello from general"),
            "export/../bait/2023-11-14.json": day(BAIT + "-member"),
            "../../etc/x.json": day(BAIT + "-etc"),
            "/abs/general/2023-11-15.json": day(BAIT + "-abs"),
            "export/general/../../bait/2023-11-16.json": day(BAIT + "-dotdot"),
            "export\\general\\2023-11-17.json": day(BAIT + "-backslash"),
        },
    )
    assert slack.is_export(z)
    report = import_chat(sqlite_store, [z])

    texts = bodies(sqlite_store)
    assert texts and all("hello from general" in t for t in texts), texts
    assert not any(BAIT in t for t in texts), texts
    problems = report.problems
    assert all(one_sentence(p) for p in problems), problems
    # Names that leave the archive's root are reported; "export/../bait/…" stays inside
    # the archive (as "bait/…") but outside the export, and nothing names it: not read.
    for member in (
        "../../etc/x.json",
        "/abs/general/2023-11-15.json",
        "export\\general\\2023-11-17.json",
    ):
        assert (
            f"{z}: zip member {member!r}: its name leads outside the export, so it was not read"
            in problems
        )
    for name in ("../bait", "/etc", "sub/../../x"):
        assert any(f"channel name {name!r} is not a plain folder name" in p for p in problems)


def test_zip_whose_channels_json_is_outside_is_not_an_export(sqlite_store, tmp_path):
    z = make_zip(
        tmp_path / "export.zip",
        {"../channels.json": channels("general"), "../general/2023-11-14.json": day(BAIT)},
    )
    assert not slack.is_export(z)
    lookalike = make_zip(tmp_path / "other.zip", {"mychannels.json": channels("general")})
    assert not slack.is_export(lookalike)


def test_cli_reports_the_traversal_in_one_line(tmp_path):
    root = tmp_path / "export"
    (root / "general").mkdir(parents=True)
    (root / "general" / "2023-11-14.json").write_bytes(day("hello"))
    (root / "users.json").write_bytes(USERS)
    (root / "channels.json").write_bytes(channels("general", "../bait\x1b[2J"))
    (tmp_path / "bait\x1b[2J").mkdir()
    (tmp_path / "bait\x1b[2J" / "2023-11-14.json").write_bytes(day(BAIT))
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    out = subprocess.run(
        [sys.executable, "-m", "inbox_tui", "--db", db, "import", "chat", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if "not a plain folder name" in ln]
    assert len(lines) == 1 and "\x1b" not in out.stderr and "Traceback" not in out.stderr
    assert "channels.json#1: channel name '../bait\\x1b[2J' is not a plain folder name" in lines[0]


SECRET_MAIL = f"From: root@localhost\nSubject: {BAIT}\n\nprivate key material {BAIT}\n"


def test_maildir_links_outside_are_skipped_not_imported(sqlite_store, tmp_path):
    from inbox_tui.services.mailimport import import_mail

    secret = tmp_path / "home" / "secret.eml"
    secret.parent.mkdir()
    secret.write_text(SECRET_MAIL)
    (tmp_path / "home" / "mbox").write_text(f"From x@y Thu Jan  1 00:00:00 2026\n{SECRET_MAIL}")
    maildir = tmp_path / "Mail" / "INBOX"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1700000000.1.host:2,S").write_text(
        "From: ann@example.com\nSubject: real mail\nMessage-ID: <real@x>\n\nhello\n"
    )
    (maildir / "cur" / "1700000001.2.host:2,S").symlink_to(secret)
    (maildir / "new" / "1700000002.3.host").symlink_to(tmp_path / "home" / "mbox")
    (maildir / "new" / "loop").symlink_to(maildir / "new" / "loop")
    (tmp_path / "Mail" / "outside").symlink_to(tmp_path / "home")  # a folder link: not walked
    # A link that stays inside the folder is still read.
    (tmp_path / "Mail" / "copy.eml").symlink_to(maildir / "cur" / "1700000000.1.host:2,S")

    report = import_mail(sqlite_store, [tmp_path / "Mail"])

    assert not any(BAIT in b for b in bodies(sqlite_store))
    with sqlite_store.read() as s:
        assert not any(BAIT in (m.subject or "") for m in s.exec(select(Message)).all())
    outside = sorted(
        w
        for w, r in report.skipped
        if r == "links to a file outside the folder, so it was not read"
    )
    assert outside == sorted(
        [
            str(maildir / "cur" / "1700000001.2.host:2,S"),
            str(maildir / "new" / "1700000002.3.host"),
            str(maildir / "new" / "loop"),
        ]
    ), report.skipped
    assert report.counts.read == 2  # the real message and its in-folder link


def test_articles_and_macros_links_outside_are_problems(sqlite_store, tmp_path):
    from inbox_tui.macros.files import load as load_macros
    from inbox_tui.sources.articles import load_articles

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\ntitle: {BAIT}\n---\n{BAIT}\n")
    (outside / "secret.toml").write_text(f'name = "{BAIT}"\nreply = "{BAIT}"\n')
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    (help_dir / "real.md").write_text("---\ntitle: Real article\n---\nBody\n")
    (help_dir / "leak.md").symlink_to(outside / "secret.md")
    macros_dir = tmp_path / "macros"
    macros_dir.mkdir()
    (macros_dir / "real.toml").write_text('name = "Real"\nreply = "Hi"\n')
    (macros_dir / "leak.toml").symlink_to(outside / "secret.toml")

    articles, problems = load_articles(help_dir)
    assert [a.title for a in articles] == ["Real article"]
    assert [str(p) for p in problems] == [
        f"{help_dir / 'leak.md'}: links to a file outside the folder, so it was not read"
    ]
    specs, mproblems = load_macros([macros_dir])
    assert [m.name for m in specs] == ["Real"]
    assert [str(p) for p in mproblems] == [
        f"{macros_dir / 'leak.toml'}:1: links to a file outside the folder, so it was not read"
    ]
    # Given by name, a file is the user's choice and is read wherever it is.
    assert [a.title for a in load_articles(help_dir / "leak.md")[0]] == [BAIT]
