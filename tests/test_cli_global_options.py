"""The global options (``--db``, ``--config``, ``-v``) go before the command or after it,
at any depth (walk8: ``inbox-tui stats --db PATH`` failed: "unrecognized arguments");
both orders give the same answer."""

from __future__ import annotations

import json

import pytest

from inbox_tui import cli
from inbox_tui.cli import build_parser
from inbox_tui.services import triage
from tests.test_search_command import add


@pytest.fixture
def one(sqlite_store):
    cid = add(sqlite_store, "g1", "My printer jams.", "Printer", "ann@acme.example", "Ann", 0)
    sqlite_store.run(triage.tag, "sam", cid, "hardware")
    return sqlite_store, cid


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "command",
    [
        ["stats", "--format", "json", "--since", "2026-03-01", "--until", "2026-04-01"],
        ["search", "printer", "--json"],
        ["conv", "show", "{cid}", "--json"],  # a command's own subcommand
        ["tags", "list", "--json"],
    ],
)
def test_db_after_the_command_is_the_same_as_before_it(one, capsys, command):
    store, cid = one
    command = [word.format(cid=cid) for word in command]
    before = run(capsys, "--db", store.url, *command)
    after = run(capsys, *command, "--db", store.url)
    assert before[0] == 0, before
    assert after == before
    if command[0] != "stats":  # the store's own data, not the default store's
        assert "Printer" in after[1] or "hardware" in after[1], after[1]


@pytest.fixture
def root_handlers():
    """``-v`` adds a handler on stderr to the root logger: gone after the test, so no
    later test's log line goes to this test's captured (then closed) stderr."""
    import logging

    root = logging.getLogger()
    kept = list(root.handlers)
    yield
    for handler in root.handlers[:]:
        if handler not in kept:
            root.removeHandler(handler)
            handler.close()


def test_config_and_verbose_after_the_command(one, capsys, tmp_path, root_handlers):
    store, _cid = one
    config = tmp_path / "config.toml"
    config.write_text(f'db = "{store.url}"\n')
    code, out, err = run(capsys, "tags", "list", "--json", "--config", str(config), "-v")
    assert code == 0, err
    assert [json.loads(line)["name"] for line in out.splitlines()] == ["hardware"]


def test_an_option_given_only_before_the_command_is_kept():
    """A command's parser has the options too, but says nothing of them when not given:
    what was given before the command stands (argparse's sub-parser defaults would
    overwrite it with None)."""
    args = build_parser().parse_args(["--db", "sqlite:///x.db", "-v", "stats"])
    assert (args.db, args.verbose, args.config) == ("sqlite:///x.db", True, None)
    args = build_parser().parse_args(["stats", "--db", "sqlite:///y.db"])
    assert (args.db, args.verbose, args.config) == ("sqlite:///y.db", False, None)


def test_every_command_says_it_takes_the_global_options(capsys):
    """``inbox-tui COMMAND --help`` lists them, under their own heading."""
    with pytest.raises(SystemExit):
        cli.main(["conv", "show", "--help"])
    out = capsys.readouterr().out
    assert "--db URL" in out and "--config PATH" in out and "-v, --verbose" in out
