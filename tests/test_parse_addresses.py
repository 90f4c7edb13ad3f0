"""The parser's fast path for a header of one plain address (``_one_simple_address``)
reads exactly what ``email.utils.getaddresses`` reads, or declines: on every address
header of the real-mail corpora and on generated headers built from the characters
and forms that make addresses hard (dots, quotes, backslashes, commas, comments,
encoded words, raw 8-bit text)."""

from __future__ import annotations

import email
import email.utils
import random

from inbox_tui.mail import parse
from tests.conftest import corpus

HEADERS = ("from", "to", "cc", "reply-to", "sender")


def agree(text: str) -> bool:
    fast = parse._one_simple_address(text)
    return fast is None or fast == email.utils.getaddresses([text])


def test_the_fast_path_agrees_with_the_stdlib_on_real_mail():
    texts = []
    for f in sorted(corpus("mail").rglob("*")):
        if not f.is_file() or f.stat().st_size > 5_000_000:
            continue
        msg = email.message_from_bytes(f.read_bytes(), policy=parse._POLICY)
        for name in HEADERS:
            try:
                values = msg.get_all(name, failobj=[])
            except Exception:  # a header the stdlib cannot read at all
                continue
            texts.extend(parse._raw_header_text(v) for v in values)
    assert len(texts) > 300
    taken = [t for t in texts if parse._one_simple_address(t) is not None]
    assert len(taken) > len(texts) // 2, "the fast path is hardly used"
    assert [t for t in texts if not agree(t)] == []


def test_the_fast_path_agrees_with_the_stdlib_on_generated_headers():
    rng = random.Random(5)
    bits = ["a", "B", "0", ".", "..", "@", " ", "  ", "\t", "<", ">", '"', "\\", ",", ";"]
    bits += [":", "(", ")", "-", "_", "'", "x.y", "ex.com", "é", "=?utf-8?q?a?=", "[", "]"]
    specs = ["a@b.com", "a.b@c-d.org", "x+y@z.co.uk", "a..b@c.com", ".a@b.com", "a.@b.com"]
    specs += ["a@b", "a@-b.com", "a@b.com.", "{x}@b.io"]
    words = ["Ann", "Lee", "J.", "O'Neil", "a-b", "x_y", "{z}", "a+b", "Lee,", "(c)", ""]
    texts = ["".join(rng.choice(bits) for _ in range(rng.randrange(1, 14))) for _ in range(50_000)]
    for _ in range(20_000):
        spec = rng.choice(specs)
        name = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 4)))
        texts += [spec, f"{name} <{spec}>", f'"{name}" <{spec}>', f"  {name}  <{spec}> "]
    taken = [t for t in texts if parse._one_simple_address(t) is not None]
    assert len(taken) > 10_000
    assert [t for t in taken if not agree(t)] == []


def test_what_the_fast_path_reads():
    assert parse._one_simple_address("Ann Lee <ann@x.example>") == [("Ann Lee", "ann@x.example")]
    assert parse._one_simple_address(' "Lee, Ann" <ann@x.example>') == [
        ("Lee, Ann", "ann@x.example")
    ]
    assert parse._one_simple_address("ann@x.example") == [("", "ann@x.example")]
    for hard in ("a@x.example, b@x.example", "Ann <a@x.example> (work)", '"A\\"B" <a@x.example>'):
        assert parse._one_simple_address(hard) is None
