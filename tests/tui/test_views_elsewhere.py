"""A saved view renamed or deleted by another process (``inbox-tui views rename`` /
``delete``, another agent's TUI) reaches a running TUI (walk5 #11): saved views write no
event, so the change token carries a checksum of them (and on PostgreSQL saving one
notifies). The views panel lists the new name, the title of the view on screen follows
a rename, and a deleted view on screen falls back to All open as a delete in the panel
does (test_core_loop_day4::test_deleting_the_view_on_screen_goes_to_all_open)."""

from __future__ import annotations

from inbox_tui.services import views as sv
from inbox_tui.store import Store
from tests.test_cli_errors import cli
from tests.tui.conftest import make_app, settle
from tests.tui.test_core_loop_day4 import _views_on

SMALL = (80, 24)
OLD, NEW = "Open bugs", "Bugs to fix"


def _top(app) -> str:
    return str(app.main.query_one("#top").render())


def _panel(app) -> list[str]:
    return [str(o.id) for o in app.main.query_one("#views")._options]


async def _until(pilot, done, poll: bool) -> None:
    for _ in range(100):  # the poll here; on PostgreSQL until the listener heard it
        if poll:
            pilot.app._poll()
        await pilot.pause(0.1)
        await settle(pilot, 3)
        if done():
            return
    raise AssertionError(f"never: view {pilot.app.main.view!r}, top {_top(pilot.app)!r}")


async def _show_saved(pilot) -> None:
    app = pilot.app
    await settle(pilot)
    app._poll()  # the baseline token
    await settle(pilot)
    await _views_on(pilot, app, f"saved:{OLD}")
    await pilot.press("enter")
    await settle(pilot)
    assert app.main.view == f"saved:{OLD}" and OLD in _top(app)


async def _follow(pilot, rename, delete, poll: bool) -> None:
    app = pilot.app
    await _show_saved(pilot)
    rename()
    await _until(pilot, lambda: app.main.view == f"saved:{NEW}", poll)
    top = _top(app)
    assert NEW in top and OLD not in top, top
    assert f"saved:{NEW}" in _panel(app) and f"saved:{OLD}" not in _panel(app)
    assert app.main.conv_list.current_row() is not None  # the same set, still listed
    delete()
    await _until(pilot, lambda: app.main.view == "open", poll)
    top = _top(app)
    assert "All open" in top and NEW not in top, top
    assert f"saved:{NEW}" not in _panel(app)
    assert app.main.conv_list.current_row() is not None
    assert any("was deleted" in str(n.message) for n in app._notifications)


async def test_a_view_renamed_then_deleted_by_the_cli_is_followed(demo_store):
    demo_store.run(sv.save_view, OLD, "tag:bug", "open")
    db = ("--db", demo_store.url)

    def rename():
        done = cli(*db, "views", "rename", OLD, NEW)
        assert done.returncode == 0, done.stderr

    def delete():
        done = cli(*db, "views", "delete", NEW)
        assert done.returncode == 0, done.stderr

    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await _follow(pilot, rename, delete, poll=True)


async def test_on_postgresql_the_notice_brings_the_views_change(postgres_url_factory):
    from tests.tui.test_team_keys import customer_wrote_twice

    store = Store(postgres_url_factory())
    customer_wrote_twice(store)  # something to list
    store.run(sv.save_view, OLD, "printer", "open")
    writer = Store(store.url)  # another agent's session: its own connections
    app = make_app(store, poll_seconds=3600)
    try:
        async with app.run_test(size=SMALL) as pilot:
            await _follow(
                pilot,
                lambda: writer.run(sv.rename_view, OLD, NEW),
                lambda: writer.run(sv.delete_view, NEW),
                poll=False,
            )
    finally:
        writer.close()
        store.close()
