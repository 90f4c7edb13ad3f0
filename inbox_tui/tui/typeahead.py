"""Keys typed ahead land where the agent is typing now.

A terminal delivers keys typed quickly (or pasted) together, and Textual hands each to
the widget focused when it arrives, into that widget's queue: "/" then "foo" typed at
once put all four keys in the conversation list's queue, and when "/" moved the focus to
the search box, "f" still ran in the list and opened Forward (#17). The same happened
after ``v`` (a letter acted on the row behind the views panel), Enter, Esc, F2…F5 and
the keys that open a dialog.

Three parts, all in ``KeysFollowFocus`` (the app) but ``focus_now``:

- ``focus_now`` moves the focus before the next key is read (``Widget.focus`` only
  queues the change, behind the keys already delivered);
- a key's binding is looked up when the key has bubbled back up to the app, from the
  focus of that moment. A key that finds the focus moved since it was typed is typed
  again, to whatever has the focus now (the search box, the views panel, a dialog);
- **held keys:** a screen just pushed has no focus until it has mounted (its
  ``on_mount`` focuses its box through a queued call). A key that arrived meanwhile went
  to the screen itself and was typed again *behind* the keys that came after it, once
  the box had the focus: a path typed right after the review's ``f`` lost its first
  character to the end. Now every key that arrives while the screen on top has not yet
  mounted and settled its focus is held, and so is every key after it; once it has,
  they are typed to it in the order typed (each key carries its place in the order,
  also when typed again). A screen that holds keys on purpose (``HOLDS_KEYS``: the
  ``Waiting`` step while the store is asked) keeps them held until the next step is up;
  Esc goes to it at once and drops what was held for the step it cancels.

The composer (``r``, ``A``, ``n``) and ``Waiting`` open at once on their key, so what
is typed next goes to them the same way (tests/tui/test_typing_flow.py,
tests/tui/test_typeahead_hold.py). The composer holds keys while its starting text (a
kept draft) loads, so each is typed onto that text as it would have been once it had
come (tests/tui/test_walk9_lows.py); a paste is held with the keys, in its place.
"""

from __future__ import annotations

import time
from itertools import count
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from textual import events
from textual._callback import count_parameters
from textual.dom import NoScreen
from textual.message import Message
from textual.widgets import Input

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen
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


# Attributes a key carries from its first arrival at the app: the widget focused then,
# and its place in the order typed (kept when it is typed again).
_TYPED_TO = "_inbox_typed_to"
_ORDER = "_inbox_order"
_NOTHING = object()
_order = count()
# A screen that has not settled its focus this long after mounting gets its keys anyway
# (one that focuses nothing must not swallow the keyboard); an Enter's or a dialog's
# answer that has not come this long after is given up (a dialog closed another way).
SETTLE_SECONDS = 0.5
ANSWER_SECONDS = 2.0


class Awaited:
    """What keys wait for, as one rule: each request for it (a read of the list's rows, a
    write whose answer reads them again, a side pane's read) is numbered when it is made
    (``ask``), and keys wait while the newest has not been answered: the gateway posts
    ``Answered`` behind its answer or its failure, so no path can forget to end the wait.
    An older request's answer changes nothing (a newer one is on its way). ``rescue``
    seconds after the newest was asked, keys go on (an answer that never comes)."""

    def __init__(self, rescue: float) -> None:
        self.rescue = rescue
        self._asked = self._answered = 0
        self._since = 0.0

    def ask(self) -> Asked:
        self._asked += 1
        self._since = time.monotonic()
        return Asked(self, self._asked)

    @property
    def due(self) -> bool:
        if self._answered == self._asked:
            return False
        if time.monotonic() - self._since > self.rescue:
            self._answered = self._asked  # never came (said elsewhere): keys go on
            return False
        return True


class Asked:
    """One request of an ``Awaited``: ``answer`` once what it asked for is on screen (or
    failed); ``newest``: no request was made after it (its answer is the one to show)."""

    def __init__(self, awaited: Awaited, number: int) -> None:
        self.awaited, self.number = awaited, number

    @property
    def newest(self) -> bool:
        return self.number == self.awaited._asked

    def answer(self) -> None:
        if self.newest:
            self.awaited._answered = self.number


def retype(app: App[object], event: events.Key) -> None:
    """Take ``event`` from where it went and type it again, to whatever has the focus
    when it comes round (the screen or dialog opened since it was typed), keeping its
    place in the order typed."""
    event.stop()
    event.prevent_default()
    again = events.Key(event.key, event.character)
    setattr(again, _ORDER, getattr(event, _ORDER, next(_order)))
    app.post_message(again)


