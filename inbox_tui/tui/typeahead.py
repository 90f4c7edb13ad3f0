"""Keys typed ahead land where the agent is typing now.

A terminal delivers keys typed quickly (or pasted) together, and Textual hands each to
the widget focused when it arrives, into that widget's queue: "/" then "foo" typed at
once put all four keys in the conversation list's queue, and when "/" moved the focus to
the search box, "f" still ran in the list and opened Forward (#17). The same happened
after ``v`` (a letter acted on the row behind the views panel), Enter, Esc, F2…F5 and
the keys that open a dialog.

Two parts:

- ``focus_now`` moves the focus before the next key is read (``Widget.focus`` only
  queues the change, behind the keys already delivered);
- ``KeysFollowFocus`` (the app): a key's binding is looked up when the key has
  bubbled back up to the app, from the focus of that moment. A key that finds the focus
  moved since it was typed is typed again, to whatever has the focus now (the search
  box, the views panel, a dialog's text), in the order typed: the keys behind it find
  the focus moved too.

The composer (``r``, ``A``, ``n``) and ``Waiting`` open at once on their key, so what
is typed next goes to them the same way (tests/tui/test_typing_flow.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.dom import NoScreen

if TYPE_CHECKING:
    from textual.widget import Widget


def focus_now(widget: Widget) -> None:
    """Focus ``widget`` before the next key is read (not queued behind keys already
    delivered, as ``Widget.focus`` does)."""
    try:
        screen = widget.screen
    except NoScreen:
        return
    if widget.focusable:
        screen.set_focus(widget)
    else:  # not focusable yet (a style still to apply): the ordinary way
        widget.focus()


# The attribute a key carries from its arrival at the app: the widget focused then.
_TYPED_TO = "_inbox_typed_to"
_NOTHING = object()


class KeysFollowFocus:
    """For the app: a key is resolved (its binding looked up) where the focus is when it
    has travelled back up to the app, not where it was when the agent typed it. A key
    that finds the focus moved on the way is typed again, to what has the focus now."""

    def note_typed(self, event: events.Event) -> None:
        """Call from ``on_event`` on a key's arrival: where it goes."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            setattr(event, _TYPED_TO, self._focus())

    def moved_on(self, event: events.Key) -> bool:
        """Call from ``_on_key`` (the key back at the app): True when the focus moved
        since it was typed; it is then typed again to the new focus (and must be left
        alone: its binding would be looked up from the wrong place)."""
        typed_to = getattr(event, _TYPED_TO, _NOTHING)
        if typed_to is _NOTHING or typed_to is self._focus():
            return False
        event.stop()
        event.prevent_default()
        self.post_message(events.Key(event.key, event.character))  # type: ignore[attr-defined]
        return True

    def _focus(self) -> Widget | None:
        return getattr(self, "focused", None)
