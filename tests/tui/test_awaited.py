"""What keys wait for is one rule (tui/typeahead.Awaited): the newest request not yet
answered. An older answer ends nothing; an answer that never comes is given up."""

from __future__ import annotations

import time

from inbox_tui.tui.typeahead import Awaited


def test_keys_wait_for_the_newest_request_only():
    awaited = Awaited(rescue=60)
    assert not awaited.due  # nothing asked
    older = awaited.ask()
    newer = awaited.ask()
    assert awaited.due
    older.answer()  # a slower answer for text typed past: the newer is still coming
    assert awaited.due and not older.newest and newer.newest
    newer.answer()
    assert not awaited.due
    older.answer()  # late: changes nothing
    assert not awaited.due


def test_an_answer_that_never_comes_is_given_up():
    awaited = Awaited(rescue=0.05)
    awaited.ask()
    assert awaited.due
    time.sleep(0.1)
    assert not awaited.due
