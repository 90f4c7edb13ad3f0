"""The config file: where it is found, secrets and their file permissions, password
commands without a shell, and plain sentences for broken files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inbox_tui.config import ConfigError, load_config


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def xdg_config() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "inbox-tui" / "config.toml"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inbox_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_precedence_flag_then_env_then_xdg(tmp_path, monkeypatch):
    write(xdg_config(), '[agent]\nusername = "xdg"\n')
    assert load_config().agent.username == "xdg"
    env_cfg = write(tmp_path / "env.toml", '[agent]\nusername = "env"\n')
    monkeypatch.setenv("INBOX_TUI_CONFIG", str(env_cfg))
    assert load_config().agent.username == "env"
    flag = write(tmp_path / "flag.toml", '[agent]\nusername = "flag"\ndb = "sqlite:///cfg.db"\n')
    assert load_config(flag).agent.username == "flag"
    # the store: --db, then $INBOX_TUI_DB, then the config's db
    cfg = write(tmp_path / "db.toml", 'db = "sqlite:///from-config.db"\n')
    assert load_config(cfg).db_url == "sqlite:///from-config.db"
    monkeypatch.setenv("INBOX_TUI_DB", "sqlite:///from-env.db")
    assert load_config(cfg).db_url == "sqlite:///from-env.db"
    assert load_config(cfg, db="sqlite:///flag.db").db_url == "sqlite:///flag.db"


def test_missing_explicit_config_is_a_sentence(tmp_path):
    done = cli("--config", str(tmp_path / "nope.toml"), "stats")
    assert done.returncode != 0
    assert (
        done.stderr.strip()
        == f"inbox-tui: The config file {tmp_path / 'nope.toml'} does not exist."
    )


SECRET = '[accounts.a]\nhost = "imap.example.com"\nusername = "u"\npassword = "hunter2"\n'


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644])
def test_literal_secret_in_a_readable_file_is_refused(tmp_path, mode):
    cfg = write(tmp_path / "c.toml", SECRET, mode)
    with pytest.raises(ConfigError, match="holds a password and other users can read it"):
        load_config(cfg)
    done = cli("--config", str(cfg), "--db", f"sqlite:///{tmp_path / 'x.db'}", "outbox", "list")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "chmod 600" in lines[0] and "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


def test_literal_secret_in_a_private_file_and_commands_anywhere_are_fine(tmp_path):
    cfg = write(tmp_path / "c.toml", SECRET, 0o600)
    assert load_config(cfg).accounts["a"].resolve_password("a") == "hunter2"
    open_cfg = write(
        tmp_path / "o.toml",
        '[accounts.a]\nhost = "h"\npassword_cmd = ["echo", "pw"]\npassword_env = "X"\n',
        0o644,
    )
    assert load_config(open_cfg).accounts["a"].resolve_password("a") == "pw"


@pytest.mark.parametrize(
    "cmd",
    [
        '"printf %s safe; touch {marker}"',
        '["printf", "%s", "safe; touch {marker}"]',
        '["printf", "%s", "$(touch {marker})"]',
        '"printf %s `touch {marker}`"',
    ],
)
def test_password_cmd_runs_without_a_shell(tmp_path, cmd):
    marker = tmp_path / "injected"
    cfg = write(
        tmp_path / "c.toml",
        f'[accounts.a]\nhost = "h"\npassword_cmd = {cmd.format(marker=marker)}\n',
    )
    password = load_config(cfg).accounts["a"].resolve_password("a")
    assert not marker.exists(), "the password command went through a shell"
    assert password and ("touch" in password or "safe" in password)


def test_password_cmd_failures_are_sentences(tmp_path):
    cfg = write(
        tmp_path / "c.toml",
        '[accounts.a]\nhost = "h"\npassword_cmd = ["false"]\n'
        '[accounts.b]\nhost = "h"\npassword_cmd = ["/nonexistent/pass-helper"]\n',
    )
    config = load_config(cfg)
    with pytest.raises(ConfigError, match=r"failed \(exit 1\)"):
        config.accounts["a"].resolve_password("a")
    with pytest.raises(ConfigError, match="was not found"):
        config.accounts["b"].resolve_password("b")


def test_password_env(tmp_path, monkeypatch):
    cfg = write(tmp_path / "c.toml", '[accounts.a]\nhost = "h"\npassword_env = "INBOX_PW_T"\n')
    with pytest.raises(ConfigError, match=r"INBOX_PW_T .* is not set"):
        load_config(cfg).accounts["a"].resolve_password("a")
    monkeypatch.setenv("INBOX_PW_T", "s3cret")
    assert load_config(cfg).accounts["a"].resolve_password("a") == "s3cret"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("db = \n", "is not valid TOML"),
        ("[accounts.a]\nhost = 'h'\nport = 99999\n", "port must be a port number"),
        ("[accounts.a]\nhost = 'h'\nport = 'imap'\n", "port must be a port number"),
        ("[accounts.a]\nhost = 'h'\n[accounts.a.smtp]\nhost = 'h'\nport = 0\n", "port"),
        ("[accounts.a]\nhost = 'h'\nsecurity = 'none'\n", "security must be one of"),
        ("[accounts.a]\nport = 993\n", "needs a host"),
        ("[keys]\nreply = 1\n", '[keys]: each entry must be action = "key".'),
        ("[accounts.a]\nhost = 'h'\npassword_cmd = 5\n", "password_cmd must be"),
        ("[accounts.a]\nhost = 'h'\ntimeout = 'soon'\n", "timeout must be a number"),
        ("[accounts.a]\nhost = 'h'\n[accounts.a.smtp]\nhost = 'h'\ntimeout = -1\n", "timeout"),
    ],
)
def test_bad_config_is_one_sentence(tmp_path, text, expected):
    cfg = write(tmp_path / "c.toml", text)
    done = cli("--config", str(cfg), "--db", f"sqlite:///{tmp_path / 'x.db'}", "outbox", "list")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("inbox-tui: "), done.stderr
    assert expected in lines[0]
    assert "Something went wrong" not in lines[0]
