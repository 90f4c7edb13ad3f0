"""Search as you type on the message full-text index, on SQLite and PostgreSQL: words,
prefixes, phrases, hostile query text, the index following inserts, edits and deletes
(triggers / expression index), unicode, and the migration's backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Conversation, Message
from inbox_tui.services import fulltext, triage
from inbox_tui.services.conversations import count_conversations, list_conversations
from inbox_tui.services.fulltext import fts5_query, pg_tsquery, text_condition, words
from inbox_tui.services.search import MAX_QUERY_CHARS, MAX_TERMS, parse_query
from inbox_tui.store import Store, sqlite_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BEFORE_FTS = "0002"  # the revision migration 0003 (message full-text index) follows


# Pieces of search text for the fuzzer: every key, dates of each shape, quotes, LIKE
# wildcards, FTS syntax, control characters.
SEARCH_PIECES = [
    *(
        f"{k}:{v}"
        for k in ("is", "-is", "tag", "-tag", "assignee", "-assignee", "from", "-from", "channel")
        for v in ("open", "%", "_", '"a b"', "me", "none", "chat", "\\")
    ),
    *(
        f"{k}:{v}"
        for k in ("after", "before", "-after")
        for v in (
            "2026-01-01",
            "2026-01-01T09",
            "2026-01-01T09:00+14:00",
            "0001-01-01",
            "9999-12-31T23:59-14:00",
            "x",
            "",
        )
    ),
    '"',
    '"printer jam"',
    '-"printer jam"',
    "-printer",
    "printer",
    "pr",
    "-",
    "--",
    "*",
    "NEAR(",
    "AND",
    "\x00",
    "\x1b[2J",
    "\u202e",
    "—",
    "日本語",
]


def add(store: Store, key: str, body: str, subject: str = "Help", reply_to: str | None = None):
    """Ingest one message (``key`` is its Message-ID); returns its conversation id."""

    def work(s):
        r = Ingestor(s).add(
            IncomingMessage(
                source="t",
                external_id=key,
                message_id=f"<{key}@x>",
                in_reply_to=f"<{reply_to}@x>" if reply_to else None,
                subject=subject,
                author_email=f"{key}@customer.example",
                author_name=key,
                sent_at=T0 + timedelta(minutes=len(key)),
                body=body,
            )
        )
        return r.conversation_id

    return store.run(work)


def search(store: Store, query: str) -> set[int]:
    with store.read() as s:
        flt = parse_query(query, "sam")
        found = {r.id for r in list_conversations(s, flt, limit=1000)}
        assert count_conversations(s, flt) == len(found)
        return found


@pytest.fixture(params=["rare", "common", "dense"])
def inbox(store, request, monkeypatch):
    """Four conversations; returns (store, ids by name). On SQLite this runs with each
    of the plans a big store picks by how common a word is (fulltext._sqlite_condition):
    here every word is rare, or common, or dense."""
    if request.param != "rare":
        if not store.is_sqlite:
            pytest.skip("one plan on PostgreSQL")
        monkeypatch.setattr(fulltext, "COMMON_HITS", 1)
    if request.param == "dense":
        monkeypatch.setattr(fulltext, "DENSE_SHARE", 0.0)
        monkeypatch.setattr(fulltext, "PREFIX_INDEX_MAX", 1000)
    ids = {
        "printer": add(store, "p1", "My printer shows a paper jam every morning.", "Office"),
        "jam": add(store, "j1", "Jam paper? No: the scanner is fine.", "Scanner"),
        "export": add(store, "e1", "The CSV export drops due dates.", "Export broken"),
        "mail": add(store, "m1", "Write to ann@acme.com -- she knows 100% of it.", "Contact"),
    }
    # A second message in the export conversation, from the agent side of the thread.
    add(store, "e2", "Which browser do you use?", "Re: Export broken", reply_to="e1")
    return store, ids


def test_words_prefixes_and_subjects(inbox):
    store, ids = inbox
    assert search(store, "printer") == {ids["printer"]}
    assert search(store, "prin") == {ids["printer"]}  # the word being typed
    assert search(store, "PRINTER") == {ids["printer"]}
    assert search(store, "paper") == {ids["printer"], ids["jam"]}
    assert search(store, "scanner") == {ids["jam"]}  # subject or body
    assert search(store, "broken") == {ids["export"]}
    assert search(store, "zebra") == set()


def test_every_word_must_match_but_may_be_in_different_messages(inbox):
    store, ids = inbox
    assert search(store, "csv browser") == {ids["export"]}  # first and second message
    assert search(store, "csv printer") == set()


def test_phrases_are_exact_and_ordered(inbox):
    store, ids = inbox
    assert search(store, '"paper jam"') == {ids["printer"]}
    assert search(store, '"jam paper"') == {ids["jam"]}
    assert search(store, '"paper ja"') == set()  # a phrase is not a prefix
    assert search(store, '"due dates" export') == {ids["export"]}


def test_negated_tags_and_other_terms_still_combine_with_text(inbox):
    store, ids = inbox
    store.run(triage.ensure_agent, "sam", "Sam")
    store.run(triage.tag, "sam", ids["jam"], "spam")
    assert search(store, "paper -tag:spam") == {ids["printer"]}
    assert search(store, "paper tag:spam") == {ids["jam"]}
    assert search(store, "paper is:closed") == set()


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        '"""',
        "*",
        "-",
        ":",
        "(",
        ")",
        "()",
        "^",
        "+",
        "NEAR",
        "NEAR(printer",
        "NEAR(printer jam, 2)",
        "printer AND",
        "AND OR NOT",
        "subject:printer",
        "body:",
        "{subject body}: printer",
        "'",
        "\\",
        "%",
        "_",
        "printer*",
        "*printer",
        'printer"',
        "\x00",
        "a" * 300,
    ],
)
def test_hostile_query_text_never_raises(store, query):
    add(store, "p1", "My printer shows a paper jam.")
    search(store, query)


