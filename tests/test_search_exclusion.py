"""A "-" before any term leaves out what that term finds (walk5: only -tag: did;
``-assignee:sam``, ``-is:open``, ``-from:larsen`` and ``-password`` searched as if the
"-" were not there), on SQLite and PostgreSQL, with the plans a big store picks."""

from __future__ import annotations

import pytest

from inbox_tui.models import Status
from inbox_tui.services import triage
from inbox_tui.services.search import QueryError, parse_query
from tests.test_search import add, inbox, search  # noqa: F401  (inbox is a fixture)


@pytest.fixture
def triaged(inbox):  # noqa: F811
    """The four conversations of test_search's inbox, with an assignee, a status and a
    tag on some."""
    store, ids = inbox
    store.run(triage.ensure_agent, "sam", "Sam")
    store.run(triage.ensure_agent, "ann", "Ann")
    store.run(triage.assign, "sam", ids["printer"], "sam")
    store.run(triage.assign, "sam", ids["jam"], "ann")
    store.run(triage.set_status, "sam", ids["export"], Status.CLOSED)
    store.run(triage.tag, "sam", ids["mail"], "billing")
    return store, ids


def test_every_kind_of_term_can_be_left_out(triaged):
    store, ids = triaged
    every = set(ids.values())
    for term in (
        "assignee:sam",
        "assignee:me",
        "assignee:none",
        "is:closed",
        "is:open",
        "from:p1",
        "from:customer.example",
        "tag:billing",
        "category:none",
        "paper",
        "pap",
        '"paper jam"',
        "channel:email",
        "after:2026-03-02T09:03",
        "before:2026-03-02T09:03",
    ):
        found = search(store, term)
        assert search(store, f"-{term}") == every - found, term
    # sam's own conversation is the one left out; the unassigned ones stay.
    assert search(store, "-assignee:sam") == every - {ids["printer"]}
    assert search(store, "is:open -is:open") == set()
    assert search(store, "paper -scanner") == {ids["printer"]}
    assert search(store, 'paper -"paper jam"') == {ids["jam"]}


def test_exclusions_combine_with_each_other_and_with_positive_terms(triaged):
    store, ids = triaged
    assert search(store, "-assignee:none -assignee:ann") == {ids["printer"]}
    assert search(store, "paper -assignee:sam") == {ids["jam"]}
    assert search(store, "-paper -csv") == {ids["mail"]}


def test_punctuation_after_a_dash_is_still_text_to_look_for(triaged):
    store, ids = triaged
    assert search(store, "--") == {ids["mail"]}  # "ann@acme.com -- she knows"
    assert search(store, "-") == set(ids.values())  # while typing: the term not yet


def test_a_bad_value_in_a_left_out_term_is_the_same_sentence():
    with pytest.raises(QueryError, match="not a date"):
        parse_query("-after:yesterday-ish", "sam", complete=True)
    with pytest.raises(QueryError, match="is:open"):
        parse_query("-is:bogus", "sam", complete=True)
    with pytest.raises(QueryError, match="needs a value"):
        parse_query("-assignee:", "sam", complete=True)
