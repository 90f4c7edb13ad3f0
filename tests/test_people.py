"""People on one line (thread headers, the reply review): a name with a comma is quoted,
so "Evil, Comma" does not read as two people (walkthrough), and nothing hostile passes."""

from __future__ import annotations

from inbox_tui.sanitize import people as _people
from inbox_tui.sanitize import person


def test_a_name_with_a_comma_is_quoted():
    assert person("Evil, Comma", "evil@example.com") == '"Evil, Comma" <evil@example.com>'
    assert person('Ann "the boss" Lee') == '"Ann \\"the boss\\" Lee"'
    assert person("Ann Lee", "ann@x.org") == "Ann Lee <ann@x.org>"
    assert person("", "ann@x.org") == "ann@x.org"


def test_thread_header_lists_read_as_the_people_they_are():
    pairs = [["Evil, Comma", "evil@x.org"], ["", "bob@x.org"], ["Ann", "ann@x.org"]]
    assert _people(pairs) == '"Evil, Comma", bob@x.org, Ann'


def test_hostile_names_are_one_clean_line():
    shown = person("\x1b[31mRed\x1b]0;title\x07\nNext", "a@b.c")
    assert "\x1b" not in shown and "\n" not in shown and "\x07" not in shown


def test_a_folded_quote_counts_its_quoted_lines_only():
    # Walkthrough: the count took in the blank line after the quote.
    from inbox_tui.tui.widgets.thread_view import fold_quotes

    body = "Thanks!\n\nOn Mon, Ann wrote:\n> one\n>\n> three\n\n\nBest, Bo"
    assert fold_quotes(body, False) == (
        "Thanks!\n\n[… 3 quoted lines hidden; press q to show]\n\n\nBest, Bo"
    )
    assert fold_quotes("Yes.\n> only\n", False) == (
        "Yes.\n[… 1 quoted line hidden; press q to show]"
    )
    assert fold_quotes(body, True) == body


def test_the_to_line_shows_whenever_someone_else_is_on_the_mail():
    """#18 "Show From, To and CC in the thread": a customer writing To us and a colleague
    (no Cc) showed no To line, so the agent could not see who else had the mail (and
    reply-all would reach them). A plain mail to us alone, or our reply to the customer,
    stays one line shorter."""
    from datetime import UTC, datetime

    from inbox_tui.services.conversations import ThreadMessage

    def message(to, cc=(), direction="in", forwarded=False) -> ThreadMessage:
        return ThreadMessage(
            id=1, direction=direction, author_name="Zoë", author_email="zoe@acme.example",
            agent=None, sent_at=datetime(2026, 3, 2, tzinfo=UTC), subject="s", body="b",
            message_id=None, attachments=[], to=[list(p) for p in to],
            cc=[list(p) for p in cc], forwarded=forwarded,
        )  # fmt: skip

    us = ("Support", "support@example.com")
    ana = ("Ana Díaz", "ana@acme.example")
    assert message([us]).addressees() == ""
    assert message([("", "zoe@acme.example")], direction="out").addressees() == ""
    assert message([us, ana]).addressees() == "To Support, Ana Díaz"
    assert message([us], cc=[ana]).addressees() == "To Support · Cc Ana Díaz"
    assert message([ana], direction="out", forwarded=True).addressees() == "To Ana Díaz"