def test_query_syntax_is_plain_text(inbox):
    store, ids = inbox
    # FTS operators are ordinary words: "OR" must not widen the search, "NOT" must not
    # exclude, a column filter must not narrow to a column. ("-scanner" is the search
    # language's own exclusion: tests/test_search_exclusion.py.)
    assert search(store, "printer OR scanner") == set()
    assert search(store, "printer NOT") == set()
    assert search(store, "paper -scanner") == {ids["printer"]}
    assert search(store, "printer*") == {ids["printer"]}
    assert search(store, "NEAR(printer") == set()
    assert search(store, "subject:printer") == set()  # unknown key:value is text: "subject printer"


def test_text_without_words_falls_back_to_substring(inbox):
    store, ids = inbox
    assert words("--") == [] and words("%") == []
    assert search(store, "--") == {ids["mail"]}
    assert search(store, "%") == {ids["mail"]}  # a literal percent sign, not a wildcard
    assert search(store, "_") == set()
    # Punctuation separates words, as in notmuch: an address is a phrase of its parts.
    assert search(store, "@acme.com") == {ids["mail"]}
    assert search(store, "ann@acme") == {ids["mail"]}
    assert search(store, "100%") == {ids["mail"]}


def test_query_builders_quote_only_letters_and_digits():
    assert fts5_query(words('x" OR yz*'), prefix=True) == '"x OR yz"*'
    assert fts5_query(["a"], prefix=True) == '"a"'  # one letter is too short for a prefix
    assert pg_tsquery(words("acme.com"), prefix=True) == "'acme' <-> 'com':*"
    assert pg_tsquery(["x"], prefix=False) == "'x'"


def test_unicode_words_and_unspaced_scripts(store):
    cafe = add(store, "u1", "Le café était fermé, naïve question.")
    tokyo = add(store, "u2", "東京駅で待っています。")
    assert search(store, "café") == {cafe}
    assert search(store, "Café") == {cafe}
    assert search(store, "fermé") == {cafe}
    assert search(store, "naï") == {cafe}
    assert search(store, "cafe\u0301") == {cafe}  # typed decomposed
    assert search(store, "東京") == {tokyo}
    assert search(store, "駅") == {tokyo}  # inside a run FTS sees as one word: substring
    assert search(store, "京都") == set()


def test_new_edited_moved_and_deleted_messages_follow_the_index(store):
    a = add(store, "a1", "The modem blinks red.")
    assert search(store, "modem") == {a}
    b = add(store, "b1", "Nothing to see.")
    assert search(store, "router") == set()

    def edit(s):
        msg = s.exec(select(Message).where(Message.conversation_id == a)).one()
        msg.body = "The router blinks red."

    store.run(edit)
    assert search(store, "modem") == set()
    assert search(store, "router") == {a}

    def move(s):  # what a merge of conversations does to a message
        msg = s.exec(select(Message).where(Message.conversation_id == a)).one()
        msg.conversation_id = b

    store.run(move)
    assert search(store, "router") == {b}

    def delete(s):
        s.delete(s.exec(select(Message).where(Message.body == "The router blinks red.")).one())

    store.run(delete)
    assert search(store, "router") == set()
    assert search(store, "nothing") == {b}
    _check_index(store)


