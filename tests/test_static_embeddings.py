"""The static embedding table distilled from the bundled MiniLM: built once and cached
with its sha256 (a damaged cache is rebuilt, never used), a fast first index of every
article that suggestions search until MiniLM's vectors cover the help centre, and never
a comparison between the two models' vectors. On SQLite and PostgreSQL."""

import json

import numpy as np
import pytest
from sqlmodel import select

from inbox_tui import cli
from inbox_tui.models import Article
from inbox_tui.services import embeddings, semantic, static_embeddings
from inbox_tui.services.suggest import rank
from inbox_tui.store import sqlite_url
from tests.test_semantic import ARTICLES

pytestmark = pytest.mark.semantic


@pytest.fixture(autouse=True)
def _model_on():
    embeddings.set_enabled(True)
    assert embeddings.encoder() is not None, embeddings.status()
    yield
    embeddings.set_enabled(None)


def test_the_table_is_cached_with_its_sha256_and_a_damaged_one_is_rebuilt(tmp_path, monkeypatch):
    shared = static_embeddings.encoder()  # the tests' shared cache (conftest)
    assert shared is not None
    table = shared.table
    assert table.shape == (30522, static_embeddings.STATIC_DIM) and table.dtype == np.float32
    monkeypatch.setenv(static_embeddings.CACHE_ENV, str(tmp_path))
    calls = []

    def distil(enc):  # the real table, counted (a second distillation costs ~40 s of CPU)
        calls.append(enc)
        return table

    monkeypatch.setattr(static_embeddings, "distil", distil)
    static_embeddings.reset_for_tests()
    try:
        assert not static_embeddings.available()  # never distilled on a query's behalf
        assert static_embeddings.encoder() is not None and len(calls) == 1
        files = sorted(p.name for p in tmp_path.iterdir())
        assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".npy")
        meta = json.loads((tmp_path / files[0]).read_text())
        assert meta["model"] == static_embeddings.MODEL_ID
        static_embeddings.reset_for_tests()
        assert static_embeddings.available() and len(calls) == 1  # loaded, not rebuilt
        data = tmp_path / files[1]
        raw = bytearray(data.read_bytes())
        raw[-5] ^= 0xFF  # one damaged byte in the table
        data.write_bytes(bytes(raw))
        static_embeddings.reset_for_tests()
        assert not static_embeddings.available()
        enc = static_embeddings.encoder()
        assert enc is not None and len(calls) == 2
        assert np.array_equal(enc.table, table)
    finally:
        static_embeddings.reset_for_tests()


def test_static_vectors_are_normalised_means_of_word_pieces():
    vecs = static_embeddings.encode(["Reset your password", "reset your password", "", "zzz"])
    assert vecs is not None and vecs.shape == (4, static_embeddings.STATIC_DIM)
    assert np.allclose(vecs[0], vecs[1])  # the tokenizer lower-cases
    assert np.allclose(np.linalg.norm(vecs[[0, 3]], axis=1), 1.0, atol=1e-5)
    assert not vecs[2].any()  # no word piece: no direction


def test_the_sums_are_the_same_whatever_the_slices(monkeypatch):
    """Texts longer than a slice, empty ones and many short ones: each vector is the
    normalised mean of its word pieces' rows, as computed one text at a time."""
    enc = static_embeddings.encoder()
    assert enc is not None
    texts = ["", "card declined " * 40, "a", "", "refund", "where is my parcel? " * 3] * 7
    monkeypatch.setattr(static_embeddings, "SLICE_PIECES", 50)
    got = enc.encode(texts)
    tok = enc._tokenizer
    for text_, vec in zip(texts, got, strict=True):
        ids = tok.encode(text_, add_special_tokens=False).ids
        want = enc.table[ids].sum(axis=0) if ids else np.zeros(static_embeddings.STATIC_DIM)
        want = want / max(np.linalg.norm(want), 1e-12)
        assert np.allclose(vec, want, atol=1e-5), text_


