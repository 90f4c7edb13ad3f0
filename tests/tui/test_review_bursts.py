"""Keys typed in one burst with a review key that opens a dialog go into that dialog,
never to the review underneath (walk2: `f` then a path holding `y` sent the reply and
crashed the app; `w` and `a` in the path opened Send at and Recipients)."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import make_app
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_mail_keys import current, seed_cc_mail, settle
from tests.tui.test_review_step import review_shown, smtp_config
from tests.tui.test_triage_keys import SIZE


async def test_a_path_typed_with_f_in_one_burst_lands_in_the_path_prompt(
    demo_store, smtp_server, tmp_path: Path
):
    seed_cc_mail(demo_store)
    (tmp_path / "way.txt").write_text("notes\n")
    path = str(tmp_path / "way.txt")
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Here.", "ctrl+s")
        await settle(pilot)
        assert "Files     (none)" in review_shown(app)
        await burst(pilot, "f", *path, "y", "w", "a")  # y, w, a: the review's keys
        await settle(pilot)
        screen = app.screen
        assert screen.__class__.__name__ == "PathPrompt", screen  # it crashed here
        assert not smtp_server.messages  # y sent the reply here
        typed = screen.query_one("Input").value
        assert sorted(typed) == sorted(path + "ywa")  # every key reached the box


async def test_a_path_typed_with_f_in_one_burst_keeps_its_order(
    demo_store, smtp_server, tmp_path: Path
):
    seed_cc_mail(demo_store)
    path = str(tmp_path / "way.txt")
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Here.", "ctrl+s")
        await settle(pilot)
        await burst(pilot, "f", *path)
        await settle(pilot)
        # The first key reached the prompt before its box had the focus, and was typed
        # again behind the others: "tmp/…/way.txt/". Keys are now held until it has.
        assert app.screen.query_one("Input").value == path
