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

    [mail]
    undo_seconds = 10           # replies wait this long in the outbox (0: send at once)
    max_attachment_mb = 25      # per file; larger ones are recorded as too large
    max_message_attachments_mb = 50

    [keys]                      # remap any binding: action = "key"
    note = "N"

    [compose]
    editor = true               # r opens $EDITOR at once (ctrl+e does from the composer)
    editor_command = "nvim"     # default: $VISUAL, then $EDITOR, then vi

    [undo]
    minutes = 10                # how far back ctrl+z / U reaches

Secrets never live in the database. A config file that holds a literal secret and that
other users can read is refused.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import stat
import string
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inbox_tui.errors import UserError
from inbox_tui.sanitize import one_line

if TYPE_CHECKING:
    # Loaded when a config file is read (pydantic: ~0.13 s of CPU at start-up), not by
    # whatever needs only the Config types (the TUI, the benchmarks, the demo).
    from inbox_tui import config_schema

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
    # The mailbox's signature, and per-agent ones for it ([accounts.NAME.signatures]).
    signature: Signature | None = None
    agent_signatures: dict[str, Signature] = field(default_factory=dict)


@dataclass
class Signature:
    """Signature text written in the config, or a file (edited with $EDITOR) read at
    each reply so an edit needs no restart. May use the macro placeholders."""

    text: str | None = None
    file: Path | None = None

    def read(self) -> str:
        if self.file is None:
            return self.text or ""
        try:
            return self.file.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"The signature file {self.file} does not exist.") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"The signature file {self.file} cannot be read as UTF-8 text."
            ) from exc


@dataclass
class MailSettings:
    """[mail]: undo delay and attachment size caps. Code that builds a ``Config`` by
    hand sends at once; a loaded config waits ``[mail] undo_seconds`` (10 by default)."""

    undo_seconds: float = 0.0
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_message_attachment_bytes: int = 50 * 1024 * 1024


@dataclass
class AgentIdentity:
    username: str
    # [agent] name; None when the config gives none: the store's name stays (walk10: a
    # config without one renamed "Diego Alvarez" to "diego" for the whole team).
    name: str | None
    email: str | None = None
    signature: Signature | None = None
    timezone: str | None = None  # [agent] timezone (None: the system's; when.local_zone_name)


@dataclass
class Config:
    path: Path | None
    db_url: str | None
    agent: AgentIdentity
    accounts: dict[str, Account] = field(default_factory=dict)
    chat_agents: dict[str, str] = field(default_factory=dict)  # chat handle -> username
    keys: dict[str, str] = field(default_factory=dict)  # action -> key(s)
    business_hours: dict[str, Any] | None = None
    # [sla]: response targets (services/sla.SlaPolicy.from_config reads it).
    sla: dict[str, Any] | None = None
    # [assignment]: fair auto-assignment (services/autoassign.AssignPolicy.from_config).
    assignment: dict[str, Any] | None = None
    mail: MailSettings = field(default_factory=MailSettings)
    # Chat replies are appended here as JSON lines for a bridge to deliver ([chat]).
    chat_outgoing_log: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the whole file, for later sections
    # The demo inbox: replies are recorded in the store but never sent anywhere.
    demo: bool = False
    # [compose]: write replies in $EDITOR by default (r opens the editor at once), and
    # the editor to run instead of $VISUAL / $EDITOR.
    compose_in_editor: bool = False
    editor_command: list[str] | None = None
    # [undo] minutes: how far back ctrl+z / U reaches.
    undo_minutes: float = 10.0
    # [suggest] semantic: rank by meaning too when the optional model is installed.
    semantic: bool = True
    # [insight]: the repeat-contact window, and the bug-reference pattern (None: default).
    repeat_days: int = 7
    bug_pattern: str | None = None
    category_on_close: str = "ask"  # "ask", "require" or "off" (services/categories)
    # [rules] file: run on each sync and import (services/rules.configured_rules).
    rules_file: Path | None = None


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
    from inbox_tui import config_schema

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
        name=one_line(spec.agent.name or "", 200) or None,
        email=one_line(spec.agent.email, 320) if spec.agent.email else None,
        signature=_signature(spec.agent, "[agent]"),
        timezone=spec.agent.timezone,
    )
    accounts: dict[str, Account] = {}
    for name, section in spec.accounts.items():
        accounts[name] = _account(name, section)
    db_url = db or os.environ.get("INBOX_TUI_DB") or spec.db
    return Config(
        path=path,
        db_url=db_url,
        agent=agent,
        accounts=accounts,
        chat_agents=dict(spec.chat.agents),
        keys=dict(spec.keys),
        business_hours=spec.business_hours.model_dump() if spec.business_hours else None,
        sla=spec.sla.model_dump() if spec.sla else None,
        assignment=spec.assignment.model_dump(),
        mail=MailSettings(
            undo_seconds=float(spec.mail.undo_seconds),
            max_attachment_bytes=int(spec.mail.max_attachment_mb * MB),
            max_message_attachment_bytes=int(spec.mail.max_message_attachments_mb * MB),
        ),
        chat_outgoing_log=Path(spec.chat.outgoing_log).expanduser()
        if spec.chat.outgoing_log
        else None,
        raw=data,
        compose_in_editor=spec.compose.editor,
        editor_command=list(spec.compose.editor_command) if spec.compose.editor_command else None,
        undo_minutes=float(spec.undo.minutes),
        semantic=spec.suggest.semantic,
        repeat_days=int(spec.insight.repeat_days),
        bug_pattern=spec.insight.bug_pattern,
        category_on_close=spec.insight.category_on_close,
        rules_file=_beside(path, spec.rules.file) if spec.rules.file else None,
    )


