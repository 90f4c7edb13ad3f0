"""Feature-request subjects and their pairwise similarity, kept when a conversation is
tagged 'feature request', so the stats report groups without comparing subjects.

The report's grouping (``services/feature_groups.py``) gives each feature request, in
conversation order, to the earlier group whose key (a founding subject) is most similar
to its subject (rapidfuzz ``token_set_ratio``, at least ``THRESHOLD``), or founds a group.
Which groups exist depends on the period, so the groups themselves cannot be stored; but
every comparison is between two feature-request subjects, and a score depends on the two
texts alone. So each distinct subject (its ``base_subject``: the key) is kept once in
``subject_key``, and every pair of kept keys scoring ``THRESHOLD`` or more in
``subject_pair``: a pair of kept keys missing there scores below it. The report then
reads the scores of its period's keys and runs the same grouping exactly; a key that is
not kept (a store written by an older version) is compared in memory, as before.

Keys are kept where the stats aggregates are folded (``aggregates._write``: tagging,
every event, a rebuild), in the same transaction. Adding a key compares it with every
kept key (a few milliseconds per thousand keys). Two transactions adding keys at once
would each miss the other's, so on PostgreSQL adding takes a transaction lock first;
SQLite's writers are serialised already. Keys are never removed (an untagged subject's
scores stay true), and a rebuild keeps them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, insert, text

from inbox_tui import sanitize
from inbox_tui.store import dialect

FEATURE_REQUEST = "feature request"
THRESHOLD = 70  # token_set_ratio at which two subjects are one request

_PG_LOCK = 0x53554B59  # "SUKY": adding subject keys, one transaction at a time

_DIGESTS = text("SELECT digest FROM subject_key WHERE digest IN :d").bindparams(
    bindparam("d", expanding=True)
)
_KEYS = text("SELECT id, key FROM subject_key WHERE digest IN :d").bindparams(
    bindparam("d", expanding=True)
)
_PAIRS = text("SELECT key_id, other_id, score FROM subject_pair WHERE key_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_SUBJECTS = text("SELECT subject FROM conversation WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def digest(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def scores(key: str, others: list[str]) -> list[tuple[int, float]]:
    """(index into ``others``, score) of every one scoring ``THRESHOLD`` or more, with the
    same scorer and call as the report's grouping."""
    from rapidfuzz import fuzz, process

    found = process.extract(
        key, others, scorer=fuzz.token_set_ratio, score_cutoff=THRESHOLD, limit=None
    )
    return [(i, float(s)) for _, s, i in found]


def keep_for_conversations(conn: Any, conversation_ids: list[int]) -> None:
    """Keep the keys of these conversations' subjects (they are tagged 'feature request')."""
    subjects: list[str] = []
    for i in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[i : i + 500]
        subjects += [str(r[0] or "") for r in conn.execute(_SUBJECTS, {"ids": chunk})]
    keep(conn, subjects)


def keep(conn: Any, subjects: Iterable[str]) -> int:
    """Keep the keys of ``subjects`` not kept yet, with their scores against every kept
    key. Returns how many were added."""
    wanted = {digest(k): k for k in {sanitize.base_subject(s) for s in subjects}}
    if not wanted or not _missing(conn, wanted):
        return 0
    if dialect.is_postgres(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    new = _missing(conn, wanted)  # again: another writer may have added some meanwhile
    from inbox_tui.models import SubjectKey, SubjectPair

    kept = [(int(i), str(k)) for i, k in conn.execute(text("SELECT id, key FROM subject_key"))]
    key_t = SubjectKey.__table__  # type: ignore[attr-defined]
    pair_t = SubjectPair.__table__  # type: ignore[attr-defined]
    pairs: list[dict[str, Any]] = []
    for d in sorted(new):
        key = wanted[d]
        new_id = conn.execute(insert(key_t).values(digest=d, key=key).returning(key_t.c.id))
        new_id = int(new_id.scalar_one())
        for i, score in scores(key, [k for _, k in kept]):
            other = kept[i][0]
            pairs.append({"key_id": new_id, "other_id": other, "score": score})
            pairs.append({"key_id": other, "other_id": new_id, "score": score})
        kept.append((new_id, key))
        if len(pairs) >= 10_000:
            conn.execute(insert(pair_t), pairs)
            pairs.clear()
    if pairs:
        conn.execute(insert(pair_t), pairs)
    return len(new)


def _missing(conn: Any, wanted: dict[str, str]) -> set[str]:
    digests = list(wanted)
    have: set[str] = set()
    for i in range(0, len(digests), 500):
        have.update(str(r[0]) for r in conn.execute(_DIGESTS, {"d": digests[i : i + 500]}))
    return set(digests) - have


def neighbours(conn: Any, keys: Iterable[str]) -> dict[str, dict[str, float]]:
    """For each of ``keys``, the others among ``keys`` scoring ``THRESHOLD`` or more,
    with their scores: read for kept keys, computed for the rest."""
    by_digest = {digest(k): k for k in set(keys)}
    digests = list(by_digest)
    ids: dict[int, str] = {}
    for i in range(0, len(digests), 500):
        for key_id, key in conn.execute(_KEYS, {"d": digests[i : i + 500]}):
            ids[int(key_id)] = str(key)
    out: dict[str, dict[str, float]] = {k: {} for k in by_digest.values()}
    id_list = list(ids)
    for i in range(0, len(id_list), 500):
        for key_id, other_id, score in conn.execute(_PAIRS, {"ids": id_list[i : i + 500]}):
            other = ids.get(int(other_id))
            if other is not None:
                out[ids[int(key_id)]][other] = float(score)
    # Keys not kept (a store from before they were): compared here, with every key.
    kept = set(ids.values())
    missing = [k for k in out if k not in kept]
    everyone = list(out)
    for key in missing:
        for i, score in scores(key, everyone):
            other = everyone[i]
            if other != key:
                out[key][other] = score
                out[other][key] = score
    return out
