"""#17 at 60x20: a picker's hint and the review's header values wrap under their own
column (they wrapped back to the left edge, under the labels, and read as new rows)."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.tui.conftest import make_app
from tests.tui.test_mail_keys import current, seed_cc_mail, settle

NARROW = (60, 20)


def shown_lines(widget) -> list[str]:
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


def continues_under(lines: list[str], first: int, column: int) -> None:
    """The lines after ``lines[first]`` that go on with its last column start there."""
    after = lines[first + 1]
    assert after.strip(), lines
    assert after[:column].strip() == "", f"wrapped to the left edge: {after!r}\n{lines}"


async def test_the_snooze_pickers_custom_hint_wraps_under_its_column(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        assert any(str(o.prompt).startswith("  Custom…  ") for o in options.options)
        options.highlighted = options.option_count - 1
        await settle(pilot)
        lines = shown_lines(options)
        at = next(i for i, line in enumerate(lines) if "Custom…" in line)
        column = lines[at].index("Custom…") + len("Custom…  ")
        continues_under(lines, at, column)


async def test_the_review_headers_wrap_under_their_value_column(demo_store, smtp_server):
    from tests.tui.test_review_step import review_shown, smtp_config

    seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=NARROW) as pilot:
        await current(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("enter")  # the whole conversation
        await settle(pilot)
        box = app.screen.query_one("Input")
        box.value = "Billing Department <billing@vendor.example>, ana.diaz@vendor.example"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "billing@vendor.example" in review_shown(app)
        lines = shown_lines(app.screen.query_one("#review-text"))
        at = next(i for i, line in enumerate(lines) if line.startswith("To "))
        assert "ana.diaz" not in lines[at], lines  # the To line is too long for 60 columns
        continues_under(lines, at, 10)
