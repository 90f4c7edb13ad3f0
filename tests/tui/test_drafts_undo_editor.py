"""What #17 adds to the agent's core loop, with Pilot, checked in the store: drafts that survive Esc,
another session and sending; undo with ctrl+z / U; $EDITOR from the composer (a fake
editor script, no mocks); search that says what it searches, with everything one key
away; saved views that keep their scope; [keys] checked at start-up."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui.config import ConfigError
from inbox_tui.models import Message
from inbox_tui.services import drafts
from inbox_tui.services.conversations import count_conversations
from inbox_tui.services.views import resolve_filter
from tests.tui.conftest import ME, make_app, make_config
from tests.tui.test_triage_keys import conv, current, settle, tags_of

SIZE = (100, 30)


def draft_of(store, cid):
    with store.read() as s:
        return drafts.get_draft(s, ME, cid)


def composer(app):
    from inbox_tui.tui.screens.composer import Composer

    screen = app.screen
    return screen if isinstance(screen, Composer) else None


def row_text(app, index: int) -> str:
    lst = app.main.conv_list
    return "".join(seg.text for seg in lst._segments(lst.row_at(index), 100, lst.rich_style))


async def test_esc_keeps_the_draft_and_r_brings_it_back_in_another_session(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
        await pilot.press(*"Half a reply")
        await pilot.press("escape")
        await settle(pilot, 5)
        assert composer(app) is None  # Esc closes the composer
        assert draft_of(demo_store, row.id) == "Half a reply"
        await pilot.press("escape")  # back to the list: the row says "draft"
        await settle(pilot)
        assert app.main.conv_list.current_row().draft
        assert "draft Half" not in row_text(app, app.main.conv_list.cursor)
        assert "draft " in row_text(app, app.main.conv_list.cursor)
    again = make_app(demo_store)  # a restart, or another terminal of the same agent
    async with again.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("enter", "r")
        await settle(pilot, 5)
        assert composer(again).text == "Half a reply"
        await pilot.press("end", *" and the rest.", "ctrl+s", "y")
        await settle(pilot, 5)
    with demo_store.read() as s:
        sent = s.exec(select(Message).where(Message.conversation_id == row.id)).all()
    assert sent[-1].body == "Half a reply and the rest."
    assert draft_of(demo_store, row.id) is None  # sending deletes it


async def test_typing_is_saved_while_the_composer_is_open(demo_store):
    """A crash while typing keeps the text: the composer saves it every few seconds."""
    from inbox_tui.tui.screens.composer import Composer

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Typed before the crash")
        await pilot.pause(Composer.AUTOSAVE_SECONDS + 0.5)
        await settle(pilot)
        assert draft_of(demo_store, row.id) == "Typed before the crash"


async def test_discarding_deletes_the_draft(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        demo_store.run(drafts.save_draft, ME, row.id, "Old words")
        await pilot.press("r")
        await settle(pilot)
        assert composer(app).text == "Old words"
        await pilot.press("ctrl+s", "d")
        await settle(pilot, 5)
        assert draft_of(demo_store, row.id) is None


async def test_an_article_goes_after_the_draft_never_over_it(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        demo_store.run(drafts.save_draft, ME, row.id, "My own words")
        app.main.compose_reply(row.id, "\n\nArticle text\n", article_id=None)
        await settle(pilot, 5)
        assert composer(app).text == "My own words\n\nArticle text\n"


@pytest.mark.parametrize("key", ["ctrl+z", "U"])
async def test_undo_reverts_the_last_change(demo_store, key):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        before = tags_of(demo_store, row.id)
        await pilot.press("t", *"undo-me", "enter")
        await settle(pilot, 5)
        assert "undo-me" in tags_of(demo_store, row.id)
        await pilot.press(key)
        await settle(pilot, 5)
        assert tags_of(demo_store, row.id) == before
        shown = [n.message for n in app._notifications]
        assert any(
            m.startswith("Undone: tagging “") and m.endswith(" with undo-me.") for m in shown
        ), shown
        await pilot.press(key)  # nothing else of this agent's to undo
        await settle(pilot, 5)
        shown = [n.message for n in app._notifications]
        assert any(m.startswith("Nothing to undo") for m in shown), shown


async def test_undo_of_a_bulk_close_reopens_every_one(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        first = await current(pilot)
        await pilot.press("x", "x")
        await settle(pilot)
        ids = sorted(app.main.conv_list.selected)
        assert len(ids) == 2
        before = [tags_of(demo_store, i) for i in ids]
        await pilot.press("e")
        await settle(pilot)
        # The demo incident's conversations have no category: the close asks once (#23).
        named = ", ".join(f"#{i}" for i in ids)  # which two, by number (loop2)
        assert app.screen.title_text.startswith(f"Category for the 2 without one ({named})?")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")  # the confirmation naming both
        await settle(pilot, 5)
        assert [conv(demo_store, i).status for i in ids] == ["closed", "closed"]
        assert [tags_of(demo_store, i) for i in ids] != before
        await pilot.press("ctrl+z")
        await settle(pilot, 5)
        assert [conv(demo_store, i).status for i in ids] == ["open", "open"]
        assert [tags_of(demo_store, i) for i in ids] == before  # the category too: one undo
        assert first.id in ids


def fake_editor(tmp_path: Path) -> list[str]:
    """An $EDITOR: records what it was shown, then writes a reply under the headers."""
    script = tmp_path / "editor.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            path = sys.argv[1]
            shown = open(path, encoding="utf-8").read()
            open({str(tmp_path / "shown.txt")!r}, "w", encoding="utf-8").write(shown)
            head = shown.split("\\n\\n", 1)[0]
            open(path, "w", encoding="utf-8").write(head + "\\n\\nWritten in the editor.\\n")
            """
        )
    )
    return [sys.executable, str(script)]


