"""Shared fixtures. ``store`` gives a fresh, migrated store; store and service tests
that use it run on SQLite and on a real PostgreSQL started by the suite."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox_tui.store import Store, sqlite_url

pytest_plugins = ["tests.servers.postgres", "tests.servers.dovecot", "tests.servers.smtp"]

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def corpus(*parts: str) -> Path:
    """A path inside ../shared/corpora; skips the test when the corpora are absent."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus {path} is not available (../shared/corpora is absent)")
    return path


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(sqlite_url(tmp_path / "inbox.db"))
    yield store
    store.close()


STATIC_CACHE = Path(tempfile.gettempdir()) / f"inbox-tui-tests-static-{os.getuid()}"


def _seed_static_cache() -> None:
    """The static table `make` built at install (in the user's cache directory) copied
    into the tests' shared cache, so that `make test` does not distil it a second time
    (~40 s of CPU). Its sha256 is checked when it is loaded, as always."""
    import shutil

    from inbox_tui.services import static_embeddings

    for made in static_embeddings.cache_dir().glob("static-*.npy"):
        for src in (made, made.with_suffix(".json")):
            dst = STATIC_CACHE / src.name
            if src.is_file() and not dst.exists():
                tmp = dst.with_name(f".{dst.name}.{os.getpid()}")
                try:
                    STATIC_CACHE.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, tmp)
                    os.replace(tmp, dst)
                except OSError:  # the tests distil their own
                    return


_seed_static_cache()


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep config, data and logs of the code under test out of the real home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # The static embedding table (distilled from the model: ~40 s of CPU) once per
    # machine for every test and worker, not once per test's cache directory.
    monkeypatch.setenv("INBOX_TUI_STATIC_CACHE", str(STATIC_CACHE))
    monkeypatch.delenv("INBOX_TUI_CONFIG", raising=False)
    monkeypatch.delenv("INBOX_TUI_DB", raising=False)
    # tmux tests get a tmux server of their own: a server already running (the
    # developer's, or another test worker's) would start the app with its environment,
    # not this test's (INBOX_TUI_SEMANTIC, HOME, ...).
    monkeypatch.setenv("TMUX_TMPDIR", str(home))
    monkeypatch.delenv("TMUX", raising=False)


def pytest_configure(config: pytest.Config) -> None:
    # Off before any fixture runs, session-scoped ones (the TUI's demo template) included;
    # tests marked ``semantic`` turn it on (below).
    os.environ["INBOX_TUI_SEMANTIC"] = "0"


@pytest.fixture(autouse=True)
def _semantic_only_when_marked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Suggestions by meaning (the optional embedding model) only in tests marked
    ``semantic``: the rest keep checking the word ranking they were written for, the
    screens' snapshots stay deterministic, and no test embeds a help centre by accident
    (a few seconds each on a loaded machine). Set through the environment, so programs
    the tests start (the CLI, the TUI in tmux) follow it too."""
    from inbox_tui.services import embeddings

    on = request.node.get_closest_marker("semantic") is not None
    monkeypatch.setenv(embeddings.ENV_SWITCH, "1" if on else "0")
    embeddings.set_enabled(None)
    yield
    embeddings.set_enabled(None)


@pytest.fixture(autouse=True)
def _no_response_targets_left_over() -> Iterator[None]:
    """The response-target policy is per process (set from the config by Context, read
    by the search language and the list): no test sees one an earlier test's CLI set."""
    from inbox_tui.services import sla

    sla.configure(None)
    yield
    sla.configure(None)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        s = Store(sqlite_url(tmp_path / "inbox.db"))
    else:
        pg = request.getfixturevalue("postgres_url_factory")
        s = Store(pg())
    yield s
    s.close()
