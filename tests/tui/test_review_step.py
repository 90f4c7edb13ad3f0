"""The review step before a reply or a forward leaves (#18): From, To, Cc, Bcc, subject,
files and signature on screen; recipients edited (a bad address is one sentence),
signature toggled and files attached from the keyboard; what arrives at the real
aiosmtpd server is what the review showed."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from inbox_tui.config import Account, AgentIdentity, Config, Signature
from tests.tui.conftest import ME, make_app
from tests.tui.test_mail_keys import current, seed_cc_mail, settle
from tests.tui.test_triage_keys import SIZE


def smtp_config(smtp, undo: float = 0.0, **mail: int) -> Config:
    account = Account(
        name="support",
        host="127.0.0.1",
        port=1,  # closed: the background IMAP sync fails at once and says so
        security="plain",
        address="support@example.com",
        from_name="Northwind Support",
        smtp=smtp.settings(),
        sent_mailbox=None,
    )
    cfg = Config(
        path=None,
        db_url=None,
        agent=AgentIdentity(ME, "Tess Ter", signature=Signature(text="Tess, Northwind support")),
        accounts={"support": account},
    )
    cfg.mail.undo_seconds = undo
    for key, value in mail.items():
        setattr(cfg.mail, key, value)
    return cfg


def review_shown(app) -> str:
    return str(app.screen.query_one("#review-text").render())


async def wait_for_mail(pilot, smtp, n: int = 1) -> None:
    for _ in range(50):
        await settle(pilot)
        if len(smtp.messages) >= n:
            return
        await pilot.pause(0.1)


async def type_into(pilot, selector: str, text: str) -> None:
    box = pilot.app.screen.query_one(selector)
    box.value = ""
    box.focus()
    await pilot.press(*text)


async def test_reply_all_review_edits_recipients_signature_and_files(
    demo_store, smtp_server, tmp_path: Path
):
    cid = seed_cc_mail(demo_store)
    report = tmp_path / "report.csv"
    report.write_bytes(b"when;what\n09:00;printed\n")
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press(*"Invoice attached.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = review_shown(app)
        assert "From      Northwind Support <support@example.com>  (mailbox support)" in shown
        assert "To        Zoë Brennan <zoe@acme.example>" in shown
        assert "Cc        Bob Stone <bob@acme.example>, Carol <carol@acme.example>" in shown
        assert "Subject   Re: Invoice for the whole team" in shown
        assert "Signature added (Tess, Northwind support)" in shown

        # Recipients: a bad address is one sentence and the form stays.
        await pilot.press("a")
        await settle(pilot)
        await type_into(pilot, "#rcpt-bcc", "boss@northwind")
        await pilot.press("enter")
        await settle(pilot)
        error = str(app.screen.query_one("#form-error").render())
        assert error == (
            "“boss@northwind” in Bcc is not an email address; write it as name@example.com "
            "(several separated by commas)."
        )
        await type_into(pilot, "#rcpt-bcc", "boss@northwind.example")
        await type_into(pilot, "#rcpt-cc", "Carol <carol@acme.example>")
        await pilot.press("enter")
        await settle(pilot)
        shown = review_shown(app)
        assert "Cc        Carol <carol@acme.example>" in shown
        assert "Bcc       boss@northwind.example" in shown

        # The signature off, and a file attached through the path prompt (Tab completes).
        await pilot.press("s")
        assert "Signature not added" in review_shown(app)
        await pilot.press("f")
        await settle(pilot)
        app.screen.cwd = tmp_path
        await pilot.press(*"rep", "tab")
        assert app.screen.query_one("Input").value == "report.csv"
        await pilot.press("enter")
        await settle(pilot)
        assert "Files     report.csv" in review_shown(app)

        await pilot.press("y")
        await wait_for_mail(pilot, smtp_server)
    (mail_from, rcpts, raw) = smtp_server.messages[0]
    assert mail_from == "support@example.com"
    assert rcpts == ["zoe@acme.example", "carol@acme.example", "boss@northwind.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Cc"] == "Carol <carol@acme.example>"
    assert "Bcc" not in msg and "boss@" not in raw.decode("ascii", "replace").split("\n\n")[0]
    body = msg.get_body(("plain",)).get_content()
    assert body.strip() == "Invoice attached."  # no signature: it was turned off
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "report.csv"
    assert part.get_content() in (b"when;what\n09:00;printed\n", "when;what\n09:00;printed\n")


async def test_a_file_over_the_cap_is_one_sentence_and_not_attached(
    demo_store, smtp_server, tmp_path: Path
):
    seed_cc_mail(demo_store)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 3000)
    app = make_app(demo_store, config=smtp_config(smtp_server, max_attachment_bytes=2048))
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Here.", "ctrl+s", "f")
        await settle(pilot)
        await type_into(pilot, "Input", str(big))
        await pilot.press("enter")
        await settle(pilot)
        error = str(app.screen.query_one("#prompt-error").render())
        assert error == f"{big} is 2.9 KB, over the 2.0 KB limit for one attachment."
        await pilot.press("escape")
        await settle(pilot)
        assert "Files     (none)" in review_shown(app)


async def test_forward_the_conversation_quoted_through_the_review(demo_store, smtp_server):
    cid = seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        labels = [str(o.prompt) for o in app.screen.query_one("OptionList").options]
        assert labels[0].startswith("  The whole conversation, quoted  1 message")
        assert "Zoë Brennan, Wed 18 Nov 15:35  attached whole, 1 file" in labels[1]
        await pilot.press("enter")  # the whole conversation
        await settle(pilot)
        await pilot.press(*"billing@", "enter")
        await settle(pilot)
        assert "“billing@” in To is not an email address" in str(
            app.screen.query_one("#prompt-error").render()
        )
        await type_into(pilot, "Input", "Billing <billing@vendor.example>")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")  # an empty note is fine for a forward
        await settle(pilot)
        shown = review_shown(app)
        assert "To        Billing <billing@vendor.example>" in shown
        assert "Subject   Fwd: Invoice for the whole team" in shown
        assert "Forwards  the whole conversation, quoted, with its 1 file" in shown
        assert "c send and close" not in shown
        await pilot.press("y")
        await wait_for_mail(pilot, smtp_server)
    _, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["billing@vendor.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Fwd: Invoice for the whole team"
    body = msg.get_body(("plain",)).get_content()
    assert "Please send the invoice to all of us." in body
    assert "Tess, Northwind support" in body  # the signature, as the review said
    # The conversation's kept file goes along (huge.zip was never kept).
    assert [p.get_filename() for p in msg.iter_attachments()] == ["table.csv"]


async def test_forward_one_message_attached_whole(demo_store, smtp_server):
    cid = seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("f")  # from the list: the highlighted conversation
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        await type_into(pilot, "Input", "a@vendor.example, b@vendor.example")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"FYI", "ctrl+s", "a")
        await settle(pilot)
        await type_into(pilot, "#rcpt-bcc", "audit@northwind.example")
        await pilot.press("enter")
        await settle(pilot)
        assert "Forwards  one message, attached whole with its files" in review_shown(app)
        await pilot.press("y")
        await wait_for_mail(pilot, smtp_server)
    _, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["a@vendor.example", "b@vendor.example", "audit@northwind.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert "audit@" not in str(msg["To"]) + str(msg["Cc"] or "")
    parts = list(msg.iter_attachments())
    assert [p.get_content_type() for p in parts] == ["message/rfc822"]
    inner = parts[0].get_content()
    assert inner["Subject"] == "Invoice for the whole team"
    assert [p.get_filename() for p in inner.iter_attachments()] == ["table.csv"]


async def test_a_forward_taken_back_never_becomes_a_reply(demo_store, smtp_server):
    from sqlmodel import select

    from inbox_tui.models import Outbox

    cid = seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server, undo=60))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "Input", "billing@vendor.example")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"FYI", "ctrl+s", "y")
        await settle(pilot, 5)
        await pilot.press("B")
        await settle(pilot, 5)
        # Back in the forward's own composer (with its review), never a reply's.
        assert str(app.screen.query_one("Label").render()).startswith("Forward")
        assert app.screen.review.kind == "forward"
        texts = [str(n.message) for n in app._notifications]
        assert any(t.startswith(f"Took back your forward to #{cid}") for t in texts), texts
    with demo_store.read() as s:
        (row,) = s.exec(select(Outbox).where(Outbox.conversation_id == cid)).all()
        assert row.status == "cancelled"
    assert smtp_server.messages == []


async def test_the_demo_review_names_the_demo_mailbox(demo_store):
    app = make_app(demo_store)  # the demo: replies are recorded, never sent
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Hello", "ctrl+s")
        await settle(pilot)
        shown = review_shown(app)
        assert "From      Tester <support@northwind.example>  (mailbox demo)" in shown
        assert "Signature none is set up for this mailbox" in shown


async def test_the_review_fits_80x24_with_the_text_still_visible(demo_store, smtp_server):
    seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=(80, 24)) as pilot:
        await current(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press(*"Thanks", "ctrl+s")
        await settle(pilot)
        review = app.screen.query_one("#review-text")
        assert "F drop the last file" in str(review.render())
        assert review.region.bottom <= 23  # inside the border, keys line included
        assert review.region.height == 9  # seven headers and the two key lines, no wrap
        assert app.screen.query_one("TextArea").region.height >= 3


async def test_send_at_the_customers_morning_shows_scheduled_and_b_takes_it_back(
    demo_store, smtp_server
):
    """``w`` in the review: "send at" offers the customer's 9:00 (their mail said
    +0900); the reply waits in the outbox until then, the thread marks it scheduled,
    and B takes it back before it goes (nothing reaches the SMTP server)."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from sqlmodel import select

    from inbox_tui.models import Outbox
    from inbox_tui.services.schedule import customers_morning
    from inbox_tui.tui.app import InboxApp
    from tests.test_customer_clock import mail

    now = datetime.now(UTC).replace(microsecond=0)  # queueing runs on the real clock
    if customers_morning(9 * 60, now) - now < timedelta(minutes=15):
        # Within 10 minutes of its time the mark reads "waiting to go out" (this failed
        # from 23:50 to 00:00 UTC daily): the app's clock goes past it, to tomorrow's.
        now += timedelta(minutes=20)
    wrote = email.utils.format_datetime(
        (now - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    )
    cid = demo_store.run(lambda s: mail(s, 77, wrote, who="kenji@far.example"))
    morning = customers_morning(9 * 60, now)
    their = morning.astimezone(ZoneInfo("Asia/Tokyo"))
    cfg = smtp_config(smtp_server, undo=10)
    app = InboxApp(demo_store, cfg, ME, clock=lambda: now, poll_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Fixed while you slept.", "ctrl+s")
        await settle(pilot)
        assert "d discard · w send at" in review_shown(app)
        assert "Send at" not in review_shown(app).replace("w send at", "")
        await pilot.press("w")
        await settle(pilot)
        picker = app.screen
        labels = [it.label for it in picker.items]
        assert (
            labels[1]
            == f"Customer's 9:00: {their:%a %d %b} 09:00 their time ({morning:%a %H:%M} UTC)"
        )
        await pilot.press(*"customer", "enter")
        await settle(pilot)
        assert f"Send at   {their:%a %d %b} 09:00 their time" in review_shown(app)
        await pilot.press("y")
        await settle(pilot, 5)
        with demo_store.read() as s:
            (row,) = s.exec(select(Outbox).where(Outbox.conversation_id == cid)).all()
        assert row.status == "queued" and row.next_attempt_at.replace(tzinfo=UTC) == morning
        shown = app.main.thread_view.plain_text()
        assert f"⏲ scheduled: goes out {morning:%a %d %b %H:%M} UTC" in shown
        await pilot.press("B")
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert s.get(Outbox, row.id).status == "cancelled"
        assert app.screen.__class__.__name__ == "Composer"  # the text comes back
        assert "Fixed while you slept." in app.screen.query_one("TextArea").text
        # with its send time (walk2: it came back without one, so y sent it at once)
        assert app.screen.review.send_at.replace(tzinfo=UTC) == morning
    assert smtp_server.messages == []


async def test_review_edits_come_back_after_esc_and_reach_smtp(
    demo_store, smtp_server, tmp_path: Path
):
    """Recipients, the signature turned off and a file, edited in the review: Esc back
    to the text and Esc out of the composer keep them with the draft; r brings them
    back in the review (in another app too: they are in the store), and they are sent."""
    seed_cc_mail(demo_store)
    report = tmp_path / "report.csv"
    report.write_bytes(b"a;b\n1;2\n")
    cfg = smtp_config(smtp_server)
    app = make_app(demo_store, config=cfg)
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Invoice attached.", "ctrl+s", "a")
        await settle(pilot)
        await type_into(pilot, "#rcpt-cc", "Ana Díaz <ana@acme.example>")
        await type_into(pilot, "#rcpt-bcc", "boss@northwind.example")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("s", "f")
        await settle(pilot)
        await type_into(pilot, "Input", str(report))
        await pilot.press("enter")
        await settle(pilot)
        edited = review_shown(app)
        assert "Cc        Ana Díaz <ana@acme.example>" in edited
        assert "Files     report.csv" in edited
        await pilot.press("escape")  # back to the text
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert review_shown(app) == edited
        await pilot.press("escape", "escape")  # out of the composer: a kept draft
        await settle(pilot)
        assert app.screen is app.main
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert review_shown(app) == edited
        await pilot.press("escape", "escape")
        await settle(pilot)
    app = make_app(demo_store, config=cfg)  # another session, after a restart
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one("TextArea").text == "Invoice attached."
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = review_shown(app)
        assert "Cc        Ana Díaz <ana@acme.example>" in shown
        assert "Bcc       boss@northwind.example" in shown
        assert "Signature not added (s adds it)" in shown
        assert "Files     report.csv" in shown
        await pilot.press("y")
        await wait_for_mail(pilot, smtp_server)
    _, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["zoe@acme.example", "ana@acme.example", "boss@northwind.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_body(("plain",)).get_content().strip() == "Invoice attached."
    assert [p.get_filename() for p in msg.iter_attachments()] == ["report.csv"]


async def test_a_notes_files_come_back_with_its_draft(demo_store, tmp_path: Path):
    log = tmp_path / "sync.log"
    log.write_bytes(b"sync stopped\n")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"See the log", "ctrl+s", "f")
        await settle(pilot)
        await type_into(pilot, "Input", str(log))
        await pilot.press("enter")
        await settle(pilot)
        assert "Files     sync.log" in review_shown(app)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is app.main
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Files     sync.log" in review_shown(app)


async def test_forward_keeps_display_names_to_the_wire_and_the_thread(demo_store, smtp_server):
    """Names typed in the forward prompt stay through the review, its recipients form,
    the outgoing headers (RFC 2047 encoded words for non-ASCII, quotes for a comma)
    and the stored message."""
    import json

    from sqlmodel import select

    from inbox_tui.models import Message

    cid = seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("enter")  # the whole conversation, quoted
        await settle(pilot)
        typed = '"Díaz, Ana" <ana@vendor.example>, Bob Ünal <bob@vendor.example>, x@vendor.example'
        await type_into(pilot, "Input", typed)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (
            'To        "Díaz, Ana" <ana@vendor.example>, Bob Ünal <bob@vendor.example>, '
            "x@vendor.example" in review_shown(app)
        )
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.query_one("#rcpt-to").value == typed
        await type_into(pilot, "#rcpt-cc", "Zoë Brennan <zoe@acme.example>")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await wait_for_mail(pilot, smtp_server)
    _, rcpts, raw = smtp_server.messages[0]
    assert rcpts == [
        "ana@vendor.example",
        "bob@vendor.example",
        "x@vendor.example",
        "zoe@acme.example",
    ]
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # 7-bit headers on the wire
    assert "=?utf-8?" in head and "Díaz" not in head
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    to = msg["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in to] == [
        ("Díaz, Ana", "ana@vendor.example"),
        ("Bob Ünal", "bob@vendor.example"),
        ("", "x@vendor.example"),
    ]
    (cc,) = msg["Cc"].addresses
    assert (cc.display_name, cc.addr_spec) == ("Zoë Brennan", "zoe@acme.example")
    with demo_store.read() as s:
        row = s.exec(
            select(Message).where(Message.message_id == msg["Message-ID"].strip("<>"))
        ).one()
        assert json.loads(row.to_addrs) == [
            ["Díaz, Ana", "ana@vendor.example"],
            ["Bob Ünal", "bob@vendor.example"],
            ["", "x@vendor.example"],
        ]
        assert json.loads(row.cc_addrs) == [["Zoë Brennan", "zoe@acme.example"]]
