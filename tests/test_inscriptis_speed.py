"""inscriptis's whitespace collapse replaced by one regular expression
(``mail/inscriptis_speed.py``): the same blocks, the same text, for mail and articles."""

import random
import re

import pytest

from inbox_tui.mail import inscriptis_speed
from inbox_tui.mail.parse import html_to_text, parse_message
from inbox_tui.sources.articles import load_articles
from tests.conftest import corpus


@pytest.fixture
def both():
    html_to_text("<p>x</p>")  # installs it
    if inscriptis_speed.original is None:
        pytest.skip("the installed inscriptis is not a version checked")
    return inscriptis_speed.original, inscriptis_speed.merge_normal_text


def test_backslash_s_is_str_isspace_for_every_character():
    space = re.compile(r"\s")
    assert all(
        bool(space.fullmatch(chr(c))) == chr(c).isspace() for c in range(0x110000) if c != 0x0A
    )
    assert space.fullmatch("\n")


SPACES = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u3000"]
LETTERS = ["a", "é", "&amp;", "&", "<", "日", "\u200b", "x y"]


def test_every_merge_leaves_the_same_block(both):
    from inscriptis.model.canvas.block import Block
    from inscriptis.model.canvas.prefix import Prefix

    theirs, ours = both
    rng = random.Random(5)
    for _ in range(3000):
        prefixes = [Prefix(), Prefix()]  # a prefix's bullet is used up by the first line
        if rng.random() < 0.5:
            for prefix in prefixes:
                prefix.register_prefix(2, "* ")
        idx = rng.randint(0, 5)
        blocks = [Block(idx, prefixes[0]), Block(idx, prefixes[1])]
        for _ in range(rng.randint(1, 6)):
            text = "".join(rng.choice(SPACES + LETTERS) for _ in range(rng.randint(0, 12)))
            theirs(blocks[0], text)
            ours(blocks[1], text)
            a, b = blocks
            assert (a._content, a.idx, a.collapsable_whitespace) == (
                b._content,
                b.idx,
                b.collapsable_whitespace,
            ), repr(text)


def _texts_with(merge, monkeypatch, htmls):
    from inscriptis.model.canvas.block import Block

    monkeypatch.setattr(Block, "merge_normal_text", merge)
    return [html_to_text(h) for h in htmls]


def test_real_html_reads_the_same(both, monkeypatch):
    theirs, ours = both
    htmls = []
    for path in sorted(corpus("mail", "flanker").glob("*.eml")):
        msg = parse_message(path.read_bytes(), source="t", external_id=path.name)
        if msg is not None and getattr(msg, "html", None):
            htmls.append(msg.html)
    for path in sorted(corpus("kb", "duckduckgo-help").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if "<" in text:
            htmls.append(text)
    htmls.append("<pre>  keep\n\n  this </pre> <p> a \u00a0 b&nbsp; c </p><ul><li> x </li></ul>")
    assert len(htmls) > 50
    assert _texts_with(ours, monkeypatch, htmls) == _texts_with(theirs, monkeypatch, htmls)
    from inscriptis.model.canvas.block import Block

    kb = corpus("kb", "duckduckgo-help")
    monkeypatch.setattr(Block, "merge_normal_text", theirs)
    before = load_articles(kb)
    monkeypatch.setattr(Block, "merge_normal_text", ours)
    assert load_articles(kb) == before
