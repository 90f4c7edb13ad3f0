"""A tag made on the fly is a modifier; a category only on purpose (walk3 13, walk4 7: a
tag created in the ``t`` picker or by ``conv tag`` became a category, so the stats'
"closed without a category" share and the question asked on closing counted it).
``inbox-tui tags kind`` changes a tag's kind; ``tags list`` shows them. SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from inbox_tui import cli
from inbox_tui.models import Tag, TagKind
from inbox_tui.services import triage
from inbox_tui.services.category_guard import missing
from tests.test_search import add


def kind_of(store, name: str) -> str | None:
    with store.read() as s:
        tag = s.exec(select(Tag).where(Tag.name == name)).first()
        return tag.kind if tag else None


def test_a_new_tag_is_a_modifier_unless_a_category_is_asked_for(store):
    cid = add(store, "k1", "The export hangs.")
    store.run(triage.tag, "sam", cid, "Wobbly")
    assert kind_of(store, "wobbly") == "modifier"
    with store.read() as s:
        assert missing(s, [cid]) == [cid]  # a modifier is no category
    store.run(triage.tag, "sam", cid, "exports", kind=TagKind.CATEGORY)
    assert kind_of(store, "exports") == "category"
    with store.read() as s:
        assert missing(s, [cid]) == []
    # An existing tag keeps its kind, whoever tags with it and however.
    other = add(store, "k2", "Another one.")
    store.run(triage.tag, "sam", other, "exports")
    store.run(triage.tag, "sam", other, "wobbly", kind=TagKind.CATEGORY)
    assert (kind_of(store, "exports"), kind_of(store, "wobbly")) == ("category", "modifier")


def test_the_tags_command_lists_kinds_and_changes_one(store, capsys):
    cid = add(store, "k3", "The export hangs.")
    store.run(triage.tag, "sam", cid, "wobbly")
    db = ["--db", store.url]
    assert cli.main([*db, "tags", "kind", "wobbly", "category"]) == 0
    assert capsys.readouterr().out == "wobbly is now a category.\n"
    assert kind_of(store, "wobbly") == "category"
    with store.read() as s:
        assert missing(s, [cid]) == []  # it counts as a category at once
    assert cli.main([*db, "tags", "kind", "Wobbly", "category"]) == 0
    assert capsys.readouterr().out == "wobbly is already a category.\n"
    assert cli.main([*db, "tags", "list", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"name": "wobbly", "kind": "category", "conversations": 1} in listed
    assert cli.main([*db, "tags", "kind", "nosuch", "modifier"]) == 3
    err = capsys.readouterr().err
    assert err.strip() == "inbox-tui: There is no tag “nosuch”." and "Traceback" not in err
    with pytest.raises(SystemExit) as bad:
        cli.main([*db, "tags", "kind", "wobbly", "colour"])
    assert bad.value.code == 2


def test_conv_tag_makes_a_modifier(store, capsys):
    cid = add(store, "k4", "Hello.")
    assert cli.main(["--db", store.url, "conv", "tag", str(cid), "brandnew"]) == 0
    assert kind_of(store, "brandnew") == "modifier"