def esc_then_key(app: App[object], event: events.Key) -> list[events.Key] | None:
    """Esc and the key typed right after it, when the terminal sent them together.

    A terminal sends Alt+j as ESC j, so Textual's parser reads ESC followed within its
    ``ESCDELAY`` (0.1 s) by a key as that key with alt; ESC then j in one write (a fast
    typist, a paste, tmux's send-keys) is always alt+j. Textual has no way to tell them
    apart, and no binding here uses alt: the search box took the j as text and the Esc
    was lost (walk4). An alt key that nothing on the focus's way up binds (a ``[keys]``
    entry may) is Esc then the key, in that order (None: the key as it came)."""
    if not event.key.startswith("alt+") or event.character is None:
        return None  # an arrow or F-key with alt: a real modifier the terminal encoded
    try:
        chain = app.screen._binding_chain
    except Exception:  # no screen yet
        return None
    if any(event.key in bindings.key_to_bindings for _, bindings in chain):
        return None
    key = event.key.removeprefix("alt+")
    if key.startswith("shift+") and len(key) == len("shift+j"):
        key = event.character  # alt+shift+j: J
    return [events.Key("escape", "\x1b"), events.Key(key, event.character)]


class KeysFollowFocus:
    """For the app (before ``App`` in its bases): a key is held while the screen on top
    is still opening, and resolved (its binding looked up) where the focus is when it
    has travelled back up to the app, not where it was when the agent typed it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[events.Key | events.Paste] = []
        self._settled: WeakSet[Screen[Any]] = WeakSet()  # mounted, focus taken
        self._mounted_seen: WeakSet[Screen[Any]] = WeakSet()
        self._waiting_on: Screen[Any] | None = None  # the screen the keys are held for
        self._since = 0.0  # ... since then
        self._check_due = False
        # What keys also wait for, each with when it began (a rescue: ANSWER_SECONDS):
        # a box's Enter not yet answered by its dialog, and a dialog dismissed whose
        # answer (the callback that may open the next step) has not run yet.
        self._submits: dict[Input, float] = {}
        self._answers: dict[Screen[Any], float] = {}
        self._unanswered: WeakSet[Screen[Any]] = WeakSet()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste) and not event.is_forwarded:
            # Text pasted while keys are held is held with them, in its place among them
            # (it went into the box of the screen opening, ahead of the keys before it).
            if not hasattr(event, _ORDER):
                setattr(event, _ORDER, next(_order))
            if self._hold(event):
                return
        if isinstance(event, events.Key) and not event.is_forwarded:
            if not hasattr(event, _ORDER):
                split = esc_then_key(self, event)  # type: ignore[arg-type]
                if split is not None:
                    for key in split:
                        await self.on_event(key)
                    return
                setattr(event, _ORDER, next(_order))
            if self._hold(event):
                return
            setattr(event, _TYPED_TO, self._focus())
        await super().on_event(event)  # type: ignore[misc]

    async def _on_key(self, event: events.Key) -> None:
        """The key back at the app: when the focus moved since it was typed, it is typed
        again to the new focus (and ``App._on_key`` leaves it alone: its binding would be
        looked up from the wrong place); so is a key that finds the keys held (``_hold``)
        since it went by. Else ``App._on_key`` looks up its binding."""
        typed_to = getattr(event, _TYPED_TO, _NOTHING)
        if typed_to is not _NOTHING and typed_to is not self._focus():
            retype(self, event)  # type: ignore[arg-type]
        elif typed_to is not _NOTHING and self._blocked():
            # What it is typed for is still coming (the rows of a search asked for by
            # the key before it, ``c``): typed again, it is held until that has come.
            retype(self, event)  # type: ignore[arg-type]

    # -- held keys ---------------------------------------------------------------------

    def drop_held(self) -> None:
        """Forget the keys held for a step that will not come (Esc, a failure)."""
        self._held.clear()
        self._show_held()

    def _hold(self, event: events.Key | events.Paste) -> bool:
        """Hold ``event`` (True) while the screen on top is opening or holds keys, and
        behind keys already held."""
        screen = self._top()
        if _holds_keys(screen):
            # Esc cancels the step: what was held for it goes. A screen that holds Esc
            # too (the composer while its text loads) gets it in its turn, after the
            # keys typed before it (some may still be on their way back to the app).
            if getattr(event, "key", None) == "escape" and not _holds_escape(screen):
                self.drop_held()
                return False
        elif not self._held and not self._blocked() and screen in self._settled:
            return False
        self._held.append(event)
        self._show_held()
        self._check_soon()
        return True

    def _check_soon(self, delay: float = 0.0) -> None:
        if self._check_due:
            return
        self._check_due = True
        app: Any = self
        if delay:
            app.set_timer(delay, self._check)
        else:  # after the calls queued so far: the focus a mount asked for among them
            app.call_later(self._check)

    async def _check(self) -> None:
        self._check_due = False
        if not self._held:
            return
        if not self._blocked() and self._settle(self._top()):
            await self._release()
        elif self._held:
            self._check_soon(0.01)

    def _settle(self, screen: Screen[Any] | None) -> bool:
        """Whether ``screen`` takes keys now: it has mounted and settled its focus (or
        has nothing to focus, or did not within ``SETTLE_SECONDS``)."""
        if screen is None or _holds_keys(screen):
            return False
        if screen in self._settled:
            return True
        if not screen.is_mounted:
            return False
        if screen is not self._waiting_on:  # mounted: the focus it asked for comes next
            self._waiting_on, self._since = screen, time.monotonic()
        late = time.monotonic() - self._since > SETTLE_SECONDS
        if screen.focused is None and screen.focus_chain and not late:
            return False
        if screen not in self._mounted_seen and not late:
            # One more turn, so a focus its on_mount queued (behind the one Textual
            # gives the first focusable widget) is taken before the keys go.
            self._mounted_seen.add(screen)
            self._check_soon()
            return False
        self._settled.add(screen)
        return True

    async def _release(self) -> None:
        """Type the held keys to the screen on top, in the order typed; a key that opens
        another screen holds the rest for that one."""
        held = sorted(self._held, key=lambda k: getattr(k, _ORDER, 0))
        self._held = []
        for n, key in enumerate(held):
            top = self._top()
            if self._blocked() or top not in self._settled or _holds_keys(top):
                self._held = held[n:] + self._held
                self._check_soon()
                break
            setattr(key, _TYPED_TO, self._focus())
            await super().on_event(key)  # type: ignore[misc]
        self._show_held()

    # -- an Enter's answer, a dialog's answer ------------------------------------------

    def submitting(self, box: Input) -> None:
        """``box`` ran its Enter (``InOrderInput``): keys wait until its dialog has
        answered (closed, refused, opened the next step)."""
        self._submits[box] = time.monotonic()

    def on_submit_answered(self, message: SubmitAnswered) -> None:
        self._submits.pop(message.box, None)
        self._check_soon()

    def push_screen(self, screen: Any, callback: Any = None, *args: Any, **kwargs: Any) -> Any:
        """As ``App.push_screen``; a callback (the dialog's answer, which may open the
        next step) is watched, so keys wait for it after the dialog is dismissed."""
        if callback is not None and not isinstance(screen, str):
            callback = self._watched(screen, callback)
        return super().push_screen(screen, callback, *args, **kwargs)  # type: ignore[misc]

    def pop_screen(self) -> Any:
        top = self._top()
        callbacks = getattr(top, "_result_callbacks", None)
        if top is not None and top in self._unanswered and callbacks and not callbacks[-1].callback:
            self._answers[top] = time.monotonic()  # dismissed: its answer is on its way
        return super().pop_screen()  # type: ignore[misc]

    def _watched(self, screen: Screen[Any], callback: Any) -> Any:
        self._unanswered.add(screen)

        def answered(result: Any) -> Any:
            self._unanswered.discard(screen)
            self._answers.pop(screen, None)
            self._check_soon()  # after the answer: the step it opens is pushed by then
            # As Textual calls a callback: with the result if it takes one.
            return callback(*(result,)[: count_parameters(callback)])

        return answered

    def _blocked(self) -> bool:
        _expire(self._submits)
        _expire(self._answers)
        # A dialog that took an Enter it will act on later (a picker still loading its
        # choices) says so: the keys behind that Enter are for what it opens, not for it
        # (a macro's blank typed at once went into the loading picker's filter).
        pending = bool(getattr(self._top(), "answer_pending", False))
        return bool(self._submits or self._answers) or pending

    def _show_held(self) -> None:
        show = getattr(self._top(), "show_held", None)
        if callable(show):
            show(_as_typed(self._held))

    def _top(self) -> Screen[Any] | None:
        stack = getattr(self, "screen_stack", None)
        return stack[-1] if stack else None

    def _focus(self) -> Widget | None:
        return getattr(self, "focused", None)


class SubmitAnswered(Message):
    """Sent up behind a box's ``Submitted``, along the same way: when it reaches the
    app, the dialog has handled the Enter."""

    def __init__(self, box: Input) -> None:
        self.box = box
        super().__init__()


def _expire(waits: dict[Any, float]) -> None:
    """Forget what was waited for longer than ``ANSWER_SECONDS``: it never came (a
    dialog closed by other means, a callback whose screen went): the keys go on."""
    now = time.monotonic()
    for key, since in list(waits.items()):
        if now - since > ANSWER_SECONDS:
            del waits[key]


def _holds_keys(screen: Screen[Any] | None) -> bool:
    return bool(getattr(screen, "HOLDS_KEYS", False))


def _holds_escape(screen: Screen[Any] | None) -> bool:
    return bool(getattr(screen, "HOLDS_ESCAPE", False))


def _as_typed(keys: list[events.Key | events.Paste]) -> str:
    """Held keys as the text they type (a line end for Enter), pastes with them."""
    text = ""
    for key in sorted(keys, key=lambda k: getattr(k, _ORDER, 0)):
        if isinstance(key, events.Paste):
            text += key.text
        elif key.key == "enter":
            text += "\n"
        elif key.key == "backspace":
            text = text[:-1]
        elif key.is_printable and key.character:
            text += key.character
    return text


async def run_binding_now(app: App[object], event: events.Key) -> bool:
    """Run ``event``'s binding now, from the focused widget up (non-priority bindings:
    ``App._check_bindings``, what the app itself runs once a key has bubbled up to it),
    so a key that is not text acts in the order typed, before the keys queued behind
    it. True, and the key stopped, when a binding took it."""
    for key in (event.key, *event.aliases):
        if await app._check_bindings(key):
            event.stop()
            event.prevent_default()
            return True
    return False


class InOrderInput(Input):
    """A text box that runs its own editing keys (backspace, delete, arrows, Home, End,
    Enter, Tab where bound) in the order they were typed. Textual runs a key's binding
    only once the key has bubbled up to the app, while a letter goes into the box at
    once: in a burst the letters typed after a backspace went in first, and the
    backspace then took them ("web", then backspace and "I" at once, left "web"; eight
    backspaces and "INV-2291" left "webINV-2"). Every text box of the app is one."""

    _answer_due = False  # an Enter ran submit; its dialog has not answered yet

    def __init__(self, *args: Any, select_on_focus: bool = False, **kwargs: Any) -> None:
        # Focused, a box keeps its text with the cursor where it was (at the end when it
        # opens with one), nothing selected: Tab into a recipients line, or into the
        # search box after ``c``, selected it all, and the next key typed replaced it
        # (walk10: the existing Cc, the customer's query gone for "/").
        super().__init__(*args, select_on_focus=select_on_focus, **kwargs)

    async def _on_key(self, event: events.Key) -> None:
        if self._answer_due:
            # Typed behind an Enter that may close this box's dialog: to the app, which
            # holds it until the dialog has answered (they went into the closing box).
            retype(self.app, event)
            return
        moved_to = self.app.focused
        if moved_to is not None and moved_to is not self:
            # Typed behind a key that moved the focus (Tab, shift+tab in a form): it was
            # queued here before that key ran, and goes where the focus is now (walk11:
            # "Tab ccc" at once put "ccc" into the To line, not Cc).
            retype(self.app, event)
            return
        if event.is_printable:
            return  # Input's own handler inserts it, in order
        catch_up = getattr(self.screen, "catch_up", None)
        if callable(catch_up):  # a picker: its rows for all the text typed before this key
            catch_up()
        for key in (event.key, *event.aliases):
            for binding in self._bindings.key_to_bindings.get(key, []):
                if binding.priority:
                    continue  # the app ran those before the key got here
                # False: not for the box (up/down a one-line box cannot scroll): the
                # key goes on up to the dialog or screen, as before.
                if await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()  # and not again when it bubbles up
                    if binding.action == "submit":
                        self._wait_for_answer()
                    return
        # Not the box's own key (Down in a picker, Esc, Tab): the dialog's or the screen's
        # binding runs here, before the next key reaches the box. Left to bubble up, it ran
        # after an Enter typed behind it had already submitted: "z Down Down Enter" took
        # the first choice, and "Down Enter" in the collision dialog sent the reply (walk3,
        # walk4).
        await run_binding_now(self.app, event)

    def _wait_for_answer(self) -> None:
        submitting = getattr(self.app, "submitting", None)
        if not callable(submitting):
            return
        submitting(self)
        self._answer_due = True
        # Queued behind the Submitted just posted here: it follows it up, hop by hop.
        self.call_later(self._answered_behind)

    def _answered_behind(self) -> None:
        self._answer_due = False
        message = SubmitAnswered(self)
        if self.parent is None or not self.parent.post_message(message):
            self.app.post_message(message)
