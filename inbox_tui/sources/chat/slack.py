"""Slack workspace exports (a folder or the .zip Slack gives you): ``channels.json``,
``users.json`` and one folder per channel of per-day JSON files.

Users become names, ``<@U…>`` mentions become ``@name`` (and tell the splitter who is
addressed), ``<http…|label>`` links become ``label (http…)``; ``thread_ts`` keeps a
thread together; joins, leaves and other system subtypes are skipped with a reason; bot
messages are imported as messages from the bot (they are often the alert a customer
asks about) unless they have no text. A user's profile supplies their attributes
(``title``, ``phone``, ``timezone`` and custom fields that carry a label), stored as
``import contacts`` stores a CSV's; empty profile fields are left alone.
"""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from inbox_tui.paths import inside, real_root
from inbox_tui.sources import attributes
from inbox_tui.sources.chat import MAX_FILE_BYTES, ChatLine, Skip, unreadable

SYSTEM_SUBTYPES = {
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "channel_archive",
    "channel_unarchive",
    "pinned_item",
    "unpinned_item",
    "group_join",
    "group_leave",
}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]+))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#C[A-Z0-9]+\|([^>]+)>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


def plain_channel_name(name: object) -> bool:
    """A channel name that is one folder name inside the export: no separators, no NUL,
    not ``.`` or ``..``. Anything else in ``channels.json`` could lead the importer out
    of the export (``../x``, ``/etc``, ``..\\x``)."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(c in name for c in ("/", "\\", "\x00"))
    )


def _member_name(name: str) -> str | None:
    """A zip member's name, normalised, or None when it would lead outside the archive's
    root (``../x``, ``/x``, ``a/../../x``, backslashes or NUL)."""
    if "\x00" in name or "\\" in name or name.startswith("/"):
        return None
    norm = posixpath.normpath(name)
    if norm == ".." or norm.startswith("../") or norm.startswith("/"):
        return None
    return norm + ("/" if name.endswith("/") and norm != "." else "")


class _Tree:
    """The export as a folder or a zip, read the same way, never outside its root: a
    folder export's files and channel folders must resolve (links followed) inside the
    export folder; a zip is never extracted and only members whose normalised names stay
    inside are read (the others are listed in ``unsafe``)."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path) if path.is_file() else None
        self.root = path
        self.members: dict[str, str] = {}  # normalised name -> the zip's own name
        self.unsafe: list[str] = []
        self.prefix = ""
        self.real_root: Path | None = None
        if self.zip is not None:
            for n in self.zip.namelist():
                norm = _member_name(n)
                if norm is None:
                    self.unsafe.append(n)
                else:
                    self.members.setdefault(norm, n)
            self.prefix = _zip_prefix(self.members)
        else:
            self.real_root = real_root(path)

    def outside(self, rel: str) -> bool:
        """True when ``rel`` (a file or channel folder of a folder export) resolves to a
        place outside the export folder, through a link; a zip's members never do."""
        if self.zip is not None:
            return False
        return not inside(self.root / rel, self.real_root)

    def read(self, rel: str) -> bytes | None:
        """The file's bytes; FileTooLarge past ``MAX_FILE_BYTES`` (read no further,
        whatever a zip member's header claims)."""
        if self.zip is not None:
            member = self.members.get(self.prefix + rel)
            if member is None:
                return None
            with self.zip.open(member) as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        else:
            p = self.root / rel
            if self.outside(rel) or not p.is_file():
                return None
            with p.open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise FileTooLarge(rel)
        return data

    def day_files(self, channel: str) -> list[str]:
        if self.zip is not None:
            base = f"{self.prefix}{channel}/"
            return sorted(
                n[len(self.prefix) :]
                for n in self.members
                if n.startswith(base) and n.endswith(".json") and "/" not in n[len(base) :]
            )
        folder = self.root / channel
        return (
            sorted(f"{channel}/{p.name}" for p in folder.glob("*.json")) if folder.is_dir() else []
        )