def _check_index(store: Store) -> None:
    if store.is_sqlite:
        # A contentless delete with values that differ from the indexed ones would
        # leave the index inconsistent; FTS5 can verify its own structure.
        with store.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO message_fts(message_fts) VALUES ('integrity-check')")


def test_postgres_uses_the_index(store):
    if store.is_sqlite:
        pytest.skip("PostgreSQL only")
    add(store, "p1", "Write to ann@acme.com about the printer.")
    with store.read() as s:
        conn = s.connection()
        # The punctuation list reached the column's definition unescaped: an address
        # is stored as its words.
        doc = conn.exec_driver_sql("SELECT fts_document::text FROM message").scalar_one()
        assert "'acme'" in doc and "'ann'" in doc and "@" not in doc
        conn.exec_driver_sql("SET enable_seqscan = off")
        q = select(Conversation.id).where(text_condition(s, "prin", prefix=True))
        compiled = q.compile(conn)
        plan = "\n".join(
            r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        )
    assert "ix_message_fts" in plan, plan


@pytest.fixture(params=["sqlite", "postgres"])
def old_store_url(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "old.db")
    return request.getfixturevalue("postgres_url_factory")()


def test_migration_backfills_messages_of_an_existing_store(old_store_url):
    # Messages written by today's code, then the schema taken back to before the index
    # existed (the models only write the current schema): what a store upgraded from
    # that release holds.
    old = Store(old_store_url)
    conv = add(old, "o1", "The invoice total is wrong.", "Billing")
    add(old, "o2", "Still wrong after the refund.", "Re: Billing", reply_to="o1")
    old.downgrade(BEFORE_FTS)
    assert old.current_revision() == BEFORE_FTS
    old.close()
    new = Store(old_store_url)  # migrates to the current revision on open
    try:
        assert search(new, "invoice refund") == {conv}
        assert search(new, '"total is wrong"') == {conv}
        assert search(new, "billing") == {conv}
        _check_index(new)
    finally:
        new.close()


def test_sqlite_plan_follows_how_common_the_word_is(sqlite_store, monkeypatch):
    add(sqlite_store, "p1", "My printer shows a paper jam.")

    def plan(word: str, ordered: bool = True) -> str:
        with sqlite_store.read() as s:
            cond = fulltext.text_condition(s, word, prefix=True, ordered=ordered)
            return str(cond.compile(s.get_bind()))

    assert "EXISTS" not in plan("printer") and "+" not in plan("printer")  # rare
    monkeypatch.setattr(fulltext, "COMMON_HITS", 1)
    assert "conversation.id + " in plan("printer")  # common, not dense
    assert "conversation.id + " not in plan("printer", ordered=False)  # a count
    monkeypatch.setattr(fulltext, "DENSE_SHARE", 0.0)
    assert "EXISTS" in plan("pap")  # dense, and a prefix with its own index
    assert "EXISTS" not in plan("paper")  # a longer prefix: FTS5 would merge per test
    assert "EXISTS" not in plan("zebra")  # no match is never dense


def test_sqlite_dense_word_is_not_tested_per_conversation_next_to_a_rare_one(
    sqlite_store, monkeypatch
):
    conv = add(sqlite_store, "p1", "My printer shows a paper jam.")
    add(sqlite_store, "p22", "Paper everywhere.")
    monkeypatch.setattr(fulltext, "DENSE_SHARE", 0.0)
    monkeypatch.setattr(fulltext, "COMMON_HITS", 1)
    monkeypatch.setattr(fulltext, "CACHE_WORDS", 0)  # the plans of words not kept
    with sqlite_store.read() as s:
        alone = fulltext.text_conditions(s, [("pap", True)])
        assert "EXISTS" in str(alone[0].compile(s.get_bind()))
        # "printer" (1 hit) is now rare, "pap" (2 hits) still dense.
        monkeypatch.setattr(fulltext, "COMMON_HITS", 2)
        both = fulltext.text_conditions(s, [("pap", True), ("printer", True)])
        sql = [str(c.compile(s.get_bind())) for c in both]
    assert "EXISTS" not in sql[0] and "conversation.id + " in sql[0]
    assert search(sqlite_store, "pap printer") == {conv}
    # Kept (typing the next word): a test against the kept set, never an FTS probe.
    monkeypatch.setattr(fulltext, "CACHE_WORDS", 2)
    with sqlite_store.read() as s:
        both = fulltext.text_conditions(s, [("pap", True), ("printer", True)])
        sql = [str(c.compile(s.get_bind())) for c in both]
    assert "EXISTS" not in sql[0] and "inbox_fts_cached" in sql[0]
    assert search(sqlite_store, "pap printer") == {conv}