async def test_ctrl_e_edits_the_reply_in_the_editor_with_its_headers(demo_store, tmp_path):
    app = make_app(demo_store, config=make_config(editor_command=fake_editor(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
        await pilot.press(*"Draft text", "ctrl+e")
        await settle(pilot, 5)
        shown = (tmp_path / "shown.txt").read_text()
        assert shown.startswith("To: ") and "\nSubject: Re: " in shown
        assert shown.endswith("\n\nDraft text")
        c = composer(app)
        assert c is not None and c.text == "Written in the editor." and c.reviewing
        await pilot.press("y")
        await settle(pilot, 5)
    with demo_store.read() as s:
        last = s.exec(
            select(Message).where(Message.conversation_id == row.id).order_by(Message.id.desc())
        ).first()
    assert last.body == "Written in the editor."


async def test_back_from_the_editor_typing_goes_on_after_the_text(demo_store, tmp_path):
    """walk11 B: after ctrl+e, the review's `e` put the cursor at the start ("XWritten…")."""
    app = make_app(demo_store, config=make_config(editor_command=fake_editor(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
        await pilot.press(*"Draft text", "ctrl+e")
        await settle(pilot, 5)
        assert composer(app).reviewing
        await pilot.press("e", "X")
        await settle(pilot)
        assert composer(app).text == "Written in the editor.X"


async def test_the_editor_can_be_the_default(demo_store, tmp_path):
    cfg = make_config(editor_command=fake_editor(tmp_path), compose_in_editor=True)
    app = make_app(demo_store, config=cfg)
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot, 5)
        assert (tmp_path / "shown.txt").exists()
        assert composer(app).text == "Written in the editor."


async def test_a_missing_editor_is_one_sentence_and_keeps_the_text(demo_store):
    app = make_app(demo_store, config=make_config(editor_command=["no-such-editor-xyz"]))
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Keep me", "ctrl+e")
        await settle(pilot)
        assert composer(app).text == "Keep me"
        assert any("was not found" in n.message for n in app._notifications)


def count(store, view: str, query: str) -> int:
    with store.read() as s:
        return count_conversations(s, resolve_filter(view, query, ME))


async def test_search_says_what_it_searches_and_tab_searches_everything(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("slash", *"export")
        await settle(pilot, 5)
        top = str(app.main.query_one("#top").render())
        assert "· Search: export in All open (" in top and "Tab: Everything" in top
        in_view = count(demo_store, "open", "export")
        everywhere = count(demo_store, "all", "export")
        assert in_view < everywhere  # the demo has closed conversations about exports
        assert app.main.conv_list.total == in_view
        await pilot.press("tab")
        await settle(pilot, 5)
        top = str(app.main.query_one("#top").render())
        assert "· Search: export in Everything (" in top and "Tab: All open" in top
        assert app.main.conv_list.total == everywhere
        await pilot.press("tab")
        await settle(pilot, 5)
        assert app.main.conv_list.total == in_view


async def test_a_saved_view_shows_what_the_search_showed(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("slash", *"export", "enter")
        await settle(pilot, 5)
        shown = app.main.conv_list.total
        assert shown == count(demo_store, "open", "export")
        await pilot.press("ctrl+s", *"Exports", "enter")
        await settle(pilot, 5)
        assert app.focused is app.main.conv_list  # the next key is not typed into a box
        await pilot.press("escape", "v")
        await settle(pilot, 5)
        views = app.main.query_one("#views")
        ids = [views.get_option_at_index(i).id for i in range(views.option_count)]
        views.highlighted = ids.index("saved:Exports")
        await pilot.press("enter")
        await settle(pilot, 5)
        assert app.main.conv_list.total == shown


def test_keys_that_would_hide_an_action_stop_the_start(demo_store, capsys):
    from inbox_tui.tui.actions import check_keymap

    check_keymap({})  # the defaults are consistent
    check_keymap({"reply": "R", "undo": "ctrl+z"})
    with pytest.raises(ConfigError, match=r'^\[keys\]: reply = "t" takes t from tag'):
        check_keymap({"reply": "t"})
    with pytest.raises(ConfigError, match=r"^\[keys\]: 'repyl' is not an action"):
        check_keymap({"repyl": "R"})
    with pytest.raises(ConfigError, match="the key that moves down"):
        check_keymap({"tag": "j"})


def test_the_command_line_refuses_bad_keys_in_one_sentence(demo_store, tmp_path, capsys):
    from inbox_tui import cli

    cfg = tmp_path / "config.toml"
    cfg.write_text('[keys]\nreply = "t"\n')
    code = cli.main(["--config", str(cfg), "--db", demo_store.url])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith('inbox-tui: [keys]: reply = "t" takes t from tag') and "\n" not in err


async def test_ctrl_q_in_the_composer_quits_and_keeps_the_text(demo_store):
    """#17 defect 4: ctrl+q was ignored inside the composer; quitting must not lose what
    was typed since the last autosave either."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Typed just now", "ctrl+q")
        await settle(pilot)
        assert app._exit_renderables is not None and app.return_code is not None
        assert draft_of(demo_store, row.id) == "Typed just now"


async def test_saved_views_are_renamed_and_deleted_in_the_view_list(demo_store):
    from inbox_tui.services import views as sv

    demo_store.run(sv.save_view, "Exports", "export", "open")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("v")
        await settle(pilot, 5)
        views = app.main.query_one("#views")

        def pick(view_id: str) -> None:
            ids = [views.get_option_at_index(i).id for i in range(views.option_count)]
            views.highlighted = ids.index(view_id)

        pick("open")
        await pilot.press("R")  # a built-in view cannot be renamed
        await settle(pilot)
        assert any("Only saved views" in n.message for n in app._notifications)
        pick("saved:Exports")
        await pilot.press("R")
        await settle(pilot)
        await pilot.press(*["backspace"] * 10, *"CSV exports", "enter")
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert [v.name for v in sv.list_saved_views(s)] == ["CSV exports"]
        pick("saved:CSV exports")
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert sv.list_saved_views(s) == []


async def test_a_note_closed_with_esc_comes_back_with_n(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        await pilot.press("n", *"Half a note", "escape")
        await settle(pilot)
        assert composer(app) is None
        await pilot.press("n")
        await settle(pilot)
        assert composer(app).text == "Half a note"
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        with demo_store.read() as s:
            notes = s.exec(
                select(Message).where(
                    Message.conversation_id == row.id, Message.direction == "note"
                )
            ).all()
        assert notes[-1].body == "Half a note"
        await pilot.press("n")
        await settle(pilot)
        assert composer(app).text == ""  # saved: nothing kept any more


async def test_ctrl_e_typed_right_behind_text_edits_all_of_it(demo_store, tmp_path):
    """walk12 (high): "Hi Yusuf, checking" then ctrl+e in one burst: ctrl+e was a
    priority binding, so it ran when it arrived, before the letters queued ahead of it had
    reached the text: the editor got "Hi Y" and the rest went to the review (``s``
    toggled the signature, ``f`` opened "Attach a file"). It now runs in the order typed."""
    from tests.tui.test_core_loop_day3 import burst

    app = make_app(demo_store, config=make_config(editor_command=fake_editor(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
        await burst(pilot, *"Hi Yusuf, checking", "ctrl+e")
        await settle(pilot, 5)
        shown = (tmp_path / "shown.txt").read_text()
        assert shown.endswith("\n\nHi Yusuf, checking"), shown
        c = composer(app)
        assert c is not None and c.text == "Written in the editor." and c.reviewing
        assert type(app.screen).__name__ == "Composer"  # no "Attach a file" opened
