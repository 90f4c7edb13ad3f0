"""Untrusted text made safe to store and to show.

Mail, chat logs and server replies are written by strangers. Before any of it reaches a
widget or the terminal it goes through ``clean``: C0/C1 control characters (ESC, CSI,
OSC 52 clipboard writes, bells, ...) are removed, except newline and tab; lone
surrogates (from broken decoders) are replaced. ``for_display`` additionally removes the
bidirectional overrides that can make text read differently from what it is.
"""

from __future__ import annotations

import re
from typing import Any

# C0 except \t and \n, DEL, and C1 (0x80-0x9f). \r is dropped: it rewrites the line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069) and the marks U+200E/F and
# U+061C are kept out of what is shown (they reorder text and some terminals give them a
# cell, pushing borders out of line); zero-width joiners are harmless and stay.
BIDI_CHARS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI = re.compile(f"[{BIDI_CHARS}]")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Text with control characters (but ``\\n``/``\\t``) and lone surrogates removed.
    ``\\r\\n`` becomes ``\\n``."""
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return text


# What a paste may carry into a text box: C0 but tab, newline and CR (the box reads CR as
# a line's end), DEL and C1. The paste's escape sequences are taken out whole before
# (tui/paste.py), so no ESC is left.
_PASTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def pasted(text: str) -> str:
    """Pasted text without control characters but tab, newline and CR."""
    return _PASTED.sub("", text)


def for_display(text: str) -> str:
    """``clean`` plus removal of bidirectional overrides: what a widget may show."""
    return _BIDI.sub("", clean(text))


# What a command may not print: C0 but tab/newline/CR (CR is the CLI's own progress
# line), DEL, C1 and the bidi controls.
_TERMINAL = re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{BIDI_CHARS}]")


_LONE_CR = re.compile(r"(?<!^)\r(?!\n)")


def for_terminal(text: str) -> str:
    """Text a command may write to a terminal: every control character but ``\\n`` and
    ``\\t`` removed, and bidi controls too; ``\\r`` stays only before ``\\n`` (CSV) or
    at the very start (the CLI's own progress line). The last line of defence for CLI
    output (file names, server replies, stored text)."""
    if not text:
        return text
    return _LONE_CR.sub("", _TERMINAL.sub("", text))


class TerminalSafeStream:
    """Wraps a text stream so nothing written through it carries terminal controls."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(for_terminal(text))
        return len(text)

    def writelines(self, lines) -> None:  # type: ignore[no-untyped-def]
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._stream, name)


_JSON_UNSAFE = re.compile(f"[\\x7f-\\x9f{BIDI_CHARS}\\u2028\\u2029]")


