"""Saved views keep the scope they were saved in; rename and delete (services and CLI)."""

from __future__ import annotations

import json

import pytest

from inbox_tui import cli
from inbox_tui.errors import UserError
from inbox_tui.services import views as sv


def views(store):
    with store.read() as s:
        return sv.list_saved_views(s)


def test_save_keeps_the_scope_and_replaces_by_name(store):
    store.run(sv.save_view, "Angry billing", "tag:angry billing", "mine")
    store.run(sv.save_view, "Chats", "channel:chat", "all")
    assert views(store) == [
        sv.SavedView("Angry billing", "tag:angry billing", "mine"),
        sv.SavedView("Chats", "channel:chat", "all"),
    ]
    store.run(sv.save_view, "Chats", "channel:chat is:open", "tag:vip")
    with store.read() as s:
        assert sv.get_saved_view(s, "Chats") == sv.SavedView(
            "Chats", "channel:chat is:open", "tag:vip"
        )
    assert len(views(store)) == 2


def test_rename_and_delete(store):
    store.run(sv.save_view, "One", "printer", "open")
    store.run(sv.save_view, "Two", "scanner", "open")
    assert store.run(sv.rename_view, "One", "  First \n") == sv.SavedView(
        "First", "printer", "open"
    )
    with pytest.raises(UserError, match=r"^There is already a view called “Two”; pick another"):
        store.run(sv.rename_view, "First", "Two")
    with pytest.raises(UserError, match=r"^There is no saved view called “One”.$"):
        store.run(sv.rename_view, "One", "Three")
    with pytest.raises(UserError, match=r"^A view needs a name.$"):
        store.run(sv.rename_view, "First", "   ")
    store.run(sv.delete_view, "Two")
    with pytest.raises(UserError, match=r"^There is no saved view called “Two”.$"):
        store.run(sv.delete_view, "Two")
    assert views(store) == [sv.SavedView("First", "printer", "open")]


@pytest.mark.parametrize(
    ("name", "query", "scope", "sentence"),
    [
        ("x", "printer", "nowhere", "“nowhere” is not a view to save a search in."),
        ("x", "", "all", "Type a search first (/), then save it as a view."),
        ("x", "!" * 3000, "all", "The search is 3,000 characters long; the limit is 2,000."),
        ("x" * 101, "printer", "all", "A view's name is at most 100 characters."),
        ("\x1b\x07\n", "printer", "all", "A view needs a name."),
    ],
)
def test_bad_views_are_one_sentence(store, name, query, scope, sentence):
    with pytest.raises(UserError) as err:
        store.run(sv.save_view, name, query, scope)
    assert str(err.value) == sentence
    assert views(store) == []


def test_views_command(sqlite_store, capsys):
    db = ["--db", sqlite_store.url]
    assert (
        cli.main([*db, "views", "save", "Angry", "tag:angry", "-tag:spam", "--scope", "mine"]) == 0
    )
    assert capsys.readouterr().out.strip() == "Saved the view “Angry” (in Mine)."
    assert cli.main([*db, "views", "rename", "Angry", "Cross customers"]) == 0
    assert capsys.readouterr().out.strip() == "Renamed the view to “Cross customers”."
    assert cli.main([*db, "views", "list", "--json"]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"name": "Cross customers", "scope": "mine", "query": "tag:angry -tag:spam"}
    ]
    assert cli.main([*db, "views", "delete", "Cross customers"]) == 0
    capsys.readouterr()
    assert cli.main([*db, "views", "delete", "Cross customers"]) == 2
    assert capsys.readouterr().err.strip() == (
        "inbox-tui: There is no saved view called “Cross customers”."
    )
    assert cli.main([*db, "views", "list"]) == 0
    assert "No saved views yet" in capsys.readouterr().out


def test_a_saved_view_shows_what_the_search_showed_in_its_scope(store):
    """Defect 5 of #17: a search typed in "All open" (3 results) saved as a view showed
    every status (29) when opened, because the view dropped its scope."""
    from inbox_tui.incoming import IncomingMessage
    from inbox_tui.ingest import Ingestor
    from inbox_tui.models import utcnow
    from inbox_tui.services import triage
    from inbox_tui.services.conversations import list_conversations
    from inbox_tui.services.views import resolve_filter, saved_query

    def work(s):
        ing = Ingestor(s)
        ids = [
            ing.add(
                IncomingMessage(
                    source="t", external_id=str(i), message_id=f"<sv{i}@x>",
                    subject=f"Printer {i}", author_email=f"c{i}@x.example",
                    author_name="C", body="printer jam", sent_at=utcnow(),
                )
            ).conversation_id
            for i in range(4)
        ]  # fmt: skip
        triage.close(s, "sam", ids[0])
        triage.close(s, "sam", ids[1])
        return ids

    ids = store.run(work)

    def shown(view: str, query: str = "") -> set[int]:
        with store.read() as s:
            saved = {v.name: v for v in sv.list_saved_views(s)}
            return {r.id for r in list_conversations(s, resolve_filter(view, query, "sam", saved))}

    typed = shown("open", "printer")
    assert typed == {ids[2], ids[3]}
    query, scope = saved_query("open", "printer", {})
    store.run(sv.save_view, "Printers", query, scope)
    assert shown("saved:Printers") == typed
    # A search typed in the saved view narrows it, and saving that keeps both.
    assert shown("saved:Printers", "3") == {ids[3]}
    with store.read() as s:
        saved = {v.name: v for v in sv.list_saved_views(s)}
    assert saved_query("saved:Printers", "3", saved) == ("printer 3", "open")
