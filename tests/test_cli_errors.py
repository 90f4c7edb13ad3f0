"""The CLI's error paths: one plain sentence on stderr, a non-zero exit, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(
    *args: str, env_extra: dict | None = None, user: str | None = None, cwd: Path | None = None
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_TUI_")}
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "inbox_tui", *args]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def assert_plain_error(result, *needles: str):
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    err = result.stderr.strip()
    assert err.startswith("inbox-tui: "), err
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'inbox.db'}"


def test_bad_path(db, tmp_path):
    assert_plain_error(
        cli("--db", db, "import", "mail", str(tmp_path / "missing")), "does not exist"
    )


def test_unreadable_file(db, tmp_path, monkeypatch, capsys):
    """The suite runs as root, who can read anything; what a normal agent sees for an
    unreadable folder is simulated by denying access for that one path."""
    from inbox_tui import cli as cli_module

    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "m.eml").write_text("From: a@b.c\nSubject: x\n\nhi\n")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == secret else real_access(p, mode)
    )
    code = cli_module.main(["--db", db, "import", "mail", str(secret)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == f"inbox-tui: {secret} cannot be read: permission denied."


def test_corrupt_mbox_is_counted_not_fatal(db, tmp_path):
    box = tmp_path / "broken.mbox"
    box.write_bytes(b"From x\n\x00\x01\x02garbage\xff\xfe\n\nFrom y\nSubject: ok\n\nbody\n")
    result = cli("--db", db, "import", "mail", "--json", str(box))
    assert result.returncode == 0, result.stderr
    import json

    counts = json.loads(result.stdout)
    assert counts["read"] == 2
    assert counts["imported"] + counts["duplicates"] + counts["quarantined"] == counts["read"]


def test_bad_db_url(tmp_path):
    assert_plain_error(cli("--db", "nosuchdb://x", "export"), "not supported")
    assert_plain_error(
        cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/x", "export"), "refused"
    )
    notdb = tmp_path / "notdb.sqlite"
    notdb.write_bytes(b"this is not a database" * 100)
    assert_plain_error(cli("--db", f"sqlite:///{notdb}", "export"), "not a SQLite database")


def test_world_readable_secret_config_is_refused(tmp_path, db):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[accounts.support]\nhost = "imap.example.com"\npassword = "hunter2"\n')
    cfg.chmod(0o644)
    result = cli("--config", str(cfg), "--db", db, "export")
    assert_plain_error(result, "chmod 600")
    assert "hunter2" not in result.stderr
    cfg.chmod(0o600)
    assert cli("--config", str(cfg), "--db", db, "export").returncode == 0


def test_bad_config(tmp_path, db):
    cfg = tmp_path / "config.toml"
    cfg.write_text("this is = = not toml")
    assert_plain_error(cli("--config", str(cfg), "--db", db, "export"), "not valid TOML")
    assert_plain_error(cli("--config", str(tmp_path / "nope.toml"), "export"), "does not exist")
