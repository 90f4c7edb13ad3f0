"""Configuration: one TOML file, found at ``--config``, ``$INBOX_TUI_CONFIG`` or the XDG
config path (``~/.config/inbox-tui/config.toml``). Every setting is optional; with no
file at all the app runs on a per-user SQLite store as the OS user.

Example (every key documented in README.md)::

    db = "sqlite:////srv/support/inbox.db"   # or postgresql+psycopg://inbox@db/inbox

    [agent]
    username = "sam"            # default: the OS login name (SSH login is the identity)
    name = "Sam Carter"
    email = "sam@example.com"

    [accounts.support]
    host = "imap.example.com"
    port = 993
    security = "tls"            # "tls" (default, verified) or "plain" (loopback only)
    username = "support@example.com"
    password_cmd = ["pass", "show", "support-imap"]   # run without a shell
    # password_env = "SUPPORT_IMAP_PASSWORD"
    mailboxes = ["INBOX"]
    address = "support@example.com"

    [accounts.support.smtp]
    host = "smtp.example.com"
    port = 465
    security = "tls"            # "tls", "starttls" or "plain" (loopback only)

    [chat.agents]               # chat handles that are our agents
    "slack:U024BE7LH" = "sam"

    [keys]                      # remap any binding: action = "key"
    reply = "R"

Secrets never live in the database. A config file that holds a literal secret and that
other users can read is refused.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import stat
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbox_tui import config_schema
from inbox_tui.errors import UserError
from inbox_tui.sanitize import one_line

SECRET_KEYS = ("password", "secret", "token")


class ConfigError(UserError):
    pass


@dataclass
class Credentials:
    """Where a password comes from: a command (no shell) or an environment variable."""

    username: str | None = None
    password_cmd: list[str] | None = None
    password_env: str | None = None
    password: str | None = None  # only from a private (0600) config file

    def resolve_password(self, what: str) -> str | None:
        """The password, or None when none is configured. Raises ConfigError with a
        plain sentence when the command fails or the variable is unset. Blocks for up to
        ``PASSWORD_CMD_TIMEOUT``: async code calls ``resolve_password_async``."""
        if self.password_cmd:
            return _run_password_cmd(self.password_cmd, what)
        return self._password_without_command(what)

    async def resolve_password_async(self, what: str) -> str | None:
        """``resolve_password`` for the event loop: the command runs in a worker thread
        (its own process group, killed whole at the timeout), so a hanging password
        helper never freezes the screen."""
        if self.password_cmd:
            import asyncio

            return await asyncio.to_thread(_run_password_cmd, self.password_cmd, what)
        return self._password_without_command(what)

    def _password_without_command(self, what: str) -> str | None:
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"The environment variable {self.password_env} (password for {what}) is not set."
                )
            return value
        return self.password


PASSWORD_CMD_TIMEOUT = 30.0


def _run_password_cmd(cmd: list[str], what: str) -> str:
    """Run a password helper without a shell, in its own process group (so a helper that
    forks, like ``sh -c 'sleep 100; …'``, is killed whole), for at most
    ``PASSWORD_CMD_TIMEOUT`` seconds. Its output is capped at 64 KB."""
    import signal

    timeout = PASSWORD_CMD_TIMEOUT
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ConfigError(f"The password command for {what} ({cmd[0]}) was not found.") from exc
    except PermissionError as exc:
        raise ConfigError(
            f"The password command for {what} ({cmd[0]}) cannot be run: permission denied."
        ) from exc
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ConfigError(
            f"The password command for {what} took over {timeout:g} seconds and was stopped."
        ) from exc
    if proc.returncode != 0:
        raise ConfigError(
            f"The password command for {what} failed (exit {proc.returncode}); run it by hand to see why."
        )
    return out[:65536].decode("utf-8", "replace").rstrip("\r\n")


@dataclass
class SmtpSettings(Credentials):
    host: str = ""
    port: int = 465
    security: str = "tls"  # tls | starttls | plain
    tls_ca_file: str | None = None
    allow_plain: bool = False
    timeout: float = 30.0


@dataclass
class Account(Credentials):
    name: str = ""
    host: str = ""
    port: int = 993
    security: str = "tls"  # tls | plain
    tls_ca_file: str | None = None
    allow_plain: bool = False  # "plain" to a non-loopback host needs this
    mailboxes: list[str] = field(default_factory=lambda: ["INBOX"])
    sent_mailbox: str | None = "Sent"
    address: str | None = None  # the address replies are sent from
    from_name: str | None = None
    smtp: SmtpSettings | None = None
    timeout: float = 30.0


@dataclass
class AgentIdentity:
    username: str
    name: str
    email: str | None = None


@dataclass
class Config:
    path: Path | None
    db_url: str | None
    agent: AgentIdentity
    accounts: dict[str, Account] = field(default_factory=dict)
    chat_agents: dict[str, str] = field(default_factory=dict)  # chat handle -> username
    keys: dict[str, str] = field(default_factory=dict)  # action -> key(s)
    business_hours: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the whole file, for later sections
    # The demo inbox: replies are recorded in the store but never sent anywhere.
    demo: bool = False


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("inbox-tui") / "config.toml"


def os_username() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "agent"


def load_config(path: str | Path | None = None, *, db: str | None = None) -> Config:
    """Read the config. ``path`` None means ``$INBOX_TUI_CONFIG`` or the XDG default;
    a missing default file is fine, a missing explicit one is an error."""
    explicit = path is not None or "INBOX_TUI_CONFIG" in os.environ
    cfg_path = Path(
        path or os.environ.get("INBOX_TUI_CONFIG") or default_config_path()
    ).expanduser()
    data: dict[str, Any] = {}
    if cfg_path.exists():
        data = _read_toml(cfg_path)
        _check_secret_permissions(cfg_path, data)
    elif explicit:
        raise ConfigError(f"The config file {cfg_path} does not exist.")
    else:
        cfg_path = None  # type: ignore[assignment]
    return _build(cfg_path, data, db)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except PermissionError as exc:
        raise ConfigError(f"Cannot read the config file {path}: permission denied.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The config file {path} is not valid TOML: {exc}.") from exc
    except RecursionError as exc:
        raise ConfigError(f"The config file {path} is nested too deeply to read.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The config file {path} is not UTF-8 text.") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"The config path {path} is a folder, not a file.") from exc


def _has_literal_secret(obj: Any) -> bool:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if (
                any(s in str(key).lower() for s in SECRET_KEYS)
                and isinstance(value, str)
                and not str(key).endswith(("_cmd", "_env"))
            ):
                return True
            if str(key) == "db" and isinstance(value, str) and url_has_password(value):
                return True
            if _has_literal_secret(value):
                return True
    elif isinstance(obj, list):
        return any(_has_literal_secret(v) for v in obj)
    return False


def url_has_password(url: str) -> bool:
    """True when a database URL carries a password (``scheme://user:PASSWORD@host``)."""
    from inbox_tui.sanitize import URL_PASSWORD

    return bool(URL_PASSWORD.search(url))


def _check_secret_permissions(path: Path, data: dict[str, Any]) -> None:
    if not _has_literal_secret(data):
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH | stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"The config file {path} holds a password and other users can read it; "
            f"run `chmod 600 {path}`, or use password_cmd / password_env "
            "(for the database: ~/.pgpass or PGPASSWORD) instead."
        )


