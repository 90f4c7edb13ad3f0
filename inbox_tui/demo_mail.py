"""The demo's mail that shows what real support mail carries: people on Cc, an HTML
invoice with a table, files whose bytes are kept (a PDF, a CSV, a log, screenshots),
and one long chat. A new user found none of these in the demo, so reply-all, ``P``,
``H`` and a long thread could not be tried there.

These conversations are added after the rest, so the other demo conversations keep
their numbers: the mail ten days back, the chat five weeks back. Search
``invoice 2291``, ``sync-debug`` or ``warehouse`` to find them (the README says so).
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta

from sqlmodel import Session

from inbox_tui.incoming import Attachment, IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Channel
from inbox_tui.services import triage

DOMAIN = "northwind.example"
SUPPORT = f"support@{DOMAIN}"
AGO = timedelta(days=10)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small solid PNG, made here (no image files in the package): a screenshot
    stand-in that ``P`` can preview."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _pdf(text: str) -> bytes:
    """A one-page PDF that says ``text`` (enough for a viewer to open)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )


def _file(name: str, content_type: str, data: bytes) -> Attachment:
    return Attachment(name, content_type, len(data), data=data)


INVOICE_LINES = [("Team plan, 25 seats", 25, 12.0), ("Extra storage, 100 GB", 1, 40.0)]
INVOICE_TEXT = """Hi,

Invoice INV-2291 charges us for 25 seats, but we moved to 18 seats on the 1st (see the
seat change in your own admin log). Could you correct it and send a new invoice? Tom
and our accounts payable inbox are on Cc: please keep them on the reply.

Line items as we read them:

  Team plan, 25 seats     25 x 12.00   300.00
  Extra storage, 100 GB    1 x 40.00    40.00
  Net                                  340.00
  VAT 21%                               71.40
  Total                                411.40

Priya Raman
Finance, BigCorp"""


def _invoice_html() -> bytes:
    rows = "".join(
        f"<tr><td>{item}</td><td>{qty}</td><td>{price:.2f}</td><td>{qty * price:.2f}</td></tr>"
        for item, qty, price in INVOICE_LINES
    )
    return (
        "<html><body><p>Hi,</p><p>Invoice <b>INV-2291</b> charges us for 25 seats, but we "
        "moved to 18 seats on the 1st. Could you correct it and send a new invoice? Tom "
        "and our accounts payable inbox are on Cc: please keep them on the reply.</p>"
        "<table border=1><tr><th>Item</th><th>Qty</th><th>Price</th><th>Amount</th></tr>"
        f"{rows}<tr><td>Net</td><td></td><td></td><td>340.00</td></tr>"
        "<tr><td>VAT 21%</td><td></td><td></td><td>71.40</td></tr>"
        "<tr><td><b>Total</b></td><td></td><td></td><td><b>411.40</b></td></tr></table>"
        "<p>Priya Raman<br>Finance, BigCorp</p>"
        '<img src="https://tracker.bigcorp.example/open.gif" width=1 height=1>'
        "</body></html>"
    ).encode()


SYNC_LOG = (
    "\n".join(
        f"2026-11-2{d} 0{h}:1{m}:07 WARN calendar-sync: token refresh failed (401), retry {m + 1}/3"
        for d in range(3, 6)
        for h in range(7, 9)
        for m in range(3)
    )
    + "\n2026-11-25 08:12:09 ERROR calendar-sync: giving up after 3 retries; feed paused\n"
)

# A long chat (a warehouse team setting up boards with an agent, 44 lines): a thread
# longer than a screen at any size, in the demo.
WAREHOUSE_CHAT = [
    ("in", "hi! we're setting up boards for our 3 warehouses, can I ask a few things?"),
    ("mei", "Of course, ask away."),
    ("in", "should each warehouse be its own workspace or one workspace with 3 boards?"),
    ("mei", "One workspace with a board per warehouse: people and labels are shared then."),
    ("in", "ok. and the night shift only should see their own board"),
    ("mei", "Make the board private and invite the night shift to it: Board > Share."),
    ("in", "found it"),
    ("in", "can a card be on two boards? pallets move between warehouses"),
    ("mei", "Not on two at once; move it (m on the card) and its history goes with it."),
    ("in", "ok that works"),
    (
        "in",
        "is there a way to make a checklist template? every inbound truck has the same 12 checks",
    ),
    ("mei", "Yes: make a card with the checklist, then Card > Make template."),
    ("in", "and new cards from the template keep the checklist?"),
    ("mei", "They do, with every item unticked."),
    ("in", "nice"),
    ("in", "what about due dates per checklist item"),
    ("mei", "Each item can have its own date: click the clock icon on the item."),
    ("in", "do those show in the calendar view?"),
    ("mei", "Card due dates do; item dates show on the card only (for now)."),
    ("in", "hm ok. we'd like them in the calendar too"),
    ("mei", "I'll pass that on as a feature request, with your use case."),
    ("in", "thanks"),
    ("in", "next one: barcode scanner. our scanners type the code + Enter"),
    ("mei", "Then the search box works with them: scan into it and Enter opens the card."),
    ("in", "the code is in a custom field, not the title"),
    ("mei", "Search covers custom fields too, as long as the field is a text field."),
    ("in", "it's a number field"),
    ("mei", "Number fields aren't searched yet. Switching it to text keeps the values."),
    ("in", "will that break our automations?"),
    ("mei", "Automations comparing it as a number would; ones that copy it won't."),
    ("in", "we only copy it. ok switching"),
    ("in", "done, scanning works!"),
    ("mei", "Great."),
    ("in", "last thing: can we print a board as a list? the dock has no screen"),
    ("mei", "Board > Print gives a list with one card per line, with its checklist."),
    ("in", "can it skip done cards?"),
    ("mei", "Filter first (f, then 'not done'); Print prints what the filter shows."),
    ("in", "perfect"),
    ("in", "sorry, one more: how many guests can we invite on the Team plan"),
    ("mei", "Unlimited guests; guests don't count as seats."),
    ("in", "great news, thanks for all the help!"),
    ("mei", "Happy to help. Good luck with the rollout!"),
    ("in", "👍"),
    ("in", "oh and the night shift says hi"),
]


