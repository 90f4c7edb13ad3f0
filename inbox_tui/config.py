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
    reply = "R"

    [compose]
    editor = true               # r opens $EDITOR at once (ctrl+e does from the composer)
    editor_command = "nvim"     # default: $VISUAL, then $EDITOR, then vi

    [undo]
    minutes = 10                # how far back ctrl+z / U reaches

Secrets never live in the database. A config file that holds a literal secret and that
other users can read is refused.
"""

from __future__ import annotations

import getpass
import os
import shlex
import stat
import string
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbox_tui.errors import UserError

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
        plain sentence when the command fails or the variable is unset."""
        if self.password_cmd:
            try:
                out = subprocess.run(
                    self.password_cmd, capture_output=True, text=True, timeout=30, check=False
                )
            except FileNotFoundError as exc:
                raise ConfigError(
                    f"The password command for {what} ({self.password_cmd[0]}) was not found."
                ) from exc
            except subprocess.TimeoutExpired as exc:
                raise ConfigError(f"The password command for {what} took over 30 seconds.") from exc
            if out.returncode != 0:
                raise ConfigError(
                    f"The password command for {what} failed (exit {out.returncode}); run it by hand to see why."
                )
            return out.stdout.rstrip("\r\n")
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"The environment variable {self.password_env} (password for {what}) is not set."
                )
            return value
        return self.password


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
    hand sends at once; a loaded config waits ``DEFAULT_UNDO_SECONDS``."""

    undo_seconds: float = 0.0
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_message_attachment_bytes: int = 50 * 1024 * 1024


DEFAULT_UNDO_SECONDS = 10.0


@dataclass
class AgentIdentity:
    username: str
    name: str
    email: str | None = None
    signature: Signature | None = None


@dataclass
class Config:
    path: Path | None
    db_url: str | None
    agent: AgentIdentity
    accounts: dict[str, Account] = field(default_factory=dict)
    chat_agents: dict[str, str] = field(default_factory=dict)  # chat handle -> username
    keys: dict[str, str] = field(default_factory=dict)  # action -> key(s)
    business_hours: dict[str, Any] | None = None
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
            if _has_literal_secret(value):
                return True
    elif isinstance(obj, list):
        return any(_has_literal_secret(v) for v in obj)
    return False


def _check_secret_permissions(path: Path, data: dict[str, Any]) -> None:
    if not _has_literal_secret(data):
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH | stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"The config file {path} holds a password and other users can read it; "
            f"run `chmod 600 {path}`, or use password_cmd / password_env instead."
        )


def _credentials(section: dict[str, Any], where: str) -> dict[str, Any]:
    cmd = section.get("password_cmd")
    if isinstance(cmd, str):
        cmd = shlex.split(cmd)
    if cmd is not None and not (
        isinstance(cmd, list) and cmd and all(isinstance(c, str) for c in cmd)
    ):
        raise ConfigError(f"{where}: password_cmd must be a command line or a list of strings.")
    return {
        "username": _opt_str(section, "username", where),
        "password_cmd": cmd,
        "password_env": _opt_str(section, "password_env", where),
        "password": _opt_str(section, "password", where),
    }


def _opt_str(section: dict[str, Any], key: str, where: str) -> str | None:
    value = section.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be text.")
    return value


def _int(section: dict[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
        raise ConfigError(f"{where}: {key} must be a port number (1-65535).")
    return value


def _seconds(section: dict[str, Any], key: str, default: float, where: str) -> float:
    value = section.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 3600:
        raise ConfigError(f"{where}: {key} must be a number of seconds (up to 3600).")
    return float(value)


def _security(section: dict[str, Any], allowed: tuple[str, ...], where: str) -> str:
    value = section.get("security", "tls")
    if value not in allowed:
        raise ConfigError(f"{where}: security must be one of {', '.join(allowed)}.")
    return str(value)


def _build(path: Path | None, data: dict[str, Any], db: str | None) -> Config:
    agent_section = data.get("agent", {}) or {}
    username = agent_section.get("username") or os_username()
    agent = AgentIdentity(
        username=str(username),
        name=str(agent_section.get("name") or username),
        email=agent_section.get("email"),
        signature=_signature(agent_section, "[agent]"),
    )
    accounts = {
        name: _account(name, section) for name, section in (data.get("accounts") or {}).items()
    }
    chat = data.get("chat", {}) or {}
    keys = data.get("keys", {}) or {}
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError('[keys]: each entry must be action = "key".')
    db_url = db or os.environ.get("INBOX_TUI_DB") or data.get("db")
    outgoing = chat.get("outgoing_log")
    if outgoing is not None and not isinstance(outgoing, str):
        raise ConfigError("[chat]: outgoing_log must be a file path.")
    compose = _table(data, "compose")
    editor = compose.get("editor", False)
    if not isinstance(editor, bool):
        raise ConfigError("[compose]: editor must be true or false.")
    editor_cmd = compose.get("editor_command")
    if isinstance(editor_cmd, str):
        try:
            editor_cmd = shlex.split(editor_cmd)
        except ValueError as exc:
            raise ConfigError(f"[compose]: editor_command is not a command line: {exc}.") from exc
    if editor_cmd is not None and not (
        isinstance(editor_cmd, list) and editor_cmd and all(isinstance(c, str) for c in editor_cmd)
    ):
        raise ConfigError("[compose]: editor_command must be a command line or a list of strings.")
    undo_minutes = _table(data, "undo").get("minutes", 10)
    if (
        not isinstance(undo_minutes, int | float)
        or isinstance(undo_minutes, bool)
        or not 1 <= undo_minutes <= 1440
    ):
        raise ConfigError("[undo]: minutes must be a number from 1 to 1440.")
    return Config(
        path=path,
        db_url=db_url,
        agent=agent,
        accounts=accounts,
        chat_agents={str(k): str(v) for k, v in (chat.get("agents") or {}).items()},
        keys={str(k): str(v) for k, v in keys.items()},
        business_hours=data.get("business_hours"),
        mail=_mail_settings(data.get("mail")),
        chat_outgoing_log=Path(outgoing).expanduser() if outgoing else None,
        raw=data,
        compose_in_editor=editor,
        editor_command=editor_cmd,
        undo_minutes=float(undo_minutes),
    )


def _account(name: str, section: Any) -> Account:
    """One [accounts.NAME] table (with its smtp and signatures)."""
    where = f"[accounts.{name}]"
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table.")
    if not section.get("host"):
        raise ConfigError(f"{where} needs a host.")
    mailboxes = section.get("mailboxes", ["INBOX"])
    if not (isinstance(mailboxes, list) and all(isinstance(m, str) for m in mailboxes)):
        raise ConfigError(f"{where}: mailboxes must be a list of names.")
    smtp = None
    if isinstance(section.get("smtp"), dict):
        s = section["smtp"]
        swhere = f"[accounts.{name}.smtp]"
        if not s.get("host"):
            raise ConfigError(f"{swhere} needs a host.")
        creds = _credentials(s, swhere)
        # SMTP usually shares the IMAP login; fall back to it.
        if not (creds["password_cmd"] or creds["password_env"] or creds["password"]):
            for k in ("password_cmd", "password_env", "password"):
                creds[k] = _credentials(section, where)[k]
        creds["username"] = creds["username"] or section.get("username")
        smtp = SmtpSettings(
            host=str(s["host"]),
            port=_int(s, "port", 465, swhere),
            security=_security(s, ("tls", "starttls", "plain"), swhere),
            tls_ca_file=s.get("tls_ca_file"),
            allow_plain=bool(s.get("allow_plain", False)),
            timeout=_seconds(s, "timeout", 30, swhere),
            **creds,
        )
    return Account(
        name=name,
        host=str(section["host"]),
        port=_int(section, "port", 993, where),
        security=_security(section, ("tls", "plain"), where),
        tls_ca_file=section.get("tls_ca_file"),
        allow_plain=bool(section.get("allow_plain", False)),
        mailboxes=list(mailboxes),
        sent_mailbox=section.get("sent_mailbox", "Sent"),
        address=section.get("address") or section.get("username"),
        from_name=section.get("from_name"),
        smtp=smtp,
        timeout=_seconds(section, "timeout", 30, where),
        signature=_signature(section, where),
        agent_signatures=_agent_signatures(section.get("signatures"), where),
        **_credentials(section, where),
    )


def _signature(section: dict[str, Any], where: str) -> Signature | None:
    text, path = section.get("signature"), section.get("signature_file")
    if text is not None and path is not None:
        raise ConfigError(f"{where}: give signature or signature_file, not both.")
    if text is None and path is None:
        return None
    if not isinstance(text if text is not None else path, str):
        raise ConfigError(f"{where}: signature and signature_file must be text.")
    sig = Signature(text=text, file=Path(path).expanduser() if path else None)
    if text is not None:
        _check_signature(text, where)
    return sig


def _check_signature(text: str, where: str) -> None:
    from inbox_tui.macros import template

    try:
        parsed = template.parse(text)
    except template.TemplateError as exc:
        raise ConfigError(f"{where}: the signature is not valid: {exc}") from exc
    if parsed.asks or parsed.articles:
        raise ConfigError(f"{where}: a signature cannot use ask: or article: placeholders.")


def _agent_signatures(section: Any, where: str) -> dict[str, Signature]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f'{where}.signatures must be a table of agent = "text".')
    out = {}
    for agent, value in section.items():
        if isinstance(value, str):
            _check_signature(value, f"{where}.signatures")
            out[str(agent)] = Signature(text=value)
        elif isinstance(value, dict):
            sig = _signature(value, f"{where}.signatures.{agent}")
            if sig is not None:
                out[str(agent)] = sig
        else:
            raise ConfigError(f"{where}.signatures: {agent} must be text or a table.")
    return out


def _mail_settings(section: Any) -> MailSettings:
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ConfigError("[mail] must be a table.")

    def number(key: str, default: float, upper: float, what: str) -> float:
        value = section.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= upper:
            raise ConfigError(f"[mail]: {key} must be {what}.")
        return float(value)

    mb = 1024 * 1024
    return MailSettings(
        undo_seconds=number("undo_seconds", DEFAULT_UNDO_SECONDS, 600, "0-600 seconds"),
        max_attachment_bytes=int(
            number("max_attachment_mb", 25, 1024, "a size in MB (0-1024)") * mb
        ),
        max_message_attachment_bytes=int(
            number("max_message_attachments_mb", 50, 4096, "a size in MB (0-4096)") * mb
        ),
    )


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


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table.")
    return value


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
