"""The review step's rules (services/review.py, #18): recipients as typed, files checked
against the [mail] caps, path completion; and the system handler for attachments
(services/opener.py): mailcap rules, xdg-open, or one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.services.opener import NoHandler, mailcap_command, open_file
from inbox_tui.services.review import (
    BadAddress,
    BadFile,
    check_file,
    complete_path,
    format_addresses,
    parse_addresses,
)


def test_addresses_round_trip_and_bad_ones_are_one_sentence():
    pairs = [
        ("Zoë Brennan", "zoe@acme.example"),
        ("Brennan, Z", "z@acme.example"),
        ("", "x@y.example"),
    ]
    assert parse_addresses(format_addresses(pairs)) == pairs
    assert parse_addresses("a@x.example; A <a@x.example>, b@x.example") == [
        ("", "a@x.example"),
        ("", "b@x.example"),
    ]
    assert parse_addresses("  ") == []
    for bad in ["bob@", "bob", "a@b", "a b@c.example", "x@y.example, ,z", "@x.example"]:
        with pytest.raises(BadAddress) as exc:
            parse_addresses(bad, "Cc")
        assert " in Cc is not an email address" in str(exc.value)
    with pytest.raises(BadAddress, match="line break"):
        parse_addresses("a@x.example\nBcc: evil@x.example")
    with pytest.raises(BadAddress) as exc:
        parse_addresses("\x1b]52;c;eA==\x07@evil")
    assert "\x1b" not in str(exc.value) and "\x07" not in str(exc.value)


def config(**mail: int) -> Config:
    cfg = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam"))
    for key, value in mail.items():
        setattr(cfg.mail, key, value)
    return cfg


def test_files_are_checked_against_the_caps_before_they_are_attached(tmp_path: Path):
    a = tmp_path / "a.log"
    a.write_bytes(b"x" * 600)
    b = tmp_path / "b.log"
    b.write_bytes(b"x" * 600)
    cfg = config(max_attachment_bytes=1000, max_message_attachment_bytes=1000)
    assert check_file(str(a), [], cfg) == (str(a), 600)
    with pytest.raises(BadFile, match=r"attachments add up to 1.2 KB, over the 1000 B limit"):
        check_file(str(b), [str(a)], cfg)
    with pytest.raises(BadFile, match="There is no file"):
        check_file(str(tmp_path / "nope"), [], cfg)
    with pytest.raises(BadFile, match="is a folder"):
        check_file(str(tmp_path), [], cfg)
    with pytest.raises(BadFile, match="Type the path"):
        check_file("  ", [], cfg)


def test_path_completion_in_the_folder_and_home(tmp_path: Path, monkeypatch):
    (tmp_path / "report.csv").write_text("x")
    (tmp_path / "reports").mkdir()
    (tmp_path / ".hidden").write_text("x")
    assert complete_path("rep", tmp_path) == ["report.csv", "reports/"]
    assert complete_path("", tmp_path) == ["report.csv", "reports/"]
    assert complete_path(".h", tmp_path) == [".hidden"]
    assert complete_path(f"{tmp_path}/reports", tmp_path) == [f"{tmp_path}/reports/"]
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete_path("~", tmp_path) == ["~/"]
    assert complete_path("~/rep", Path("/")) == ["~/report.csv", "~/reports/"]
    assert complete_path("nowhere/x", tmp_path) == []


def test_mailcap_rules_and_no_handler(tmp_path: Path, monkeypatch):
    mailcap = tmp_path / "mailcap"
    mailcap.write_text(
        "# comment\n"
        "text/plain; cat; copiousoutput\n"
        "application/pdf; less %s; needsterminal\n"
        "application/pdf; viewer %s --type %t\n"
        "image; imgview %s\n"
    )
    monkeypatch.setenv("MAILCAPS", str(mailcap))
    odd = tmp_path / "it's $(rm -rf ~).pdf"
    assert mailcap_command(odd, "application/pdf") == (
        f"viewer '{tmp_path}/it'\"'\"'s $(rm -rf ~).pdf' --type application/pdf"
    )
    assert mailcap_command(odd, "image/png").startswith("imgview ")
    assert mailcap_command(odd, "text/plain") is None  # needs the terminal
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(NoHandler, match="Nothing on this machine opens text/plain files"):
        open_file(odd, "text/plain")
