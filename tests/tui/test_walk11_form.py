"""walk11: keys typed in one burst behind Tab in a form, the views panel's ctrl+n /
ctrl+p, the help's j in a burst, Enter after / query then Down."""

from __future__ import annotations

import pytest

from inbox_tui.errors import UserError
from inbox_tui.services.review import parse_addresses
from tests.tui.conftest import make_app, settle
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_mail_keys import current as mail_current
from tests.tui.test_mail_keys import seed_cc_mail
from tests.tui.test_mail_keys import settle as mail_settle
from tests.tui.test_review_step import review_shown, smtp_config


async def _recipients_form(pilot) -> None:
    await mail_current(pilot)
    await pilot.press("A")
    await mail_settle(pilot)
    await pilot.press(*"Invoice attached.", "ctrl+s", "a")
    await mail_settle(pilot)


async def test_letters_typed_behind_tab_go_to_the_next_recipients_line(demo_store, smtp_server):
    seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=(80, 24)) as pilot:
        await _recipients_form(pilot)
        to = app.screen.query_one("#rcpt-to").value
        await burst(pilot, "tab", *", ccc@acme.example")  # walk11 A: went into To
        await mail_settle(pilot)
        assert app.screen.query_one("#rcpt-to").value == to
        assert app.screen.query_one("#rcpt-cc").value.endswith(", ccc@acme.example")
        await burst(pilot, "tab", *"b@acme.example", "shift+tab", *"x")
        await mail_settle(pilot)
        assert app.screen.query_one("#rcpt-bcc").value == "b@acme.example"
        assert app.screen.query_one("#rcpt-cc").value.endswith(", ccc@acme.example" + "x")
        await pilot.press("enter")  # the Cc ends "…examplex": still an address
        await mail_settle(pilot)
        assert "ccc@acme.examplex" in review_shown(app)


@pytest.mark.parametrize(
    "text",
    [
        "Hannah Weber <hannah.weber@lindgren.example>ccc",
        "Hannah <h@x.example> ccc, b@x.example",
        "<h@x.example>x",
        "h@x.example ccc",
    ],
)
def test_text_after_an_address_is_refused_not_dropped(text):
    with pytest.raises(UserError) as err:
        parse_addresses(text, "To")
    assert "is not an email address" in str(err.value)


def test_addresses_with_names_still_read():
    assert parse_addresses('"Weber, Hannah" <h@x.example>, b@x.example ', "Cc") == [
        ("Weber, Hannah", "h@x.example"),
        ("", "b@x.example"),
    ]


async def test_the_views_panel_moves_with_ctrl_n_and_ctrl_p(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        views = app.screen.query_one("#views")
        start = views.highlighted
        assert views.option_count >= start + 3
        await burst(pilot, "ctrl+n", "ctrl+n")
        await settle(pilot)
        assert views.highlighted == start + 2
        await pilot.press("ctrl+p")  # walk11 D: the command palette opened over it
        await settle(pilot)
        assert views.highlighted == start + 1
        assert app.screen.query_one("#views") is views  # no palette on top


async def test_each_j_typed_in_one_burst_scrolls_the_help_a_line(demo_store):
    from textual.containers import VerticalScroll

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        box = app.screen.query_one(VerticalScroll)
        assert box.max_scroll_y >= 12
        await burst(pilot, *"j" * 10)  # walk11 G: one line only
        await settle(pilot)
        assert box.scroll_y == 10
        await burst(pilot, "k", "k", "space", "k")
        await settle(pilot)
        assert box.scroll_y == min(8 + box.scrollable_content_region.height, box.max_scroll_y) - 1


@pytest.mark.parametrize("fast", [False, True])
async def test_down_from_the_search_goes_to_the_list_and_enter_opens(demo_store, fast):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = ("slash", *"calendar", "down")
        await (burst(pilot, *keys) if fast else pilot.press(*keys))
        await settle(pilot)
        rows = app.main.conv_list
        assert app.focused is rows  # walk11 F: the focus stayed in the box
        first = rows.current_row().id
        await pilot.press("enter")  # the first Enter only moved the focus
        await settle(pilot)
        assert app.main.has_class("-reading") and app.main.open_id == first
        assert app.main.query_one("#search").value == "calendar"
