"""A bracketed paste holding escape sequences arrives whole and in order (walk3: pasting
``one \\e[1mtwo\\e[0m three`` into the search box gave ``^[1mtwo^[0m threeone``)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from inbox_tui.tui.paste import PasteParser
from tests.tmux import tmux_app
from tests.tui.test_tmux_layout import args_env, list_ready

PASTE = "\x1b[200~one \x1b[1mtwo\x1b[0m three\x1b[201~"


def tokens(parser: XTermParser, *chunks: str) -> list[object]:
    out: list[object] = []
    for chunk in chunks:
        out += list(parser.feed(chunk))
    return out


def typed(parsed: list[object]) -> str:
    """What a text box would hold after these tokens, in their order."""
    text = ""
    for t in parsed:
        if isinstance(t, events.Paste):
            text += t.text
        elif isinstance(t, events.Key) and t.character:
            text += t.character
    return text


def test_textuals_own_parser_scrambles_it():  # the defect, so the test below means something
    assert typed(tokens(XTermParser(), PASTE)) != "one two three"


@pytest.mark.parametrize("cut", [None, 3, 8, 13, 15, 30, 32])
def test_a_paste_with_escapes_is_one_paste_in_order(cut):
    chunks = (PASTE,) if cut is None else (PASTE[:cut], PASTE[cut:])  # split reads too
    parsed = tokens(PasteParser(), *chunks, "x")
    pastes = [t for t in parsed if isinstance(t, events.Paste)]
    assert [p.text for p in pastes] == ["one two three"]
    keys = [t.character for t in parsed if isinstance(t, events.Key)]
    assert keys == ["x"]  # the key typed after the paste is a key, after it


def test_titles_links_and_controls_are_taken_out_keys_outside_stay_keys():
    paste = "\x1b[200~a\x1b]0;title\x07b\x1b]8;;http://x\x1b\\c\x07\x08d\r\ne\x1b[201~"
    parsed = tokens(PasteParser(), "\x1b[A", paste, "\x1b")
    assert [t.text for t in parsed if isinstance(t, events.Paste)] == ["abcd\r\ne"]
    assert [t.key for t in parsed if isinstance(t, events.Key)] == ["up"]


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps")
def test_pasting_into_search_in_a_real_terminal_keeps_the_order(demo_store, tmp_path):
    args, env = args_env(tmp_path, demo_store)
    with tmux_app("wfpaste", args, size=(100, 30), env=env, ready=list_ready) as term:
        term.press("/")
        buffer = ["tmux", "set-buffer", "-b", "wfpaste", "one \x1b[1mtwo\x1b[0m three"]
        subprocess.run(buffer, check=True)
        subprocess.run(["tmux", "paste-buffer", "-p", "-b", "wfpaste", "-t", "wfpaste"], check=True)
        screen = term.wait_for(lambda t: "Search: one two three in" in t)
        assert "Search: one two three in All open (" in screen, screen
        assert "^[" not in screen
