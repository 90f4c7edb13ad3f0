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
from textual.widgets import Input

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


class InOrderInput(Input):
    """A text box that runs its own editing keys (backspace, delete, arrows, Home, End,
    Enter, Tab where bound) in the order they were typed. Textual runs a key's binding
    only once the key has bubbled up to the app, while a letter goes into the box at
    once: in a burst the letters typed after a backspace went in first, and the
    backspace then took them ("web", then backspace and "I" at once, left "web"; eight
    backspaces and "INV-2291" left "webINV-2"). Every text box of the app is one."""

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable:
            return  # Input's own handler inserts it, in order
        for key in (event.key, *event.aliases):
            for binding in self._bindings.key_to_bindings.get(key, []):
                if binding.priority:
                    continue  # the app ran those before the key got here
                # False: not for the box (up/down a one-line box cannot scroll): the
                # key goes on up to the dialog or screen, as before.
                if await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()  # and not again when it bubbles up
                    return
