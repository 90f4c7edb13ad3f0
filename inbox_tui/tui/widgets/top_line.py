"""The list's header line: its parts (the view or search, the count, the selection, where
Tab goes, the agent) laid out in as few lines as the width allows."""

from __future__ import annotations

from rich.text import Text

SEP = " · "


def _pack(parts: list[Text], width: int) -> list[Text]:
    """``parts`` joined by " · " (in the style of the part it leads to; "· " after a part
    that ends with a space), a new line started only between two parts, never inside one
    ("· Tab:" ended a line with "Everything" on the next at 60 columns)."""
    lines: list[Text] = []
    for part in parts:
        line = lines[-1] if lines else None
        sep = SEP.lstrip() if line is not None and line.plain.endswith(" ") else SEP
        if line is not None and line.cell_len + len(sep) + part.cell_len <= width:
            shifted = [span.move(len(sep)) for span in part.spans]
            line.append_text(Text(sep + part.plain, style=part.style, spans=shifted))
        else:  # a Text of its own: the part's style stays on the part
            lines.append(Text().append_text(part))
    return lines


def fit_header(brand: Text, parts: list[Text], width: int) -> Text:
    """The header at ``width`` cells: with the app's name in front when that costs no
    line, else without it (walk8: a search's header wrapped at 80 columns for the sake
    of "inbox-tui")."""
    named, bare = _pack([brand, *parts], width), _pack(parts, width)
    return Text("\n").join(named if len(named) <= len(bare) else bare)
