"""Reading mail: every To/Cc address kept, HTML laid out as text that reads well."""

from __future__ import annotations

import email
import email.policy
import re
import time
from pathlib import Path

import pytest

from inbox_tui.mail.parse import html_to_text, parse_message

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora" / "mail"

INVOICE = """<html><head><style>td {color: red}</style><title>Invoice</title></head><body>
<p>Hello,</p><p>your <b>invoice</b>:</p>
<table border=1><tr><th>Item</th><th>Net</th><th>VAT</th></tr>
<tr><td>Widget pro</td><td>100</td><td>21</td></tr>
<tr><td>Shipping</td><td>5.50</td><td>1.16</td></tr></table>
<ul><li>Pay by <a href="https://pay.example/x">our portal</a></li>
<li>or <a href="https://bank.example">https://bank.example</a></li>
<li><a href="javascript:alert(1)">click</a></li></ul>
<script>document.write("stolen")</script><img src="http://track.example/p.gif" alt="">
</body></html>"""


def mail(headers: str, body: bytes = b"hello\r\n") -> bytes:
    return headers.replace("\n", "\r\n").encode("utf-8") + b"\r\n\r\n" + body


def test_html_table_reads_as_aligned_columns() -> None:
    text = html_to_text(INVOICE)
    lines = text.splitlines()
    header = next(ln for ln in lines if ln.startswith("Item"))
    row = next(ln for ln in lines if ln.startswith("Widget pro"))
    ship = next(ln for ln in lines if ln.startswith("Shipping"))
    # each column starts at the same place in every row, with space between cells
    assert header.index("Net") == row.index("100") == ship.index("5.50")
    assert header.index("VAT") == row.index("21") == ship.index("1.16")
    assert "Net100" not in text and "VAT21" not in text.replace(" ", "x")


def test_html_links_are_numbered_references_and_nothing_active_survives() -> None:
    text = html_to_text(INVOICE)
    assert "our portal [1]" in text
    assert text.rstrip().endswith("[1] https://pay.example/x")
    assert "[2]" not in text  # a link whose text is its address needs no reference
    assert "javascript" not in text
    assert "stolen" not in text and "color: red" not in text and "track.example" not in text
    assert all(ln == ln.rstrip() for ln in text.splitlines())


def test_html_bomb_keeps_the_text_and_says_why() -> None:
    warnings: list[str] = []
    start = time.perf_counter()
    deep = html_to_text("<div>" * 20_000 + "the words inside" + "</div>" * 20_000, warnings)
    assert "the words inside" in deep
    assert warnings and "plain text" in warnings[0]
    long_line = html_to_text("<p>" + "word " * 400_000 + "</p>")
    assert long_line.count("word") >= 199_000  # cut at a million characters, not lost
    assert time.perf_counter() - start < 20


def test_html_only_message_body_is_laid_out() -> None:
    raw = mail(
        "From: Ann <ann@acme.example>\nTo: support@example.com\nSubject: invoice\n"
        "Content-Type: text/html; charset=utf-8",
        INVOICE.encode(),
    )
    msg = parse_message(raw, source="t", external_id="1")
    assert "Widget pro  100" in msg.body
    assert "<td>" not in msg.body


def test_every_to_and_cc_address_is_kept() -> None:
    raw = mail(
        'From: Ann <ann@acme.example>\nTo: support@example.com, "Doe, John" <john@x.example>\n'
        "Cc: =?utf-8?q?M=C3=BCller=2C_Hans?= <hans@y.example>, bob@acme.example (Bob),\n"
        " undisclosed-recipients:;, team: a@t.example, b@t.example;\n"
        "Cc: second@cc.example\nSubject: hi"
    )
    msg = parse_message(raw, source="t", external_id="1")
    assert msg.to == [("", "support@example.com"), ("Doe, John", "john@x.example")]
    assert msg.cc == [
        ("Müller, Hans", "hans@y.example"),
        ("Bob", "bob@acme.example"),
        ("", "a@t.example"),
        ("", "b@t.example"),
        ("", "second@cc.example"),
    ]


@pytest.mark.parametrize(
    "value, expected",
    [
        ('"Unbalanced <ann@a.example>, bob@b.example', ["ann@a.example", "bob@b.example"]),
        ("Ann <ann@a.example>, Bob <bob@b.example", ["ann@a.example", "bob@b.example"]),
        ("ann@a.example, broken<<x@y.example, carl@c.example", None),
        ("ann@a.example; bob@b.example", ["ann@a.example", "bob@b.example"]),
        ("Ann <ann@a.example>, ANN@a.example", ["ann@a.example"]),
    ],
)
def test_broken_address_lists_keep_their_addresses(value: str, expected: list[str] | None) -> None:
    msg = parse_message(
        mail(f"From: x@y.example\nTo: {value}\nCc: {value}\nSubject: s"),
        source="t",
        external_id="1",
    )
    got = [a for _, a in msg.to]
    if expected is None:
        assert {"ann@a.example", "carl@c.example"} <= set(got)
    else:
        assert got == expected
    assert [a for _, a in msg.cc] == got
    assert all("@" in a and " " not in a for a in got)


