"""``inbox-tui search``: the TUI's search language from the command line, printing what
``export`` prints; any input gives results or one sentence (services/search.py limits)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from inbox_tui import cli
from inbox_tui.models import Conversation
from inbox_tui.services import triage
from inbox_tui.services.conversations import list_conversations
from inbox_tui.services.search import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    QueryError,
    parse_query,
    search_conversations,
)
from inbox_tui.store import Store
from tests.mail_history import mail

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add(store: Store, key: str, body: str, subject: str, email: str, name: str, minutes: int):
    when = T0 + timedelta(minutes=minutes)
    return store.run(
        mail, key, when, subject=subject, email=email, name=name, body=body, domain="x"
    )


@pytest.fixture
def inbox(store):
    ids = {
        "printer": add(store, "p", "My printer jams.", "Printer", "ann@acme.example", "Ann", 0),
        "under": add(store, "u", "Billing question", "Invoice", "a_b@shop.example", "A B", 60),
        "plain": add(store, "x", "Billing again", "Invoice 2", "axb@shop.example", "Axb", 120),
        "hostile": add(
            store,
            "h",
            "printer on fire",
            "\x1b[31mRED\x1b[0m\nSecond line \u202eevil",
            "eve@evil.example",
            "Eve\x07",
            180,
        ),
    }
    store.run(triage.tag, "sam", ids["printer"], "spam")
    return store, ids


def run_cli(store: Store, capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--db", store.url, "search", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "Something went wrong" not in err, err
    return code, out, err


def test_same_results_as_the_tui_search_in_everything(inbox, capsys):
    store, ids = inbox
    for query in ("printer", "invoice", "is:open", "from:shop", "printer -tag:spam", ""):
        with store.read() as s:
            expected = [r.id for r in list_conversations(s, parse_query(query, "sam"))]
        code, out, err = run_cli(store, capsys, *query.split())
        assert code == 0, err
        assert [int(line.split()[0]) for line in out.splitlines()] == expected, query
    assert expected == sorted(ids.values(), reverse=True)  # "" is everything, newest first


def test_a_negated_term_first_on_the_line_is_a_search_term(inbox, capsys):
    store, ids = inbox
    code, out, err = run_cli(store, capsys, "-tag:spam", "printer")
    assert code == 0, err
    assert [int(line.split()[0]) for line in out.splitlines()] == [ids["hostile"]]


def test_json_prints_what_export_writes(inbox, capsys):
    store, ids = inbox
    assert cli.main(["--db", store.url, "export"]) == 0
    exported = {json.loads(line)["id"]: line for line in capsys.readouterr().out.splitlines()}
    code, out, err = run_cli(store, capsys, "--json", "billing")
    assert code == 0
    lines = out.splitlines()
    assert lines == [exported[ids["plain"]], exported[ids["under"]]]
    assert err.strip() == "2 conversations."


def test_limit_and_summary(inbox, capsys):
    store, _ = inbox
    code, out, err = run_cli(store, capsys, "--limit", "1", "invoice")
    assert (code, len(out.splitlines()), err.strip()) == (
        0,
        1,
        "1 of 2 conversations (--limit to see more).",
    )
    code, out, err = run_cli(store, capsys, "nothing-like-this")
    assert (code, out, err.strip()) == (0, "", "No conversation matches.")
    code, out, err = run_cli(store, capsys, "--limit", "0", "x")
    assert (code, err.strip()) == (2, "inbox-tui: --limit must be between 1 and 10,000.")


def test_stored_text_is_printed_safely_on_one_line(inbox, capsys):
    store, ids = inbox
    # Ingest already cleans what it stores; a script writing the database directly may
    # not, and the command prints what the database holds.
    with store.write() as s:
        conv = s.get(Conversation, ids["hostile"])
        conv.subject = "\x1b[31mRED\x1b[0m\nSecond line \u202eevil\x07"
        s.add(conv)
    code, out, _ = run_cli(store, capsys, "fire")
    assert code == 0
    assert out.count("\n") == 1
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "[31mRED[0m Second line evil" in out
    code, out, _ = run_cli(store, capsys, "--json", "fire")
    assert "\x1b" not in out and "\u202e" not in out
    assert json.loads(out)["subject"] == "\x1b[31mRED\x1b[0m\nSecond line \u202eevil\x07"


def test_percent_and_underscore_are_literal(inbox):
    store, ids = inbox
    with store.read() as s:
        assert [r.id for r in search_conversations(s, "from:a_b", "sam")[0]] == [ids["under"]]
        assert search_conversations(s, "from:%", "sam") == ([], 0)
        assert search_conversations(s, "from:_", "sam")[1] == 1  # only a_b@ has one
        assert search_conversations(s, "%", "sam") == ([], 0)


def test_times_in_after_and_before(inbox):
    store, ids = inbox
    with store.read() as s:

        def found(q: str) -> set[int]:
            return {r.id for r in search_conversations(s, q, "sam")[0]}

        assert found("after:2026-03-02T10:30") == {ids["plain"], ids["hostile"]}
        assert found('after:"2026-03-02 10:30"') == {ids["plain"], ids["hostile"]}
        assert found("after:2026-03-02T11:30+01:00") == {ids["plain"], ids["hostile"]}
        assert found("before:2026-03-02T10:30") == {ids["printer"], ids["under"]}
        assert found("before:2026-03-02T10:00") == {ids["printer"]}  # before is strict
        assert found("after:2026-03-02") == set(ids.values())
    # Relative and clock times, against a fixed "now".
    assert parse_query("after:3d", "sam").after is not None
    flt = parse_query("after:09:30", "sam")
    assert flt.after is not None and (flt.after.hour, flt.after.minute) == (9, 30)


HOSTILE = [
    "after:10:61",
    "after:2026-13-45",
    "after:99999999999d",
    "before:0001-01-01T00:00+14:00",
    "after:9999-12-31T23:59:59-14:00",
    'after:""',
    "after:",
    'tag:"feature',
    'tag:"',
    '"unbalanced quote',
    'from:"',
    "from:\\",
    "assignee:" + "x" * 500,
    "tag:\x00nul",
    "from:\x00",
    "is:" + "%" * 100,
    "channel:%",
    "-tag:",
    "-" * 1000,
    "!" * MAX_QUERY_CHARS,
    " ".join(["w"] * MAX_TERMS),
    " ".join(f"{c}" for c in "!@#$%^&*()_+{}[]|\\:;'<>,.?/~`" * 1),
    "NEAR(a b) OR tag:x AND from:y",
    "\ud800 lone surrogate",
    "printer \u202e reversed",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_any_input_gives_results_or_one_sentence(inbox, query):
    store, _ = inbox
    with store.read() as s:
        try:
            rows, total = search_conversations(s, query, "sam")
        except QueryError as exc:
            message = str(exc)
            assert message and "\n" not in message and len(message) < 200, message
        else:
            assert total >= len(rows)


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("!" * 60_000, "The search is 60,000 characters long; the limit is 2,000."),
        (
            " ".join(["word"] * 300),
            f"The search has 300 terms; use at most {MAX_TERMS} "
            "(each word, phrase and key:value is one).",
        ),
        (
            "after:10:61",
            "'10:61' is not a date or time like 2026-01-31, 2026-01-31T09:30, 09:30 or 3d.",
        ),
    ],
)
def test_too_much_is_one_sentence_on_the_command_line(inbox, capsys, query, sentence):
    store, _ = inbox
    code, out, err = run_cli(store, capsys, query)
    assert (code, out, err.strip()) == (2, "", f"inbox-tui: {sentence}")


def test_thousands_of_words_from_the_shell(inbox, capsys):
    store, _ = inbox
    code, _, err = run_cli(store, capsys, *(["printer"] * 5000))
    assert code == 2 and err.startswith("inbox-tui: The search is"), err


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("is:bogus", "There is no 'is:bogus' to search for; use is:open, is:pending"),
        ("channel:fax", "There is no 'channel:fax' to search for; use channel:chat or"),
        ('tag:"feature request', 'a quote (") that is not closed'),
        ("tag:", "'tag:' needs a value, like tag:bug."),
        ("after:", "'after:' needs a value"),
        ("assignee:", "'assignee:' needs a value"),
    ],
)
def test_a_search_the_cli_cannot_run_is_one_sentence_and_exit_2(inbox, capsys, query, sentence):
    """walk3: these printed "No conversation matches." (or every conversation) and
    exited 0, as if they had been searched."""
    code, out, err = run_cli(inbox[0], capsys, query)
    assert code == 2
    assert sentence in err and "Traceback" not in err
    assert out == ""


def test_a_key_value_that_is_no_operator_is_said_to_be_text(inbox, capsys):
    code, _, err = run_cli(inbox[0], capsys, "foo:bar")
    assert code == 0
    assert "'foo:bar' was looked for as text: it is not a search operator." in err