def _credentials(section: config_schema._Credentials) -> dict[str, Any]:
    return {
        "username": section.username,
        "password_cmd": list(section.password_cmd) if section.password_cmd else None,
        "password_env": section.password_env,
        "password": section.password,
    }


def _build(path: Path | None, data: dict[str, Any], db: str | None) -> Config:
    try:
        spec = config_schema.validate(data)
    except config_schema.SchemaError as exc:
        where = f"The config file {path}" if path else "The config"
        raise ConfigError(f"{where} has a mistake: {exc}") from None
    # An agent's name and address reach other agents' screens through the store: they
    # are untrusted text like any other.
    username = one_line(spec.agent.username or os_username(), 100)
    agent = AgentIdentity(
        username=username,
        name=one_line(spec.agent.name or "", 200) or username,
        email=one_line(spec.agent.email, 320) if spec.agent.email else None,
    )
    accounts: dict[str, Account] = {}
    for name, section in spec.accounts.items():
        smtp = None
        if section.smtp is not None:
            s = section.smtp
            creds = _credentials(s)
            # SMTP usually shares the IMAP login; fall back to it.
            if not (creds["password_cmd"] or creds["password_env"] or creds["password"]):
                for k, v in _credentials(section).items():
                    if k != "username":
                        creds[k] = v
            creds["username"] = creds["username"] or section.username
            smtp = SmtpSettings(
                host=s.host,
                port=s.port,
                security=s.security,
                tls_ca_file=s.tls_ca_file,
                allow_plain=s.allow_plain,
                timeout=float(s.timeout),
                **creds,
            )
        accounts[name] = Account(
            name=name,
            host=section.host,
            port=section.port,
            security=section.security,
            tls_ca_file=section.tls_ca_file,
            allow_plain=section.allow_plain,
            mailboxes=list(section.mailboxes),
            sent_mailbox=section.sent_mailbox,
            address=section.address or section.username,
            from_name=section.from_name,
            smtp=smtp,
            timeout=float(section.timeout),
            **_credentials(section),
        )
    db_url = db or os.environ.get("INBOX_TUI_DB") or spec.db
    return Config(
        path=path,
        db_url=db_url,
        agent=agent,
        accounts=accounts,
        chat_agents=dict(spec.chat.agents),
        keys=dict(spec.keys),
        business_hours=spec.business_hours.model_dump() if spec.business_hours else None,
        raw=data,
    )


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
