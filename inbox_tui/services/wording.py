"""Sentences about an action done to some conversations, worded once for every toast,
confirmation and undo notice ("Closed 2 conversations.", "Close these 2 conversations?",
"Undone: tagging “Printer 1” with billing.").

An action is a template with ``{on}`` where its object goes: "Tag {on} with billing".
``{on}`` becomes "this conversation" / "these 3 conversations" in a question, "1
conversation" / "3 conversations" in a report, or the conversation's quoted subject.
Building these from an action name and a count ("closed on 2 conversations", "Assign to
you on these 2 conversations?") gave sentences no one would write (#17).
"""

from __future__ import annotations

from inbox_tui import sanitize
from inbox_tui.words import count

ON = "{on}"


def conversations(n: int, *, these: bool = False) -> str:
    """ "1 conversation", "3 conversations"; with ``these``: "this conversation",
    "these 3 conversations"."""
    if these:
        return "this conversation" if n == 1 else f"these {n:,} conversations"
    return count(n, "conversation")


def subject(text: str | None, width: int = 50) -> str:
    """A conversation's subject as a sentence quotes it (cleaned: it is untrusted)."""
    return f"“{sanitize.one_line(text or '(no subject)', width)}”"


def phrase(action: str, n: int, *, these: bool = False, name: str | None = None) -> str:
    """``action`` with its object filled in: ``name`` (already quoted) for one named
    conversation, else the count. Raises ValueError for an action without ``{on}``: the
    object must have a place in the sentence."""
    if ON not in action:
        raise ValueError(f"an action needs {ON} where its conversations go: {action!r}")
    who = name if name is not None and n == 1 else conversations(n, these=these)
    return action.replace(ON, who)


def question(action: str, n: int) -> str:
    """A confirmation: "Close these 2 conversations?" (an action that asks its own
    question, with more said after it, is kept as it is)."""
    text = _capital(phrase(action, n, these=True))
    return text if "?" in text else text.rstrip(".") + "?"


def report(action: str, n: int, name: str | None = None) -> str:
    """A toast: "Closed 2 conversations.", "Tagged “Printer 1” with billing."."""
    return _capital(phrase(action, n, name=name)).rstrip(".?") + "."


def joined(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def actions(done: list[str], n: int, name: str | None = None) -> str:
    """Several actions on the same conversations, the object named once: "tagging 2
    conversations with billing and closing them"."""
    if not done:
        return phrase("changing {on}", n, name=name)
    pronoun = "it" if n == 1 else "them"
    parts = [phrase(done[0], n, name=name), *(d.replace(ON, pronoun) for d in done[1:])]
    return joined(parts)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