# Texts where a tokenizer's steps could reach across a space: accents and combining marks
# at a word's start, final sigma, dotted I, CJK (padded by the normaliser), control and
# zero-width characters (removed, joining what they separate), odd spaces (no-break, em,
# NEL, vertical tab), a word over 100 characters ([UNK]), a punctuation-only run longer
# than the 512-piece window, a text past the window, ligatures, emoji, half-width kana.
AWKWARD = [
    "ΟΔΟΣ ΟΔΟΣ. ΣΑΣ",
    "İstanbul İİ \u0130\u0307 \u03a3\u0342",
    " \u0301a b\u0301 \u0301 e\u0300\u0316 caf\u00e9 CAFE\u0301",
    "a\u00a0b c\u2003d x\x85y z\x1cw\x0bq\x0cr \u200b\u200dzero\u200bwidth \u00adsoft",
    "日本語のテキスト mixed中文words",
    "a" * 150 + " " + "b" * 99,
    ",".join(["a"] * 2000) + " tail words here",
    "payment failed " * 400,
    "\r\n\tx\r y\t",
    "",
    "   ",
    "\ufffd\x00x ﬁ ﬃ ǅ ß ẞ don't  stop—now… Ⅻ ① ㈱ 🙂👍🏽 emoji🙂x ﾊﾝｶｸ ｶﾀｶﾅ",
]


def test_word_pieces_by_distinct_word_are_the_tokenizers_own():
    """The static model tokenizes each distinct word once: every text's ids must be the
    ones the tokenizer gives for the whole text, window included."""
    enc = static_embeddings.encoder()
    assert enc is not None and enc._by_words
    texts = AWKWARD + [f"{t}\n{t[::-1]} {a}" for t in AWKWARD for a in AWKWARD[:4]]
    whole = [e.ids for e in enc._tokenizer.encode_batch(texts, add_special_tokens=False)]
    lengths, ids = enc.pieces(texts)
    assert lengths.tolist() == [len(w) for w in whole]
    assert ids.tolist() == [i for w in whole for i in w]
    assert max(map(len, whole)) == static_embeddings.MAX_PIECES  # the window was reached


def test_words_met_in_an_earlier_batch_are_not_tokenized_again(monkeypatch):
    """A first index encodes a help centre batch by batch; a word already tokenized is
    remembered (the ids stay the tokenizer's, also after the memory is dropped when full)."""
    table = static_embeddings.encoder()
    assert table is not None
    enc = static_embeddings.StaticEncoder(table.table, embeddings.tokenizer_path())
    asked: list[str] = []
    real = enc._tokenizer

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def encode_batch_fast(self, words, **kw):
            asked.extend(words)
            return real.encode_batch_fast(words, **kw)

    enc._tokenizer = Counting()
    batches = [AWKWARD[:6], [*AWKWARD[6:], "payment failed again"], AWKWARD[::-1]]
    monkeypatch.setattr(static_embeddings, "WORD_CACHE", 10**6)
    for texts in batches:
        whole = [e.ids for e in real.encode_batch(texts, add_special_tokens=False)]
        lengths, ids = enc.pieces(texts)
        assert lengths.tolist() == [len(w) for w in whole]
        assert ids.tolist() == [i for w in whole for i in w]
    assert len(asked) == len(set(asked))  # each distinct word once, over all batches
    assert "failed" in asked and asked.count("payment") == 1
    monkeypatch.setattr(static_embeddings, "WORD_CACHE", 3)  # full: forgotten, redone
    for texts in batches:
        whole = [e.ids for e in real.encode_batch(texts, add_special_tokens=False)]
        assert enc.pieces(texts)[1].tolist() == [i for w in whole for i in w]
    assert asked.count("payment") == 3  # once before, then in both batches that have it


def add(s):
    for slug, title, body in ARTICLES:
        s.add(Article(slug=slug, title=title, body=body))
    s.flush()


