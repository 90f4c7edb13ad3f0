"""Switching a screen's state class without restyling the whole screen.

Textual restyles a node and every widget under it when one of its classes changes: on
the main screen that was ~70 ms (of ~230) of every thread opened, for a class
(``-reading``) that only two rules use. ``set_state_class`` restyles the node and what
those rules select, before and after the change (not their descendants: a rule that
reaches them through the class names it, so it selects them too); a rule added later
that names the class is found the same way.

When every rule naming the class sets only ``display`` (``-reading``'s two rules), not
even those nodes are restyled: that one property is resolved again (``_resolve``).

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
from operator import itemgetter
from typing import Any, cast

from rich.text import Text
from textual.css.match import match
from textual.dom import DOMNode
from textual.geometry import Region
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

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
    stylesheet = node.app.stylesheet
    rules = _rules_naming(stylesheet.rules, name)
    if rules and _only_sets(rules, RESOLVED_ALONE):
        _set_class_resolving(node, add, name, rules)
        return

    def selected() -> list[DOMNode]:
        found = [found for rule in rules for found in node.query(rule.selectors)]
        # The node itself only if a rule selects it (restyling the main screen for
        # rules that select a widget under it was ~1 ms of CPU of each thread opened).
        return [*found, node] if any(match(rule.selector_set, node) for rule in rules) else found

    before = selected()
    node.set_class(add, name, update=False)
    # Only the selected nodes themselves: a rule that makes a descendant depend on the
    # class names the class too, so its nodes are among them (restyling every widget
    # under ``#center`` as well cost ~4 ms CPU of each thread opened).
    nodes: dict[int, DOMNode] = {}
    for target in [*before, *selected()]:
        nodes[id(target)] = target
    stylesheet.update_nodes(nodes.values(), animate=True)
    _lay_out_now(node, nodes.values())


def warm_state_class(node: DOMNode, name: str) -> None:
    """Work out now (the app idle) what the first ``set_state_class(node, …, name)`` and
    focus change would: the rules naming the class, those setting what they set, and
    the compound selectors with a focus pseudo-class (each kept while the stylesheet
    keeps its rules; ~1.5 ms of CPU of the first thread opened in an app)."""
    rules = node.app.stylesheet.rules
    found = _rules_naming(rules, name)
    if found and _only_sets(found, RESOLVED_ALONE):
        _rules_setting(rules, frozenset(key for rule in found for key in rule.styles.get_rules()))
    _focus_compounds(rules)


# -- a class whose rules only show or hide: the one property resolved again -------------
#
# Restyling a node applies every rule that can select it and, for a widget with
# component classes (the thread view has five), restyles each of them too: ~2 ms of CPU
# of each thread opened, for ``-reading``, whose two rules only set ``display``. When
# every rule naming the class sets only such properties, toggling it can change nothing
# else: the rules that do not name it select the same nodes before and after. So only
# those properties are resolved again, by the same cascade Textual's ``apply`` uses
# (specificity, then the later rule), on the nodes those rules can select.

RESOLVED_ALONE = frozenset({"display"})


def _only_sets(rules: list[Any], keys: frozenset[str]) -> bool:
    return all(set(rule.styles.get_rules()) <= keys for rule in rules)


def _set_class_resolving(node: DOMNode, add: bool, name: str, rules: list[Any]) -> None:
    stylesheet = node.app.stylesheet
    keys = frozenset(key for rule in rules for key in rule.styles.get_rules())
    # A rule selects nodes by the names (type, #id, .class) of its last part, which
    # ``selector_names`` lists: only a node with one of them is selected, then or now.
    targets_of: set[str] = set().union(*(rule.selector_names for rule in rules))
    node.set_class(add, name, update=False)
    targets = [
        target
        for target in node.walk_children(with_self=True)
        if not targets_of.isdisjoint(target._selector_names)
    ]
    for target in targets:
        if not _resolve(stylesheet, target, keys):
            stylesheet.apply(target, animate=True)  # a value this does not resolve
    _lay_out_now(node, targets)


_setting_cache: dict[frozenset[str], tuple[list[Any], list[Any]]] = {}


def _rules_setting(rules: list[Any], keys: frozenset[str]) -> list[Any]:
    """The rules that set one of ``keys``, last first (the order ``apply`` reads them
    in), kept while the stylesheet keeps the same list of rules."""
    cached = _setting_cache.get(keys)
    if cached is None or cached[0] is not rules:
        setting = [rule for rule in reversed(rules) if not keys.isdisjoint(rule.styles.get_rules())]
        cached = (rules, setting)
        _setting_cache[keys] = cached
    return cached[1]


def _resolve(stylesheet: Any, target: DOMNode, keys: frozenset[str]) -> bool:
    """Set ``keys`` of ``target``'s CSS styles as ``Stylesheet.apply`` would; False
    (nothing set) when a rule sets one to ``initial``."""
    rules_map = stylesheet.rules_map
    limit = {
        rule for found in rules_map.keys() & target._selector_names for rule in rules_map[found]
    }
    path = target.css_path_nodes
    found: dict[str, list[tuple[Any, object]]] = {key: [] for key in keys}
    for rule in _rules_setting(stylesheet.rules, keys):
        if rule not in limit:
            continue
        for specificity in stylesheet._check_rule(rule, path):
            extracted = rule.styles.extract_rules(
                specificity, rule.is_default_rules, rule.tie_breaker
            )
            for key, rule_specificity, value in extracted:
                if key in keys:
                    if value is None:
                        return False
                    found[key].append((rule_specificity, value))
    base: Any = target.styles.base
    for key, values in found.items():
        value = max(values, key=itemgetter(0))[1] if values else None
        if base.get_rule(key) != value:
            setattr(base, key, value)
    return True


def _lay_out_now(node: DOMNode, restyled: Iterable[DOMNode]) -> None:
    """Hand the restyled widgets' layout and repaint requests to the screen now (what
    their idle handler would do later), so the screen's next update lays out and
    paints the new arrangement once."""
    for target in restyled:
        if isinstance(target, Widget):
            target._check_refresh()
    if isinstance(node, Widget):
        # A layout paints what it moves or shows; a repaint of the screen on top of it
        # was a second full paint in the same frame.
        node.refresh(layout=True, repaint=False)


# -- the focus and the scrollbars in the same paint ------------------------------------
#
# Even with the one layout above, an open was painted twice (profiled: the second ~1.2
# ms of CPU one frame later, which Pilot's idle test counts as another busy 20 ms
# window): Textual delivers the focus change as Blur and Focus events whose handlers
# restyle both widgets (and their scrollbars) and ask for a repaint when they run, after
# the screen's paint; and a ScrollView resized by the layout asks its scrollbars for a
# repaint during that layout, which the same layout's paint already covered.

_FOCUS_HANDLERS = ("_on_focus", "on_focus", "_on_blur", "on_blur", "watch_has_focus")
_FOCUS_PSEUDO = re.compile(r":(?:focus-within|focus|blur)(?![\w-])")
_focus_cache: list[tuple[list[Any], list[str]]] = []  # (the rules list, its compounds)


def _focus_compounds(rules: list[Any]) -> list[str]:
    """The compound selectors (``OptionList:focus``) with a focus pseudo-class, of every
    rule: a widget none of them can select looks the same focused or not."""
    if not _focus_cache or _focus_cache[0][0] is not rules:
        found = [
            compound
            for rule in rules
            for part in rule.selectors.split(",")
            for compound in re.split(r"[\s>]+", part.strip())
            if _FOCUS_PSEUDO.search(compound)
        ]
        _focus_cache[:] = [(rules, found)]
    return _focus_cache[0][1]


def _styled_by_focus(widget: Widget) -> bool:
    """Whether a rule with ``:focus``, ``:blur`` or ``:focus-within`` could select
    ``widget`` (by its type, id and classes): then its focus changes its styles."""
    for compound in _focus_compounds(widget.app.stylesheet.rules):
        head = re.split(r"[.#:]", compound, maxsplit=1)[0]
        if head not in ("", "*") and head not in widget._css_type_names:
            continue
        if any(name != widget.id for name in re.findall(r"#([\w-]+)", compound)):
            continue
        if all(widget.has_class(name) for name in re.findall(r"\.([\w-]+)", compound)):
            return True
    return False


def _plain_focus(widget: Widget) -> bool:
    """Whether ``widget`` reacts to gaining or losing the focus only as every widget
    does (``Widget._on_focus`` / ``_on_blur``): then those handlers' work can be done
    at once instead of by the events."""
    from textual import events

    for cls in type(widget).__mro__:
        if cls is Widget:
            return True
        if any(name in cls.__dict__ for name in _FOCUS_HANDLERS):
            return False
        decorated = cls.__dict__.get("_decorated_handlers") or {}
        if any(issubclass(kind, events.Focus | events.Blur) for kind in decorated):
            return False
    return False


def focus_in_this_frame(widget: Widget) -> None:
    """Focus ``widget`` now (as ``typeahead.focus_now``) and hand the repaints the focus
    change asks for to the screen at once, so its next paint shows them: what Textual's
    Focus and Blur handlers do (``has_focus``, which restyles the widget and its
    scrollbars, a repaint, the parent's Descendant event) is done here instead of when
    the events arrive. Only between widgets without focus handlers of their own (an
    Input, say, starts its cursor on Focus): otherwise the events go as usual."""
    from textual import events

    from inbox_tui.tui.typeahead import focus_now

    screen = widget.screen
    old = screen.focused
    if old is widget or not widget.focusable or not _plain_focus(widget):
        focus_now(widget)
        return
    if old is not None and not _plain_focus(old):
        focus_now(widget)
        return
    # ``Screen.focused`` is a reactive that repaints the whole screen, its background
    # rendered again line by line (~1 ms of CPU of each thread opened, for lines the
    # widgets cover); what the focus changes is repainted by the two widgets below.
    kept = _screen_paint_state(screen)
    with widget.prevent(events.Focus, events.Blur):
        screen.set_focus(widget)
    _restore_paint_state(screen, kept)
    if screen.focused is not widget:
        return
    touched: list[Widget] = []
    if old is not None:
        _set_focused(old, False)
        if old.parent is not None:
            old.parent.post_message(events.DescendantBlur(old))
        touched.append(old)
    _set_focused(widget, True)
    if widget.parent is not None:
        widget.parent.post_message(events.DescendantFocus(widget))
    touched.append(widget)
    for target in touched:
        target.refresh()
        for part in (target, *target.children, *_scrollbars(target)):
            repaint_in_this_frame(part)


def _screen_paint_state(screen: Widget) -> tuple[Any, ...]:
    cache = screen._styles_cache
    return (
        screen._repaint_required,
        set(screen._dirty_regions),
        set(screen._repaint_regions),
        dict(cache._cache),
        set(cache._dirty_lines),
    )


def _restore_paint_state(screen: Widget, kept: tuple[Any, ...]) -> None:
    repaint, dirty, repaint_regions, lines, dirty_lines = kept
    screen._repaint_required = repaint
    screen._dirty_regions.clear()
    screen._dirty_regions.update(dirty)
    screen._repaint_regions.clear()
    screen._repaint_regions.update(repaint_regions)
    cache = screen._styles_cache
    cache._cache.clear()
    cache._cache.update(lines)
    cache._dirty_lines.clear()
    cache._dirty_lines.update(dirty_lines)


def _set_focused(widget: Widget, focused: bool) -> None:
    """``has_focus``, restyling the widget and what is under it (as its watcher does)
    only when a focus rule can select it: ~1 ms of CPU each for the list and the
    thread, whose looks no such rule changes (they read ``has_focus`` when painting)."""
    if _styled_by_focus(widget):
        widget.has_focus = focused
    else:
        widget.set_reactive(Widget.has_focus, focused)


def repaint_in_this_frame(widget: Widget) -> None:
    """Hand ``widget``'s repaint request to the screen now, not when its own message
    queue next goes idle (which can be after the screen's next paint: one more paint)."""
    widget._check_refresh()


def _scrollbars(widget: Widget) -> list[Widget]:
    bars = (widget._vertical_scrollbar, widget._horizontal_scrollbar, widget._scrollbar_corner)
    return [bar for bar in bars if bar is not None]


class PaintedWholeWhenLaidOut:
    """For a ScrollView: the repaint its scrollbars ask for while a layout sizes them
    (Textual's ``_scroll_update`` asks whatever changed) is dropped when it is not
    needed, instead of painting them again a frame later: when the view was hidden
    before this layout (it is painted whole now, scrollbars included), or when the
    scrollbar's thumb is what it was (a bar that moved is painted by the layout; one
    that did not move looks the same). Otherwise a request made before the layout is
    kept. Put it before ScrollView in the bases."""

    _hidden_since_laid_out = True

    def on_hide(self) -> None:
        self._hidden_since_laid_out = True

    def on_show(self) -> None:
        self._hidden_since_laid_out = False

    def sized(self) -> None:
        """Called in the layout, once the new size is set: lay out content for it here
        (before the paint) rather than while rendering."""

    def _size_updated(
        self, size: Any, virtual_size: Any, container_size: Any, layout: bool = True
    ) -> bool:
        widget = cast(Widget, self)
        before = {id(bar): (bar._repaint_required, _thumb(bar)) for bar in _scrollbars(widget)}
        changed = super()._size_updated(size, virtual_size, container_size, layout)  # type: ignore[misc]
        self.sized()
        for bar in _scrollbars(widget):
            asked_before, thumb = before.get(id(bar), (True, None))
            # Shown by this layout, the view is painted whole, its bars too, whatever
            # they asked for (the arrangement itself sets a new bar's thumb).
            if self._hidden_since_laid_out or (not asked_before and thumb == _thumb(bar)):
                bar._repaint_required = False
        return bool(changed)


def _thumb(bar: Widget) -> tuple[object, ...]:
    return tuple(
        getattr(bar, name, None) for name in ("window_size", "window_virtual_size", "position")
    )


class KeptScrollBar(ScrollBar):
    """A scrollbar that paints the lines it painted last while nothing it draws from
    changed (its size, the thumb, hover and grab, its own styles, the colours its
    parent's styles and the backgrounds give, the app's line filters). Rendering a 37-line bar goes through
    Rich and Textual's per-line styling, ~1 ms of CPU of each thread opened, for the
    same bar at the top of the same thread as the time before."""

    _kept: tuple[tuple[object, ...], list[Strip]] | None = None

    def _key(self, crop: Region) -> tuple[object, ...]:
        parent = cast(Widget, self.parent)
        styles = parent.styles
        return (
            crop,
            self.size,
            self.window_virtual_size,
            self.window_size,
            self.position,
            self.thickness,
            self.vertical,
            self.grabbed is not None,
            self.mouse_over,
            styles.scrollbar_background,
            styles.scrollbar_background_hover,
            styles.scrollbar_background_active,
            styles.scrollbar_color,
            styles.scrollbar_color_hover,
            styles.scrollbar_color_active,
            parent.background_colors,
            self.background_colors,
            self.styles.get_rules(),
            self.screen.styles.scrollbar_color,
            tuple(self.app.get_line_filters()),
            self.app.ansi_theme,
        )

    def _size_updated(
        self, size: Any, virtual_size: Any, container_size: Any, layout: bool = True
    ) -> bool:
        # A scrollbar's virtual size arranges nothing (its view places it); set as a
        # layout reactive, the bar's first size asked for one more layout of the whole
        # screen in the next frame.
        return super()._size_updated(size, virtual_size, container_size, layout=False)

    def render_lines(self, crop: Region) -> list[Strip]:
        key = self._key(crop)
        if self._kept is not None and self._kept[0] == key:
            return self._kept[1]
        lines = super().render_lines(crop)
        self._kept = (key, lines)
        return lines


class KeptLines(Static):
    """A Static (rich ``Text`` only) that paints again the lines it painted for the
    same words and styles: the footer's key hints switch between the list's and the
    thread's at every open and Esc, and Textual rendered the line afresh each time
    (~0.5 ms of CPU of each). The last few renders are kept, keyed by the text (its
    words and spans), the crop, the size, the widget's styles and colours, the app's
    line filters and theme."""

    KEPT = 4
    _text_key: object = None

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        self._text_key = (
            (content.plain, tuple(content.spans), content.style)
            if isinstance(content, Text)
            else None
        )
        super().update(content, layout=layout)

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._text_key is None:
            return super().render_lines(crop)
        key = (
            self._text_key,
            crop,
            self.size,
            self.styles.get_rules(),
            self.background_colors,
            tuple(self.app.get_line_filters()),
            self.app.ansi_theme,
        )
        kept: list[tuple[tuple[object, ...], list[Strip]]]
        kept = self.__dict__.setdefault("_kept_lines", [])
        for was, lines in kept:
            if was == key:
                return lines
        lines = super().render_lines(crop)
        kept[:] = [(key, lines), *kept[: self.KEPT - 1]]
        return lines


def with_kept_scrollbar(widget: Widget) -> ScrollBar:
    """``widget.vertical_scrollbar``, created as a ``KeptScrollBar`` (as Textual
    creates its own: hidden until the layout shows it)."""
    if widget._vertical_scrollbar is None:
        bar = KeptScrollBar(
            vertical=True, name="vertical", thickness=widget.scrollbar_size_vertical
        )
        bar.display = False
        widget._vertical_scrollbar = bar
        widget.app._start_widget(widget, bar)
    return widget._vertical_scrollbar
