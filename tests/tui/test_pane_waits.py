"""walk6 (high): ``j F2 Down Enter`` typed at once tagged the conversation the cursor had
left. The side pane opened on the data it had loaded before (the previous row's), and
Down and Enter acted there while the cursor's conversation was still being read.

The rule, for every pane (Tags, Macros, Articles, Contact): a pane acts on the
conversation under the cursor after every key typed before it, and keys typed into it
before that conversation's data has arrived wait for it (not lost, not acted on the old
one). The pane's read is slowed as on a loaded machine (walk6 ran at load 12-15), so the
keys are certain to arrive before it."""

from __future__ import annotations

import time

import pytest

from inbox_tui.tui.screens import pane_flows
from inbox_tui.tui.widgets.side_pane import SidePane, load_pane_data
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_cursor_keeps import ids_shown, on_row
from tests.tui.test_triage_keys import tags_of

BESIDE = (100, 30)  # the pane beside the list
WIDE = (160, 48)  # the list previews the cursor's conversation beside it
SLOW = 0.4  # seconds a pane's read takes


@pytest.fixture
def chosen(monkeypatch):
    """Every choice the pane makes (kind, conversation, value), as it says it."""
    made: list[tuple[str, int, str]] = []
    original = SidePane.Chosen.__init__

    def record(self, kind: str, conversation_id: int, value: str, *rest) -> None:
        made.append((kind, conversation_id, value))
        original(self, kind, conversation_id, value, *rest)

    monkeypatch.setattr(SidePane.Chosen, "__init__", record)

    def slow(*args, **kwargs):
        time.sleep(SLOW)
        return load_pane_data(*args, **kwargs)

    monkeypatch.setattr(pane_flows, "load_pane_data", slow)
    return made


def second_choice(app, store, kind: str, cid: int) -> str:
    """What Down then Enter chooses in ``kind``'s pane for ``cid``: its second row."""
    with store.read() as s:
        data = load_pane_data(s, kind, cid, ME, app.main.clock(), app.main.zone)
    values = [value for value, _ in data.options]
    assert len(values) >= 2, (kind, cid, values)
    return values[1]


async def wait_for(pilot, done, seconds: float = 6.0) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await settle(pilot)


@pytest.mark.parametrize(
    ("key", "kind"), [("f2", "tags"), ("f3", "macros"), ("f4", "articles"), ("f5", "contact")]
)
async def test_j_then_a_pane_key_down_enter_at_once_acts_on_the_row_moved_to(
    demo_store, chosen, key, kind
):
    app = make_app(demo_store)
    async with app.run_test(size=BESIDE) as pilot:
        await settle(pilot)
        first = on_row(app)
        await pilot.press(key)  # the pane loads the first row's data ...
        await wait_for(pilot, lambda: app.main.side_pane.data is not None)
        assert app.main.side_pane.data.conversation_id == first
        await pilot.press(key)  # ... and is hidden again
        await settle(pilot)
        assert not app.main.pane_shown()
        second = ids_shown(app)[1]
        want = second_choice(app, demo_store, kind, second)
        tags_before = {first: tags_of(demo_store, first), second: tags_of(demo_store, second)}
        await burst(pilot, "j", key, "down", "enter")
        await wait_for(pilot, lambda: bool(chosen))
        assert chosen == [(kind, second, want)]
        if kind == "tags":  # and in the store: the row moved to, not the one left
            assert on_row(app) == second
            assert tags_of(demo_store, first) == tags_before[first]
            assert set(tags_of(demo_store, second)) == set(tags_before[second]) ^ {want}


async def test_at_160_columns_the_pane_is_for_the_row_moved_to_not_the_preview(demo_store, chosen):
    """At 160 columns the thread beside the list previews the cursor's row; the pane
    took the preview's conversation, which follows the cursor only a message later."""
    app = make_app(demo_store)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        second = ids_shown(app)[1]
        want = second_choice(app, demo_store, "tags", second)
        await burst(pilot, "j", "f2", "down", "enter")
        await wait_for(pilot, lambda: bool(chosen))
        assert on_row(app) == second
        assert chosen == [("tags", second, want)]


