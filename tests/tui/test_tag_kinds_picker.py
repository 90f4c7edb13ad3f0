"""The ``t`` picker: a name typed there is created as a modifier by Enter (walk3 13,
walk4 7: it became a category, counted by the stats' "closed without a category" share
and asked about on closing); the row under it, "New category", makes a category."""

from __future__ import annotations

from sqlmodel import select

from inbox_tui.models import Tag
from tests.tui.conftest import make_app, settle
from tests.tui.test_triage_keys import tags_of

SIZE = (100, 30)


def kind_of(store, name: str) -> str | None:
    with store.read() as s:
        tag = s.exec(select(Tag).where(Tag.name == name)).first()
        return tag.kind if tag else None


def rows(picker) -> list[str]:
    ol = picker.query_one("OptionList")
    return [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]


async def test_enter_makes_a_modifier_and_the_next_row_a_category(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await pilot.press("enter", "t")
        await settle(pilot)
        await pilot.press(*"wobbly")
        await settle(pilot)
        shown = rows(app.screen)
        assert shown[:2] == ["+ New tag (modifier) “wobbly”", "+ New category “wobbly”"]
        await pilot.press("enter")
        await settle(pilot)
        assert "wobbly" in tags_of(demo_store, cid)
        assert kind_of(demo_store, "wobbly") == "modifier"
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"crashy", "down", "enter")
        await settle(pilot)
        assert "crashy" in tags_of(demo_store, cid)
        assert kind_of(demo_store, "crashy") == "category"
        told = [str(n.message) for n in app._notifications]
        assert any("with crashy (a new category)" in m for m in told), told


async def test_a_name_then_down_enter_typed_at_once_makes_a_category(demo_store):
    """walk6: ``t import-gap Down Enter`` in one write made a modifier: Down moved over
    the rows shown for part of the name (its Changed messages were queued behind the
    keys), and the rows for the whole name then put the highlight back on the first."""
    from tests.tui.test_core_loop_day3 import burst

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await burst(pilot, "t", *"import-gap", "down", "enter")
        await settle(pilot, 5)
        assert "import-gap" in tags_of(demo_store, cid)
        assert kind_of(demo_store, "import-gap") == "category"


async def test_ctrl_n_and_ctrl_p_move_in_a_picker_as_the_arrows_do(demo_store):
    """Letters filter, so j/k cannot move (walk10 #8); fzf's ctrl+n / ctrl+p move, and
    ctrl+p is the picker's, not the command palette's."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "t")
        await settle(pilot)
        picker = app.screen
        options = picker.query_one("OptionList")
        start = options.highlighted
        await pilot.press("ctrl+n", "ctrl+n")
        await settle(pilot)
        assert options.highlighted == start + 2
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert app.screen is picker and options.highlighted == start + 1
        assert picker.query_one("#filter").value == ""