# --- issue 19, finding 4: search input that crashed the TUI ---------------------------


def test_a_date_time_without_a_zone_is_utc(store):
    add(store, "p1", "My printer shows a paper jam.")  # sent 2026-03-02 09:02 UTC
    assert parse_query("after:2026-03-02T09", "sam").after == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert len(search(store, "after:2026-03-02T09")) == 1
    assert search(store, "after:2026-03-02T10") == set()
    assert len(search(store, "before:2026-03-02T09:30:00")) == 1
    assert len(search(store, "after:2026-03-02T10:00+02:00")) == 1  # 08:00 UTC


@pytest.mark.parametrize(
    "query, sentence",
    [
        ("x " * 450, f"The search has 450 terms; use at most {MAX_TERMS}"),
        (" ".join(f"w{i}" for i in range(1000)), "characters long"),
        ("-" * 60_000, f"The search is 60,000 characters long; the limit is {MAX_QUERY_CHARS:,}"),
        ("after:9999-12-31T23:59:59-14:00", "is not a date"),
        ("after:\x1b[2J", "is not a date"),
    ],
    ids=["450 words", "1000 words", "60000 dashes", "year 9999 with a zone", "escape"],
)
def test_oversized_or_impossible_queries_are_one_sentence(store, query, sentence):
    from inbox_tui.errors import UserError
    from inbox_tui.services.search import QueryError

    add(store, "p1", "My printer shows a paper jam.")
    with pytest.raises(QueryError) as caught:
        search(store, query)
    assert sentence in str(caught.value)
    assert isinstance(caught.value, UserError) and "\x1b" not in str(caught.value)


def test_the_largest_allowed_query_runs(store):

    conv = add(store, "p1", "My printer shows a paper jam.")
    assert search(store, " ".join(["paper"] * MAX_TERMS)) == {conv}
    assert search(store, "-" * MAX_QUERY_CHARS) == set()
    # Forty terms each leaving something out: nothing has an "x" word, all have "paper".
    assert search(store, " ".join(["-x"] * MAX_TERMS)) == {conv}
    assert search(store, " ".join(["-paper"] * MAX_TERMS)) == set()


def test_from_matches_like_wildcards_literally(store):
    add(store, "ann", "Hello")  # ann@customer.example
    add(store, "b_o", "Hello")  # b_o@customer.example
    assert search(store, "from:%") == set()
    assert search(store, "from:a%n") == set()
    assert len(search(store, "from:_")) == 1  # only b_o has an underscore
    assert len(search(store, "from:customer.example")) == 2


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.text(max_size=120)
    | st.lists(st.sampled_from(SEARCH_PIECES), max_size=40).map(" ".join)
)
def test_any_search_text_is_a_result_or_one_sentence(sqlite_store, query):
    """Fuzz: whatever is typed after ``/``, a list or a QueryError; never anything else."""
    from inbox_tui.services.search import QueryError

    if not getattr(sqlite_store, "_fuzz_seeded", False):
        add(sqlite_store, "p1", "My printer shows a paper jam.")
        sqlite_store._fuzz_seeded = True  # type: ignore[attr-defined]
    try:
        search(sqlite_store, query)
    except QueryError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)


def test_an_operator_half_typed_is_not_a_word_to_look_for():
    # While "sla:due<2h" was typed, "sla:" searched the text "sla" and listed Slack chats.
    for partial in ("sla:", "tag:", "-assignee:", "contact.plan:"):
        flt = parse_query(f"refund {partial}", "me")
        assert flt.text == ["refund"], partial
    assert parse_query("tag:bug", "me").tags == ["bug"]


