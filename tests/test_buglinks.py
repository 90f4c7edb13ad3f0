"""Bug links (services/buglinks.py) on SQLite and PostgreSQL: which conversations a bug
reference links, the follow-up when it is fixed (once per conversation, closed ones
reopened, through the outbox), patterns that would link everything refused, and the CLI."""

from __future__ import annotations

import pytest
from sqlmodel import select

from inbox_tui.macros import files
from inbox_tui.models import Conversation, Event, EventKind, Outbox, TagKind
from inbox_tui.services import buglinks, categories, core, macros, triage
from tests.test_incidents import CONFIG, NOW, new_conversation
from tests.test_insight_services import tags


def test_default_pattern_finds_keys_and_issue_urls():
    p = buglinks.compile_pattern(None)
    body = "Filed ENG-4812 (see https://github.com/o/r/issues/12, like ENG-48), ENG-4812 again."
    assert buglinks.refs_in(body, p) == ["ENG-4812", "https://github.com/o/r/issues/12", "ENG-48"]
    assert buglinks.refs_in("Hello, the export is broken since Monday.", p) == []


@pytest.mark.parametrize("pattern", [".*", r"\w+", "[a-z]", "(", "x?"])
def test_patterns_that_link_everything_or_nothing_sensible_are_refused(pattern):
    with pytest.raises(buglinks.BugLinkError):
        buglinks.compile_pattern(pattern)


def linked_history(s) -> dict[str, int]:
    triage.ensure_agent(s, "sam")
    c = {
        k: new_conversation(s, f"Export broken {k}", NOW)
        for k in ("note", "other", "mail", "incident", "link")
    }
    triage.add_note(s, "sam", c["note"], "Engineering filed ENG-4812 for this.")
    triage.close(s, "sam", c["note"])
    triage.add_note(s, "sam", c["other"], "Probably ENG-48123, not the same bug.")
    # The customer naming a bug in their own message does not link it: agents link.
    new_conversation(s, "ENG-4812 again?", NOW, body="Is ENG-4812 fixed yet?")
    conv = core.lock_conversation(s, c["incident"])
    agent = core.ensure_agent(s, "sam")
    core.record(
        s, conv, agent, EventKind.INCIDENT, {"action": "confirmed", "name": "x", "bug": "ENG-4812"}
    )
    buglinks.link(s, "sam", c["link"], "ENG-4812")
    macros.import_specs(s, [files.MacroSpec(slug="fixed", name="Fixed", body="It is fixed now.")])
    return c


def test_linked_and_refs_of(store):
    c = store.run(linked_history)
    with store.read() as s:
        assert buglinks.linked(s, "ENG-4812") == sorted([c["note"], c["incident"], c["link"]])
        assert buglinks.linked(s, "ENG-48123") == [c["other"]]
        assert buglinks.refs_of(s, c["incident"]) == ["ENG-4812"]
        assert buglinks.refs_of(s, c["link"]) == ["ENG-4812"]


def test_fixed_follows_up_once_and_reopens(store):
    c = store.run(linked_history)
    expected = sorted([c["note"], c["incident"], c["link"]])
    with store.read() as s:
        plan = buglinks.plan_fixed(s, "ENG-4812", "fixed")
    assert plan.to_follow_up == expected
    assert (
        store.run(buglinks.follow_up, "sam", "ENG-4812", "fixed", plan.to_follow_up, config=CONFIG)
        == 3
    )
    # A second run (or a second agent) answers nobody twice.
    assert (
        store.run(buglinks.follow_up, "sam", "ENG-4812", "fixed", plan.to_follow_up, config=CONFIG)
        == 0
    )
    with store.read() as s:
        assert sorted(o.conversation_id for o in s.exec(select(Outbox)).all()) == expected
        assert s.get(Conversation, c["note"]).status != "closed"
        assert buglinks.plan_fixed(s, "ENG-4812", "fixed").to_follow_up == []
        followed = s.exec(select(Event).where(Event.kind == "followed_up")).all()
        assert sorted(e.conversation_id for e in followed) == expected