def _zip_prefix(members: dict[str, str]) -> str:
    """The folder inside the zip that holds ``channels.json`` (the shallowest one)."""
    found = [
        n[: -len("channels.json")] for n in members if posixpath.basename(n) == "channels.json"
    ]
    return min(found, key=len) if found else ""


def is_export(path: Path) -> bool:
    if path.is_dir():
        return (path / "channels.json").exists()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return any(
                posixpath.basename(norm) == "channels.json"
                for norm in map(_member_name, z.namelist())
                if norm is not None
            )
    return False


class FileTooLarge(Exception):
    pass


def _shown(name: object) -> str:
    return repr(name if not isinstance(name, str) else name[:80])


def parse(path: Path) -> Iterator[ChatLine | Skip]:
    tree = _Tree(path)
    for member in tree.unsafe:
        yield Skip(
            f"{path}: zip member {_shown(member)}",
            "its name leads outside the export, so it was not read",
            problem=True,
        )
    if tree.outside("channels.json"):
        yield Skip(
            f"{path}/channels.json",
            "links to a file outside the export, so it was not read",
            problem=True,
        )
        return
    raw_channels = tree.read("channels.json")
    try:
        channels = json.loads(raw_channels or b"[]")
    except (ValueError, RecursionError):
        yield Skip(f"{path}/channels.json", "not valid JSON", problem=True)
        return
    users: dict[str, str] = {}
    profiles: dict[str, tuple[dict[str, str], list[str]]] = {}
    yield from _users(tree, path, users, profiles)
    for i, ch in enumerate(channels if isinstance(channels, list) else []):
        name = ch.get("name") if isinstance(ch, dict) else None
        if not name:
            continue
        where = f"{path}/channels.json#{i}"
        if not plain_channel_name(name):
            yield Skip(
                where,
                f"channel name {_shown(name)} is not a plain folder name, so it was skipped",
                problem=True,
            )
            continue
        if tree.outside(name):
            yield Skip(
                where,
                f"channel folder {_shown(name)} links outside the export, so it was skipped",
                problem=True,
            )
            continue
        for rel in tree.day_files(name):
            if tree.outside(rel):
                yield Skip(
                    f"{path}/{rel}",
                    "links to a file outside the export, so it was not read",
                    problem=True,
                )
                continue
            for item in _day(tree, rel, name, users, path):
                if isinstance(item, ChatLine):
                    # Each line carries its writer's attributes; the profile's problems
                    # are said once, with the first line.
                    attrs, problems = profiles.get(item.handle.removeprefix("slack:"), ({}, []))
                    item.attributes = dict(attrs)
                    item.problems = list(problems)
                    problems.clear()
                yield item


def profile_attributes(user: Any, where: str) -> tuple[dict[str, str], list[str]]:
    """The attributes a ``users.json`` entry gives (only the fields filled in): its
    ``title``, ``phone``, time zone and custom profile fields that carry a label."""
    prof = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    given: dict[object, object] = {
        "title": prof.get("title"),
        "phone": prof.get("phone"),
        "timezone": user.get("tz"),
    }
    fields = prof.get("fields")
    for field in (fields or {}).values() if isinstance(fields, dict) else ():
        if isinstance(field, dict) and field.get("label"):
            given[str(field["label"]).strip().lower().replace(" ", "_")] = field.get("value")
    return attributes.clean({k: v for k, v in given.items() if v not in (None, "")}, where)


