"""The stats report's feature requests: conversations tagged 'feature request', grouped by
similar subject.

In conversation order, each subject (its ``base_subject``) joins the group whose key is
most similar to it (rapidfuzz ``token_set_ratio``, at least the threshold; ties go to the
group founded first), or founds a group whose key it is. The scores come either from
rapidfuzz here (``tests/stats_replay.py``, the definition) or, in the report, from the
pairs kept when conversations were tagged (``store/subject_keys.py``): the same scores,
so the same groups, without comparing subjects at report time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from inbox_tui.sanitize import base_subject
from inbox_tui.store.subject_keys import FEATURE_REQUEST, THRESHOLD

# (subject, keys, first key index to look at, cutoff) -> (key index, score) of the best
# key from that index on scoring at least the cutoff (ties: the first), or None.
Matcher = Callable[[str, list[str], int, float], "tuple[int, float] | None"]


def compare_now(
    subject: str, keys: list[str], start: int, cutoff: float
) -> tuple[int, float] | None:
    """The matcher that compares ``subject`` with the keys, in C (a Python loop over
    groups took over a second)."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(
        subject, keys[start:], scorer=fuzz.token_set_ratio, score_cutoff=cutoff
    )
    return None if found is None else (start + found[2], found[1])


def from_scores(similar: dict[str, dict[str, float]]) -> Matcher:
    """The matcher that reads ``similar`` (each key's keys scoring the threshold or more,
    ``subject_keys.neighbours``) instead of comparing."""
    position: dict[str, int] = {}

    def match(subject: str, keys: list[str], start: int, cutoff: float) -> tuple[int, float] | None:
        for i in range(len(position), len(keys)):  # keys are only ever appended
            position[keys[i]] = i
        best: tuple[int, float] | None = None
        for other, score in similar.get(subject, {}).items():
            i = position.get(other, -1)
            if i < start or score < cutoff:
                continue
            if best is None or score > best[1] or (score == best[1] and i < best[0]):
                best = (i, score)
        return best

    return match


def feature_requests(
    convs: Iterable[Any], threshold: int = THRESHOLD, match: Matcher = compare_now
) -> list[dict[str, Any]]:
    """Conversations (``id``, ``subject``, ``tags``) tagged 'feature request', grouped by
    similar subject; biggest group first. ``match`` from ``from_scores`` needs
    ``threshold`` at or above ``THRESHOLD`` (pairs below it are not kept)."""
    if match is not compare_now and threshold < THRESHOLD:
        raise ValueError(f"kept scores start at {THRESHOLD}")
    groups: list[dict[str, Any]] = []
    keys: list[str] = []
    # Each subject is compared with each group key at most once: a subject seen again
    # is compared only with the groups founded since (groups are only appended, and ties
    # go to the first group, so a later group wins only with a strictly higher score).
    # The same result as comparing with every group each time, at a fraction of the cost
    # (support subjects repeat a lot).
    best_so_far: dict[str, tuple[int | None, float, int]] = {}  # group, score, keys seen
    for c in sorted(convs, key=lambda c: c.id):
        if FEATURE_REQUEST not in c.tags:
            continue
        subject = base_subject(c.subject)
        group, score, seen = best_so_far.get(subject, (None, float(threshold), 0))
        if seen < len(keys) and score < 100:
            found = match(subject, keys, seen, score)
            if found is not None and (group is None or found[1] > score):
                group, score = found
        if group is None:
            group = len(groups)
            keys.append(subject)
            groups.append({"key": subject, "subject": c.subject, "conversations": []})
            score = 100.0
        best_so_far[subject] = (group, score, len(keys))
        groups[group]["conversations"].append(c.id)
    groups.sort(key=lambda g: (-len(g["conversations"]), g["subject"]))
    return [
        {
            "subject": g["subject"],
            "count": len(g["conversations"]),
            "conversations": g["conversations"],
        }
        for g in groups
    ]
