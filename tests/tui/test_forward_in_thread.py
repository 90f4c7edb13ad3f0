"""#18 (walk2): a forward in the thread says it is one, who it went to and its note; the
thread showed it as a reply with no To line, so nobody could tell where it had gone.
The forward goes out through the real aiosmtpd first."""

from __future__ import annotations

from tests.tui.conftest import make_app
from tests.tui.test_mail_keys import current, seed_cc_mail, settle
from tests.tui.test_review_step import smtp_config, type_into, wait_for_mail
from tests.tui.test_triage_keys import SIZE


async def test_the_thread_shows_a_forward_with_its_to_line_and_note(demo_store, smtp_server):
    cid = seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("down", "enter")  # Zoë's message, attached whole
        await settle(pilot)
        await type_into(pilot, "Input", "Ana Díaz <ana@vendor.example>")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"Can you check the table?", "ctrl+s", "y")
        await wait_for_mail(pilot, smtp_server)
        await pilot.press("enter")
        await settle(pilot)
        shown = app.main.thread_view.plain_text()
    assert [r for _, r, _ in smtp_server.messages] == [["ana@vendor.example"]]
    lines = shown.splitlines()
    (head,) = [i for i, line in enumerate(lines) if "  forward  " in line]
    assert "  reply  " not in shown  # a forward is not shown as a reply
    assert lines[head + 1].strip("▎ ") == "To Ana Díaz"
    assert lines[head + 2].strip("▎ ") == "Can you check the table?"
    # The customer's own message keeps its To and Cc line as before.
    assert "To Support · Cc Bob Stone, Carol" in shown


def test_conv_show_names_a_forwards_recipients(smtp_server, sqlite_store, capsys):
    from inbox_tui.cli import main
    from inbox_tui.services import forward
    from tests.test_mail_out import make_config, seed

    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    sqlite_store.run(
        forward.queue_forward, "sam", cid, ["Boss <boss@example.org>"], config=cfg, note="FYI"
    )
    assert main(["--db", sqlite_store.url, "conv", "show", str(cid)]) == 0
    out = capsys.readouterr().out
    assert "· forward ·" in out
    assert "To Boss" in out.split("· forward ·")[1]