def test_a_first_index_by_the_static_model_then_the_upgrade(store):
    """catch_up gives every article its static vectors first; suggestions search those
    until MiniLM's cover the articles, and a MiniLM vector is never compared with them."""
    store.run(add)
    report: dict[str, int] = {}
    assert semantic.catch_up(store, conversations=False, upgrade_limit=0, report=report) == 0
    assert report == {"static": len(ARTICLES), "left": len(ARTICLES)}
    with store.read() as s:
        slugs = {a.id: a.slug for a in s.exec(select(Article)).all()}
        index = semantic.article_index(s)
        assert index is not None and index.model == static_embeddings.MODEL_ID
        assert index.matrix.shape[1] == static_embeddings.STATIC_DIM
        ranked = rank(s, "I forgot my password and cannot sign in", 3)
        assert slugs[ranked[0][0]] == "reset-password"
        minilm = embeddings.encode(["Payment failed"])
        assert minilm is not None
        assert semantic.search_articles(s, minilm[0], 3) == []  # not comparable
        # a conversation's cached MiniLM vector is not used against the static index
        assert rank(s, "I forgot my password", 1, query_vector=minilm[0])[0][0] == ranked[0][0]
    assert semantic.catch_up(store, conversations=False, upgrade_limit=2) == 2
    with store.read() as s:  # 2 of 5: still the static vectors
        assert semantic.article_index(s).model == static_embeddings.MODEL_ID
    assert semantic.catch_up(store, conversations=False) == len(ARTICLES) - 2
    with store.read() as s:
        index = semantic.article_index(s)
        assert index.model == embeddings.MODEL_ID and len(index) == len(ARTICLES)
        card = rank(s, "my card got declined", 1)
        assert slugs[card[0][0]] == "payment-failed"
    assert semantic.catch_up(store, conversations=False) == 0  # nothing stale


def test_static_vectors_from_parse_workers_are_the_same_bytes(store, monkeypatch):
    """A large first index is computed in the ingest pipeline's worker processes (a part
    per job, written in order); the stored vectors are byte for byte those computed in
    this process, and a worker that cannot check the table leaves the work to this
    process instead of failing the import."""
    from sqlalchemy import text

    from inbox_tui.ingest import pipeline

    store.run(add)
    monkeypatch.setattr(semantic, "STATIC_BATCH", 2)  # three parts
    monkeypatch.setattr(pipeline, "POOL_THRESHOLD", 1)

    def stored(workers: str, source=None) -> dict[int, bytes]:
        monkeypatch.setenv("INBOX_TUI_PARSE_WORKERS", workers)
        enc = static_embeddings.encoder()
        monkeypatch.setattr(enc, "source", source or enc.source)
        store.run(lambda s: s.execute(text("DELETE FROM embedding")))
        assert semantic.catch_up_static(store) == len(ARTICLES)
        with store.read() as s:
            rows = s.execute(text("SELECT ref_id, vectors FROM embedding")).all()
        return {int(r): bytes(v) for r, v in rows}

    pools = []
    new_pool = pipeline.new_pool

    def counted():
        pool = new_pool()
        pools.extend([1] if pool else [])
        return pool

    monkeypatch.setattr(pipeline, "new_pool", counted)
    here = stored("0")
    assert len(here) == len(ARTICLES) and pools == []
    assert stored("2") == here and pools == [1]
    enc = static_embeddings.encoder()
    assert enc.source is not None
    assert stored("2", source=(enc.source[0], "0" * 64)) == here and pools == [1, 1]


class SlowModel:
    """A clock that MiniLM advances by one second per chunk it embeds."""

    def __init__(self, monkeypatch):
        self.now = 0.0
        embedded = semantic._embedded

        def timed(part):
            self.now += sum(len(t[3]) for t in part if t[0] == semantic.ARTICLE)
            return embedded(part)

        monkeypatch.setattr(semantic, "_embedded", timed)
        monkeypatch.setattr(semantic.time, "monotonic", lambda: self.now)


