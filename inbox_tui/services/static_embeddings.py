"""A static embedding table distilled from the bundled MiniLM, for a fast first index.

MiniLM costs ~40 ms of CPU per article chunk here, so a help centre of 10,000 articles
(~70,000 chunks) takes far more than a minute to embed. A static table (model2vec's
method) makes a text's embedding a lookup: every word piece of the tokenizer's
vocabulary is run through the model once, alone (``[CLS] piece [SEP]``, mean-pooled as
the model pools a sentence); the rows are centred and reduced by PCA to STATIC_DIM, and
weighted down for frequent pieces (SIF over a Zipf estimate of each piece's frequency
from its rank in the vocabulary, whose whole-word entries are ordered by frequency). A
text's embedding is then the mean of its pieces' rows, normalised.

The table is built from the installed model files only (nothing is downloaded), once per
machine, and cached in the user's cache directory under a name made of the model's and
tokenizer's pinned sha256 and DISTIL_VERSION; the table's own sha256 is written beside
it and checked when it is loaded, so a damaged cache is rebuilt, never used.

Vectors of this model are stored under their own kind (``semantic.STATIC_ARTICLE``)
with ``MODEL_ID`` in their model column and are never compared with MiniLM's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inbox_tui.services import embeddings

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

DISTIL_VERSION = "m2v-1"
STATIC_DIM = 256
MODEL_ID = f"static-{DISTIL_VERSION}-{STATIC_DIM}-from-{embeddings.MODEL_ID}"
SIF = 1e-4  # model2vec's SIF coefficient
MAX_PIECES = 512  # word pieces of a text that count (a long text is cut)
DISTIL_BATCH = 1024
SLICE_PIECES = 16_384  # word pieces whose rows are summed at a time (16 MB)
WORD_CACHE = 300_000  # distinct words kept tokenized (~30 MB)
CACHE_ENV = "INBOX_TUI_STATIC_CACHE"  # a directory for the table (tests)
_WORD = re.compile(r"[^ \t\n\r]+")  # kept by BERT's normaliser, split at by its pre-tokenizer


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("inbox-tui"))


def _table_name() -> str:
    key = f"{embeddings.MODEL_SHA256}:{embeddings.TOKENIZER_SHA256}:{DISTIL_VERSION}:{STATIC_DIM}"
    return f"static-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npy"


def distil(encoder: embeddings.Encoder, *, batch: int = DISTIL_BATCH) -> np.ndarray:
    """The (vocabulary, STATIC_DIM) float32 table, computed with ``encoder``'s model."""
    import numpy as np

    tok = encoder._tokenizer
    size = tok.get_vocab_size()
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    rows = np.zeros((size, embeddings.DIM), dtype=np.float32)
    for start in range(0, size, batch):
        ids = np.arange(start, min(size, start + batch), dtype=np.int64)
        feeds = {
            "input_ids": np.stack(
                [np.full_like(ids, cls_id), ids, np.full_like(ids, sep_id)], axis=1
            ),
            "attention_mask": np.ones((len(ids), 3), dtype=np.int64),
        }
        feeds["token_type_ids"] = np.zeros_like(feeds["input_ids"])
        rows[start : start + len(ids)] = encoder.run_tokens(feeds).mean(axis=1)
    rows -= rows.mean(axis=0)
    # PCA by the eigenvectors of the covariance (384 x 384), largest first.
    values, vectors = np.linalg.eigh(rows.T @ rows / len(rows))
    reduced = rows @ vectors[:, np.argsort(values)[::-1][:STATIC_DIM]]
    inv_rank = 1.0 / np.arange(2, size + 2)
    proba = inv_rank / inv_rank.sum()
    reduced *= (SIF / (SIF + proba))[:, None]
    return np.ascontiguousarray(reduced, dtype=np.float32)