def add_mail_fidelity(ing: Ingestor, session: Session, now: datetime) -> int:
    """The conversations above (three). Returns how many were added."""
    start = now - AGO
    _invoice_thread(ing, start)
    _log_file(ing, start + timedelta(hours=2))
    # Before the Stats screen's 30 days: 44 lines in one afternoon would be its peak.
    _warehouse_chat(ing, session, now - timedelta(days=35, hours=3))
    return 3


def _invoice_thread(ing: Ingestor, at: datetime) -> None:
    invoice = _pdf("INV-2291: 25 seats x 12.00 = 300.00; storage 40.00; total 411.40")
    csv = (
        "item,quantity,unit price,amount\n"
        + "".join(f'"{i}",{q},{p:.2f},{q * p:.2f}\n' for i, q, p in INVOICE_LINES)
    ).encode()
    ing.add(
        IncomingMessage(
            source="imap:support/INBOX",
            external_id="demo-invoice-1",
            message_id="<demo-invoice-1@bigcorp.example>",
            subject="Invoice INV-2291 is for the wrong number of seats",
            author_name="Priya Raman",
            author_email="priya.raman@bigcorp.example",
            to=[("Northwind Support", SUPPORT)],
            cc=[("Tom Fischer", "tom.fischer@bigcorp.example"), ("Accounts, BigCorp", "ap@bigcorp.example")],
            sent_at=at,
            body=INVOICE_TEXT,
            html=_invoice_html(),
            attachments=[
                _file("INV-2291.pdf", "application/pdf", invoice),
                _file("line-items.csv", "text/csv", csv),
            ],
        )
    )  # fmt: skip


def _log_file(ing: Ingestor, at: datetime) -> None:
    ing.add(
        IncomingMessage(
            source="imap:support/INBOX",
            external_id="demo-synclog-1",
            message_id="<demo-synclog-1@fjord.example>",
            subject="Calendar feed paused, log attached",
            author_name="Ingrid Dahl",
            author_email="ingrid@fjord.example",
            to=[("Northwind Support", SUPPORT)],
            sent_at=at,
            body="Hello,\n\nOur calendar feed paused again on the 25th. The sync log from "
            "our side is attached (sync-debug.log), and a screenshot of the settings.\n\n"
            "Ingrid",
            attachments=[
                _file("sync-debug.log", "text/plain", SYNC_LOG.encode()),
                _file("settings.png", "image/png", png(48, 24, (40, 110, 200))),
            ],
        )
    )


def _warehouse_chat(ing: Ingestor, session: Session, at: datetime) -> None:
    conv_id = None
    for i, (who, text) in enumerate(WAREHOUSE_CHAT, 1):
        customer = who == "in"
        res = ing.add(
            IncomingMessage(
                source="chat:widget",
                external_id=f"chat-warehouse-{i}",
                channel=Channel.CHAT,
                thread_key="visit-warehouse",
                subject=WAREHOUSE_CHAT[0][1][:60] if i == 1 else "",
                author_name="Kofi (Baltic Freight)" if customer else "Mei Chen",
                author_handle="widget:kofi-warehouse" if customer else f"widget-agent:{who}",
                agent_username=None if customer else who,
                sent_at=at + timedelta(minutes=2 * i),
                body=text,
            )
        )
        if i == 1:
            conv_id = res.conversation_id
            assert conv_id is not None
            triage.assign(session, "mei", conv_id, "mei", at=at + timedelta(minutes=3))
    assert conv_id is not None
    triage.tag(session, "mei", conv_id, "user issue", at=at + timedelta(minutes=90))
    triage.close(session, "mei", conv_id, at=at + timedelta(minutes=100))