def test_bad_input_is_one_sentence(sqlite_store):
    c = sqlite_store.run(linked_history)
    with pytest.raises(buglinks.BugLinkError, match="does not look like a bug reference"):
        sqlite_store.run(buglinks.link, "sam", c["other"], "hello")
    with pytest.raises(macros.MacroError, match="no macro called"), sqlite_store.read() as s:
        buglinks.plan_fixed(s, "ENG-4812", "nope")


def test_cli_lists_links_and_asks_before_queueing(sqlite_store):
    from tests.test_cli_errors import assert_plain_error, cli

    c = sqlite_store.run(linked_history)
    db = ["--db", sqlite_store.url]
    out = cli(*db, "issue", "link", str(c["other"]), "ENG-4812")
    assert out.returncode == 0, out.stderr
    listed = cli(*db, "issue", "list", "ENG-4812")
    assert listed.stdout.split() == [
        str(i) for i in sorted([c["note"], c["other"], c["incident"], c["link"]])
    ]
    refused = cli(*db, "issue", "fixed", "ENG-4812", "--macro", "fixed")
    assert "4 conversations are linked to 'ENG-4812'; 4 will get" in refused.stdout
    assert_plain_error(refused, "--yes")
    assert_plain_error(cli(*db, "issue", "list", "whatever"), "does not look like a bug reference")
    with sqlite_store.read() as s:
        assert s.exec(select(Outbox)).all() == []


def test_a_configured_pattern_that_matches_everything_is_one_sentence(sqlite_store, tmp_path):
    from tests.test_cli_errors import assert_plain_error, cli

    cfg = tmp_path / "config.toml"
    cfg.write_text('[insight]\nbug_pattern = "\\\\w+"\n')
    result = cli("--config", str(cfg), "--db", sqlite_store.url, "issue", "list", "ENG-1")
    assert_plain_error(result, "matches ordinary text")
    cfg.write_text('[insight]\nbug_pattern = "BUG#\\\\d+"\n')
    sqlite_store.run(linked_history)
    ok = cli("--config", str(cfg), "--db", sqlite_store.url, "issue", "list", "BUG#7")
    assert ok.returncode == 0 and "No conversation is linked to 'BUG#7'" in ok.stdout


def test_search_issue_term(store):
    from inbox_tui.services.search import search_conversations

    c = store.run(linked_history)
    linked = sorted([c["note"], c["incident"], c["link"]])
    with store.read() as s:
        rows, total = search_conversations(s, "issue:ENG-4812", "sam")
        assert sorted(r.id for r in rows) == linked and total == 3
        # A prefix of another reference is not that reference.
        assert search_conversations(s, "issue:ENG-48", "sam") == ([], 0)
        rows, _ = search_conversations(s, "export -issue:ENG-4812", "sam")
        assert c["other"] in {r.id for r in rows} and not set(linked) & {r.id for r in rows}