class StaticEncoder:
    """Mean of the table's rows over a text's word pieces, normalised."""

    def __init__(
        self, table: np.ndarray, tokenizer_path: Path, source: tuple[str, str] | None = None
    ) -> None:
        from tokenizers import Tokenizer

        # (the cached table's path, its sha256): where a worker process reads the same table
        self.source = source

        tok = Tokenizer.from_file(str(tokenizer_path))
        tok.no_padding()
        tok.enable_truncation(MAX_PIECES)
        self._tokenizer = tok
        self._special = {tok.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]")}
        self.table = table
        # BERT's normaliser changes characters one by one and its pre-tokenizer always
        # splits at these spaces, so a text's pieces are its words' pieces in order.
        self._by_words = (type(tok.normalizer).__name__, type(tok.pre_tokenizer).__name__) == (
            "BertNormalizer",
            "BertPreTokenizer",
        )
        # Every distinct word tokenized so far: its index, its pieces' start and count in
        # _piece_ids (a help centre's batches share most of their words: a first index
        # of 10,000 articles tokenized 221,000 words batch by batch, 26,000 distinct).
        self._word_at: dict[str, int] = {}
        self._word_start: list[np.ndarray] = []
        self._word_len: list[np.ndarray] = []
        self._piece_ids: list[np.ndarray] = []
        self._pieces_known = 0
        self._words_lock = threading.Lock()  # a query beside a background index

    def pieces(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(each text's number of word pieces, all their ids in order): the ids the
        tokenizer gives for each whole text, at most MAX_PIECES, found with each distinct
        word tokenized once (a help centre repeats its words: 3-4x less tokenizer work,
        which was most of a first index) and the words' pieces laid out by numpy. A word
        cut at MAX_PIECES alone fills a text's window wherever it stands."""
        import numpy as np

        if not self._by_words:
            encs = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
            lengths = np.array([len(e.ids) for e in encs], dtype=np.int64)
            count = int(lengths.sum())
            return lengths, np.fromiter(chain.from_iterable(e.ids for e in encs), np.int64, count)
        words = [_WORD.findall(t) for t in texts]
        flat = list(chain.from_iterable(words))
        with self._words_lock:
            word_ids, word_start, word_len, position = self._known_words(flat)
            seq = np.fromiter(map(position.__getitem__, flat), np.int64, len(flat))
        # every occurrence's pieces, in order: word_ids[start of its word + k]
        occ_len = word_len[seq]
        out_start = np.cumsum(occ_len) - occ_len
        total = int(occ_len.sum())
        ids = word_ids[np.arange(total) - np.repeat(out_start - word_start[seq], occ_len)]
        # each text's pieces, cut at the window
        ends = np.concatenate(([0], np.cumsum(occ_len)))
        bounds = np.concatenate(([0], np.cumsum([len(ws) for ws in words], dtype=np.int64)))
        first, full = ends[bounds[:-1]], ends[bounds[1:]] - ends[bounds[:-1]]
        lengths = np.minimum(full, MAX_PIECES)
        if (full > MAX_PIECES).any():
            ids = ids[np.arange(total) - np.repeat(first, full) < MAX_PIECES]
        return lengths, ids

    def _known_words(
        self, flat: list[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
        """(every known word's piece ids laid end to end, each word's start and count
        there, word → its index), after tokenizing the words of ``flat`` not met before.
        The memory is dropped past WORD_CACHE words (a word is tokenized alike always).
        Under ``_words_lock``."""
        import numpy as np

        if len(self._word_at) > WORD_CACHE:
            self._word_at.clear()
            self._word_start, self._word_len, self._piece_ids = [], [], []
            self._pieces_known = 0
        known = self._word_at
        new = [w for w in dict.fromkeys(flat) if w not in known]
        if new or not self._piece_ids:
            encs = self._tokenizer.encode_batch_fast(new, add_special_tokens=False)
            lens = np.array([len(e.ids) for e in encs], dtype=np.int64)
            ids = np.fromiter(chain.from_iterable(e.ids for e in encs), np.int64, int(lens.sum()))
            known.update(zip(new, range(len(known), len(known) + len(new)), strict=True))
            self._word_start.append(self._pieces_known + np.cumsum(lens) - lens)
            self._word_len.append(lens)
            self._piece_ids.append(ids)
            self._pieces_known += len(ids)
            for parts in (self._word_start, self._word_len, self._piece_ids):
                parts[:] = [np.concatenate(parts)]
        return self._piece_ids[0], self._word_start[0], self._word_len[0], known

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), STATIC_DIM), dtype=np.float32)
        if not texts:
            return out
        lengths, ids = self.pieces(texts)
        ends = np.cumsum(lengths).tolist()
        # The rows of a slice of texts at a time, gathered into one reused buffer (the
        # rows of every word piece at once were gigabytes for 10,000 articles), summed
        # per text (np.add.reduceat along rows was 30x slower than these sums).
        buf = np.empty((SLICE_PIECES, STATIC_DIM), dtype=np.float32)
        first = 0
        while first < len(texts):
            lo = ends[first] - int(lengths[first])
            last = first + 1
            while last < len(texts) and ends[last] - lo <= SLICE_PIECES:
                last += 1
            hi = ends[last - 1]
            rows = (
                buf[: hi - lo]
                if hi - lo <= SLICE_PIECES
                else np.empty((hi - lo, STATIC_DIM), np.float32)
            )
            np.take(self.table, ids[lo:hi], axis=0, out=rows)
            for t in range(first, last):
                if lengths[t]:
                    out[t] = rows[ends[t] - int(lengths[t]) - lo : ends[t] - lo].sum(axis=0)
            first = last
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


_state: dict[str, Any] = {}
_lock = threading.Lock()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_table(path: Path, want: str) -> np.ndarray | None:
    """The table saved in ``path`` when its bytes (read once) have the sha256 ``want``."""
    import io

    import numpy as np

    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != want:
        return None
    return np.load(io.BytesIO(data), allow_pickle=False)


def _checked_tokenizer() -> Path | None:
    """The installed tokenizer file when numpy and tokenizers are installed and it is the
    pinned one: all a cached table needs (MiniLM itself, ~0.3 s of CPU and 100 MB of
    arenas to load, only distils it)."""
    if any(importlib.util.find_spec(m) is None for m in ("numpy", "tokenizers")):
        return None
    path = embeddings.tokenizer_path()
    if path is None or _file_sha256(path) != embeddings.TOKENIZER_SHA256:
        return None
    return path


def _load_or_build(build: bool) -> StaticEncoder | None:
    """The cached table when it is intact; else, when ``build``, a new one (cached)."""
    import numpy as np

    tokenizer = _checked_tokenizer()
    if tokenizer is None:
        return None
    path = cache_dir() / _table_name()
    meta = path.with_suffix(".json")
    table = source = None
    if path.is_file() and meta.is_file():
        try:
            want = json.loads(meta.read_text())["sha256"]
            table = _read_table(path, want)
            source = (str(path), want) if table is not None else None
        except (OSError, ValueError, KeyError):
            table = None
    if table is None:
        if not build:
            return None
        if not _writable(path.parent):
            # Distilled in every process that wanted it (~40 s of CPU each time) is not a
            # fallback: without the table, the language model's vectors are searched.
            log.warning("no static embedding table: %s is not writable", path.parent)
            return None
        enc = embeddings.encoder()
        if enc is None:
            return None
        table = distil(enc)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                np.save(fh, table, allow_pickle=False)
            digest = _file_sha256(tmp)
            meta.write_text(json.dumps({"sha256": digest, "model": MODEL_ID}))
            os.replace(tmp, path)
            source = (str(path), digest)
        except OSError:  # no writable cache: the table lives in this process only
            log.warning("the static embedding table could not be cached", exc_info=True)
    return StaticEncoder(table, tokenizer, source)


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return False
    return True


_WORKER: dict[tuple[str, str], StaticEncoder] = {}


def encode_parts(source: tuple[str, str], parts: list[list[list[str]]]) -> list[list[np.ndarray]]:
    """For a worker process of the ingest pipeline (``semantic.catch_up_static``): every
    part's items (one article's texts each) encoded with the table at ``source`` (its
    path and sha256, checked again here, as the tokenizer's), one matrix per item. The
    table is read once per process."""
    import numpy as np

    enc = _WORKER.get(source)
    if enc is None:
        tokenizer = _checked_tokenizer()
        table = _read_table(Path(source[0]), source[1])
        if table is None or tokenizer is None:
            raise ValueError("the static embedding table or tokenizer is not the one checked")
        enc = _WORKER[source] = StaticEncoder(table, tokenizer, source)
    out = []
    for items in parts:
        vecs = enc.encode([t for texts in items for t in texts])
        ends = np.cumsum([len(texts) for texts in items]).tolist()
        out.append([vecs[end - len(texts) : end] for texts, end in zip(items, ends, strict=True)])
    return out


def encoder(*, build: bool = True) -> StaticEncoder | None:
    """The static model, loaded from the cache or (``build``) distilled and cached on
    first use; None when the MiniLM model it comes from is not available, or when it is
    not built yet and ``build`` is false (a suggestion never waits for a distillation)."""
    if not embeddings.enabled():
        return None
    if _state.get("encoder") is None:
        with _lock:
            if _state.get("encoder") is None:
                _state["encoder"] = _load_or_build(build)
    return _state["encoder"]  # type: ignore[no-any-return]


PREPARING = (
    "Suggestions rank by words while the fast static model is prepared "
    "(once on this machine: about a minute)."
)


def problem() -> str | None:
    """One line for the UI when the table cannot be kept (its cache is not writable),
    else None."""
    if available() or _writable(cache_dir()):
        return None
    return (
        f"Suggestions use the language model as it indexes the help centre: {cache_dir()} "
        "is not writable, so the fast static model cannot be kept."
    )


def available() -> bool:
    """Whether the static model can be used without distilling it now."""
    return encoder(build=False) is not None


def encode(texts: Sequence[str], *, build: bool = True) -> np.ndarray | None:
    enc = encoder(build=build)
    return None if enc is None else enc.encode(texts)


def reset_for_tests() -> None:
    with _lock:
        _state.clear()


def main() -> int:
    """``python -m inbox_tui.services.static_embeddings``: build the table now (the
    Makefile's install step does, so a first import or suggestion never waits ~40 s of
    CPU for it). Says what it did; never fails an install."""
    import time

    if embeddings.encoder() is None:
        print(f"static embedding table not built: {embeddings.status()}")
        return 0
    started = time.process_time()
    built = not available()
    enc = encoder()
    if enc is None or enc.source is None:
        print(f"static embedding table not cached: {cache_dir()} is not writable")
        return 0
    done = "built" if built else "already built"
    print(
        f"static embedding table {done} ({time.process_time() - started:.1f} s CPU): {enc.source[0]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