def _beside(config_path: Path | None, name: str) -> Path:
    """A file named in the config: ``~`` expanded, relative to the config file's folder."""
    found = Path(name).expanduser()
    if not found.is_absolute() and config_path is not None:
        found = config_path.parent / found
    return found


def _account(name: str, section: config_schema.AccountSection) -> Account:
    """One validated ``[accounts.NAME]`` table (and its ``smtp`` table) as settings."""
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
    return Account(
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
        signature=_signature(section, f"[accounts.{name}]"),
        agent_signatures=_agent_signatures(section.signatures, f"[accounts.{name}]"),
        **_credentials(section),
    )


MB = 1024 * 1024


def _signature(section: config_schema.SignatureFields, where: str) -> Signature | None:
    text, path = section.signature, section.signature_file
    if text is not None and path is not None:
        raise ConfigError(f"{where}: give signature or signature_file, not both.")
    if text is None and path is None:
        return None
    if text is not None:
        _check_signature(text, where)
    return Signature(text=text, file=Path(path).expanduser() if path else None)


def _check_signature(text: str, where: str) -> None:
    from inbox_tui.macros import template

    try:
        parsed = template.parse(text)
    except template.TemplateError as exc:
        raise ConfigError(f"{where}: the signature is not valid: {exc}") from exc
    if parsed.asks or parsed.articles:
        raise ConfigError(f"{where}: a signature cannot use ask: or article: placeholders.")


def _agent_signatures(
    section: dict[str, str | config_schema.SignatureSection], where: str
) -> dict[str, Signature]:
    out = {}
    for agent, value in section.items():
        if isinstance(value, str):
            _check_signature(value, f"{where}.signatures")
            out[str(agent)] = Signature(text=value)
        else:
            sig = _signature(value, f"{where}.signatures.{agent}")
            if sig is not None:
                out[str(agent)] = sig
    return out


def signature_for(config: Config, username: str, account: str | None) -> str | None:
    """The signature template for this agent replying from this mailbox: the
    mailbox's per-agent one, else the agent's own, else the mailbox's."""
    acc = config.accounts.get(account) if account else None
    candidates = [
        acc.agent_signatures.get(username) if acc else None,
        config.agent.signature if config.agent.username == username else None,
        acc.signature if acc else None,
    ]
    for sig in candidates:
        if sig is not None:
            text = sig.read()
            if sig.file is not None:
                _check_signature(text, f"the signature file {sig.file}")
            return text
    return None


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- [keys] ---------------------------------------------------------------------------
#
# What a terminal can send, in Textual's key names (tests/test_config.py checks these
# against Textual's own list, so they cannot drift): a printable character (punctuation
# by its name too: "slash", "question_mark"), the named keys, and the modifier
# combinations terminals encode. "ctrl+i", "ctrl+m" and "ctrl+[" arrive as tab, enter and
# escape, so they can never be pressed as themselves.

_NAV = ("up", "down", "left", "right", "home", "end", "pageup", "pagedown", "insert", "delete")
_FKEYS = tuple(f"f{n}" for n in range(1, 25))
_NAMED = {"backspace", "enter", "escape", "space", "tab", *_NAV, *_FKEYS}
_CTRL = {
    *"abcdefghjklnopqrstuvwxyz0123456789@",
    "backslash",
    "right_square_bracket",
    "circumflex_accent",
    "underscore",
    *_NAV,
    *_FKEYS,
}
_SHIFT = {*_NAV, "tab", "escape"}
_CTRL_SHIFT = {*"0123456789", *_NAV}
_SENT_AS = {"ctrl+i": "tab", "ctrl+m": "enter", "ctrl+left_square_bracket": "escape"}


