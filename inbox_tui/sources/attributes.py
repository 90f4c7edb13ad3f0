"""Customers' attributes as sources give them (a contacts CSV's columns, a chat record's
``contact`` object, a Slack profile): which names and values are accepted, so every
source checks them the same way before anything reaches the store.

Pure: names are lower-case plain words (``plan``, ``company``, ``team.size``), values one
line of at most ``MAX_VALUE`` characters, cleaned of control characters. An empty value
means "remove this attribute".
"""

from __future__ import annotations

import re

from inbox_tui import sanitize

MAX_VALUE = 1000
MAX_ATTRIBUTES = 50
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")
# Names a source may not set as attributes: they are the contact's own fields.
RESERVED = frozenset({"email", "name"})


def clean(obj: object, where: str) -> tuple[dict[str, str], list[str]]:
    """``(attributes, problems)`` from a JSON object of name -> value. A value that is a
    string, number or boolean is kept as text; ``null`` or ``""`` removes the attribute
    (kept as ``""``); a bad name, a nested value or an over-long value is left out with
    one sentence in ``problems`` (the message itself is still imported)."""
    if not isinstance(obj, dict):
        return {}, [f"{where}: 'contact' is not an object of attributes, so it was ignored"]
    out: dict[str, str] = {}
    problems: list[str] = []
    for raw_name, raw in obj.items():
        name = str(raw_name).strip().lower()
        shown = sanitize.one_line(str(raw_name), 40)
        if not NAME.fullmatch(name) or name in RESERVED:
            problems.append(
                f"{where}: attribute name “{shown}” is not a plain name (letters, digits, "
                "_ . -, up to 100; not email or name), so it was ignored"
            )
            continue
        if raw is None:
            value = ""
        elif isinstance(raw, bool):
            value = "true" if raw else "false"
        elif isinstance(raw, str | int | float):
            value = str(raw)
        else:
            problems.append(
                f"{where}: attribute “{shown}” is not text or a number, so it was ignored"
            )
            continue
        if len(value) > MAX_VALUE:
            problems.append(
                f"{where}: attribute “{shown}” is over {MAX_VALUE} characters, so it was ignored"
            )
            continue
        if len(out) >= MAX_ATTRIBUTES:
            problems.append(
                f"{where}: more than {MAX_ATTRIBUTES} attributes; the rest were ignored"
            )
            break
        out[name] = sanitize.one_line(value, MAX_VALUE)
    return out, problems
