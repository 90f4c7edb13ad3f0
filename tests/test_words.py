"""Counted nouns read as English (the walkthrough saw "1 reply(ies) recorded", "1 messages"
and "39 in 39 conversations")."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

from inbox_tui.words import count, plural


def test_counted_nouns():
    assert count(1, "reply") == "1 reply"
    assert count(2, "reply") == "2 replies"
    assert count(0, "message") == "0 messages"
    assert count(1204, "conversation") == "1,204 conversations"
    assert count(1, "rule firing") == "1 rule firing"
    assert plural("match", 3) == "matches"


def _string_parts(path: Path) -> list[tuple[int, str]]:
    """The text of every string literal (and f-string part) in a module, by line."""
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    with path.open("rb") as f:
        return [(t.start[0], t.string) for t in tokenize.tokenize(f.readline) if t.type in kinds]


def test_no_sentence_hedges_its_plural():
    # "reply(ies)", "message(s)", "file(s)": the class of the bug, not its instance.
    hedged = re.compile(r"[a-z]\((?:s|es|ies)\)")
    root = Path(__file__).resolve().parents[1] / "inbox_tui"
    found = [
        f"{path.relative_to(root)}:{line}"
        for path in root.rglob("*.py")
        if path.name != "words.py"
        for line, text in _string_parts(path)
        if hedged.search(text)
    ]
    assert not found, found