def json_terminal_safe(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with DEL, C1, bidi and
    line-separator characters written as ``\\uXXXX`` escapes: the same JSON value, safe
    to print. (JSON already escapes C0.)"""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def clean_tree(value: Any) -> Any:
    """Strings anywhere in a JSON-like value (dicts, lists) through ``for_display``."""
    if isinstance(value, str):
        return for_display(value)
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_tree(v) for v in value]
    return value


def one_line(text: str, limit: int = 300) -> str:
    """Safe single-line text (subjects, names): whitespace runs folded, bounded."""
    if not text:
        return ""
    if (
        len(text) <= limit
        and text.isprintable()  # no control, bidi, surrogate or whitespace but " "
        and "  " not in text
        and text[0] != " "
        and text[-1] != " "
    ):
        return text  # already what the rest would make of it (most names and subjects)
    flat = _SPACES.sub(" ", for_display(text)).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat


def short_filename(name: str, limit: int = 60) -> str:
    """A file name from anywhere as one safe line of at most ``limit`` characters, cut
    in the middle so its extension stays in sight (``AAAA…AAA.pdf``, never ``AAAA…``:
    ``invoice.pdf.exe`` must not lose the ``.exe``)."""
    flat = one_line(name, 100_000)
    if len(flat) <= limit:
        return flat
    stem, dot, ext = flat.rpartition(".")
    tail = dot + ext if stem and len(ext) <= 10 else ""
    keep = max(limit - 1 - len(tail), 1)
    front = (keep + 1) // 2 if not tail else keep - min(keep // 3, 8)
    back = (
        flat[len(flat) - len(tail) - (keep - front) : len(flat) - len(tail)] if keep > front else ""
    )
    return flat[:front] + "…" + back + tail


_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|fw|fwd|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)


def person(name: str, address: str = "", limit: int = 60) -> str:
    """One person on one line, cleaned: ``"Evil, Comma" <e@x>``, or the name or the
    address alone. A name with a comma (or ``<>";@``) is quoted, as in a header, so a
    list of people reads as the people it is ("Evil, Comma" read as two)."""
    shown = one_line(name, limit)
    if shown and any(c in shown for c in ',;"<>@'):
        shown = '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if not address:
        return shown
    addr = one_line(address, 120)
    return f"{shown} <{addr}>" if shown else addr


def people(pairs: list[list[str]] | list[tuple[str, str]], shown: int = 4) -> str:
    """People on one line, cleaned: names (else addresses), the first ``shown``, then
    how many more ("Bob Stone, Carol +3 more")."""
    names = [person(p[0]) if p[0] else person("", p[-1]) for p in pairs if p]
    extra = f" +{len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + extra


def base_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, folded and lower-cased, for matching."""
    return _REPLY_PREFIX.sub("", one_line(subject, 1000)).strip().lower()


def has_reply_prefix(subject: str) -> bool:
    return bool(_REPLY_PREFIX.match(subject or ""))


# ``scheme://user:PASSWORD@host``: the password part of a URL (a database URL in an error).
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)@", re.I)
_TOKEN = re.compile(r"[^\s'\"<>()]+")


def _mask_token(m: re.Match[str]) -> str:
    token = m.group()
    if "@" not in token or ":" not in token:
        return token
    at = token.rindex("@")
    start = token.find("://")
    if 0 <= start < at:
        user = token.find(":", start + 3, at)
        if user == -1:
            return token
        return f"{token[: user + 1]}***{token[at:]}"
    # A malformed URL (``postgresql+psycopg//inbox:pw@h``, ``inbox:pw@h``): whatever sits
    # between the last ``:`` before the last ``@`` and that ``@`` may be a password.
    colon = token.rfind(":", 0, at)
    if colon == -1 or colon + 1 == at:
        return token
    return f"{token[: colon + 1]}***{token[at:]}"


def mask_secrets(text: str) -> str:
    """Text with the password of any URL in it (well-formed or not) replaced by ``***``:
    error messages quote URLs (a malformed ``--db``), and those are printed and logged."""
    if not text or "@" not in text:
        return text
    return _TOKEN.sub(_mask_token, text)


_UNSAFE_IN_NAME = re.compile(
    r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u202a-\u202e\u2066-\u2069\u200b-\u200f]'
)
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.I)
MAX_FILENAME_BYTES = 150


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A file name from a stranger made safe to create in a folder the agent chose: one
    path component (no ``/``, ``\\``, ``..``), no control or bidi characters, not
    hidden (no leading dot), NFC, at most ``MAX_FILENAME_BYTES`` bytes of UTF-8 with
    its extension kept. Empty or unusable names become ``fallback``."""
    import unicodedata

    text = unicodedata.normalize("NFC", _SURROGATE.sub("", name or ""))
    text = _UNSAFE_IN_NAME.sub("_", text)
    text = _SPACES.sub(" ", text).strip(" .")
    text = text.lstrip("._ ") or ""
    if not text or set(text) <= {"_", " ", "."}:
        text = fallback
    if _WINDOWS_RESERVED.match(text):
        text = "_" + text
    if len(text.encode("utf-8")) > MAX_FILENAME_BYTES:
        stem, dot, ext = text.rpartition(".")
        if not dot or len(ext.encode("utf-8")) > 16 or not stem:
            stem, ext = text, ""
        room = MAX_FILENAME_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
        stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
        text = f"{stem}.{ext}" if ext else stem
    return text


_NOT_IN_EML_NAME = re.compile(r"[^\w .,()\[\]'&+-]+")


def eml_name(subject: str) -> str:
    """The file name of a message kept whole (a forwarded ``message/rfc822``, in or
    out): its subject without punctuation that reads badly in a name (``Re: Order
    77 / delivery?`` is ``Re Order 77 delivery.eml``), cut to 60 characters, made safe
    (``safe_filename``); ``forwarded.eml`` when nothing is left."""
    stem = " ".join(_NOT_IN_EML_NAME.sub(" ", subject or "").split())[:60].strip(" .")
    name = safe_filename(f"{stem}.eml", fallback="forwarded.eml") if stem else ""
    return name if name and name != "eml" else "forwarded.eml"
