"""Property tests: random MIME trees, charsets, encoded words, broken boundaries, huge
headers, deep nesting, NULs and lone surrogates. Parsing never crashes or hangs, and
ingest stores or quarantines every message with the counts adding up."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox_tui.ingest import IngestCounts, Ingestor
from inbox_tui.mail.parse import ParseError, parse_message

CHARSETS = [
    "utf-8",
    "utf8",
    "iso-8859-1",
    "gb2312",
    "euc-jp",
    "utf-7",
    "utf-16",
    "koi8-r",
    "x-unknown",
    "bogus-charset",
    "",
]
header_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80
)
raw_bytes = st.binary(max_size=300)


@st.composite
def encoded_word(draw) -> bytes:
    charset = draw(st.sampled_from(CHARSETS)) or "utf-8"
    enc = draw(st.sampled_from(["Q", "B", "X"]))
    payload = draw(st.binary(max_size=40)).hex()
    return f"=?{charset}?{enc}?{payload}?=".encode()


@st.composite
def header(draw) -> bytes:
    name = draw(
        st.sampled_from(
            [
                b"Subject",
                b"From",
                b"To",
                b"Cc",
                b"Date",
                b"Message-ID",
                b"References",
                b"In-Reply-To",
                b"Content-Type",
                b"X-Junk",
            ]
        )
    )
    value = draw(
        st.one_of(
            header_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
            raw_bytes,
            encoded_word(),
            st.just(b"<a@b> " * 500),
        )
    )
    return name + b": " + value.replace(b"\n", b" ") + b"\r\n"


@st.composite
def part(draw, depth: int = 0) -> bytes:
    headers = b"".join(draw(st.lists(header(), max_size=4)))
    if depth < 4 and draw(st.booleans()):
        boundary = draw(st.sampled_from([b"b1", b"", b"--", b"x" * 200]))
        children = draw(st.lists(part(depth=depth + 1), min_size=0, max_size=3))
        closing = draw(st.booleans())
        body = b"".join(b"--" + boundary + b"\r\n" + c for c in children) + (
            b"--" + boundary + b"--\r\n" if closing else b""
        )
        ctype = (
            b"Content-Type: multipart/"
            + draw(st.sampled_from([b"mixed", b"alternative", b"related"]))
            + b'; boundary="'
            + boundary
            + b'"\r\n'
        )
        return ctype + headers + b"\r\n" + body
    charset = draw(st.sampled_from(CHARSETS)).encode()
    ctype = draw(
        st.sampled_from(
            [
                b"text/plain",
                b"text/html",
                b"application/octet-stream",
                b"message/rfc822",
                b"image/png",
            ]
        )
    )
    cte = draw(st.sampled_from([b"", b"base64", b"quoted-printable", b"8bit", b"x-uuencode"]))
    body = draw(st.binary(max_size=500))
    return (
        b"Content-Type: "
        + ctype
        + b"; charset="
        + charset
        + b"\r\n"
        + (b"Content-Transfer-Encoding: " + cte + b"\r\n" if cte else b"")
        + headers
        + b"\r\n"
        + body
        + b"\r\n"
    )


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(part())
def test_parse_never_crashes(raw):
    try:
        msg = parse_message(raw, source="prop", external_id="x")
    except ParseError:
        return
    assert isinstance(msg.subject, str) and isinstance(msg.body, str)


@settings(
    max_examples=40,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(part(), min_size=1, max_size=5))
def test_ingest_accounts_for_every_message(sqlite_store, raws):
    def work(s):
        ing = Ingestor(s)
        counts = IngestCounts()
        for i, raw in enumerate(raws):
            try:
                msg = parse_message(raw, source="prop", external_id=f"{id(raws)}-{i}")
            except ParseError as exc:
                counts.count(ing.quarantine("prop", f"{id(raws)}-{i}", str(exc), raw))
                continue
            counts.count(ing.add(msg))
        return counts

    counts = sqlite_store.run(work)
    assert counts.read == len(raws) == counts.imported + counts.duplicates + counts.quarantined


def test_one_hostile_message_is_bounded():
    import time

    huge = (
        b"Subject: "
        + b"A" * 3_000_000
        + b"\r\nTo: "
        + b", ".join(b"u%d@x.example" % i for i in range(20_000))
        + b"\r\n"
    )
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(200)
    )
    for raw in (huge + b"\r\nbody\r\n", nested + b"deep\r\n"):
        t0 = time.perf_counter()
        try:
            msg = parse_message(raw, source="t", external_id="h")
            assert len(msg.to) <= 200
        except ParseError:
            pass
        assert time.perf_counter() - t0 < 5
