"""when.py: the one parser of durations and snooze times (macros, the TUI, the CLI)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox_tui.when import parse_duration, snooze_until, typed_snooze

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


# NOW is Wednesday 2026-11-18 15:30 UTC.
@pytest.mark.parametrize(
    ("text", "expected"),
    [("tomorrow 2pm", datetime(2026, 11, 19, 14, 0, tzinfo=UTC)),
     ("tomorrow 9am", datetime(2026, 11, 19, 9, 0, tzinfo=UTC)),
     ("Tomorrow 17:30", datetime(2026, 11, 19, 17, 30, tzinfo=UTC)),
     ("today 5pm", datetime(2026, 11, 18, 17, 0, tzinfo=UTC)),
     ("friday", datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
     ("wed", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),  # today's weekday: next week
     ("next monday 10:00", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
     ("fri at 2:30pm", datetime(2026, 11, 20, 14, 30, tzinfo=UTC)),
     ("4pm", datetime(2026, 11, 18, 16, 0, tzinfo=UTC)),
     ("9am", datetime(2026, 11, 19, 9, 0, tzinfo=UTC)),  # passed today: tomorrow's
     ("12am", datetime(2026, 11, 19, 0, 0, tzinfo=UTC)),
     ("in 3 hours", datetime(2026, 11, 18, 18, 30, tzinfo=UTC)),
     ("2026-12-01", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
     # after a day word a bare number is the hour (walk7: "tomorrow 9" was refused)
     ("tomorrow 9", datetime(2026, 11, 19, 9, 0, tzinfo=UTC)),
     ("friday 14", datetime(2026, 11, 20, 14, 0, tzinfo=UTC)),
     ("next mon 0", datetime(2026, 11, 23, 0, 0, tzinfo=UTC))],
)  # fmt: skip
def test_day_words_and_clock_times(text, expected):
    assert snooze_until(text, NOW) == expected
    assert typed_snooze(text, NOW) == text


def test_wall_clock_times_are_read_in_the_given_zone():
    berlin = ZoneInfo("Europe/Berlin")  # UTC+1 in November
    assert snooze_until("tomorrow 9am", NOW, berlin) == datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
    # 16:30 in Berlin now, so "4pm" is tomorrow's
    assert snooze_until("4pm", NOW, berlin) == datetime(2026, 11, 19, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["friday 25pm", "tomorrow soon", "13pm", "in a while", "monday 9:75", "tomorrow 24"]
)
def test_time_phrases_that_do_not_parse_are_refused_not_filtered(text):
    with pytest.raises(ValueError, match="not a snooze time"):
        typed_snooze(text, NOW)


@pytest.mark.parametrize("text", ["week", "next week", "hour", "nex", "Custom"])
def test_words_that_are_not_times_filter_the_presets(text):
    assert typed_snooze(text, NOW) is None
