"""Fair auto-assignment per view (#21: "opt-in per mailbox or view"): ``[assignment]
search`` limits it to the conversations a view's search finds, as ``sources`` does per
mailbox, for new work and re-offered work alike; a search that cannot run is one
sentence. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox_tui import cli
from inbox_tui.errors import UserError
from inbox_tui.services import triage
from inbox_tui.services.autoassign import AssignPolicy, reoffer_lapsed
from tests.test_autoassign import assignees, present, run_all, seed
from tests.test_reoffer_away import seen


def test_only_the_views_conversations_are_given_out(store):
    ids = seed(store, 4)
    present(store, "sam", "ann")
    for cid in (ids[1], ids[3]):
        store.run(triage.tag, "sam", cid, "billing")
    policy = AssignPolicy.from_config({"mode": "round-robin", "search": "tag:billing"})
    assert policy is not None and policy.search == "tag:billing"
    given = run_all(store, policy)
    assert sorted(cid for cid, _ in given) == [ids[1], ids[3]]
    got = assignees(store)
    assert got[ids[0]] is None and got[ids[2]] is None


def test_re_offering_keeps_to_the_view(store):
    ids = seed(store, 2)
    seen(store, "sam", -timedelta(hours=1))
    seen(store, "ann", timedelta(hours=1))
    for cid in ids:
        store.run(triage.assign, "ann", cid, "ann")
    store.run(triage.tag, "ann", ids[0], "billing")
    policy = AssignPolicy("round-robin", search="tag:billing", reoffer_after=timedelta(minutes=15))
    assert reoffer_lapsed(store, policy) == [(ids[0], "sam")]
    assert assignees(store)[ids[1]] == "ann"


@pytest.mark.parametrize(
    ("search", "sentence"),
    [
        ("after:someday", "[assignment] search: "),
        ("assignee:sam", "cannot name an assignee"),
        ("assignee:none tag:x", "cannot name an assignee"),
    ],
)
def test_a_search_that_cannot_run_is_one_sentence(search, sentence):
    with pytest.raises(UserError, match=sentence.replace("[", r"\[").replace("]", r"\]")):
        AssignPolicy.from_config({"mode": "round-robin", "search": search})


def test_the_command_says_it(sqlite_store, tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('[assignment]\nmode = "round-robin"\nsearch = "before:never"\n')
    assert cli.main(["--config", str(config), "--db", sqlite_store.url, "assign"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("inbox-tui: [assignment] search: ") and "Traceback" not in err
