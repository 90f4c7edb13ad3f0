"""Counted nouns for sentences the agent reads: "1 reply", "2 replies", "1,204
conversations". One place, so that no screen or command says "1 reply(ies)" or
"1 messages" again. Pure: no store, no textual."""

from __future__ import annotations

# Nouns whose plural is not the noun + "s".
_PLURALS = {
    "reply": "replies",
    "summary": "summaries",
    "match": "matches",
    "address": "addresses",
    "copy": "copies",
}


def plural(noun: str, n: int) -> str:
    """The noun as it goes with ``n``: plural("reply", 2) == "replies"."""
    return noun if n == 1 else _PLURALS.get(noun, noun + "s")


def count(n: int, noun: str) -> str:
    """ "1 reply", "2 replies", "1,204 conversations"."""
    return f"{n:,} {plural(noun, n)}"


def size(n: int) -> str:
    """A size in bytes as people write it, the one way every screen and command writes
    it (the thread said "1 KB" where the attachments list said "1.4 KB"): 512 B,
    1.4 KB, 31.2 MB, 1.5 GB."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