def test_a_budget_too_short_for_a_new_help_centre_leaves_minilm_to_the_background(
    store, monkeypatch
):
    """While the static vectors are searched, a budgeted catch-up (the import) probes
    MiniLM's speed on one article and leaves the rest when it cannot finish them in the
    budget (a few MiniLM vectors would change nothing); once MiniLM's are searched,
    changed articles are done within the budget."""
    store.run(add)
    chunks = [len(semantic.article_chunks(t, "", b)) for _, t, b in ARTICLES]
    clock = SlowModel(monkeypatch)
    budget = chunks[0] + sum(chunks[1:]) - 1.0  # one second short of doing them all
    report: dict[str, int] = {}
    kw = {"conversations": False, "upgrade_seconds": budget, "report": report}
    assert semantic.catch_up(store, **kw) == 1  # the probe
    assert report == {"static": len(ARTICLES), "left": len(ARTICLES) - 1}
    assert clock.now == chunks[0]
    assert semantic.catch_up(store, conversations=False, upgrade_seconds=budget + 1.0) == (
        len(ARTICLES) - 1  # enough time for the rest: done
    )
    with store.read() as s:
        assert semantic.article_index(s).model == embeddings.MODEL_ID

    def edit(s):
        for a in s.exec(select(Article)).all():
            a.body += " Updated."

    store.run(edit)
    report.clear()
    # MiniLM is searched: no probe, the first batch (all five) starts within the budget
    assert semantic.catch_up(store, **{**kw, "upgrade_seconds": 1.0}) == len(ARTICLES)
    assert report["left"] == 0


