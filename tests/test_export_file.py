"""``inbox-tui export -o FILE``: all or nothing, one sentence for a path it cannot use,
and no copy of every customer's mail left behind or readable by others (walk7 #7: a
folder as FILE printed "Something went wrong (IsADirectoryError …)" and left
``/tmp/walk7.partial`` with every conversation, mode 0644)."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

from inbox_tui import cli
from inbox_tui.store import Store
from tests.mail_history import mail


def _one_conversation(store: Store) -> None:
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    store.run(lambda s: mail(s, "ann-1", when, subject="Printer", body="My printer jams."))


def _export(store: Store, capsys, target: Path | str) -> tuple[int, str]:
    code = cli.main(["--db", store.url, "export", "-o", str(target)])
    return code, capsys.readouterr().err.strip()


def test_a_folder_or_a_missing_folder_is_one_sentence_and_leaves_nothing(
    sqlite_store, tmp_path, capsys
):
    _one_conversation(sqlite_store)
    folder = tmp_path / "out"
    folder.mkdir()
    code, err = _export(sqlite_store, capsys, folder)
    assert code == 2
    assert (
        err
        == f"inbox-tui: {folder} is a folder; give a file name in it, e.g. -o {folder / 'export.jsonl'}."
    )
    code, err = _export(sqlite_store, capsys, tmp_path / "nodir" / "x.jsonl")
    assert code == 2
    assert (
        err
        == f"inbox-tui: The folder {tmp_path / 'nodir'} does not exist; create it or write somewhere else."
    )
    # "nodir/" names a folder too: it wrote a file "nodir" (walk8)
    code, err = _export(sqlite_store, capsys, f"{tmp_path / 'nodir'}/")
    assert code == 2
    assert (
        err
        == f"inbox-tui: The folder {tmp_path / 'nodir'} does not exist; create it or write somewhere else."
    )
    assert not (tmp_path / "nodir").exists()
    assert not list(tmp_path.glob("*.partial"))


def test_the_export_is_private_and_a_failure_removes_its_partial_file(
    sqlite_store, tmp_path, capsys, monkeypatch
):
    _one_conversation(sqlite_store)
    target = tmp_path / "backup.jsonl"
    (tmp_path / "backup.jsonl.partial").write_text("left by a crash")
    (tmp_path / "backup.jsonl.partial").chmod(0o644)
    code, err = _export(sqlite_store, capsys, target)
    assert (code, err) == (0, "1 conversation exported.")
    assert json.loads(target.read_text())["subject"] == "Printer"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not (tmp_path / "backup.jsonl.partial").exists()

    from inbox_tui.services import export as export_service

    def full_disk(store, fh):
        fh.write("{half a line")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_service, "export_conversations", full_disk)
    code, err = _export(sqlite_store, capsys, tmp_path / "second.jsonl")
    assert code == 1
    assert (
        err
        == "inbox-tui: The disk is full; nothing more was written. Free some space and run the command again."
    )
    assert not (tmp_path / "second.jsonl").exists()
    assert not (tmp_path / "second.jsonl.partial").exists()
