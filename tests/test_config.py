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
    flag = write(tmp_path / "flag.toml", 'db = "sqlite:///cfg.db"\n[agent]\nusername = "flag"\n')
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
        ("[keys]\nreply = 1\n", 'keys.reply must be a key name in quotes, like "R", not 1.'),
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


def bad_config_sentence(tmp_path: Path, text: str) -> str:
    """The one line the CLI prints for a config file, after checking it is one line."""
    cfg = write(tmp_path / "c.toml", text)
    done = cli("--config", str(cfg), "--db", f"sqlite:///{tmp_path / 'x.db'}", "outbox", "list")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("inbox-tui: "), done.stderr
    assert "Something went wrong" not in lines[0]
    assert str(cfg) in lines[0], "the sentence names the file"
    return lines[0]


@pytest.mark.parametrize(
    "text, expected",
    [
        # issue 19, finding 10: wrong types used to be "Something went wrong (AttributeError)"
        ('agent = "x"\n', "agent must be a table, not 'x'."),
        ("accounts = [1, 2]\n", "accounts must be a table of accounts"),
        ('chat = "x"\n', "chat must be a table, not 'x'."),
        ('business_hours = "x"\n', "business_hours must be a table, not 'x'."),
        ("[business_hours]\ntimezone = 'Mars/Base'\n", "timezone must be a time zone name"),
        ("[chat.agents]\n'slack:U1' = 3\n", "must be a username in quotes"),
        ("[accounts.a]\nhost = 'h'\nmailboxes = ['INBOX', 3]\n", "mailboxes[1] must be"),
        # unknown keys, with "did you mean"
        ("[acounts.x]\nhost = 'h'\n", "unknown key 'acounts'; did you mean 'accounts'?"),
        (
            "[accounts.a]\nhost = 'h'\nalow_plain = true\n",
            "[accounts.a] has an unknown key 'alow_plain'; did you mean 'allow_plain'?",
        ),
        ("zebra = 1\n", "unknown key 'zebra' (known keys: db, agent"),
        # the TOML trap: a top-level key written after a [table] header
        ("[agent]\nusername = 'a'\ndb = 'sqlite:///x.db'\n", "move it above the first [table]"),
        # issue 19, finding 3: bool("false") was True
        (
            "[accounts.a]\nhost = 'imap.example.com'\nsecurity = 'plain'\nallow_plain = 'false'\n",
            "[accounts.a] allow_plain must be true or false (without quotes), not 'false'.",
        ),
        (
            "[accounts.a]\nhost = 'h'\n[accounts.a.smtp]\nhost = 'h'\nallow_plain = 'no'\n",
            "[accounts.a.smtp] allow_plain must be true or false",
        ),
    ],
)
def test_schema_mistakes_are_one_sentence_naming_key_and_file(tmp_path, text, expected):
    assert expected in bad_config_sentence(tmp_path, text)


def test_allow_plain_string_false_never_allows_plain(tmp_path):
    cfg = write(
        tmp_path / "c.toml",
        "[accounts.a]\nhost = 'imap.example.com'\nsecurity = 'plain'\nallow_plain = 'false'\n",
    )
    with pytest.raises(ConfigError, match="allow_plain must be true or false"):
        load_config(cfg)
    ok = write(tmp_path / "ok.toml", "[accounts.a]\nhost = 'h'\nallow_plain = false\n")
    assert load_config(ok).accounts["a"].allow_plain is False


def test_several_mistakes_are_all_reported(tmp_path):
    line = bad_config_sentence(tmp_path, 'agent = "x"\nchat = 1\nzebra = 2\n')
    assert "agent must be" in line and "chat must be" in line and "'zebra'" in line


