"""YAML from files other people wrote (help-centre front matter, macro files), read with
bounded work.

``yaml.safe_load`` builds no objects from tags, but it still follows aliases and
recurses once per nesting level: a nine-level "billion laughs" front matter is a few
hundred bytes that expand to 10^9 items the moment anything turns the value into text
(28-38 s and 2.2 GB before MemoryError), and 20,000 nested ``[`` end in RecursionError.
``load`` refuses both with a ``yaml.YAMLError`` that has a plain ``problem`` and the
line: an alias may stand only for a plain value (a word, a number), never for a list or
a table, and nesting stops at ``MAX_DEPTH`` levels. Also TOML: ``toml_loads`` turns
deep nesting into ``tomllib.TOMLDecodeError``.

The text is scanned and parsed by libyaml when PyYAML has it (``yaml.cyaml.CParser``: ~8x
faster than PyYAML's Python scanner, which was most of the time of importing 10,000
help articles), and its events are composed by the bounded composer below either way;
libyaml's parser keeps its own stack, so deep nesting reaches the depth check, not a
recursion. A text libyaml refuses is read again by PyYAML's Python parser, so a problem is
reported exactly as before (libyaml stops at 1,000 levels in its scanner and counts lines
differently after a U+0085).
"""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

MAX_DEPTH = 50
MAX_BYTES = 1024 * 1024


class LimitError(ComposerError):
    """The YAML is well-formed but asks for more work than allowed; ``problem`` says how."""


class _Bounded(Composer):
    """PyYAML's composer with the two bounds; the events come from whichever parser the
    loader class puts after it."""

    _depth = 0
    if TYPE_CHECKING:  # from the parser

        def check_event(self, *choices: Any) -> bool: ...
        def peek_event(self) -> Any: ...

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None and not isinstance(node, ScalarNode):
                raise LimitError(
                    None,
                    None,
                    f"uses the alias *{event.anchor} for a list or table; "
                    "only plain values may be repeated that way",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        if self.check_event(SequenceStartEvent, MappingStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise LimitError(
                    None,
                    None,
                    f"is nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


class _BoundedLoader(_Bounded, yaml.SafeLoader):
    """Everything in Python (PyYAML without libyaml)."""


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _FastBoundedLoader(_Bounded, CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """libyaml scans and parses; the bounded composer and the safe constructor
        (both Python) build the value, as in ``_BoundedLoader``."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Bounded.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader: type = _FastBoundedLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _Loader = _BoundedLoader


def load(text: str) -> Any:
    """One YAML document, safely and with bounded work. Raises ``yaml.YAMLError``."""
    if len(text) > MAX_BYTES:
        raise LimitError(None, None, f"is over {MAX_BYTES // 1024} KB of YAML", None)
    if _Loader is not _BoundedLoader:
        try:
            return _load(_Loader, text)
        except yaml.YAMLError:
            pass  # said below exactly as the Python loader says it (message and line)
    return _load(_BoundedLoader, text)


def _load(loader_class: type, text: str) -> Any:
    loader = loader_class(text)
    try:
        return loader.get_single_data()
    except RecursionError as exc:  # the scanner's own recursion, past the depth check
        raise LimitError(None, None, f"is nested more than {MAX_DEPTH} levels deep", None) from exc
    finally:
        loader.dispose()


def toml_loads(text: str) -> dict[str, Any]:
    """``tomllib.loads`` with deep nesting turned into a TOMLDecodeError, not a
    RecursionError."""
    try:
        return tomllib.loads(text)
    except RecursionError as exc:
        raise tomllib.TOMLDecodeError("the file is nested too deeply to read") from exc


def problem(exc: yaml.YAMLError) -> str:
    """The plain reason in a YAML error (without PyYAML's position block)."""
    return str(getattr(exc, "problem", None) or exc)
