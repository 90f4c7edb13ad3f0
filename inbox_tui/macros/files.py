"""Macro files: plain TOML or YAML a team keeps in git.

One macro per file (top-level keys) or several (``[[macro]]`` in TOML, a ``macros:`` list
or a top-level list in YAML)::

    name = "Ask for details"
    slug = "need-more-info"          # default: the file name (one macro) or the name
    pinned = 2                       # number key in the picker (1-9)
    reply = '''
    Hi {{contact.first_name | fallback: "there"}},
    Could you send your {{ask: order number}}?
    {{agent.first_name}}
    '''
    # note = "..."                   # instead of reply: an internal note
    [actions]
    add_tags = ["bug"]
    remove_tags = ["confused"]
    status = "pending"               # open | pending | closed
    snooze = "2d"                    # 30m, 4h, 2d, 1w
    assign = "me"                    # me | none | a username
    article = "export-csv"           # append a help article and record it as sent

``load`` returns every macro it could read and every problem as ``path:line: message``,
so ``macros lint`` reports them all in one go.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inbox_tui import safeyaml, sanitize
from inbox_tui.macros import template
from inbox_tui.paths import OUTSIDE, inside, real_root
from inbox_tui.when import parse_duration

MACRO_KEYS = {"name", "slug", "pinned", "reply", "note", "actions", "description"}
ACTION_KEYS = {"add_tags", "remove_tags", "status", "snooze", "assign", "article"}
STATUSES = ("open", "pending", "closed")
SUFFIXES = (".toml", ".yaml", ".yml")
MAX_MACRO_FILE_BYTES = 1024 * 1024


@dataclass
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class MacroSpec:
    slug: str
    name: str
    body: str = ""
    body_kind: str = "reply"  # reply | note
    actions: dict[str, Any] = field(default_factory=dict)
    pinned: int | None = None
    source_path: str | None = None
    line: int = 1

    def __post_init__(self) -> None:
        # The boundary for macro text, by construction: a reply or a fallback value
        # with ESC, C1 or U+202E is stored and shown without them.
        self.name = sanitize.one_line(self.name, 300)
        self.body = sanitize.for_display(self.body)
        self.actions = sanitize.clean_tree(self.actions)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "macro"


def load(paths: list[Path]) -> tuple[list[MacroSpec], list[Problem]]:
    """Every macro in the given files/folders, and every problem found."""
    specs: list[MacroSpec] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
            )
            if not files:
                problems.append(
                    Problem(str(path), 1, "no .toml or .yaml macro files in this folder")
                )
        elif path.exists():
            files = [path]
        else:
            problems.append(Problem(str(path), 1, "no such file or folder"))
            continue
        real = real_root(path) if path.is_dir() else None
        for f in files:
            if path.is_dir() and not inside(f, real):
                problems.append(Problem(str(f), 1, OUTSIDE))
                continue
            s, p = load_file(f)
            specs.extend(s)
            problems.extend(p)
    seen: dict[str, MacroSpec] = {}
    pins: dict[int, MacroSpec] = {}
    for spec in specs:
        if spec.slug in seen:
            first = seen[spec.slug]
            problems.append(
                Problem(
                    spec.source_path or "?",
                    spec.line,
                    f"slug '{spec.slug}' is also used at {first.source_path}:{first.line}",
                )
            )
        seen.setdefault(spec.slug, spec)
        if spec.pinned is not None:
            if spec.pinned in pins:
                other = pins[spec.pinned]
                problems.append(
                    Problem(
                        spec.source_path or "?",
                        spec.line,
                        f"pin {spec.pinned} is also used by '{other.slug}'",
                    )
                )
            pins.setdefault(spec.pinned, spec)
    return specs, problems


def load_file(path: Path) -> tuple[list[MacroSpec], list[Problem]]:
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_MACRO_FILE_BYTES:
            return [], [
                Problem(
                    where,
                    1,
                    f"{size // 1024:,} KB; macro files over {MAX_MACRO_FILE_BYTES // 1024:,} KB are not read",
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem(where, 1, f"cannot read: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [], [Problem(where, 1, "not UTF-8 text (is it a binary file?)")]
    try:
        if path.suffix.lower() == ".toml":
            data: Any = safeyaml.toml_loads(text)
        else:
            data = safeyaml.load(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _toml_line(str(exc))
        return [], [Problem(where, line, f"not valid TOML: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [
            Problem(
                where,
                (mark.line + 1) if mark else 1,
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
            )
        ]
    entries: list[Any]
    if (
        isinstance(data, dict)
        and ("macro" in data or "macros" in data)
        and not ({"name", "reply", "note"} & data.keys())
    ):
        entries = data.get("macro") or data.get("macros") or []
        if not isinstance(entries, list):
            return [], [Problem(where, 1, "'macro' must be a list of macros")]
        single = False
    elif isinstance(data, list):
        entries, single = data, False
    elif isinstance(data, dict):
        entries, single = [data], True
    else:
        return [], [Problem(where, 1, "expected a macro (a table of keys) or a list of macros")]
    if not entries:
        return [], [Problem(where, 1, "no macros in this file")]
    specs: list[MacroSpec] = []
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        spec, probs = _spec(entry, path, text, index, single)
        problems.extend(probs)
        if spec is not None and not probs:
            specs.append(spec)
    return specs, problems


def _toml_line(message: str) -> int:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else 1


def _line_of_value(text: str, key: str, value: str | None, index: int) -> int:
    """Best-effort line of ``key`` in the ``index``-th macro of a file."""
    if value:
        first = value.strip().splitlines()[0] if value.strip() else ""
        if first:
            at = text.find(first)
            if at != -1:
                return template.line_of(text, at)
    name = re.escape(str(key))  # a YAML key may be None ("?" alone) or a number
    hits = [m.start() for m in re.finditer(rf"(?m)^\s*(-?\s*{name}\s*[=:]|\[{name}\])", text)]
    if hits:
        return template.line_of(text, hits[min(index, len(hits) - 1)])
    return 1


def _spec(
    entry: Any, path: Path, text: str, index: int, single: bool
) -> tuple[MacroSpec | None, list[Problem]]:
    where = str(path)
    problems: list[Problem] = []
    if not isinstance(entry, dict):
        return None, [Problem(where, 1, f"macro #{index + 1} is not a table of keys")]
    name = entry.get("name")
    line = _line_of_value(text, "name", str(name) if name else None, index)

    def bad(msg: str, ln: int | None = None) -> None:
        problems.append(Problem(where, ln or line, msg))

    for key in sorted(set(entry) - MACRO_KEYS):
        bad(
            f"unknown key '{key}' (known: {', '.join(sorted(MACRO_KEYS))})",
            _line_of_value(text, key, None, index),
        )
    if not isinstance(name, str) or not name.strip():
        bad("a macro needs a name")
        name = ""
    slug = entry.get("slug") or (path.stem if single else slugify(str(name)))
    if not isinstance(slug, str) or not re.match(r"^[a-z0-9][a-z0-9_-]*$", slug):
        bad(f"slug '{slug}' must be lower-case letters, digits, '-' or '_'")
    body_kind = "reply"
    body = entry.get("reply")
    if "note" in entry:
        if body is not None:
            bad("a macro has a reply or a note, not both")
        body, body_kind = entry.get("note"), "note"
    body = "" if body is None else body
    if not isinstance(body, str):
        bad(f"'{body_kind}' must be text")
        body = ""
    if body:
        try:
            template.parse(body)
        except template.TemplateError as exc:
            start = _line_of_value(text, body_kind, body, index)
            offset_line = template.line_of(
                body.lstrip("\n"), max(0, exc.offset - (len(body) - len(body.lstrip("\n"))))
            )
            bad(str(exc), start + offset_line - 1)
    pinned = entry.get("pinned")
    if pinned is not None and (
        not isinstance(pinned, int) or isinstance(pinned, bool) or not 1 <= pinned <= 9
    ):
        bad("pinned must be a number from 1 to 9", _line_of_value(text, "pinned", None, index))
        pinned = None
    actions = _check_actions(entry, text, index, bad)
    if not body and not actions:
        bad("this macro does nothing: give it a reply, a note or actions")
    if problems:
        return None, problems
    return (
        MacroSpec(
            slug=str(slug),
            name=str(name).strip(),
            body=body,
            body_kind=body_kind,
            actions=dict(actions),
            pinned=pinned,
            source_path=str(path),
            line=line,
        ),
        [],
    )


def _check_actions(
    entry: dict[str, Any], text: str, index: int, bad: Callable[..., None]
) -> dict[str, Any]:
    """A macro's ``actions`` table, each problem reported through ``bad``; {} when it is
    not a table."""
    actions = entry.get("actions") or {}
    if not isinstance(actions, dict):
        bad("'actions' must be a table")
        actions = {}
    aline = _line_of_value(text, "actions", None, index)
    for key in sorted(set(actions) - ACTION_KEYS):
        bad(
            f"unknown action '{key}' (known: {', '.join(sorted(ACTION_KEYS))})",
            _line_of_value(text, key, None, index),
        )
    for key in ("add_tags", "remove_tags"):
        if key in actions and not (
            isinstance(actions[key], list)
            and all(isinstance(t, str) and t.strip() for t in actions[key])
        ):
            bad(f"{key} must be a list of tag names", _line_of_value(text, key, None, index))
    if "status" in actions and actions["status"] not in STATUSES:
        bad(
            f"status must be one of {', '.join(STATUSES)}",
            _line_of_value(text, "status", None, index),
        )
    if "snooze" in actions:
        try:
            parse_duration(actions["snooze"])
        except ValueError as exc:
            bad(str(exc), _line_of_value(text, "snooze", None, index))
        if actions.get("status"):
            bad("a macro either snoozes or sets a status, not both", aline)
    if "assign" in actions and not (
        isinstance(actions["assign"], str) and actions["assign"].strip()
    ):
        bad(
            "assign must be 'me', 'none' or a username", _line_of_value(text, "assign", None, index)
        )
    if "article" in actions and not (
        isinstance(actions["article"], str) and actions["article"].strip()
    ):
        bad("article must be a help article slug", _line_of_value(text, "article", None, index))
    return actions
