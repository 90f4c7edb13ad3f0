"""A bracketed paste arrives whole and in order, without the escapes it carried.

Text copied from a terminal can hold escape sequences (``one \\e[1mtwo\\e[0m three``).
Textual's input parser reads an ESC inside a bracketed paste as the start of a key: the
text after it up to the next ESC was typed as keys (the ESC as ``^``) while the plain
text before it waited for the paste's end, so the search box read
``^[1mtwo^[0m threeone`` (walk3). ``PasteParser`` takes the escape sequences out of a
paste before the parser sees them (the rest of the paste, and everything outside one,
goes through untouched), and ``install`` makes the terminal drivers use it. It also keeps
the alt of a named key read after an ESC (Esc then Enter typed at once), which the app
reads as Esc then the key (``typeahead.esc_then_key``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from textual import events
from textual._parser import ParseTimeout
from textual._xterm_parser import (
    BRACKETED_PASTE_END,
    BRACKETED_PASTE_START,
    XTermParser,
)

from inbox_tui.sanitize import pasted

ESC = "\x1b"
# A whole escape sequence: CSI (colours, cursor), OSC (titles, clipboard, links; ended by
# BEL or ST), or ESC and one character.
_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[^\[\]])")
# The start of one that the next read may complete.
_PARTIAL = re.compile(r"\x1b(\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?\Z")
# ESC and one key that starts no longer sequence (CSI, SS3, OSC, DCS, ESC again).
_ALT_KEY = re.compile(r"\x1b[^\[\]OP\x1b]")
_HOLD_AT_MOST = 4096  # an unfinished sequence longer than this is dropped as it is


class PasteParser(XTermParser):
    """Textual's parser, with a paste's escape sequences taken out before parsing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pasting = False
        self._tail = ""  # the end of the last data outside a paste (a split start marker)
        self._held = ""  # the end of a paste's data that may be a split sequence

    def feed(self, data: str) -> Iterable[Any]:
        """As Textual's, but ESC and a key followed by more in the same read (Esc then
        j typed at once, then F2) is that key with alt, as when the read ends there.
        Textual read the ESC as ``^`` when another ESC followed (walk7: ``Escape j F2
        Enter`` in one write lost the Esc and the j, and F2 hid the pane instead)."""
        data = self.without_escapes(data)
        start = 0
        for match in _ALT_KEY.finditer(data):
            if match.end() < len(data):
                yield from super().feed(data[start : match.end()])
                yield from self._key_complete()
                start = match.end()
        if start < len(data) or not data:
            yield from super().feed(data[start:])

    def _key_complete(self) -> Iterable[Any]:
        """The parser waits to see whether more of a sequence comes after ESC and a
        key: it does not (what follows is another key), as if its wait had ended."""
        if self._timeout_time is None:
            return  # not waiting: the key was read already
        self._timeout_time = None
        self._awaiting = self._gen.throw(ParseTimeout())
        while self._tokens:
            yield self._tokens.popleft()

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[Any]:
        """As Textual's, but a key read after an ESC keeps its alt when it has a name
        (Enter, Tab, ctrl+s): Textual dropped the alt, so the ESC of Esc then Enter
        typed at once vanished. The app reads an unbound alt key as Esc then the key
        (``typeahead.esc_then_key``)."""
        for key in super()._sequence_to_key_events(sequence, alt):
            if alt and not key.key.startswith("alt+"):
                key = events.Key(f"alt+{key.key}", key.character)
            yield key

    def without_escapes(self, data: str) -> str:
        out: list[str] = []
        while data:
            if not self._pasting:
                seen = self._tail + data
                at = seen.find(BRACKETED_PASTE_START)
                if at < 0:
                    out.append(data)
                    self._tail = seen[-(len(BRACKETED_PASTE_START) - 1) :]
                    break
                start = at + len(BRACKETED_PASTE_START) - len(self._tail)
                out.append(data[:start])
                data, self._tail, self._pasting = data[start:], "", True
                continue
            data = self._held + data
            self._held = ""
            data = self._paste_part(data, out)
        return "".join(out)

    def _paste_part(self, data: str, out: list[str]) -> str:
        """Copy the paste's text from ``data`` to ``out`` up to its end marker; returns
        what follows the paste (or "" with an unfinished sequence held back)."""
        while data:
            at = data.find(ESC)
            if at < 0:
                out.append(pasted(data))
                return ""
            out.append(pasted(data[:at]))
            data = data[at:]
            if data.startswith(BRACKETED_PASTE_END):
                out.append(BRACKETED_PASTE_END)
                self._pasting = False
                return data[len(BRACKETED_PASTE_END) :]
            if (BRACKETED_PASTE_END.startswith(data) or _PARTIAL.match(data)) and len(
                data
            ) < _HOLD_AT_MOST:
                self._held = data  # the rest of it comes with the next read
                return ""
            found = _SEQUENCE.match(data)
            data = data[found.end() if found else 1 :]
        return ""


def install() -> None:
    """Make Textual's terminal drivers read input with ``PasteParser``."""
    from textual.drivers import linux_driver, linux_inline_driver

    for module in (linux_driver, linux_inline_driver):
        module.XTermParser = PasteParser  # type: ignore[attr-defined,misc]
