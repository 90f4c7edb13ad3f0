"""Walk2's `P` slips (#18), on mail synced from the real Dovecot: a size is written one
way everywhere (the thread said "1 KB" where `P` said "1.4 KB"); j/k move in `P`; g/Home
and G/End go to the top and the bottom of the text viewer; a sentence about one file
does not stay on screen once the agent has moved on."""

from __future__ import annotations

from inbox_tui.words import size
from tests.test_attachments import customer_mail
from tests.tui.conftest import make_app, settle
from tests.tui.test_attachments_dialog import handlers, open_dialog, status, synced  # noqa: F401
from tests.tui.test_triage_keys import SIZE

LOG = "".join(f"line {i:04d} of the customer's log\n" for i in range(400)).encode()
NOTES = b"x" * 1434  # 1.4 KB: the thread rounded it to "1 KB", P said "1.4 KB"


def test_one_way_of_writing_a_size():
    assert [size(n) for n in (0, 512, 1023, 1024, 1434, 16_393, 5 * 1024**2, 3 * 1024**3)] == [
        "0 B", "512 B", "1023 B", "1.0 KB", "1.4 KB", "16.0 KB", "5.0 MB", "3.0 GB",
    ]  # fmt: skip


async def test_the_thread_and_p_write_a_size_the_same_way(dovecot_server, demo_store, handlers):  # noqa: F811
    raw = customer_mail(11, files=[("notes.txt", "text/plain", NOTES)])
    cid = await synced(dovecot_server, demo_store, raw)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, cid)
        (row,) = [str(o.prompt) for o in screen.query_one("OptionList").options]
        assert "  1.4 KB  " in row
        await pilot.press("escape")
        await settle(pilot)
        thread = app.main.thread_view.plain_text()
        assert "notes.txt (text/plain, 1.4 KB)" in thread  # name, type and size


async def test_j_k_move_in_p_and_a_sentence_goes_when_the_agent_moves_on(
    dovecot_server,
    demo_store,
    handlers,  # noqa: F811
):
    files = [("a.csv", "text/csv", b"a;b\n"), ("b.csv", "text/csv", b"c;d\n")]
    cid = await synced(dovecot_server, demo_store, customer_mail(12, files=files))
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, cid)
        options = screen.query_one("OptionList")
        assert options.highlighted == 0
        await pilot.press("j")
        assert options.highlighted == 1
        await pilot.press("k")
        assert options.highlighted == 0
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("Input").value = str(handlers / "out")
        await pilot.press("enter")
        await settle(pilot)
        assert status(app) == f"Saved to {handlers / 'out' / 'a.csv'}."
        await pilot.press("j")  # on to b.csv: the sentence about a.csv goes
        await settle(pilot)
        assert status(app) == ""


async def test_top_and_bottom_keys_in_the_text_viewer(dovecot_server, demo_store, handlers):  # noqa: F811
    cid = await synced(
        dovecot_server, demo_store, customer_mail(13, files=[("app.log", "text/plain", LOG)])
    )
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot, cid)
        await pilot.press("enter")
        await settle(pilot)
        area = app.screen.query_one("#viewer-text")
        last = len(LOG.splitlines())  # the text ends with a newline: an empty last line
        for bottom, top in (("G", "g"), ("end", "home")):
            await pilot.press(bottom)
            await pilot.pause()
            assert area.cursor_location[0] == last
            assert area.scroll_y == area.max_scroll_y > 0
            await pilot.press(top)
            await pilot.pause()
            assert area.cursor_location == (0, 0) and area.scroll_y == 0
