"""Fuzzing every entry point that reads files other people wrote (issue 19): chat logs
(JSON lines, IRC, Slack), help-centre articles, macro files and the config. The
invariant everywhere: a result or one plain sentence, never another exception; every
input line or file is accounted for; whatever comes out is clean text.
(Mail bytes are fuzzed in test_parse_properties.py, search text in test_search.py.)"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox_tui.config import ConfigError, _build, load_config
from inbox_tui.macros.files import load as load_macros
from inbox_tui.sources.articles import load_articles
from inbox_tui.sources.chat import ChatLine, Skip, irc, jsonl, slack

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
BAD = (
    {chr(c) for c in range(0x20) if chr(c) not in "\n\t"}
    | {chr(c) for c in range(0x7F, 0xA0)}
    | set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
)

nasty_text = st.text(
    alphabet=st.sampled_from(
        [
            *list(string.printable),
            "\x1b",
            "\x00",
            "\x9b",
            "\u202e",
            "\u200f",
            "[",
            "]",
            "{",
            "}",
            "é",
            "日",
        ]
    ),
    max_size=60,
)
json_scalar = st.none() | st.booleans() | st.integers() | st.floats() | nasty_text
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4),
    max_leaves=12,
)
timestamps = st.sampled_from(
    [
        "2026-03-02T10:00:00Z",
        "2026-03-02T10:00:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "2026-13-45",
        "",
        "1e300",
    ]
)


def assert_clean(line: ChatLine) -> None:
    for value in (line.channel, line.author, line.handle, line.text, line.external_id):
        assert not (set(value) & BAD), repr(value)


@st.composite
def jsonl_line(draw) -> bytes:
    kind = draw(st.sampled_from(["record", "value", "bytes", "deep"]))
    if kind == "bytes":
        return draw(st.binary(max_size=80)).replace(b"\n", b"")
    if kind == "deep":
        n = draw(st.integers(1, 3000))
        return b"[" * n + b"]" * draw(st.integers(0, n))
    if kind == "value":
        return json.dumps(draw(json_value)).encode()
    record = draw(
        st.fixed_dictionaries(
            {"author": json_value, "ts": timestamps | json_value, "text": json_value},
            optional={
                "email": json_value,
                "conversation": json_value,
                "id": json_value,
                "in_reply_to": json_value,
                "channel": json_value,
            },
        )
    )
    return json.dumps(record).encode()


@FUZZ
@given(lines=st.lists(jsonl_line(), min_size=1, max_size=8))
def test_jsonl_reader_accounts_for_every_line(lines):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "log.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        out = list(jsonl.parse(path))
    assert len(out) == len(lines)
    for item in out:
        assert isinstance(item, ChatLine | Skip)
        if isinstance(item, ChatLine):
            assert_clean(item)


@FUZZ
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["[10:00] <", "[99:99] <", "* ", "[23:59:59] <@", "-!- ", ""]),
            nasty_text,
        ),
        min_size=1,
        max_size=10,
    ),
    name=st.sampled_from(["irc.log", "#chan-2026-13-45.log", "x-9999-12-31.log"]),
)
def test_irc_reader_accounts_for_every_line(lines, name):
    text = "".join(f"{p}{t.replace(chr(10), ' ').replace(chr(13), ' ')}\n" for p, t in lines)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        out = list(irc.parse(path))
    assert len(out) == text.count("\n")
    for item in out:
        if isinstance(item, ChatLine):
            assert_clean(item)


@FUZZ
@given(
    messages=st.lists(
        json_value
        | st.fixed_dictionaries(
            {"ts": json_value, "text": json_value, "user": json_value},
            optional={"files": json_value, "thread_ts": json_value, "subtype": json_value},
        ),
        max_size=6,
    )
)
def test_slack_reader_never_raises(messages):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "export"
        (root / "general").mkdir(parents=True)
        (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
        (root / "users.json").write_text(json.dumps([{"id": "U1", "name": "ann"}]))
        (root / "general" / "2026-03-02.json").write_text(json.dumps(messages))
        out = list(slack.parse(root))
    for item in out:
        if isinstance(item, ChatLine):
            assert_clean(item)


front_matter = st.one_of(
    st.dictionaries(
        st.sampled_from(["title", "description", "category", "tags", "url", "slug", "layout"]),
        json_value,
        max_size=6,
    ).map(lambda d: json.dumps(d)),  # JSON is YAML
    nasty_text,
    st.sampled_from(
        [
            "title: &a x\nb: *a",
            "title: &a [1]\nb: *a",
            "title: " + "[" * 200,
            "title: " + "{a: " * 100,
            "!!python/object:os.system x",
            "title: !!binary aGk=",
        ]
    ),
)


@FUZZ
@given(metas=st.lists(front_matter, min_size=1, max_size=4), body=nasty_text)
def test_article_loader_reports_or_loads_every_file(metas, body):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for i, meta in enumerate(metas):
            (root / f"a{i}.md").write_text(
                f"---\n{meta}\n---\n{body}\n", encoding="utf-8", errors="surrogatepass"
            )
        articles, problems = load_articles(root)
    assert len(articles) + len(problems) == len(metas)
    for art in articles:
        for value in (art.title, art.description, art.category, art.tags, art.slug, art.body):
            assert not (set(value) & BAD), repr(value)


macro_text = st.one_of(
    st.dictionaries(
        st.sampled_from(["name", "slug", "reply", "note", "pinned", "actions", "description"]),
        json_value,
        max_size=5,
    ).map(json.dumps),
    nasty_text,
    st.lists(json_value, max_size=3).map(json.dumps),
)


@FUZZ
@given(
    texts=st.lists(
        st.tuples(macro_text, st.sampled_from([".yaml", ".toml"])), min_size=1, max_size=3
    )
)
def test_macro_loader_never_raises(texts):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for i, (text, suffix) in enumerate(texts):
            (root / f"m{i}{suffix}").write_text(text, encoding="utf-8", errors="surrogatepass")
        specs, problems = load_macros([root])
    for spec in specs:
        assert not (set(spec.name) & BAD) and not (set(spec.body) & BAD)
    assert specs or problems


config_value = st.recursive(
    st.none().map(lambda _: "x")
    | st.booleans()
    | st.integers(-5, 70000)
    | st.floats(allow_nan=False)
    | nasty_text,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "host",
                    "port",
                    "security",
                    "allow_plain",
                    "password_cmd",
                    "mailboxes",
                    "smtp",
                    "username",
                    "name",
                    "agents",
                    "timezone",
                    "days",
                    "start",
                    "x",
                ]
            )
            | nasty_text,
            inner,
            max_size=4,
        )
    ),
    max_leaves=10,
)


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(["db", "agent", "accounts", "chat", "keys", "business_hours", "acounts"]),
        config_value,
        max_size=4,
    )
)
def test_config_is_a_config_or_one_sentence(data):
    try:
        _build(Path("/etc/inbox-tui.toml"), data, None)
    except ConfigError as exc:
        text = str(exc)
        assert text.startswith("The config file /etc/inbox-tui.toml has a mistake: ")
        assert "\n" not in text and "Traceback" not in text


@FUZZ
@given(
    text=nasty_text | st.sampled_from(["a = " + "[" * 5000 + "]" * 5000, "[a]\nb = {c = {d = 1}}"])
)
def test_config_file_text_is_a_config_or_one_sentence(text):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        path.chmod(0o600)
        try:
            load_config(path)
        except ConfigError as exc:
            assert "\n" not in str(exc)
