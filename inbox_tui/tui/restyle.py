"""Switching a screen's state class without restyling the whole screen.

Textual restyles a node and every widget under it when one of its classes changes: on
the main screen that was ~70 ms (of ~230) of every thread opened, for a class
(``-reading``) that only two rules use. ``set_state_class`` restyles the node and what
those rules select, before and after the change (not their descendants: a rule that
reaches them through the class names it, so it selects them too); a rule added later
that names the class is found the same way.

The screen is then laid out once, in its next update, with the new arrangement. A
widget whose ``display`` changed asks for a layout only when its own message queue next
goes idle, and the screen's update timer (its own task) often ran before that: it
painted the old arrangement (the list, for the focus change), then laid out and painted
again when those requests arrived one or two frames later (profiled: two full paints
per thread opened, the second after an idle frame).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from textual.dom import DOMNode
from textual.widget import Widget

_cache: dict[str, tuple[list[Any], list[Any]]] = {}  # name: (the rules list, its rules)


def _rules_naming(rules: list[Any], name: str) -> list[Any]:
    """The rules whose selectors name the class (the stylesheet's ``rules_map`` is
    keyed by what a rule selects, not by the classes of its ancestors). Kept while the
    stylesheet keeps the same list of rules (a theme change parses a new one)."""
    cached = _cache.get(name)
    if cached is None or cached[0] is not rules:
        pattern = re.compile(rf"\.{re.escape(name)}(?![\w-])")
        cached = (rules, [rule for rule in rules if pattern.search(rule.selectors)])
        _cache[name] = cached
    return cached[1]


def set_state_class(node: DOMNode, add: bool, name: str) -> None:
    """``node.set_class(add, name)``, restyling only what a rule naming ``.name`` selects."""
    if node.has_class(name) == add:
        return
    rules = _rules_naming(node.app.stylesheet.rules, name)

    def selected() -> list[DOMNode]:
        return [found for rule in rules for found in node.query(rule.selectors)]

    before = selected()
    node.set_class(add, name, update=False)
    # Only the selected nodes themselves: a rule that makes a descendant depend on the
    # class names the class too, so its nodes are among them (restyling every widget
    # under ``#center`` as well cost ~4 ms CPU of each thread opened).
    nodes: dict[int, DOMNode] = {id(node): node}
    for target in [*before, *selected()]:
        nodes[id(target)] = target
    node.app.stylesheet.update_nodes(nodes.values(), animate=True)
    _lay_out_now(node, nodes.values())


def _lay_out_now(node: DOMNode, restyled: Iterable[DOMNode]) -> None:
    """Hand the restyled widgets' layout and repaint requests to the screen now (what
    their idle handler would do later), so the screen's next update lays out and
    paints the new arrangement once."""
    for target in restyled:
        if isinstance(target, Widget):
            target._check_refresh()
    if isinstance(node, Widget):
        node.refresh(layout=True)
