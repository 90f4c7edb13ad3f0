"""Walk2: a note naming a bug linked its conversation without a word, and `F`'s picker
counted links one way ("14 linked") while its preview listed and acted on another. A
note says what it links (service, thread, CLI), and the picker's counts are the plan's
(SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlmodel import select

from inbox_tui.models import Outbox
from inbox_tui.services import buglinks, triage
from inbox_tui.services.conversations import get_thread
from tests.test_buglinks import linked_history
from tests.test_incidents import CONFIG, NOW, new_conversation


def test_a_note_naming_a_bug_says_it_links_and_the_thread_shows_it(store):
    def setup(s):
        triage.ensure_agent(s, "sam")
        return new_conversation(s, "Export broken", NOW)

    cid = store.run(setup)
    saved = store.run(buglinks.add_note, "sam", cid, "Engineering filed ENG-4812 for this.")
    assert saved.links == ["ENG-4812"]
    assert buglinks.linked_sentence(saved.links).startswith("Linked to ENG-4812")
    plain = store.run(
        buglinks.add_note, "sam", cid, "Asked for a screenshot; ENG-4812-b is not it."
    )
    assert plain.links == []  # ENG-4812-b is another token: it links nothing
    with store.read() as s:
        assert buglinks.linked(s, "ENG-4812") == [cid]
        notes = {m.id: m.links for m in get_thread(s, cid).messages if m.direction == "note"}
    assert notes == {saved.id: ["ENG-4812"], plain.id: []}


def test_the_pickers_counts_are_what_the_preview_lists_and_follow_up_acts_on(store):
    c = store.run(linked_history)

    def more(s):
        a = new_conversation(s, "Export broken again", NOW)
        # The pattern finds "ENG-4812" in "ENG-4812-2", but that names another bug: the
        # picker counted it (walk2: "14 linked"), the preview did not list it.
        triage.add_note(s, "sam", a, "Not ours: see ENG-4812-2.")
        return a

    store.run(more)
    with store.read() as s:
        known = {k.ref: k for k in buglinks.known_refs(s)}
        plan = buglinks.plan_fixed(s, "ENG-4812", "fixed")
    assert known["ENG-4812"].linked == len(plan.linked) == len(plan.to_follow_up) == 3
    assert known["ENG-4812"].followed == 0
    store.run(buglinks.follow_up, "sam", "ENG-4812", "fixed", plan.to_follow_up[:1], config=CONFIG)
    with store.read() as s:
        known = {k.ref: k for k in buglinks.known_refs(s)}
        plan = buglinks.plan_fixed(s, "ENG-4812", "fixed")
        queued = len(s.exec(select(Outbox)).all())
    k = known["ENG-4812"]
    assert (k.linked, k.followed) == (3, 1)
    assert k.linked - k.followed == len(plan.to_follow_up) == 2
    assert queued == 1 and c["other"] not in plan.linked


def test_conv_note_says_what_it_links(sqlite_store):
    from tests.test_cli_errors import cli

    cid = sqlite_store.run(lambda s: new_conversation(s, "Export broken", NOW))
    db = ["--db", sqlite_store.url]
    out = cli(*db, "conv", "note", str(cid), "Filed as ENG-4812.")
    assert out.returncode == 0, out.stderr
    assert "Linked to ENG-4812" in out.stdout
    shown = cli(*db, "conv", "show", str(cid))
    assert "Linked to ENG-4812." in shown.stdout
