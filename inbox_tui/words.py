"""Counted nouns for sentences the agent reads: "1 reply", "2 replies", "1,204
conversations". One place, so that no screen or command says "1 reply(ies)" or
"1 messages" again. Pure: no store, no textual."""

from __future__ import annotations

# Nouns whose plural is not the noun + "s".
_PLURALS = {"reply": "replies", "summary": "summaries", "match": "matches", "address": "addresses"}


def plural(noun: str, n: int) -> str:
    """The noun as it goes with ``n``: plural("reply", 2) == "replies"."""
    return noun if n == 1 else _PLURALS.get(noun, noun + "s")


def count(n: int, noun: str) -> str:
    """ "1 reply", "2 replies", "1,204 conversations"."""
    return f"{n:,} {plural(noun, n)}"
