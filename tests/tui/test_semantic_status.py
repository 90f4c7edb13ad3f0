"""The TUI and the optional embedding model: when the model cannot load, one line in the
status bar says that suggestions rank by words only; when it loads, the help centre is
embedded in the background after the first frame."""

import sys

import pytest
from sqlmodel import select

from inbox_tui.models import Article, Embedding
from inbox_tui.services import embeddings
from tests.tui.conftest import make_app
from tests.tui.test_triage_keys import settle

pytestmark = pytest.mark.semantic


@pytest.fixture
def fresh_model_state():
    embeddings.reset_for_tests()
    yield
    embeddings.reset_for_tests()


def status_of(app) -> str:
    return str(app.main.query_one("#status").content)


async def test_missing_extra_is_one_status_line(demo_store, monkeypatch, fresh_model_state):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as when the extra is absent
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await settle(pilot)
        status = status_of(app)
    assert "words only" in status and embeddings.INSTALL_HINT in status


async def test_the_help_centre_is_embedded_in_the_background(demo_store, fresh_model_state):
    with demo_store.read() as s:
        articles = len(s.exec(select(Article.id)).all())
        assert s.exec(select(Embedding)).all() == []  # the template was built with it off
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "words only" not in status_of(app)
    with demo_store.read() as s:
        kinds = [e.kind for e in s.exec(select(Embedding)).all()]
    assert kinds.count("article") == articles
    assert kinds.count("conversation") > 0


async def test_the_static_table_is_built_in_the_background_with_a_status_line(
    demo_store, fresh_model_state, tmp_path, monkeypatch
):
    """On a machine without the static table (installed by hand, not by `make`), the TUI
    distils it off the UI thread after the first frame; the status line says suggestions
    rank by words meanwhile, then that they use meaning."""
    import threading

    from inbox_tui.services import static_embeddings

    shared = static_embeddings.encoder()
    assert shared is not None
    release = threading.Event()

    def slow_distil(enc):
        assert release.wait(120)
        return shared.table

    monkeypatch.setattr(static_embeddings, "distil", slow_distil)
    monkeypatch.setenv(static_embeddings.CACHE_ENV, str(tmp_path / "fresh-cache"))
    static_embeddings.reset_for_tests()
    app = make_app(demo_store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(600):  # the model loads first: seconds on a busy machine
                await pilot.pause(0.1)
                if static_embeddings.PREPARING in status_of(app):
                    break
            assert static_embeddings.PREPARING in status_of(app)
            release.set()
            await app.workers.wait_for_complete()
            await settle(pilot)
            assert "use meaning" in status_of(app)
        assert static_embeddings.available()
    finally:
        release.set()
        static_embeddings.reset_for_tests()
