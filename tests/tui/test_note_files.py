"""An internal note with a file (#18), from the keyboard: ``n``, the text, ``ctrl+s``, ``f``
in the note's review (the same path prompt as a reply's: Tab completes, the caps are
checked at once), ``y``. The file is kept in the store, shown in the thread under the
note and listed by ``P`` as a note's."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import select

from inbox_tui.models import Blob, Direction, Message
from inbox_tui.services.attachments import entries
from tests.tui.conftest import make_app, make_config, settle
from tests.tui.test_review_step import review_shown, type_into
from tests.tui.test_triage_keys import SIZE

LOG = b"09:00 sync stopped\n09:05 sync stopped again\n"


async def test_a_note_with_a_file_is_kept_shown_and_listed(demo_store, tmp_path: Path):
    (tmp_path / "sync.log").write_bytes(LOG)
    (tmp_path / "sync-old.txt").write_bytes(b"old")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Their log, see the file", "ctrl+s")
        await settle(pilot)
        shown = review_shown(app)
        assert "Files     (none)" in shown
        assert "f attach a file · F drop the last file" in shown
        assert "To " not in shown and "Signature" not in shown  # a note is never sent

        await pilot.press("f")
        await settle(pilot)
        app.screen.cwd = tmp_path
        await pilot.press(*"sy", "tab")  # two files start so: the common part, both offered
        assert app.screen.query_one("Input").value == "sync"
        offered = str(app.screen.query_one("#path-choices").render())
        assert "sync-old.txt" in offered and "sync.log" in offered
        await pilot.press(*".l", "tab", "enter")
        await settle(pilot)
        assert "Files     sync.log" in review_shown(app)

        await pilot.press("y")
        await settle(pilot)
        assert "Note saved with 1 file." in [str(n.message) for n in app._notifications]
        thread = app.main.thread_view.plain_text()
        assert "internal note" in thread and "📎 sync.log (text/plain, 44 B)" in thread

        await pilot.press("P")
        await settle(pilot)
        rows = [str(o.prompt) for o in app.screen.query_one("OptionList").options]
        assert any(r.startswith("sync.log  text/plain  44 B  note by Tester, ") for r in rows)
    with demo_store.read() as s:
        note = s.exec(
            select(Message)
            .where(Message.conversation_id == cid)
            .where(Message.direction == Direction.NOTE.value)
            .order_by(Message.id.desc())  # type: ignore[union-attr]
        ).first()
        assert note is not None and note.body == "Their log, see the file"
        (item,) = entries(note.attachments)
        assert item["sha256"] == hashlib.sha256(LOG).hexdigest()
        assert s.get(Blob, item["sha256"]).data == LOG


async def test_a_file_over_the_cap_is_refused_in_the_note_review(demo_store, tmp_path: Path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 3000)
    cfg = make_config()
    cfg.mail.max_attachment_bytes = 2048
    app = make_app(demo_store, config=cfg)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Big one", "ctrl+s", "f")
        await settle(pilot)
        await type_into(pilot, "Input", str(big))
        await pilot.press("enter")
        await settle(pilot)
        error = str(app.screen.query_one("#prompt-error").render())
        assert error == f"{big} is 2.9 KB, over the 2.0 KB limit for one attachment."
        await pilot.press("escape")
        await settle(pilot)
        assert "Files     (none)" in review_shown(app)


async def test_a_file_named_with_escapes_completes_clean_and_attaches(demo_store, tmp_path: Path):
    """Tab on a file whose name holds ESC and a bidi override puts the cleaned name in
    the box (the raw one would reach the terminal), Enter attaches the real file, and it
    is kept under the clean name the review showed."""
    odd = tmp_path / "esc\x1b]0;pwned\x07\u202egol.txt"
    odd.write_bytes(b"odd bytes")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Odd file", "ctrl+s", "f")
        await settle(pilot)
        app.screen.cwd = tmp_path
        await pilot.press("e", "tab")
        box = app.screen.query_one("Input").value
        assert box == "esc]0;pwnedgol.txt"
        await pilot.press("enter")
        await settle(pilot)
        assert "Files     esc_]0;pwned__gol.txt" in review_shown(app)
        await pilot.press("y")
        await settle(pilot)
    with demo_store.read() as s:
        note = s.exec(
            select(Message)
            .where(Message.conversation_id == cid)
            .where(Message.direction == Direction.NOTE.value)
            .order_by(Message.id.desc())  # type: ignore[union-attr]
        ).first()
        (item,) = entries(note.attachments)
        assert item["name"] == "esc_]0;pwned__gol.txt"
        assert s.get(Blob, item["sha256"]).data == b"odd bytes"


async def test_the_review_fits_60_columns_one_line_per_header(demo_store):
    from tests.tui.test_mail_keys import seed_cc_mail
    from tests.tui.test_review_step import smtp_config

    class _Smtp:  # nothing is sent: only the review is looked at
        @staticmethod
        def settings():
            from inbox_tui.config import SmtpSettings

            return SmtpSettings(host="127.0.0.1", port=1, security="plain", timeout=1)

    seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(_Smtp()))
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, skip_groups=("sync",))
        await pilot.press("r")
        await settle(pilot, skip_groups=("sync",))
        await pilot.press(*"Thanks", "ctrl+s")
        await settle(pilot, skip_groups=("sync",))
        review = app.screen.query_one("#review-text")
        shown = str(review.render())
        assert "From      Northwind Support <support@example.com>\n" in shown  # no mailbox
        assert shown.endswith("a recipients · s sign · f attach · F drop · w send at")
        assert review.region.height == 9  # seven headers and two key lines, none wrapped
        assert review.region.bottom <= 19
        assert app.screen.query_one("TextArea").region.height >= 3
