"""inscriptis's whitespace collapse as one regular expression: the same text, less CPU.

inscriptis 2.7's ``Block.merge_normal_text`` collapses whitespace one character at a
time in Python (``ch.isspace()`` and a list append per character): 0.6 s of CPU for a
help centre of 10,000 articles, half of its HTML-to-text time. A ``\\s`` of a str pattern
is exactly ``str.isspace`` (both are ``Py_UNICODE_ISSPACE``), so collapsing each run of
whitespace into one space, and dropping a leading one while the block already ends in
collapsible whitespace, gives the same characters and leaves the same state. Installed
only over the versions checked (``CHECKED``); tests compare both on the same inputs.
"""

from __future__ import annotations

import importlib.metadata
import re
from html import unescape
from typing import Any

CHECKED = ("2.7.6",)
_SPACES = re.compile(r"\s+")
_installed: list[bool] = []
original: Any = None  # inscriptis's own, once replaced (tests compare the two)


def merge_normal_text(self: Any, text: str) -> None:
    """``Block.merge_normal_text`` with the same result."""
    collapsed = _SPACES.sub(" ", text)
    if self.collapsable_whitespace and collapsed.startswith(" "):
        collapsed = collapsed[1:]
    if not collapsed:
        return
    self.collapsable_whitespace = collapsed.endswith(" ")
    text = unescape("".join((self.prefix.first, collapsed)) if not self._content else collapsed)
    self._content += text
    self.idx += len(text)


def install() -> None:
    """Put ``merge_normal_text`` in place when the installed inscriptis is one checked."""
    if _installed:
        return
    _installed.append(True)
    try:
        version = importlib.metadata.version("inscriptis")
    except importlib.metadata.PackageNotFoundError:
        return
    if version in CHECKED:
        from inscriptis.model.canvas.block import Block

        global original
        original = Block.merge_normal_text
        Block.merge_normal_text = merge_normal_text  # type: ignore[method-assign]