def test_database_password_in_a_readable_config_is_refused(tmp_path):
    """Issue 19, finding 8: the literal-password check ignored the db URL."""
    text = 'db = "postgresql+psycopg://inbox:SECRET@db.example/inbox"\n'
    cfg = write(tmp_path / "c.toml", text, 0o644)
    with pytest.raises(ConfigError, match="holds a password and other users can read it"):
        load_config(cfg)
    done = cli("--config", str(cfg), "outbox", "list")
    assert done.returncode != 0 and "SECRET" not in done.stderr + done.stdout
    assert "chmod 600" in done.stderr
    private = write(tmp_path / "p.toml", text, 0o600)
    assert load_config(private).db_url == "postgresql+psycopg://inbox:SECRET@db.example/inbox"
    no_password = write(tmp_path / "n.toml", 'db = "postgresql+psycopg://inbox@db/x"\n', 0o644)
    assert load_config(no_password).db_url == "postgresql+psycopg://inbox@db/x"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://inbox:SECRET@host:notaport/db",
        "postgresql+psycopg://inbox:SECRET@127.0.0.1:1/db",
        "postgresql+psycopg://inbox:SECRET@",
        "nosuch+driver://inbox:SECRET@h/x",
        "postgresql+nosuchdriver://inbox:SECRET@h/x",
        "postgresql+psycopg//inbox:SECRET@h/x",
        "postgresql+psycopg:/inbox:SECRET@h/x",
        "inbox:SECRET@h/x",
        "postgres ql://inbox:SECRET@h/x",
        "postgresql+psycopg://inbox:SE/C:R@ET@h/x",
    ],
)
def test_database_password_never_printed_or_logged(tmp_path, url):
    """Issue 19, finding 8: a malformed --db URL printed its password."""
    done = cli("--db", url, "stats", env={"XDG_STATE_HOME": str(tmp_path / "state")})
    assert done.returncode != 0
    assert "SECRET" not in done.stderr + done.stdout, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    logs = list((tmp_path / "state").rglob("*.log"))
    assert all("SECRET" not in p.read_text() for p in logs)


def test_reference_is_generated_from_the_schema():
    from inbox_tui.config_schema import ConfigFile, reference_markdown

    doc = Path(__file__).parent.parent / "docs" / "config.md"
    assert doc.read_text() == reference_markdown(), (
        "docs/config.md is stale: python -m inbox_tui.config_schema > docs/config.md"
    )
    for key in ConfigFile.model_fields:
        assert f"| `{key}` |" in doc.read_text()


async def test_hanging_password_cmd_never_blocks_the_event_loop(tmp_path, monkeypatch):
    """Issue 19, finding 7: the command ran blocking inside the async mail task. It now
    runs off the loop, in its own process group, and is killed whole at the timeout."""
    import asyncio
    import time

    from inbox_tui import config as config_module

    monkeypatch.setattr(config_module, "PASSWORD_CMD_TIMEOUT", 1.5)
    pidfile = tmp_path / "grandchild.pid"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    cfg = write(
        tmp_path / "c.toml",
        f"[accounts.a]\nhost = 'h'\npassword_cmd = ['sh', '-c', {script!r}]\n",
    )
    account = load_config(cfg).accounts["a"]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"took over 1.5 seconds and was stopped"):
        await account.resolve_password_async("account a")
    elapsed = time.monotonic() - started
    task.cancel()
    assert elapsed < 10
    assert ticks >= 15, f"the event loop ticked only {ticks} times in {elapsed:.1f} s"
    grandchild = int(pidfile.read_text())
    for _ in range(50):
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the password command's child outlived the timeout")


def test_agent_identity_from_the_config_is_clean_text(tmp_path):
    cfg = write(
        tmp_path / "c.toml",
        '[agent]\nusername = "sam"\nname = "Sam \\u001b]52;c;aGk=\\u0007\\u202eX"\n'
        'email = "s\\u0000am@example.com"\n',
    )
    agent = load_config(cfg).agent
    assert agent.name == "Sam ]52;c;aGk=X" and agent.email == "sam@example.com"