def test_import_embeds_everything_fast_and_leaves_the_upgrade(tmp_path, capsys, monkeypatch):
    from inbox_tui.commands import articles as articles_command

    kb = tmp_path / "kb"
    kb.mkdir()
    for slug, title, body in ARTICLES:
        (kb / f"{slug}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n")
    db = sqlite_url(tmp_path / "inbox.db")
    monkeypatch.setattr(articles_command, "IMPORT_UPGRADE_SECONDS", 0.0)
    assert cli.main(["--db", db, "import", "articles", "--json", str(kb)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["added"] == len(ARTICLES)
    assert out["embedded"] == 0 and out["upgrade_pending"] == len(ARTICLES)
    assert cli.main(["--db", db, "import", "articles", "--wait", str(kb)]) == 0
    assert "ranked by the fast static model" not in capsys.readouterr().out
    assert cli.main(["--db", db, "suggest", "--text", "my card got declined", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["slug"] == "payment-failed"


def test_a_first_import_on_a_fresh_machine_does_not_wait_for_the_table(
    tmp_path, capsys, monkeypatch
):
    """The table costs ~40 s of CPU to distil: `make` builds it at install, and an import
    on a machine without it never distils it (--wait does); suggestions work meanwhile
    (words, and MiniLM's vectors of the few articles its budget covers), and the output
    says so in one line. The TUI's background builds it."""
    from inbox_tui.commands import articles as articles_command

    kb = tmp_path / "kb"
    kb.mkdir()
    for slug, title, body in ARTICLES:
        (kb / f"{slug}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n")
    shared = static_embeddings.encoder()
    assert shared is not None
    distilled = []

    def distil(enc):
        distilled.append(enc)
        return shared.table

    monkeypatch.setattr(static_embeddings, "distil", distil)
    monkeypatch.setenv(static_embeddings.CACHE_ENV, str(tmp_path / "fresh-cache"))
    static_embeddings.reset_for_tests()
    db = sqlite_url(tmp_path / "inbox.db")
    try:
        monkeypatch.setattr(articles_command, "IMPORT_UPGRADE_SECONDS", 0.0)
        assert cli.main(["--db", db, "import", "articles", str(kb)]) == 0
        out = capsys.readouterr().out
        assert distilled == [] and articles_command.NO_TABLE in out
        assert cli.main(["--db", db, "suggest", "--text", "export my data", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["slug"] == "export-csv"
        monkeypatch.setattr(articles_command, "IMPORT_UPGRADE_SECONDS", 10.0)
        assert cli.main(["--db", db, "import", "articles", "--json", str(kb)]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["static_table"] == 0 and distilled == []
        assert out["embedded"] == len(ARTICLES)  # no table: MiniLM's budget is spent at once
        assert cli.main(["--db", db, "suggest", "--text", "my card got declined", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["slug"] == "payment-failed"
        assert cli.main(["--db", db, "import", "articles", "--wait", "--json", str(kb)]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["static_table"] == 1 and len(distilled) == 1
        assert sorted((tmp_path / "fresh-cache").iterdir())  # cached for every process
    finally:
        static_embeddings.reset_for_tests()


def test_an_unwritable_cache_means_no_table_not_one_per_process(tmp_path, monkeypatch):
    """Without a writable cache the table would be distilled again by every process
    (~40 s of CPU each): it is not built, one line says why, and the language model's
    vectors are searched."""
    shared = static_embeddings.encoder()
    assert shared is not None
    blocked = tmp_path / "a-file"
    blocked.write_text("")  # a cache folder inside a file: not writable, even for root
    cache = blocked / "cache"
    monkeypatch.setenv(static_embeddings.CACHE_ENV, str(cache))
    monkeypatch.setattr(static_embeddings, "distil", lambda enc: shared.table)
    static_embeddings.reset_for_tests()
    try:
        assert static_embeddings.encoder() is None
        assert str(cache) in (static_embeddings.problem() or "")
    finally:
        static_embeddings.reset_for_tests()


def test_the_install_step_builds_the_table_once(tmp_path, capsys, monkeypatch):
    """`make`'s install runs `python -m inbox_tui.services.static_embeddings`: it builds
    the table into the cache, finds it there the next time, and never fails an install
    (without the model it says why)."""
    shared = static_embeddings.encoder()
    assert shared is not None
    calls = []
    monkeypatch.setattr(static_embeddings, "distil", lambda enc: calls.append(1) or shared.table)
    monkeypatch.setenv(static_embeddings.CACHE_ENV, str(tmp_path / "cache"))
    static_embeddings.reset_for_tests()
    try:
        assert static_embeddings.main() == 0
        assert "table built" in capsys.readouterr().out and calls == [1]
        static_embeddings.reset_for_tests()
        assert static_embeddings.main() == 0
        assert "already built" in capsys.readouterr().out and calls == [1]
        embeddings.set_enabled(False)
        assert static_embeddings.main() == 0
        assert "not built" in capsys.readouterr().out
    finally:
        static_embeddings.reset_for_tests()


def test_a_large_new_help_centre_does_not_load_minilm_in_the_import(tmp_path, capsys, monkeypatch):
    """When MiniLM could not embed the new articles within the import's budget even at
    its fastest, the import neither loads it (~0.3 s of CPU, 100 MB) nor probes its
    speed: the static vectors are searched and the TUI's background does the rest."""
    from inbox_tui.commands import articles as articles_command

    kb = tmp_path / "kb"
    kb.mkdir()
    for slug, title, body in ARTICLES:
        (kb / f"{slug}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n")
    db = sqlite_url(tmp_path / "inbox.db")
    chunks = sum(len(semantic.article_chunks(t, "", b)) for _, t, b in ARTICLES)
    budget = chunks * semantic.MIN_CHUNK_SECONDS / 2  # too short for MiniLM at its best
    monkeypatch.setattr(articles_command, "IMPORT_UPGRADE_SECONDS", budget)
    assert static_embeddings.encoder() is not None  # built (the tests' shared cache)
    embeddings.reset_for_tests()
    embeddings.set_enabled(True)
    static_embeddings.reset_for_tests()
    assert cli.main(["--db", db, "import", "articles", "--json", str(kb)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["added"] == len(ARTICLES) and out["static_table"] == 1
    assert out["embedded"] == 0 and out["upgrade_pending"] == len(ARTICLES)
    assert not embeddings._state.tried  # MiniLM never loaded
    assert cli.main(["--db", db, "suggest", "--text", "export my data", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["slug"] == "export-csv"