def test_earlier_words_matches_are_kept_while_typing_until_a_write(sqlite_store, monkeypatch):
    """Typing "modem router" letter by letter reads the matches of "modem" once (the
    word being typed is read each time); what a write adds is found at once after."""
    from sqlalchemy import event

    monkeypatch.setattr(fulltext, "COMMON_HITS", 1)  # every word is common here
    store = sqlite_store
    add(store, "a1", "The modem blinks red.")
    b = add(store, "b1", "The modem is fine, the router too.")
    reads: list[str] = []

    def trace(statement: str) -> None:
        if "SELECT DISTINCT rowid >> 32" in statement:
            reads.append(statement)

    # SQLite's own trace, on every connection handed out: the cache reads on the
    # connection's cursor, past SQLAlchemy's events.
    def spy(dbapi_conn, record, proxy):
        dbapi_conn.set_trace_callback(trace)

    event.listen(store.engine, "checkout", spy)
    typed = [
        search(store, "modem router"[:i]) for i in range(len("modem ro"), len("modem router") + 1)
    ]
    assert typed == [{b}] * len(typed)
    assert len(reads) == 1  # "modem", kept; never the word being typed
    c = add(store, "c1", "Modem and router replaced.")  # another connection commits
    assert search(store, "modem router") == {b, c}
    assert len(reads) == 2  # read again after the write
    assert search(store, "modem blinks") == search(store, "blinks modem")


def test_while_typing_a_value_on_its_way_is_not_refused_but_a_wrong_one_is():
    from inbox_tui.services.search import QueryError, parse_query

    for being_typed in ("is:op", "is:", "tag:", "channel:ch", 'tag:"feature req'):
        parse_query(being_typed, "me")  # the TUI reads these at each keystroke
    for wrong in ("is:bogus", "channel:fax", "category:x"):
        with pytest.raises(QueryError, match="There is no"):
            parse_query(wrong, "me")
    for unfinished in ("is:op", "tag:", 'tag:"feature req'):
        with pytest.raises(QueryError):
            parse_query(unfinished, "me", complete=True)  # the CLI, a saved view


def _customer(store: Store, key: str, name: str, email: str, body: str) -> int:
    def work(s):
        return Ingestor(s).add(
            IncomingMessage(
                source="t", external_id=key, message_id=f"<{key}@x>", subject="Question",
                author_email=email, author_name=name, sent_at=T0, body=body,
            )
        ).conversation_id  # fmt: skip

    return store.run(work)


def test_plain_words_find_the_customer_by_name_and_address(inbox):
    """walk4: ``/Zoe Larsen`` found nothing in the demo while ``from:`` found her. A plain
    word (or phrase) also finds the conversations of customers whose name or address has
    a word starting with it, as Help Scout's and Front's search do; every word must still
    match somewhere (the text or the customer)."""
    store, ids = inbox
    zoe = _customer(store, "z1", "Zoë Larsen", "zoe.larsen@fjord.example", "The export hangs.")
    olsen = _customer(store, "o1", "Per Olsen", "per@olsen-bikes.example", "Invoice please.")
    assert search(store, "Zoë Larsen") == {zoe}
    assert search(store, "larsen") == {zoe}
    assert search(store, "lars") == {zoe}  # the word being typed
    assert search(store, '"Zoë Larsen"') == {zoe}
    assert search(store, "fjord") == {zoe}  # a word of the address
    assert search(store, "zoe.larsen") == {zoe}
    assert search(store, "larsen export") == {zoe}  # one word the name, one the text
    assert search(store, "larsen invoice") == set()
    assert search(store, "olsen") == {olsen}  # a word of the domain: olsen-bikes
    assert search(store, "sen") == set()  # inside a word: not a word start
    assert search(store, "export") == {ids["export"], zoe}  # text as before
    assert search(store, "larsen is:closed") == set()
    assert search(store, "-tag:x larsen") == {zoe}


def test_an_assignee_that_is_no_agent_is_said_not_found_silently(store):
    """walk11: ``assignee:nobody-at-all`` found 0 conversations and said nothing of why;
    it is one sentence now, as any search that cannot run (an agent named runs)."""
    from inbox_tui.services import triage
    from inbox_tui.services.search import QueryError, search_conversations

    conv = add(store, "p1", "My printer shows a paper jam.")
    store.run(triage.ensure_agent, "sam")
    store.run(triage.assign, "sam", conv, "sam")
    with store.read() as s:
        for query in ("assignee:nobody-at-all", "printer -assignee:nobody-at-all"):
            with pytest.raises(QueryError) as caught:
                search_conversations(s, query, "sam")
            assert str(caught.value).startswith("No agent is called 'nobody-at-all'; ")
        rows, total = search_conversations(s, "assignee:sam", "sam")
        assert [r.id for r in rows] == [conv] and total == 1
        assert search_conversations(s, "assignee:me", "sam")[1] == 1
        assert search_conversations(s, "assignee:none", "sam")[1] == 0
        # the agent searching, before their first action made their row: no sentence
        assert search_conversations(s, "assignee:me", "newcomer")[1] == 0
