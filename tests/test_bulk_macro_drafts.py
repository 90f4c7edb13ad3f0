"""A macro's reply sent to many conversations at once never destroys the agent's own
unsent draft on one of them (walk7: confirming an incident with a macro deleted it
silently). The agent never saw the macro's text in a composer, so it is not the draft:
the reply goes, the draft stays for them to finish or discard. A reply written in the
composer (the draft was its text) still takes the draft with it. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import select

from inbox_tui.macros import files
from inbox_tui.models import Outbox
from inbox_tui.services import buglinks, compose, drafts, incidents, macros, rules
from tests.test_buglinks import linked_history
from tests.test_incidents import CONFIG, NOW, history

DRAFT = "Hi, I looked at your account and the sync"


def outboxed(store) -> list[int]:
    with store.read() as s:
        return sorted(o.conversation_id for o in s.exec(select(Outbox)).all())


def draft_of(store, cid: int) -> str | None:
    with store.read() as s:
        return drafts.get_draft(s, "sam", cid)


def test_confirming_an_incident_with_a_macro_keeps_the_drafts(store):
    ids = store.run(history)
    store.run(
        macros.import_specs,
        [files.MacroSpec(slug="known", name="Known problem", body="We are on it.")],
    )
    drafted = ids["login"][1]
    store.run(drafts.save_draft, "sam", drafted, DRAFT)
    store.run(
        incidents.confirm, "sam", min(ids["login"]), "Login outage", bug="ENG-4812",
        macro="known", config=CONFIG, now=NOW,
    )  # fmt: skip
    assert outboxed(store) == sorted(ids["login"])  # everyone answered, the drafted one too
    assert draft_of(store, drafted) == DRAFT


def test_a_macro_on_a_selection_keeps_the_drafts(store):
    ids = store.run(history)
    store.run(
        macros.import_specs,
        [files.MacroSpec(slug="known", name="Known problem", body="We are on it.")],
    )
    selection = ids["login"][:3]
    store.run(drafts.save_draft, "sam", selection[0], DRAFT)
    store.run(drafts.save_draft, "sam", selection[2], DRAFT + " (2)")
    assert store.run(rules.apply_macro_many, "sam", selection, "known", config=CONFIG) == 3
    assert outboxed(store) == sorted(selection)
    assert draft_of(store, selection[0]) == DRAFT
    assert draft_of(store, selection[2]) == DRAFT + " (2)"


def test_a_bugs_follow_up_keeps_the_drafts(store):
    c = store.run(linked_history)
    store.run(drafts.save_draft, "sam", c["link"], DRAFT)
    with store.read() as s:
        plan = buglinks.plan_fixed(s, "ENG-4812", "fixed")
    assert (
        store.run(buglinks.follow_up, "sam", "ENG-4812", "fixed", plan.to_follow_up, config=CONFIG)
        == 3
    )
    assert c["link"] in outboxed(store)
    assert draft_of(store, c["link"]) == DRAFT


def test_a_macro_reply_sent_from_the_composer_takes_its_draft(store):
    """The composer opens on the draft with the macro's text after it: what is sent is
    the draft, which goes (r then opens empty)."""
    ids = store.run(history)
    store.run(
        macros.import_specs,
        [files.MacroSpec(slug="known", name="Known problem", body="We are on it.")],
    )
    cid = ids["login"][0]
    store.run(drafts.save_draft, "sam", cid, DRAFT)
    store.run(
        compose.send_reply, "sam", cid, DRAFT + "\n\nWe are on it.", config=CONFIG, macro="known"
    )
    assert outboxed(store) == [cid]
    assert draft_of(store, cid) is None
