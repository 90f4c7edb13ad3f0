"""#17, walk4: the list's cursor stays on the conversation the agent acted on when the
list reorders or refreshes, keys typed while a new list is on its way act on it, and Esc
typed quickly before a key is Esc then the key. Each test failed on the code before its fix."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest

from inbox_tui.models import Conversation
from tests.tui.conftest import ME, make_app, make_config, settle
from tests.tui.test_core_loop_day3 import burst

SIZE = (80, 24)


def ids_shown(app) -> list[int]:
    lst = app.main.conv_list
    return [r.id for r in (lst.row_at(i) for i in range(min(lst.total, 100))) if r is not None]


def on_row(app) -> int | None:
    row = app.main.conv_list.current_row()
    return row.id if row is not None else None


async def down(pilot, n: int) -> int:
    for _ in range(n):
        await pilot.press("j")
    await settle(pilot)
    cid = on_row(pilot.app)
    assert cid is not None
    return cid


# -- 1. the cursor follows the conversation acted on -----------------------------------


async def test_after_b_and_esc_the_cursor_is_on_the_conversation_taken_back(demo_store):
    """walk4: a reply sent from the list (its row left the Open view), B took it back
    and Esc closed the composer: the cursor sat on the neighbour, the conversation acted
    on back in the list above it, and P opened the neighbour's files."""
    config = make_config()
    config.mail.undo_seconds = 30
    app = make_app(demo_store, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        acted = await down(pilot, 3)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Thanks, sorted!", "ctrl+s", "y")
        await settle(pilot, 5)
        assert acted not in ids_shown(app)  # pending now: it left the Open view
        await pilot.press("B")
        await settle(pilot, 5)
        await pilot.press("escape")  # the composer closes (the text kept as a draft)
        await settle(pilot, 5)
        assert app.screen is app.main
        assert acted in ids_shown(app)
        assert on_row(app) == acted


async def test_a_conversation_that_leaves_the_view_gives_its_place_to_its_neighbour(
    demo_store,
):
    """Set pending from the list (``s``): it leaves the Open view and the cursor goes to
    the row that took its place, never to the top."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        acted = await down(pilot, 4)
        shown = ids_shown(app)
        below = shown[shown.index(acted) + 1]
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"Pending", "enter")
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert s.get(Conversation, acted).status == "pending"
        assert acted not in ids_shown(app)
        assert on_row(app) == below


async def test_another_agents_change_above_the_cursor_keeps_it_on_its_conversation(
    demo_store,
):
    """A poll refresh: another agent closes two conversations above the cursor and a
    new message moves a third to the top; the cursor stays on the same conversation."""
    from inbox_tui.services import triage

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        acted = await down(pilot, 5)
        above = ids_shown(app)[:2]
        demo_store.run(triage.close_many, "priya", above)
        app.main.store_changed()
        await settle(pilot, 5)
        assert not set(above) & set(ids_shown(app))
        assert on_row(app) == acted


async def test_a_refresh_answered_after_the_agent_moved_does_not_move_the_cursor_back(
    demo_store, monkeypatch
):
    """``i`` (assign to me), then ``j j`` while the list's reload after it is on its way:
    the answer put the cursor back on the row it was on when the reload was asked for."""
    import asyncio
    import threading

    from inbox_tui.tui.screens import main

    asked, go = threading.Event(), threading.Event()
    real = main.page_of

    def slow_page(*args, **kwargs):
        asked.set()
        go.wait(10)
        return real(*args, **kwargs)

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await down(pilot, 2)
        shown = ids_shown(app)
        monkeypatch.setattr(main, "page_of", slow_page)
        await pilot.press("i")
        for _ in range(200):  # the assignment is written, the list's reload is asked for
            if asked.is_set():
                break
            await asyncio.sleep(0.02)
        assert asked.is_set()
        await pilot.press("j", "j")
        go.set()
        await settle(pilot, 5)
        assert on_row(app) == shown[shown.index(start) + 2]
        assert app.main.conv_list.row_at(shown.index(start)).assignee == ME


async def test_an_action_deep_in_the_list_keeps_the_cursor_on_its_conversation(demo_store):
    """Past the first page: ``i`` on a conversation while another agent closed one above
    it. The reload after an action read only the first page, so the cursor stayed at its
    index, on the conversation below the one acted on."""
    from inbox_tui.services import triage
    from inbox_tui.tui.widgets.conversation_list import PAGE
    from tests.test_sla import add
    from tests.tui.conftest import NOW

    for i in range(130):  # older than the demo's: below them in the Open view
        add(demo_store, f"old{i}", NOW - timedelta(days=200, hours=i))
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lst = app.main.conv_list
        for _ in range(12):
            if lst.cursor > PAGE + 5:
                break
            await pilot.press("pagedown")
            await settle(pilot)
        acted = on_row(app)
        assert lst.cursor > PAGE and acted is not None
        demo_store.run(triage.close_many, "priya", [lst.row_at(3).id])  # above it
        await pilot.press("i")
        await settle(pilot, 5)
        assert on_row(app) == acted
        assert lst.current_row().assignee == ME


async def test_a_wide_screens_open_thread_stays_when_its_row_leaves_the_list(demo_store):
    """At 160 columns the thread beside the list previews the cursor's row; a thread the
    agent is reading must not change to the neighbour when its row leaves the view."""
    app = make_app(demo_store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        acted = await down(pilot, 2)
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.has_class("-reading") and app.main.open_id == acted
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"Pending", "enter")
        await settle(pilot, 5)
        assert acted not in ids_shown(app)  # pending: not in the Open view
        assert app.main.open_id == acted
        assert app.main.thread_view.thread.conversation.id == acted


# -- 2. keys typed while a new list is on its way ----------------------------------------


async def test_a_key_typed_right_after_enter_in_search_moves_over_the_results(demo_store):
    """walk4: ``/ password Enter j`` at once: the ``j`` moved the cursor on the old rows,
    then the results replaced them with the cursor on the first."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await burst(pilot, "/", *"password", "enter", "j")
        await settle(pilot, 5)
        assert app.main.query_text == "password"
        shown = ids_shown(app)
        assert len(shown) >= 2
        assert on_row(app) == shown[1]
        assert app.focused is app.main.conv_list


async def test_a_key_typed_right_after_esc_clears_the_search_moves_from_the_row_before(
    demo_store,
):
    """Esc leaves a search for the row the agent was on; a ``j`` typed with it moves on
    from that row in the restored list."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await down(pilot, 3)
        shown = ids_shown(app)
        await pilot.press("/", *"password")
        await settle(pilot, 5)
        await burst(pilot, "escape", "j")
        await settle(pilot, 5)
        assert app.main.query_text == ""
        assert on_row(app) == shown[shown.index(start) + 1]


async def test_a_key_typed_right_after_choosing_a_view_moves_over_its_rows(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        views = app.main.query_one("#views")
        views.highlighted = next(i for i, o in enumerate(views._options) if o.id == "pending")
        await settle(pilot)
        await burst(pilot, "enter", "j", "j")
        await settle(pilot, 5)
        assert app.main.view == "pending"
        shown = ids_shown(app)
        with demo_store.read() as s:
            assert all(s.get(Conversation, c).status == "pending" for c in shown)
        assert on_row(app) == shown[2]


async def test_a_key_typed_right_after_c_moves_over_the_customers_conversations(demo_store):
    """``c`` asks the store for the customer, then searches their conversations: a ``j``
    typed with it moved the cursor over the rows before, which the results replaced."""
    from sqlmodel import func, select

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        with demo_store.read() as s:
            counts = dict(
                s.exec(
                    select(Conversation.contact_id, func.count()).group_by(Conversation.contact_id)
                ).all()
            )
            shown = ids_shown(app)
            cid = next(c for c in shown if counts.get(s.get(Conversation, c).contact_id, 0) >= 3)
        assert app.main.conv_list.move_to(cid)
        await settle(pilot)
        await burst(pilot, "c", "j")
        await settle(pilot, 5)
        assert app.main.query_text
        results = ids_shown(app)
        assert len(results) >= 3
        assert on_row(app) == results[1]


# -- 3. Esc typed quickly before a key -------------------------------------------------


async def test_esc_and_j_read_together_as_alt_j_close_the_search_then_move(demo_store):
    """A terminal sends Esc and a key typed right after it as ESC j, which Textual reads
    as alt+j: the search box took the j as text and Esc was lost."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = on_row(app)
        shown = ids_shown(app)
        await pilot.press("/", *"pass")
        await settle(pilot, 5)
        await as_the_parser_reads(pilot, "\x1bj")
        await settle(pilot, 5)
        assert app.main.query_text == ""
        assert app.focused is app.main.conv_list
        assert on_row(app) == shown[shown.index(start) + 1]


async def as_the_parser_reads(pilot, data: str) -> None:
    """``data`` as the terminal driver hands it to the app: through the app's parser
    (ESC j in one read is alt+j), each key sent before the app handles any."""
    import time

    from textual import constants, events

    from inbox_tui.tui.paste import PasteParser

    parser = PasteParser()
    keys = list(parser.feed(data))
    time.sleep(constants.ESCAPE_DELAY * 2)
    keys += list(parser.tick())
    for key in keys:
        assert isinstance(key, events.Key)
        key.set_sender(pilot.app)
        pilot.app._driver.send_message(key)
    await pilot.pause()


def test_the_terminal_parser_keeps_alt_on_named_keys():
    """ESC then Enter (or Tab, Backspace) in one read: Textual dropped the ESC and kept
    the key; it is alt+enter, which the app reads as Esc then Enter when unbound."""
    import time

    from textual import constants, events

    from inbox_tui.tui.paste import PasteParser

    parser = PasteParser()
    keys = []
    for data in ("\x1b\r", "\x1bj", "\x1b\x13"):  # ESC Enter, ESC j, ESC ctrl+s
        keys += [e.key for e in parser.feed(data) if isinstance(e, events.Key)]
        time.sleep(constants.ESCAPE_DELAY * 2)  # as the driver does, after ESCDELAY
        keys += [e.key for e in parser.tick() if isinstance(e, events.Key)]
    assert keys == ["alt+enter", "alt+j", "alt+ctrl+s"]


def test_esc_and_a_key_followed_by_more_keys_in_one_read_is_the_key_with_alt():
    """walk7: ``Escape j F2 Enter`` in one write (ESC j ESC O Q CR): Textual waited to
    see whether ESC j went on, met the next ESC and read the first as ``^``: the Esc and
    the j were lost. ESC and a key followed by more is the key with alt, as when the
    read ends there."""
    from textual import events

    from inbox_tui.tui.paste import PasteParser

    parser = PasteParser()
    keys = [e.key for e in parser.feed("\x1bj\x1bOQ\r\x1b\x1bkx") if isinstance(e, events.Key)]
    assert keys == ["alt+j", "f2", "enter", "escape", "alt+k", "x"]


async def test_esc_j_f2_enter_in_one_read_leaves_the_pane_moves_and_opens_it_again(
    demo_store, monkeypatch
):
    """walk7 (80x24, the pane covers the list): the same keys through the app's parser
    left the pane open, so F2 hid it and Enter opened the thread of the row left."""
    from inbox_tui.tui.widgets.side_pane import SidePane, load_pane_data

    made: list[tuple[int, str]] = []
    original = SidePane.Chosen.__init__

    def record(self, kind, conversation_id, value, *rest):
        made.append((conversation_id, value))
        original(self, kind, conversation_id, value, *rest)

    monkeypatch.setattr(SidePane.Chosen, "__init__", record)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        second = ids_shown(app)[1]
        await pilot.press("f2")
        await settle(pilot, 5)
        await as_the_parser_reads(pilot, "\x1bj\x1bOQ\r")
        await settle(pilot, 5)
        with demo_store.read() as s:
            data = load_pane_data(s, "tags", second, ME, app.main.clock(), app.main.zone)
        assert not app.main.has_class("-reading")
        assert on_row(app) == second
        assert made == [(second, data.options[0][0])]


# -- walk4 12: the cursor after renaming a view ----------------------------------------


async def _highlight_view(pilot, view_id: str):
    await pilot.press("v")
    await settle(pilot)
    views = pilot.app.main.query_one("#views")
    views.highlighted = next(i for i, o in enumerate(views._options) if o.id == view_id)
    await settle(pilot)
    return views


async def test_a_view_renamed_where_it_is_shown_keeps_the_panel_and_the_list_cursor(
    demo_store,
):
    """walk4 12: renaming the view shown, from the views panel: the panel's highlight
    went to another view, and the list is the same set under its new name (its cursor
    stays on its row, not at the top)."""
    from inbox_tui.services import views as sv

    demo_store.run(sv.save_view, "Exports", "export", "all")
    demo_store.run(sv.save_view, "Billing", "invoice", "open")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _highlight_view(pilot, "saved:Exports")
        await pilot.press("enter")
        await settle(pilot, 5)
        assert app.main.view == "saved:Exports" and len(ids_shown(app)) >= 3
        acted = await down(pilot, 2)
        views = await _highlight_view(pilot, "saved:Exports")
        await pilot.press("R", *" weekly", "enter")
        await settle(pilot, 5)
        assert [v.name for v in demo_store.run(sv.list_saved_views)] == [
            "Billing",
            "Exports weekly",
        ]
        assert views.get_option_at_index(views.highlighted).id == "saved:Exports weekly"
        assert app.main.view == "saved:Exports weekly"
        assert on_row(app) == acted
        await pilot.press("escape")
        await settle(pilot)
        assert on_row(app) == acted


def _cursor_line(frame: str) -> int:
    """The screen line of the list's cursor row: the row whose status mark (●) is drawn
    in reverse video (SGR 7 among the codes just before it)."""
    for n, line in enumerate(frame.splitlines()):
        mark = re.search(r"((?:\x1b\[[0-9;]*m)+)● ", line)
        if mark and any("7" in c.split(";") for c in re.findall(r"\[([0-9;]*)m", mark[1])):
            return n
    raise AssertionError(f"no cursor row in {frame!r}")


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps")
def test_esc_and_j_in_one_write_in_a_real_terminal(demo_store, tmp_path):
    """One ``send-keys Escape j``: the terminal hands the app ESC j together."""
    from tests.tmux import tmux_app
    from tests.tui.test_tmux_layout import args_env, list_ready

    args, env = args_env(tmp_path, demo_store)
    with tmux_app("loop6escj", args, size=(80, 24), env=env, ready=list_ready) as term:
        first = _cursor_line(term._frame())
        term.press("/")
        screen = term.press(*"pass")
        assert "Search: pass" in screen, screen
        screen = term.press("Escape", "j")
        assert "All open" in screen and "Search: pass" not in screen, screen
        assert "passj" not in screen, screen
        assert _cursor_line(term._frame()) == first + 1


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps")
def test_esc_j_f2_enter_in_one_write_in_a_real_terminal(demo_store, tmp_path):
    """walk7: one ``send-keys Escape j F2 Enter`` with the Tags pane open at 80x24 (it
    covers the list) opened the thread of the row the pane was for: Esc and j were lost
    (read as ``^``), F2 hid the pane, Enter opened. Now: out of the pane, down a row,
    the pane again, and Enter tags the row moved to."""
    from inbox_tui.services.conversations import list_conversations, view_filter
    from tests.tmux import tmux_app
    from tests.tui.test_tmux_layout import args_env, list_ready
    from tests.tui.test_triage_keys import tags_of

    with demo_store.read() as s:
        top, second = (r.id for r in list_conversations(s, view_filter("open", ME), limit=2))
    before = {top: tags_of(demo_store, top), second: tags_of(demo_store, second)}
    args, env = args_env(tmp_path, demo_store)
    with tmux_app("loop8escf2", args, size=(80, 24), env=env, ready=list_ready) as term:
        term.send("F2")
        term.wait_for(lambda t: "on this conversation" in t, timeout=60)
        term.send("Escape", "j", "F2", "Enter")
        screen = term.wait_for(lambda t: "Tagged" in t or "Removed tag" in t, timeout=60)
        assert f"#{second}" in screen, screen
    assert tags_of(demo_store, top) == before[top]
    assert tags_of(demo_store, second) != before[second]
