"""Starting up never changes the team's store behind the agent's back (walk10 #4).

A start that is refused (a bad ``[keys]``) writes nothing, and a config without
``[agent] name`` never overwrites the name the store already has: other agents' assign
pickers, the authors of notes and replies and the signatures' ``{{agent.name}}`` read it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui import cli
from inbox_tui.context import Context
from inbox_tui.demo import build_demo
from inbox_tui.models import Agent
from inbox_tui.services import core
from inbox_tui.store import Store, sqlite_url


def names(store: Store) -> dict[str, str]:
    with store.read() as s:
        return {a.username: a.name for a in s.exec(select(Agent)).all()}


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def with_team(store: Store) -> None:
    def add(session):  # type: ignore[no-untyped-def]
        core.ensure_agent(session, "diego", "Diego Alvarez", "diego@acme.example")
        core.ensure_agent(session, "sam", "Sam Carter", "sam@acme.example")

    store.run(add)


def context(cfg: Path, store: Store) -> Context:
    return Context(argparse.Namespace(config=str(cfg), db=store.url))


def test_a_config_without_a_name_keeps_the_stored_one(store, tmp_path):
    with_team(store)
    ctx = context(config_file(tmp_path, '[agent]\nusername = "diego"\n'), store)
    ctx.ensure_me(store)
    assert names(store)["diego"] == "Diego Alvarez"


def test_a_config_with_a_name_still_sets_it(store, tmp_path):
    with_team(store)
    cfg = config_file(tmp_path, '[agent]\nusername = "diego"\nname = "Diego A."\n')
    context(cfg, store).ensure_me(store)
    assert names(store)["diego"] == "Diego A."


def test_a_new_agent_without_a_name_is_named_by_the_username(store, tmp_path):
    context(config_file(tmp_path, '[agent]\nusername = "lena"\n'), store).ensure_me(store)
    assert names(store)["lena"] == "lena"


def test_a_command_run_without_a_name_keeps_the_stored_one(store, tmp_path, capsys):
    """Every CLI command opens the store through ``Context.store`` (which writes the
    agent's row): ``tags list`` as diego must not rename him."""
    with_team(store)
    cfg = config_file(tmp_path, '[agent]\nusername = "diego"\n')
    assert cli.main(["--config", str(cfg), "--db", store.url, "tags", "list"]) == 0
    assert names(store) == {"diego": "Diego Alvarez", "sam": "Sam Carter"}


BAD_KEYS = '[agent]\nusername = "diego"\n[keys]\nreply = "t"\n'


def test_a_refused_start_writes_nothing(store, tmp_path, capsys):
    with_team(store)
    before = names(store)
    cfg = config_file(tmp_path, BAD_KEYS)
    code = cli.main(["--config", str(cfg), "--db", store.url])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith('inbox-tui: [keys]: reply = "t" takes t from tag')
    assert names(store) == before


def test_a_refused_demo_start_writes_nothing(tmp_path, capsys):
    """walk10 #4: `inbox-tui demo` with a bad [keys] stopped with one sentence and exit 2,
    but only after writing the config's agent into the demo store ("Diego Alvarez"
    became "diego" for the whole team)."""
    path = tmp_path / "demo.db"
    store = Store(sqlite_url(path))
    build_demo(store, me="sam", my_name="Sam Carter")
    before = names(store)
    assert before["diego"] == "Diego Alvarez"
    store.close()
    cfg = config_file(tmp_path, BAD_KEYS)
    code = cli.main(["--config", str(cfg), "demo", "--path", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith('inbox-tui: [keys]: reply = "t" takes t from tag')
    assert "\n" not in err
    store = Store(sqlite_url(path))
    try:
        assert names(store) == before
    finally:
        store.close()


def test_a_refused_demo_start_builds_no_store(tmp_path, capsys):
    path = tmp_path / "new-demo.db"
    code = cli.main(["--config", str(config_file(tmp_path, BAD_KEYS)), "demo", "--path", str(path)])
    assert code == 2
    assert not path.exists()


@pytest.mark.parametrize("with_name", [False, True])
def test_the_demo_keeps_the_team_names_unless_the_config_gives_one(tmp_path, with_name):
    """The demo command writes the config's agent into the demo store before the TUI
    opens (walk5): only a name the config gives replaces the demo's."""
    path = tmp_path / "demo.db"
    store = Store(sqlite_url(path))
    build_demo(store, me="sam", my_name="Sam Carter")
    store.close()
    text = '[agent]\nusername = "sam"\n' + ('name = "Sam C."\n' if with_name else "")
    args = cli.build_parser().parse_args(
        ["--config", str(config_file(tmp_path, text)), "demo", "--path", str(path)]
    )
    ctx = Context(args)
    assert args.func(ctx) == 0 and ctx.open_tui  # prepared; the TUI is not opened here
    try:
        assert names(ctx.store)["sam"] == ("Sam C." if with_name else "Sam Carter")
    finally:
        ctx.store.close()
