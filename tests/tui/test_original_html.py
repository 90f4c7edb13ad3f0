"""A message's original HTML (H, #18), on mail synced from the real Dovecot: its source
read as text (markup shown, never interpreted; control characters gone), or opened in
the system's browser through a file that forbids scripts and remote fetches."""

from __future__ import annotations

from email.message import EmailMessage

from tests.tui.conftest import make_app, settle
from tests.tui.test_attachments_dialog import handlers, synced, wait_for  # noqa: F401
from tests.tui.test_triage_keys import SIZE

HOSTILE_HTML = (
    "<html><body><p>Hello \x1b]52;c;cGF5bG9hZA==\x07there</p>"
    "<script>alert(1)</script><img src='http://tracker.example/p.gif'>"
    "<table><tr><td>Widget</td><td>100</td></tr></table></body></html>"
)


def html_mail(n: int, html: str | None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Zoë Brennan <zoe@acme.example>"
    msg["To"] = "support@example.com"
    msg["Subject"] = f"Newsletter {n}"
    msg["Message-ID"] = f"<html-{n}@acme.example>"
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg.set_content("Hello there.\n")
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_source_as_text_and_in_the_browser(dovecot_server, demo_store, handlers):  # noqa: F811
    cid = await synced(dovecot_server, demo_store, html_mail(1, HOSTILE_HTML))
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        labels = [str(o.prompt) for o in app.screen.query_one("OptionList").options]
        assert labels == [
            "  Source: Zoë Brennan, Mon 02 Mar 09:00  as text",
            "  Browser: Zoë Brennan, Mon 02 Mar 09:00",
        ]
        await pilot.press("enter")
        await settle(pilot)
        shown = app.screen.query_one("#viewer-text").text
        assert "<table><tr><td>Widget</td><td>100</td></tr></table>" in shown
        assert "<script>alert(1)</script>" in shown  # shown as text, not run
        assert "\x1b" not in shown and "\x07" not in shown
        assert app.screen.query_one("#viewer-text").soft_wrap  # one long line, wrapped
        await pilot.press("w")
        assert not app.screen.query_one("#viewer-text").soft_wrap
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("H")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        await wait_for(pilot, handlers / "opened-copy")
        page = (handlers / "opened-copy").read_text()
        assert page.startswith(
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';'
        )
        assert HOSTILE_HTML in page  # the original bytes, behind the policy
        opened = (handlers / "opened-path").read_text().strip()
        assert any(t == f"Opened {opened.rsplit('/', 1)[1]} with xdg-open." for t in notices(app))


async def test_a_plain_text_message_says_it_has_no_html(dovecot_server, demo_store, handlers):  # noqa: F811
    cid = await synced(dovecot_server, demo_store, html_mail(2, None))
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        assert app.screen is app.main
        assert (
            "No message here came with HTML (or it was imported before HTML was kept)."
            in notices(app)
        )