async def test_keys_typed_into_a_pane_that_follows_the_cursor_wait_for_its_row(demo_store, chosen):
    """The pane beside the list follows the cursor: Esc to the list, j, and Tab back
    into the pane with Down Enter, all at once, act on the new row's data (the pane
    still showed the old row's while it read the new one)."""
    app = make_app(demo_store)
    async with app.run_test(size=BESIDE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.main.side_pane.data is not None)
        second = ids_shown(app)[1]
        want = second_choice(app, demo_store, "tags", second)
        await burst(pilot, "escape", "j", "tab", "down", "enter")
        await wait_for(pilot, lambda: bool(chosen))
        assert on_row(app) == second
        assert chosen == [("tags", second, want)]


async def test_enter_twice_at_once_in_the_tags_pane_adds_then_removes(demo_store, chosen):
    """The second Enter acted on the pane's data from before the first one's write (the
    tag not yet marked), so it added the tag again instead of taking it off."""
    app = make_app(demo_store)
    async with app.run_test(size=BESIDE) as pilot:
        await settle(pilot)
        cid = on_row(app)
        before = tags_of(demo_store, cid)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.main.side_pane.data is not None)
        await burst(pilot, "down", "enter", "enter")
        await wait_for(pilot, lambda: len(chosen) == 2)
        await settle(pilot, 5)
        assert len(chosen) == 2 and chosen[0] == chosen[1]
        assert tags_of(demo_store, cid) == before


async def test_a_pane_opened_again_starts_at_its_top(demo_store, chosen):
    """walk7 (160x48): F2 Enter on a conversation removed its second tag: the pane, shown
    again for the same conversation, kept the row highlighted when it was last open."""
    app = make_app(demo_store)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.main.side_pane.data is not None)
        await pilot.press("down", "down", "f2")  # walked down, then hidden
        await settle(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.main.side_pane.data is not None)
        assert app.main.side_pane.choices.highlighted == 0


async def contact_pane_with_history(pilot) -> tuple[int, int]:
    """The Contact pane (F5) open on the first row whose customer wrote more than once:
    (that row, the customer's other conversation listed second)."""
    app = pilot.app
    for _ in range(40):
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.main.side_pane.data is not None)
        if len(app.main.side_pane.data.options) >= 2:
            break
        await pilot.press("f5", "j")
        await settle(pilot)
    data = app.main.side_pane.data
    return data.conversation_id, int(data.options[1][0])


@pytest.mark.parametrize("size", [(80, 24), BESIDE, WIDE])
async def test_a_key_typed_behind_a_contact_pane_enter_acts_on_the_thread_it_opened(
    demo_store, size
):
    """walk7 (high): in the Contact pane (F5) ``Down Enter t`` at once opened the
    customer's other conversation but asked to tag the list's row: ``t`` ran before the
    pane's choice was acted on. Keys typed behind a pane's Enter wait for it."""
    from inbox_tui.tui.widgets.dialogs import FuzzyPicker

    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        row, other = await contact_pane_with_history(pilot)
        assert other != row
        await burst(pilot, "down", "enter", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        assert app.main.open_id == other
        assert app.screen.title_text.startswith(f"Tag #{other} "), app.screen.title_text


async def test_a_tag_on_a_thread_the_contact_pane_is_still_opening_is_named_by_it(
    demo_store, monkeypatch
):
    """walk9: F5 ``Down Enter t name Enter`` tagged the thread Enter opened (right) but the
    notice named the conversation before it, still on screen while the new thread was
    read: "Tagged “Calendar sync…” with walk9t" for a tag on #93."""
    from inbox_tui.tui.screens import reading
    from inbox_tui.tui.widgets.dialogs import FuzzyPicker

    app = make_app(demo_store)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        _, other = await contact_pane_with_history(pilot)
        read = reading.thread_of

        def slow(*args, **kwargs):
            time.sleep(SLOW * 3)
            return read(*args, **kwargs)

        monkeypatch.setattr(reading, "thread_of", slow)
        await burst(pilot, "down", "enter", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await burst(pilot, *"walkt", "enter")
        await wait_for(pilot, lambda: any("walkt" in n.message for n in app._notifications))
        said = [n.message for n in app._notifications if "walkt" in n.message]
        assert tags_of(demo_store, other) and "walkt" in tags_of(demo_store, other)
        with demo_store.read() as s:
            from inbox_tui.models import Conversation

            subject = s.get(Conversation, other).subject
        assert said and (f"#{other}" in said[0] or subject in said[0]), said
