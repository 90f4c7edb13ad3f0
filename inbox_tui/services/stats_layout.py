"""Fitting the Stats figures to the terminal's width (pure; no store, no terminal).

At 80 columns the per-agent table needs ~96 columns and a six-month daily series is 182
characters: cut at the edge, the numbers a team lead looks for were off screen, and the
sparkline wrapped. ``fit_columns`` abbreviates headings, shortens names and, only then,
leaves out the least important columns (the screen names them); ``fit_series`` adds up
days into buckets so the series is one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    short: str = ""  # the heading when space is short (empty: the heading)
    rank: int = 0  # 0 is always kept; the highest rank is left out first
    min_width: int = 0  # > 0: a column of names, which may be cut down to this


@dataclass
class Fitted:
    """The columns to show, in order, with the heading each gets; how wide the names
    column may be; and what was left out."""

    shown: list[tuple[Column, str]] = field(default_factory=list)
    name_width: int | None = None  # None: names are shown whole
    hidden: list[Column] = field(default_factory=list)

    @property
    def abbreviated(self) -> bool:
        return any(heading != c.heading for c, heading in self.shown)


def fit_columns(columns: list[Column], rows: list[list[str]], width: int, pad: int = 2) -> Fitted:
    """The columns that fit in ``width`` characters, each ``pad`` wider than its widest
    cell or heading. Tried in turn: everything as is; short headings; names cut to their
    ``min_width``; then columns left out by rank (the rightmost first among equals)."""

    def content(i: int) -> int:
        return max((len(r[i]) for r in rows if i < len(r)), default=0)

    def need(i: int, heading: str, cut_names: bool) -> int:
        c = columns[i]
        cells = content(i)
        if cut_names and c.min_width:
            cells = min(cells, c.min_width)
        return max(cells, len(heading)) + pad

    def total(kept: list[int], short: bool, cut_names: bool) -> int:
        return sum(need(i, head(i, short), cut_names) for i in kept)

    def head(i: int, short: bool) -> str:
        return (columns[i].short or columns[i].heading) if short else columns[i].heading

    kept = list(range(len(columns)))
    for short, cut_names in ((False, False), (True, False), (True, True)):
        if total(kept, short, cut_names) <= width:
            break
    else:
        # Leave out columns, least important first, until the rest fit with cut names.
        order = sorted(kept, key=lambda i: (-columns[i].rank, -i))
        for i in order:
            if columns[i].rank == 0 or total(kept, True, True) <= width:
                break
            kept.remove(i)
    fitted = Fitted(
        shown=[(columns[i], head(i, short)) for i in kept],
        hidden=[c for i, c in enumerate(columns) if i not in kept],
    )
    if cut_names:
        # The names column takes what the others leave, at least its minimum.
        for i in kept:
            if columns[i].min_width:
                others = sum(need(j, head(j, short), True) for j in kept if j != i)
                room = width - others - pad
                if room < content(i):
                    fitted.name_width = max(columns[i].min_width, len(head(i, short)), room)
    return fitted


def fit_series(values: list[int], width: int) -> tuple[list[float], int]:
    """``values`` (one per day) as at most ``width`` buckets of equal days: (each
    bucket's mean per day, days per bucket). Buckets end today; the oldest may hold
    fewer days, and its mean is over the days it holds (a sum would draw it low)."""
    if width <= 0 or not values:
        return [], 1
    days = max(1, math.ceil(len(values) / width))
    first = len(values) % days or days
    bounds = [(0, first)] + [(i, i + days) for i in range(first, len(values), days)]
    return [sum(values[a:b]) / (b - a) for a, b in bounds], days
