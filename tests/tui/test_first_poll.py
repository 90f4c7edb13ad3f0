"""The first poll after the TUI opens the store must see what changed since the list was
first read. Found in the #21 acceptance walk: the TUI's background sync imported three
conversations between the first page and the first poll, the poll took that state as its
baseline, and the list said "All open (0)" until someone changed something else."""

from __future__ import annotations

from datetime import timedelta

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from tests.tui.conftest import NOW, make_app, settle


async def test_mail_that_arrives_before_the_first_poll_is_listed(store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = app.main.conv_list.total

        def arrive(s):  # the background sync's first round, before any poll
            return (
                Ingestor(s)
                .add(
                    IncomingMessage(
                        source="imap:support/INBOX",
                        external_id="first-round",
                        message_id="<first-round@customer.example>",
                        subject="Arrived with the first sync",
                        author_email="early@customer.example",
                        sent_at=NOW + timedelta(minutes=5),
                        body="hello",
                    )
                )
                .conversation_id
            )

        cid = store.run(arrive)
        app._poll()  # the first poll
        await settle(pilot)
        assert before == 0
        assert app.main.conv_list.total == 1
        assert app.main.conv_list.row_at(0).id == cid