def _users(
    tree: _Tree,
    path: Path,
    users: dict[str, str],
    profiles: dict[str, tuple[dict[str, str], list[str]]],
) -> Iterator[Skip]:
    """Fill ``users`` (id -> shown name) and ``profiles`` (id -> attributes, problems)
    from ``users.json``; what cannot be read is said as a Skip."""
    raw_users = tree.read("users.json")
    if raw_users is None:
        yield Skip(
            f"{path}/users.json",
            "links to a file outside the export: user ids are shown instead of names"
            if tree.outside("users.json")
            else "missing: user ids are shown instead of names",
            problem=True,
        )
    else:
        try:
            entries = json.loads(raw_users)
            if not isinstance(entries, list):
                raise TypeError("not a list")
        except (ValueError, TypeError, RecursionError):
            entries = []
            yield Skip(
                f"{path}/users.json",
                "not a valid user list: user ids are shown instead of names",
                problem=True,
            )
        for i, u in enumerate(entries):
            try:
                prof = u.get("profile") if isinstance(u.get("profile"), dict) else {}
                users[u["id"]] = (
                    prof.get("display_name")
                    or u.get("real_name")
                    or prof.get("real_name")
                    or u.get("name")
                    or u["id"]
                )
                profiles[u["id"]] = profile_attributes(u, f"{path}/users.json#{i}")
            except (KeyError, TypeError, AttributeError):
                # One broken entry costs that user's name, not everyone's.
                yield Skip(
                    f"{path}/users.json#{i}",
                    "not a valid user: their id is shown instead of a name",
                    problem=True,
                )


def _text(text: str, users: dict[str, str]) -> tuple[str, list[str]]:
    mentioned: list[str] = []

    def mention(m: re.Match[str]) -> str:
        uid = m.group(1)
        mentioned.append(f"slack:{uid}")
        return "@" + (users.get(uid) or m.group(2) or uid)

    text = _MENTION.sub(mention, text)
    text = _LINK.sub(
        lambda m: (
            f"{m.group(2)} ({m.group(1)})"
            if m.group(2) and m.group(2) != m.group(1)
            else m.group(1)
        ),
        text,
    )
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}", text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text, mentioned


def _day(
    tree: _Tree, rel: str, channel: str, users: dict[str, str], root: Path
) -> Iterator[ChatLine | Skip]:
    where = f"{root}/{PurePosixPath(rel)}"
    try:
        items: Any = json.loads(tree.read(rel) or b"[]")
    except ValueError as exc:
        yield Skip(where, f"not valid JSON ({exc})", problem=True)
        return
    except RecursionError:
        yield Skip(where, "JSON nested too deeply", problem=True)
        return
    except FileTooLarge:
        yield Skip(where, f"over {MAX_FILE_BYTES // (1024 * 1024)} MB, not read", problem=True)
        return
    if not isinstance(items, list):
        yield Skip(where, "not a list of messages", problem=True)
        return
    for i, m in enumerate(items):
        here = f"{where}#{i}"
        try:
            yield _message(m, here, i, channel, users)
        except Exception as exc:  # one bad message never aborts the export
            yield unreadable(here, exc)


def _message(m: Any, here: str, i: int, channel: str, users: dict[str, str]) -> ChatLine | Skip:
    if not isinstance(m, dict) or "ts" not in m:
        return Skip(here, "not a message", problem=True)
    sub = m.get("subtype")
    if sub in SYSTEM_SUBTYPES:
        return Skip(here, f"{sub.replace('_', ' ')}")
    text = m.get("text") or ""
    files = [f.get("name") or f.get("title") for f in m.get("files", []) if isinstance(f, dict)]
    if m.get("file") and isinstance(m["file"], dict):
        files.append(m["file"].get("name") or m["file"].get("title"))
    if not text.strip() and not files:
        return Skip(here, "bot notification without text" if sub == "bot_message" else "no text")
    uid = m.get("user") or m.get("bot_id") or "unknown"
    author = users.get(uid) or m.get("username") or (m.get("bot_profile") or {}).get("name") or uid
    body, mentioned = _text(text, users)
    if files:
        body = (
            (body + "\n" if body else "") + "Shared file: " + ", ".join(str(f) for f in files if f)
        )
    try:
        at = datetime.fromtimestamp(float(m["ts"]), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return Skip(here, f"bad timestamp {str(m['ts'])[:40]!r}", problem=True)
    thread = m.get("thread_ts")
    return ChatLine(
        channel=f"slack:{channel}",
        author=str(author),
        handle=f"slack:{uid}",
        text=body,
        at=at,
        external_id=f"slack:{channel}:{m['ts']}",
        thread=str(thread) if thread else None,
        addressed=mentioned,
        line_no=i,
    )
