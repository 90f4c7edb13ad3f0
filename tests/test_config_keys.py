"""``[keys]`` is checked before the TUI starts: unknown action names, keys no terminal
can send, and a key two actions would share are one sentence, not a silent no-op."""

from __future__ import annotations

import string

import pytest
from textual.keys import Keys, _character_to_key

from inbox_tui.config import ConfigError, check_keys, key_problem, normalise_key

ACTIONS = {"reply": "r", "tag": "t", "search": "slash", "help": "question_mark", "back": "escape,u"}
FIXED = {"j": "moves down in the list", "q": "shows quoted text"}


@pytest.mark.parametrize(
    "keys",
    [
        {},
        {"reply": "R"},
        {"reply": "ctrl+r", "tag": "T"},
        {"search": "/"},  # the same key as slash: not a clash with itself
        {"reply": "f2,alt+r"},
        {"tag": "r", "reply": "R"},  # a swap, both remapped
        {"back": "escape,backspace"},
    ],
)
def test_good_keys_pass(keys):
    check_keys(keys, ACTIONS, FIXED)


@pytest.mark.parametrize(
    ("keys", "sentence"),
    [
        (
            {"repyl": "R"},
            "[keys]: 'repyl' is not an action (did you mean reply?); the actions are "
            "back, help, reply, search, tag.",
        ),
        (
            {"colour": "x"},
            "[keys]: 'colour' is not an action; the actions are back, help, reply, search, tag.",
        ),
        (
            {"reply": "t"},
            '[keys]: reply = "t" takes t from tag, which could then never be used; give tag '
            'another key too (tag = "...") or pick another for reply.',
        ),
        (
            {"tag": "?"},
            '[keys]: tag = "?" takes ? from help, which could then never be used; give help '
            'another key too (help = "...") or pick another for tag.',
        ),
        (
            {"reply": "x", "tag": "x"},
            "[keys]: reply and tag both have the key x, so one of them could never be used; "
            "give each its own key.",
        ),
        (
            {"reply": "j"},
            '[keys]: reply = "j" takes j, the key that moves down in the list; pick another '
            "key for reply.",
        ),
        ({"reply": ""}, '[keys]: reply = "" gives the action no key.'),
        (
            {"reply": "ctrl+shift+alt+r"},
            "[keys]: reply = 'ctrl+shift+alt+r': 'ctrl+shift+alt+r' is not a key a terminal "
            "can send (try a letter, ctrl+LETTER or f1-f24).",
        ),
        (
            {"reply": "ctrl+i"},
            "[keys]: reply = 'ctrl+i': 'ctrl+i' arrives as tab in a terminal, so it can never "
            "be pressed.",
        ),
        (
            {"reply": "ctrl + r"},
            "[keys]: reply = 'ctrl + r': 'ctrl + r' is not a key (write keys like r, R, "
            "ctrl+s, f2 or slash).",
        ),
        (
            {"reply": "f25"},
            "[keys]: reply = 'f25': 'f25' is not a key a terminal can send (try a letter, "
            "ctrl+LETTER or f1-f24).",
        ),
        (
            {"reply": "enterr"},
            "[keys]: reply = 'enterr': 'enterr' is not a key a terminal can send (try a "
            "letter, ctrl+LETTER or f1-f24).",
        ),
    ],
)
def test_bad_keys_are_one_sentence(keys, sentence):
    with pytest.raises(ConfigError) as err:
        check_keys(keys, ACTIONS, FIXED)
    assert str(err.value) == sentence


def test_every_key_textual_knows_is_accepted_and_names_match_textual():
    unsendable = {"ctrl+i", "ctrl+m", "ctrl-at", "return"}  # aliases or never sent alone
    for key in Keys:
        if key.value.startswith("<") or key.value in unsendable:
            continue
        assert key_problem(key.value) is None, key.value
    for char in string.printable.strip():
        name = _character_to_key(char)
        assert normalise_key(char) == name
        assert key_problem(char) is None and key_problem(name) is None, char


def test_keys_textual_would_never_produce_are_refused():
    names = {k.value for k in Keys}
    for key in ("ctrl+shift+a", "shift+a", "hyper+x", "ctrl+f25", "alt+", "ctrl+", "up+down"):
        assert key not in names
        assert key_problem(key) is not None, key


def test_no_two_actions_share_a_default_key():
    """Branches add actions side by side (#18's P and #23's p met at a merge): a key two
    actions would share by default makes one unreachable, and the start-up check failed
    with a KeyError instead of a sentence."""
    from collections import Counter

    from inbox_tui.tui.actions import ACTIONS, FIXED_KEYS, check_keymap

    keys = Counter(k for a in ACTIONS for k in a.keys.split(","))
    assert [k for k, n in keys.items() if n > 1] == []
    assert set(keys) & set(FIXED_KEYS) == set()
    check_keymap({})
