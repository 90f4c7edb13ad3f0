"""The optional embedding model: it loads offline from the installed extra, puts
paraphrases near each other, and its absence or the off switch falls back cleanly."""

import os
import subprocess
import sys

import pytest

from inbox_tui.services import embeddings

pytestmark = pytest.mark.semantic


@pytest.fixture(autouse=True)
def _fresh_switch():
    embeddings.set_enabled(None)
    yield
    embeddings.set_enabled(None)


def test_paraphrase_without_shared_words_is_nearest():
    vecs = embeddings.encode(
        [
            "my card got declined",
            "Payment failed",
            "How to reset a forgotten password",
            "Change the language of the interface",
        ]
    )
    assert vecs is not None, embeddings.status()
    assert vecs.shape == (4, embeddings.DIM)
    sims = vecs[1:] @ vecs[0]
    assert sims.argmax() == 0, sims
    assert abs(float((vecs[0] ** 2).sum()) - 1.0) < 1e-4  # normalised
    assert "meaning" in embeddings.status()


def test_batches_give_the_same_vectors_as_single_texts():
    texts = [f"question number {i} about {'invoices ' * (i % 5)}" for i in range(40)]
    together = embeddings.encode(texts)
    alone = embeddings.encode([texts[7]])
    assert together is not None and alone is not None
    assert float(together[7] @ alone[0]) > 0.999


def test_storage_roundtrip_keeps_direction():
    vecs = embeddings.encode(["printer offline", "refund please"])
    assert vecs is not None
    back = embeddings.vector_rows(embeddings.vector_bytes(vecs))
    assert back.shape == vecs.shape
    assert float((back * vecs).sum(axis=1).min()) > 0.9999


def test_switch_off_means_no_model_and_says_so():
    embeddings.set_enabled(False)
    assert embeddings.encoder() is None
    assert embeddings.encode(["anything"]) is None
    assert "words only" in embeddings.status()
    assert embeddings.ENV_SWITCH in embeddings.status()


def _run(code: str, **env: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return out.stdout.strip()


def test_missing_extra_falls_back_with_a_reason():
    # The interpreter cannot import onnxruntime, as when the extra is not installed.
    code = (
        "import sys\n"
        "sys.modules['onnxruntime'] = None\n"
        "from inbox_tui.services import embeddings as e\n"
        "print(e.encode(['hello']) is None)\n"
        "print(e.status())\n"
    )
    first, status = _run(code).splitlines()
    assert first == "True"
    assert "words only" in status and "onnxruntime is not installed" in status
    assert embeddings.INSTALL_HINT in status


def test_environment_variable_turns_it_off():
    code = "from inbox_tui.services import embeddings as e\nprint(e.encoder() is None)\n"
    assert _run(code, INBOX_TUI_SEMANTIC="0") == "True"
    assert _run(code, INBOX_TUI_SEMANTIC="1") == "False"


def test_an_interactive_app_never_waits_for_the_model(monkeypatch):
    """The TUI (never_wait): before its background preload has loaded the model, a
    suggestion ranks by words at once instead of loading it (15 s of "Loading…")."""
    for name, value in (("encoder", None), ("tried", False), ("problem", None)):
        monkeypatch.setattr(embeddings._state, name, value)
    monkeypatch.setattr(embeddings._state, "never_wait", False)
    embeddings.never_wait()
    assert embeddings.encode(["my card was declined"]) is None
    assert not embeddings._state.tried  # nothing was loaded on the caller's time
    embeddings.preload()
    assert embeddings.loaded()
    assert embeddings.encode(["my card was declined"]) is not None