def test_fixed_under_require_refuses_once_before_queueing_anything(
    sqlite_store, tmp_path, smtp_server
):
    """``issue fixed`` with a macro that closes and no ``--category``, under
    ``category_on_close = "require"``: one sentence naming the conversations without a
    category (a closed one too: it is reopened, then closed again) and ``--category``,
    before anything is queued; it was refused batch by batch, after the first batch of
    200 had gone out. With ``--category`` every follow-up goes and the tag is added."""
    from tests.test_cli_errors import assert_plain_error, cli

    def setup(s):
        triage.ensure_agent(s, "sam")
        triage.ensure_tag(s, "bug", TagKind.CATEGORY)
        ids = [new_conversation(s, f"Sync stopped {i}", NOW) for i in range(buglinks.BATCH + 2)]
        for cid in ids:
            triage.add_note(s, "sam", cid, "Same as ENG-9.")
        for cid in ids[: buglinks.BATCH]:
            triage.tag(s, "sam", cid, "bug")
        triage.close(s, "sam", ids[-1])  # closed without one (before the rule was set)
        macros.import_specs(
            s,
            [
                files.MacroSpec(
                    slug="done", name="Done", body="It is fixed.", actions={"status": "closed"}
                )
            ],
        )
        return ids

    ids = sqlite_store.run(setup)
    with sqlite_store.read() as s:  # the closed one counts: the follow-up reopens it
        assert categories.to_ask(s, ids, "require", None, "done", reopens=True) == ids[-2:]
        assert categories.to_ask(s, ids, "require", None, "done") == ids[-2:-1]
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[insight]\ncategory_on_close = "require"\n[mail]\nundo_seconds = 600\n'
        '[accounts.support]\nhost = "127.0.0.1"\nport = 1\nsecurity = "plain"\n'
        'address = "support@example.com"\nsent_mailbox = ""\n'
        f'[accounts.support.smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'
        'security = "plain"\n'
    )
    run = ["--config", str(cfg), "--db", sqlite_store.url, "issue", "fixed", "ENG-9"]

    def queued():
        with sqlite_store.read() as s:
            return len(s.exec(select(Outbox)).all())

    refused = cli(*run, "--macro", "done", "--yes")
    assert_plain_error(
        refused, f"2 conversations (#{ids[-2]}, #{ids[-1]}) have no category tag", "--category"
    )
    assert "follow-ups queued" not in refused.stdout and queued() == 0
    assert_plain_error(cli(*run, "--macro", "done", "--category", "nope"), "not a category tag")
    assert queued() == 0
    ok = cli(*run, "--macro", "done", "--category", "bug", "--yes")
    assert ok.returncode == 0, ok.stderr
    assert f"{buglinks.BATCH + 2} follow-ups queued" in ok.stdout
    assert queued() == buglinks.BATCH + 2
    with sqlite_store.read() as s:
        for cid in ids[-2:]:
            conv = s.get(Conversation, cid)
            assert conv.status == "closed" and "bug" in tags(s, cid)
    assert smtp_server.messages == []  # queued, held for the undo delay


def test_fixed_follows_up_with_reply_macros_that_ask_nothing(store):
    """walk11 C: F offered a note macro with an {{ask: …}} blank; after the plan and y it
    said "cannot be sent yet… no value" for each. A follow-up tells every linked
    customer the bug is fixed at once: a note tells nobody (and marks them followed up,
    so F would skip them for good), and a blank has no one to ask."""
    c = store.run(linked_history)
    specs = [
        files.MacroSpec(
            slug="esc", name="Escalate", body="Ticket: {{ask: ticket link}}", body_kind="note"
        ),
        files.MacroSpec(slug="order", name="Order", body="Order {{ask: order number}} ships."),
        files.MacroSpec(slug="tag-only", name="Tag only", body="", actions={"add_tags": ["bug"]}),
    ]
    store.run(lambda s: macros.import_specs(s, specs))
    with store.read() as s:
        fit, left_out = buglinks.follow_up_choices(s, "sam", c["link"])
        assert [m.info.slug for m in fit] == ["fixed"] and left_out == 3
        with pytest.raises(macros.MacroError, match=r"^“Escalate” sends no reply: .* Nothing was"):
            buglinks.plan_fixed(s, "ENG-4812", "esc")
        with pytest.raises(macros.MacroError, match=r"^“Order” asks for a value \(order number\)"):
            buglinks.plan_fixed(s, "ENG-4812", "order")
        with pytest.raises(macros.MacroError, match="sends no reply"):
            buglinks.plan_fixed(s, "ENG-4812", "tag-only")
        assert buglinks.plan_fixed(s, "ENG-4812", "fixed").to_follow_up
