"""The services behind #23's TUI flows, on SQLite and PostgreSQL: categories on close,
the burst view, known bug references, assigning to the previous agent, an incident's
tag as a modifier, and how confirmations name conversations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from inbox_tui.errors import UserError
from inbox_tui.models import Agent, Conversation, ConversationTag, Tag, TagKind
from inbox_tui.services import (
    buglinks,
    categories,
    continuity,
    core,
    incidents,
    triage,
)
from inbox_tui.services.conversations import count_conversations, view_filter
from tests.test_continuity import history
from tests.test_incidents import LOGIN, NOW, new_conversation


def tags(s, cid):
    return sorted(
        t.name
        for t in s.exec(
            select(Tag).join(ConversationTag).where(ConversationTag.conversation_id == cid)
        )
    )


def test_close_with_category_tags_only_those_without(store):
    def setup(s):
        triage.ensure_tag(s, "bug", TagKind.CATEGORY)
        triage.ensure_tag(s, "angry", TagKind.MODIFIER)
        a = new_conversation(s, "Export broken", NOW)
        b = new_conversation(s, "Export broken too", NOW)
        c = new_conversation(s, "Also broken", NOW)
        triage.tag(s, "sam", b, "angry")  # a modifier is no category
        triage.tag(s, "sam", c, "bug")
        return a, b, c

    a, b, c = store.run(setup)
    with store.read() as s:
        assert categories.missing(s, [c, a, b]) == [a, b]
        names = [ch.name for ch in categories.choices(s, None)]
    assert "bug" in names and "angry" not in names
    with pytest.raises(UserError, match="not a category tag"):
        store.run(categories.close_with_category, "sam", [a], "angry")
    assert store.run(categories.close_with_category, "sam", [a, b, c], "bug") == 3
    with store.read() as s:
        assert tags(s, a) == ["bug"] and tags(s, b) == ["angry", "bug"] and tags(s, c) == ["bug"]
        assert categories.missing(s, [a, b, c]) == []
    # Skipped: closed with no category added.
    d = store.run(lambda s: new_conversation(s, "Skip me", NOW))
    assert store.run(categories.close_with_category, "sam", [d], None) == 1
    with store.read() as s:
        assert tags(s, d) == [] and categories.missing(s, [d]) == [d]


def test_burst_view_lists_the_burst(store):
    ids = store.run(
        lambda s: [
            new_conversation(s, subject, NOW - timedelta(minutes=20 * (i + 1)))
            for i, subject in enumerate(LOGIN)
        ]
    )
    with store.read() as s:
        (burst,) = incidents.detect(s, now=NOW)
        view = incidents.burst_view(burst)
        assert count_conversations(s, view_filter(view, "sam")) == len(ids)
        assert incidents.suggested_name(burst)
    with pytest.raises(ValueError):
        view_filter("burst:1:1,x", "sam")
    store.run(
        lambda s: incidents.confirm(s, "sam", burst.key, "Login outage", bug="ENG-5", now=NOW)
    )
    with store.read() as s:
        tag = s.exec(select(Tag).where(Tag.name == "incident:login-outage")).one()
        # An outage is how a conversation is, not what it is about: no category.
        assert tag.kind == TagKind.MODIFIER.value
        assert categories.missing(s, sorted(ids)) == sorted(ids)
        assert ("ENG-5", len(ids)) in [(k.ref, k.linked) for k in buglinks.known_refs(s)]
        labels = core.labels(s, sorted(ids), named=2)
    assert labels[0].startswith(f"#{min(ids)} ") and "Customer" in labels[0]
    assert labels[2:] == [f"#{i}" for i in sorted(ids)[2:]]


def test_known_refs_counts_conversations(store):
    def setup(s):
        a = new_conversation(s, "one", NOW)
        b = new_conversation(s, "two", NOW)
        buglinks.link(s, "sam", a, "ENG-1")
        buglinks.link(s, "sam", b, "ENG-1")
        triage.add_note(s, "sam", b, "also ENG-2 and ENG-1 again")
        return a, b

    store.run(setup)
    with store.read() as s:
        assert [(k.ref, k.linked) for k in buglinks.known_refs(s)] == [("ENG-1", 2), ("ENG-2", 1)]
        assert buglinks.check_ref(" ENG-2 ") == "ENG-2"
    with pytest.raises(UserError):
        buglinks.check_ref("hello")


def test_assign_previous_many(store):
    c = store.run(history)  # ann answered carol last; nobody ever answered dan
    with pytest.raises(UserError, match="Nobody has answered"):
        store.run(continuity.assign_previous_many, "sam", [c["d1"]])
    moved = store.run(continuity.assign_previous_many, "sam", [c["c2"], c["d1"]])
    assert sum(moved.values()) == 1 and len(moved) == 1
    with store.read() as s:
        assert s.get(Agent, s.get(Conversation, c["c2"]).assignee_id).username == "ann"
        assert s.get(Conversation, c["d1"]).assignee_id is None


def test_stats_csv_leaves_incidents_out_on_request(store):
    import csv
    import io
    import subprocess
    import sys

    from tests.test_continuity import at, mail

    def setup(s):
        triage.ensure_agent(s, "sam")
        a = mail(s, "inc", "ann", at(2, 9))
        mail(s, "inc-r", "", at(2, 10), ("inc",), agent="sam")
        b = mail(s, "ord", "bob", at(2, 9))
        mail(s, "ord-r", "", at(2, 12), ("ord",), agent="sam")
        triage.tag(s, "sam", a, "incident:outage")
        return a, b

    a, b = store.run(setup)

    def stats(*extra):
        out = subprocess.run(
            [sys.executable, "-m", "inbox_tui", "--db", store.url, "stats",
             "--since", "2026-03-01", "--until", "2026-03-08", "--format", "csv", *extra],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return list(csv.DictReader(io.StringIO(out)))

    team = stats()[-1]
    assert team["first_response_count"] == "2" and "excluded_incident_conversations" not in team
    team = stats("--exclude-incidents")[-1]
    assert team["agent"] == "team" and team["first_response_count"] == "1"
    assert team["first_response_median"] == str(3 * 3600.0)  # b's three hours only
    assert team["excluded_incident_conversations"] == "1"
    rows = stats("--exclude-incidents", "--per-conversation")
    assert [int(r["id"]) for r in rows] == [b]
    assert sorted(int(r["id"]) for r in stats("--per-conversation")) == sorted([a, b])


def _require_config():
    from dataclasses import replace

    from tests.test_incidents import CONFIG

    return replace(CONFIG, category_on_close="require")


def _closing_macros(s):
    from inbox_tui.macros import files
    from inbox_tui.services import macros

    macros.import_specs(
        s,
        [
            files.MacroSpec(slug="thanks", name="Thanks", body="Thanks!", body_kind="reply",
                            actions={"status": "closed"}),
            files.MacroSpec(slug="shut", name="Shut", body="", body_kind="reply",
                            actions={"status": "closed"}),
            files.MacroSpec(slug="logged", name="Logged", body="", body_kind="reply",
                            actions={"status": "closed", "add_tags": ["bug"]}),
        ],
    )  # fmt: skip


def test_every_close_goes_through_one_category_decision(store):
    """Send and close, a macro that closes (with a reply or only actions), a bulk
    macro and a plain close all ask ``needs_category``; under "require" each refuses
    without a category (one sentence, nothing changed) and tags the one given."""
    from inbox_tui.models import Event, Outbox
    from inbox_tui.services import macros
    from inbox_tui.services.compose import send_reply

    config = _require_config()

    def setup(s):
        triage.ensure_tag(s, "bug", TagKind.CATEGORY)
        triage.ensure_tag(s, "billing", TagKind.CATEGORY)
        _closing_macros(s)
        ids = [new_conversation(s, f"Broken {i}", NOW) for i in range(5)]
        triage.tag(s, "sam", ids[4], "billing")
        return ids

    a, b, c, d, has_one = store.run(setup)
    with store.read() as s:
        assert categories.needs_category(s, [a, has_one], "require") == [a]
        assert categories.needs_category(s, [a, has_one], "ask") == [a]
        assert categories.needs_category(s, [a, has_one], "off") == []
        assert categories.closes(s, "closed", None) and not categories.closes(s, None, None)
        assert categories.closes(s, None, "thanks") and not categories.closes(s, "pending", "shut")
        # What the TUI asks before the action: a macro that tags a category asks nothing.
        assert categories.to_ask(s, [a, has_one], "ask", None, "shut") == [a]
        assert categories.to_ask(s, [a], "require", None, "logged") == []
        assert categories.to_ask(s, [a], "require", "pending", None) == []

    def events():
        with store.read() as s:
            return len(s.exec(select(Event)).all()), len(s.exec(select(Outbox)).all())

    before = events()
    attempts = [
        lambda: store.run(send_reply, "sam", a, "Fixed.", config=config, then_status="closed"),
        lambda: store.run(send_reply, "sam", a, "Thanks!", config=config, macro="thanks"),
        lambda: store.run(macros.apply_macro, "sam", a, "shut", config=config),
        lambda: store.run(macros.apply_macro_many, "sam", [has_one, a], "shut", config=config),
        lambda: store.run(categories.close_with_category, "sam", [a], None, "require"),
    ]
    for attempt in attempts:
        with pytest.raises(categories.CategoryRequired, match=f"#{a} has no category tag"):
            attempt()
        assert events() == before  # nothing at all changed
    # A send that does not close, and a conversation that has a category, are not asked.
    store.run(send_reply, "sam", b, "Looking.", config=config)
    store.run(macros.apply_macro, "sam", has_one, "shut", config=config)
    # Given a category: tagged on those without one, in the transaction that closes.
    store.run(send_reply, "sam", a, "Fixed.", config=config, then_status="closed", category="bug")
    store.run(send_reply, "sam", b, "Thanks!", config=config, macro="thanks", category="bug")
    store.run(macros.apply_macro_many, "sam", [c, d], "shut", config=config, category="billing")
    with pytest.raises(UserError, match="not a category tag"):
        store.run(send_reply, "sam", c, "x", config=config, then_status="closed", category="zzz")
    with store.read() as s:
        got = {
            cid: (s.get(Conversation, cid).status, tags(s, cid)) for cid in (a, b, c, d, has_one)
        }
    assert got == {
        a: ("closed", ["bug"]),
        b: ("closed", ["bug"]),
        c: ("closed", ["billing"]),
        d: ("closed", ["billing"]),
        has_one: ("closed", ["billing"]),
    }
    # "ask" (the default): the services close without one when none is given (skipped).
    e = store.run(lambda s: new_conversation(s, "Skip", NOW))
    from dataclasses import replace

    store.run(send_reply, "sam", e, "Bye.", config=replace(config, category_on_close="ask"),
              then_status="closed")  # fmt: skip
    with store.read() as s:
        assert s.get(Conversation, e).status == "closed" and tags(s, e) == []
