"""Fitting the Stats figures to the terminal (services/stats_layout.py)."""

from hypothesis import given
from hypothesis import strategies as st

from inbox_tui.services.stats_layout import Column, fit_columns, fit_series

COLS = [
    Column("agent", "agent", rank=0, min_width=6),
    Column("replies", "replies", "repl", rank=1),
    Column("notes", "notes", rank=3),
    Column("median", "1st resp median", "1st resp", rank=1),
    Column("p90", "p90", rank=4),
]
ROWS = [["a-very-long-agent-name", "192", "27", "2.4h", "6.5h"], ["team", "5", "0", "—", "—"]]


def width_of(fitted, rows=ROWS, pad=2):
    index = {c.key: i for i, c in enumerate(COLS)}
    total = 0
    for c, heading in fitted.shown:
        cells = max(len(r[index[c.key]]) for r in rows)
        if c.min_width and fitted.name_width is not None:
            cells = min(cells, fitted.name_width)
        total += max(cells, len(heading)) + pad
    return total


def test_everything_whole_when_it_fits():
    f = fit_columns(COLS, ROWS, 200)
    assert [h for _, h in f.shown] == [c.heading for c in COLS]
    assert f.name_width is None and not f.hidden and not f.abbreviated


def test_short_headings_then_cut_names_then_drop_by_rank():
    whole = width_of(fit_columns(COLS, ROWS, 200))
    f = fit_columns(COLS, ROWS, whole - 1)
    assert f.abbreviated and not f.hidden and f.name_width is None
    f = fit_columns(COLS, ROWS, 40)
    assert not f.hidden and f.name_width is not None and width_of(f) <= 40
    f = fit_columns(COLS, ROWS, 30)
    hidden = {c.key for c in f.hidden}
    assert "p90" in hidden and hidden <= {"p90", "notes"}  # the highest rank goes first
    assert width_of(f) <= 30
    # rank 0 stays, however narrow
    f = fit_columns(COLS, ROWS, 5)
    assert "agent" in [c.key for c, _ in f.shown]


@given(st.integers(min_value=24, max_value=200))
def test_fitted_columns_never_exceed_the_width_when_they_can_fit(width):
    f = fit_columns(COLS, ROWS, width)
    assert width_of(f) <= width


def test_series_fits_and_keeps_the_level():
    values = [4] * 182
    sums, days = fit_series(values, 76)
    assert len(sums) <= 76 and days == 3
    assert all(v == 4 for v in sums)  # means per day: the short oldest bucket is not low
    same, one = fit_series(values[:30], 76)
    assert one == 1 and same == values[:30]
    assert fit_series([], 10) == ([], 1)


@given(st.lists(st.integers(0, 50), min_size=1, max_size=400), st.integers(1, 200))
def test_series_length_and_total(values, width):
    sums, days = fit_series(values, width)
    assert len(sums) <= width and len(sums) == -(-len(values) // days)
