"""when.py: the one parser of durations and snooze times (macros, the TUI, the CLI)."""

from datetime import UTC, datetime, timedelta

import pytest

from inbox_tui.when import parse_duration, snooze_until

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "delta"),
    [("30m", timedelta(minutes=30)), ("3h", timedelta(hours=3)), (" 2d ", timedelta(days=2)),
     ("1w", timedelta(weeks=1)),
     # spelled out, as the picker's own labels are (typing "3 hours" snoozed 4 hours)
     ("3 hours", timedelta(hours=3)), ("90 min", timedelta(minutes=90)),
     ("2 Days", timedelta(days=2)), ("1 week", timedelta(weeks=1))],
)  # fmt: skip
def test_durations(text, delta):
    assert parse_duration(text) == delta
    assert snooze_until(text, NOW) == NOW + delta


def test_tomorrow_and_a_date():
    assert snooze_until("tomorrow", NOW) == datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    assert snooze_until("2026-12-01 09:00", NOW) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["0h", "3 hamsters", "3 hoursx", "soon", "", "-2d", "99999999999w"]
)
def test_bad_values_are_one_sentence(text):
    with pytest.raises(ValueError, match="not a"):
        snooze_until(text, NOW)


def test_the_past_is_refused():
    with pytest.raises(ValueError, match="in the past"):
        snooze_until("2026-01-01", NOW)
