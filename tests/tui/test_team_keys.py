"""The team keys of #21 in the TUI: a toast when another agent's note names me (the
SQLite poll here; PostgreSQL's notice in test_live_refresh), the Mentions view with its
unread count, the list's @ mark, mentions read on opening; @name completion in the
note editor; merge (J) and split (X) with confirmations, taken back by ctrl+z."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from inbox_tui.models import Conversation, Message
from inbox_tui.services import core, mentions, triage
from tests.mail_history import mail
from tests.tui.conftest import ME, NOW, make_app, settle

SIZE = (100, 30)


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def shown_row(app, cid):
    lst = app.main.conv_list
    return next(r for i in range(min(lst.total, 100)) if (r := lst.row_at(i)) and r.id == cid)


async def poll(pilot) -> None:
    pilot.app._poll()
    await settle(pilot)


async def test_a_note_naming_me_toasts_counts_marks_and_is_read_on_opening(demo_store):
    demo_store.run(core.ensure_agent, "sam")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await poll(pilot)  # the baseline: nothing said about older mentions
        row = app.main.conv_list.row_at(2)
        assert row is not None and not row.mentioned
        demo_store.run(triage.add_note, "sam", row.id, f"@{ME} can you take this one?")
        await poll(pilot)
        said = [t for t in toasts(app) if "mentioned you" in t]
        assert len(said) == 1, said
        assert said[0].startswith(f"@sam mentioned you on #{row.id} “")
        assert said[0].endswith(f"”: @{ME} can you take this one?")
        assert shown_row(app, row.id).mentioned  # the list's @ mark
        await poll(pilot)  # said once, not at every poll
        assert len([t for t in toasts(app) if "mentioned you" in t]) == 1

        await pilot.press("v")
        await settle(pilot)
        views = app.main.query_one("#views")
        labels = [str(views.get_option_at_index(i).prompt) for i in range(views.option_count)]
        assert "Mentions (1 unread)" in labels
        views.highlighted = labels.index("Mentions (1 unread)")
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.view == "mentions" and app.main.conv_list.total == 1
        assert app.main.conv_list.current_row().id == row.id
        await pilot.press("enter")  # reading it reads the mention
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert mentions.unread_count(s, ME) == 0
        assert not app.main.conv_list.current_row().mentioned
        await pilot.press("v")
        await settle(pilot)
        labels = [str(views.get_option_at_index(i).prompt) for i in range(views.option_count)]
        assert "Mentions (0 unread)" in labels


async def test_the_note_editor_completes_agent_names(demo_store):
    for name in ("sam", "samira"):
        demo_store.run(core.ensure_agent, name)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"please @sa")
        await settle(pilot)
        hint = str(app.screen.query_one("#mention-hint").render())
        assert "@sam" in hint and "@samira" in hint
        await pilot.press("tab")
        await pilot.press(*"look")
        assert app.screen.text == "please @sam look"
        await pilot.press("tab")  # no name offered: Tab indents as before
        assert app.screen.text.startswith("please @sam look") and app.screen.text != (
            "please @sam look"
        )
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
    with demo_store.read() as s:
        assert [m.conversation_id for m in mentions.list_mentions(s, "sam")] == [cid]


def customer_wrote_twice(store) -> tuple[int, int]:
    def add(s, key, minutes, reply_to=None):
        from datetime import timedelta

        return mail(
            s,
            key,
            NOW - timedelta(minutes=minutes),
            (reply_to,) if reply_to else (),
            subject=f"Printer {key}",
            email="twice@customer.example",
            name="Tw Ice",
            body=f"text {key}",
            domain="twice.example",
        )

    older = store.run(add, "p1", 50)
    store.run(add, "p2", 40, "p1")
    newer = store.run(add, "q1", 1)
    return older, newer


def messages(store, cid) -> list[str]:
    with store.read() as s:
        return list(
            s.exec(
                select(Message.body).where(Message.conversation_id == cid).order_by(Message.id)
            ).all()
        )


async def test_merge_and_split_keys_confirm_and_undo(demo_store):
    older, newer = customer_wrote_twice(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(newer)
        await settle(pilot)
        await pilot.press("J")
        await settle(pilot)
        picker = app.screen
        assert [it.value for it in picker.items] == [str(older)]
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        shown = " ".join(confirm.subjects)
        assert f"#{older} “Printer p1”" in shown and f"#{newer} “Printer q1”" in shown
        await pilot.press("y")
        await settle(pilot, 5)
        assert messages(demo_store, newer) == ["text p1", "text p2", "text q1"]
        with demo_store.read() as s:
            assert s.get(Conversation, older) is None
        assert any(f"Merged #{older} into #{newer}" in t for t in toasts(app))

        await pilot.press("ctrl+z")
        await settle(pilot, 5)
        assert messages(demo_store, older) == ["text p1", "text p2"]
        assert messages(demo_store, newer) == ["text q1"]

        app.main.open_conversation(older)
        await settle(pilot)
        await pilot.press("X")
        await settle(pilot)
        assert [it.hint for it in app.screen.items] == ["customer"]  # p2; p1 is the root
        await pilot.press("escape")  # nothing chosen, nothing split
        await settle(pilot)
        assert messages(demo_store, older) == ["text p1", "text p2"]
        await pilot.press("X")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "text p2" in " ".join(app.screen.subjects)
        await pilot.press("y")
        await settle(pilot, 5)
        assert messages(demo_store, older) == ["text p1"]
        with demo_store.read() as s:
            newest = s.exec(select(func.max(Conversation.id))).one()
        assert messages(demo_store, newest) == ["text p2"]
        assert any(f"out into #{newest}" in t for t in toasts(app))
        await pilot.press("ctrl+z")
        await settle(pilot, 5)
        assert messages(demo_store, older) == ["text p1", "text p2"]


async def test_on_postgresql_the_mention_toast_comes_with_the_notice_not_the_poll(
    postgres_url_factory,
):
    """The poll is an hour here: only LISTEN/NOTIFY can bring the toast."""
    from inbox_tui.store import Store

    store = Store(postgres_url_factory())
    cid = customer_wrote_twice(store)[0]
    store.run(core.ensure_agent, "sam")
    store.run(core.ensure_agent, ME)
    other = Store(store.url)  # another agent's session: its own connections
    app = make_app(store, poll_seconds=3600)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            said: list[str] = []
            for i in range(100):  # until the listener is up and has heard it
                other.run(triage.add_note, "sam", cid, f"@{ME} look at this ({i})")
                await pilot.pause(0.1)
                await settle(pilot)
                said = [t for t in toasts(app) if "mentioned you" in t]
                if said:
                    break
            assert said and said[0].startswith(f"@sam mentioned you on #{cid}")
    finally:
        other.close()
        store.close()
