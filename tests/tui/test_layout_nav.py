"""Layout and navigation at the sizes agents use (#17, the tmux walkthrough): the footer
at 80 columns, the Stats screen at 80x24 and 160x48, the side pane following the
cursor. Each test failed on the code before its fix."""

from __future__ import annotations

from inbox_tui.tui import actions
from tests.tui.conftest import make_app, settle


def footer(app) -> str:
    keys = app.main.query_one("#keys")
    return keys.render_line(0).text


# -- the footer ----------------------------------------------------------------------------


async def test_footer_keeps_the_most_important_keys_at_80_columns(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = footer(app)
        # ? is how every other key is found: it must never fall off the line.
        for hint in ("? ", "Help", "⏎ ", "Open", "r ", "Reply", "/ ", "Search", "Tag", "Close"):
            assert hint in shown, (hint, shown)
        assert "…" not in shown  # whole hints, not a cut one
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        wide = footer(app)
        for a in actions.ACTIONS:
            if a.short:
                assert a.short in wide, (a.short, wide)


def test_footer_hints_fit_by_priority_and_help_lists_everything():
    for width in (40, 60, 78, 100, 158):
        text = actions.key_hints({}, width).plain
        assert len(text) <= width
        assert "Help" in text
    narrow = actions.key_hints({}, 60).plain
    # priority, not the order of the list: Search outranks Snooze
    assert "Search" in narrow and "Stats" not in narrow
    # a remapped key shows its new key
    assert " F1 " in actions.key_hints({"help": "f1"}, 60).plain
    rows = actions.help_rows({})
    assert {d for _, d in rows} >= {a.description for a in actions.ACTIONS}