def test_raw_8bit_display_name_is_read_as_utf8() -> None:
    raw = (
        b"From: x@y.example\r\nTo: Ren\xc3\xa9 Dupont <rene@d.example>, zoe@z.example\r\n\r\nb\r\n"
    )
    msg = parse_message(raw, source="t", external_id="1")
    assert msg.to == [("René Dupont", "rene@d.example"), ("", "zoe@z.example")]


def _html_parts(path: Path) -> list[str]:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
    out = []
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True) or b""
            out.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return out


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not present")
def test_real_outlook_bounce_reads_as_text() -> None:
    """Office 365's bounce is a layout table of tables: it reads as lines of text with
    the table row as columns, not as markup or one run-together line."""
    html = _html_parts(CORPORA / "flanker" / "bounce" / "office365.eml")[0]
    text = html_to_text(html)
    assert not re.search(r"</?(td|tr|table|div|p|span|br|img)\b", text, re.I)
    assert re.search(r"^postmaster\s{2,}Office 365\s{2,}noname$", text, re.M)
    assert "couldn't be delivered." in text
    assert re.search(r"5\.1\.10 in Office 365 \[\d+\]", text)
    assert max(len(ln) for ln in text.splitlines()) < 2000
    assert all(ln == ln.rstrip() for ln in text.splitlines())


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not present")
def test_every_real_html_part_becomes_readable_text() -> None:
    files = [p for p in CORPORA.rglob("*") if p.is_file() and p.suffix != ".json"]
    seen = 0
    for path in files:
        try:
            parts = _html_parts(path)
        except Exception:
            continue
        for html in parts:
            seen += 1
            text = html_to_text(html)
            visible = re.sub(r"<[^>]*>", "", html)
            if re.search(r"\w", visible.split("</head>")[-1]):
                assert text.strip(), path
            assert not re.search(r"</?(td|tr|table|div|p|span)\b", text, re.I), path
    assert seen >= 10


INLINE_FILES = b"""From: Ann <ann@example.com>
To: support@example.com
Subject: the patch
Message-ID: <inline-files@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

Here is the fix.
--b
Content-Type: text/x-diff
Content-Disposition: inline; filename=0001-fix.patch

--- a/x
+++ b/x
--b
Content-Type: BINARY;name="core.dump"
Content-Transfer-Encoding: base64

AAECAw==
--b--
"""


def test_an_inline_text_file_is_shown_and_kept_and_a_typeless_file_is_not_text() -> None:
    """A patch sent inline with a file name reads in the thread and can be saved too (it
    used to be text only); a part whose type names no subtype ("BINARY") is a file,
    never decoded bytes shown as text."""
    msg = parse_message(INLINE_FILES, source="t", external_id="1")
    assert "Here is the fix." in msg.body and "+++ b/x" in msg.body
    assert "core.dump" not in msg.body and "\x00" not in msg.body
    assert [(a.name, a.content_type, a.data) for a in msg.attachments] == [
        ("0001-fix.patch", "text/x-diff", b"--- a/x\n+++ b/x"),
        ("core.dump", "application/octet-stream", b"\x00\x01\x02\x03"),
    ]


def test_a_date_in_the_future_counts_from_arrival():
    """Walkthrough: a mail dated 23:50 when it arrived at 19:05 sorted after our reply."""
    from datetime import UTC, datetime, timedelta

    arrived = datetime(2026, 12, 6, 19, 5, tzinfo=UTC)

    def parsed(date: str):
        raw = f"From: a@x.example\r\nSubject: hi\r\nDate: {date}\r\n\r\nhello\r\n".encode()
        return parse_message(raw, source="t", external_id="1", received_at=arrived)

    future = parsed("Sun, 06 Dec 2026 23:50:00 +0000")
    assert future.sent_at == arrived
    assert any("in the future" in w for w in future.warnings)
    # a clock a few minutes fast is believed
    fast = parsed("Sun, 06 Dec 2026 19:15:00 +0000")
    assert fast.sent_at == arrived + timedelta(minutes=10) and not fast.warnings
    past = parsed("Sun, 06 Dec 2026 08:00:00 -0500")
    assert past.sent_at == datetime(2026, 12, 6, 13, 0, tzinfo=UTC)
