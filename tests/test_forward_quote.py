"""The quoted header of a forwarded message names each person as the header did: a name
with a comma stays quoted (walk6: "Cc: Tom Fischer <…>, Accounts, BigCorp <ap@…>" read as
three people, one of them "Accounts")."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

from inbox_tui.mail.outgoing import OriginalMessage, quote_original


def test_names_with_specials_are_quoted_and_parse_back():
    cc = [("Tom Fischer", "tom@bigcorp.example"), ("Accounts, BigCorp", "ap@bigcorp.example")]
    to = [('Ana "the buyer" Díaz', "ana@x.example"), ("", "plain@x.example")]
    orig = OriginalMessage(
        from_name="Zoë Brennan", from_addr="zoe@acme.example", to=to, cc=cc,
        subject="Invoice", date=datetime(2026, 12, 7, tzinfo=UTC), message_id=None, body="Hi",
    )  # fmt: skip
    text = quote_original(orig)
    cc_line = next(line for line in text.splitlines() if line.startswith("Cc: "))
    assert (
        cc_line == 'Cc: Tom Fischer <tom@bigcorp.example>, "Accounts, BigCorp" <ap@bigcorp.example>'
    )
    # Read back as a mail client would: the same people, no one split in two.
    assert email.utils.getaddresses([cc_line[4:]]) == cc
    to_line = next(line for line in text.splitlines() if line.startswith("To: "))
    assert email.utils.getaddresses([to_line[4:]]) == to
    assert "From: Zoë Brennan <zoe@acme.example>" in text