# Textual's short names for some characters (textual.keys.KEY_NAME_REPLACEMENTS).
_SHORT_NAMES = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}


def _char_name(char: str) -> str:
    """Textual's name for a punctuation character ("/" is "slash", "?" "question_mark")."""
    import unicodedata

    name = unicodedata.name(char, char).lower().replace("-", "_").replace(" ", "_")
    return _SHORT_NAMES.get(name, name)


def normalise_key(key: str) -> str:
    """One key as Textual names it: a single punctuation character becomes its name."""
    if len(key) == 1 and not key.isalnum():
        return _char_name(key)
    return key


_PUNCTUATION_NAMES = frozenset(_char_name(c) for c in string.punctuation)


def _is_character(base: str) -> bool:
    """A printable character, or the name of an ASCII punctuation character."""
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    return base in _PUNCTUATION_NAMES


def key_problem(key: str) -> str | None:
    """Why no terminal can send ``key`` (one clause), or None when it is a real key."""
    if not key or key != key.strip() or " " in key:
        return f"'{key}' is not a key (write keys like r, R, ctrl+s, f2 or slash)"
    norm = normalise_key(key)
    if norm in _SENT_AS:
        return f"'{key}' arrives as {_SENT_AS[norm]} in a terminal, so it can never be pressed"
    if norm in _NAMED or _is_character(norm):
        return None
    mods, _, base = norm.rpartition("+")
    ok = (
        (mods == "ctrl" and base in _CTRL)
        or (mods == "shift" and base in _SHIFT)
        or (mods == "ctrl+shift" and base in _CTRL_SHIFT)
        or (mods == "alt" and (base in _NAMED or _is_character(base)))
        or (mods == "alt+shift" and len(base) == 1 and base.isalpha() and base.islower())
    )
    if ok:
        return None
    return f"'{key}' is not a key a terminal can send (try a letter, ctrl+LETTER or f1-f24)"


def check_keys(
    keys: dict[str, str],
    actions: dict[str, str],
    fixed: dict[str, str] | None = None,
    where: str = "[keys]",
) -> None:
    """Check the config's ``[keys]`` against the screen's actions before the TUI starts.

    ``actions``: action name -> its default keys (comma-separated); ``fixed``: keys that
    are not actions but are taken (moving in the list, ...) -> what they do. Raises
    ConfigError, one sentence, for an unknown action name, a key no terminal can send,
    or a key that two actions (or an action and a fixed key) would share, which would
    silently make one of them unreachable."""
    for name, value in keys.items():
        if name not in actions:
            close = _closest(name, actions)
            hint = f" (did you mean {close}?)" if close else ""
            raise ConfigError(
                f"{where}: '{name}' is not an action{hint}; the actions are "
                f"{', '.join(sorted(actions))}."
            )
        parts = value.split(",")
        if not value.strip():
            raise ConfigError(f'{where}: {name} = "" gives the action no key.')
        for part in parts:
            problem = key_problem(part.strip())
            if problem:
                raise ConfigError(f"{where}: {name} = {value!r}: {problem}.")
    # key -> (action name, or None for a fixed key; what it does)
    owner: dict[str, tuple[str | None, str]] = {
        normalise_key(k): (None, what) for k, what in (fixed or {}).items()
    }
    for name, default in actions.items():
        value = keys.get(name, default)
        for part in value.split(","):
            key = normalise_key(part.strip())
            if key not in owner:
                owner[key] = (name, name)
                continue
            other, what = owner[key]
            shown = part.strip()
            if other is None:
                raise ConfigError(
                    f'{where}: {name} = "{value}" takes {shown}, the key that {what}; '
                    f"pick another key for {name}."
                )
            if other in keys and name in keys:
                raise ConfigError(
                    f"{where}: {other} and {name} both have the key {shown}, so one of "
                    "them could never be used; give each its own key."
                )
            mapped, unmapped = (name, other) if name in keys else (other, name)
            shown = next(
                (p.strip() for p in keys[mapped].split(",") if normalise_key(p.strip()) == key),
                shown,
            )
            raise ConfigError(
                f'{where}: {mapped} = "{keys[mapped]}" takes {shown} from {unmapped}, '
                f"which could then never be used; give {unmapped} another key too "
                f'({unmapped} = "...") or pick another for {mapped}.'
            )


def _closest(name: str, actions: dict[str, str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, list(actions), n=1, cutoff=0.6)
    return found[0] if found else None
