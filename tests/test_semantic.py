"""Suggestions by meaning (the optional embedding model) on SQLite and PostgreSQL: a
paraphrase with no word in common finds its article, a tagged history puts the right tag
first, embeddings are recomputed only when a text changes, both stores rank the same,
and everything still works by words when the model is off."""

import json
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import select

from inbox_tui.models import Article, Embedding, TagKind, utcnow
from inbox_tui.services import embeddings, semantic, triage
from inbox_tui.services.suggest import (
    suggest_articles,
    suggest_for_text,
    suggest_tags,
    suggest_tags_for_text,
    tag_choices,
)
from inbox_tui.store import Store, sqlite_url
from tests.mail_history import mail

pytestmark = pytest.mark.semantic

# A tiny help centre, written for these tests. The payment article never says "card" or
# "declined"; the shipping one never says "parcel" or "arrived".
ARTICLES = [
    (
        "payment-failed",
        "Payment failed",
        "If a payment did not go through, your bank may have refused the charge. "
        "Check the billing details and try again, or use another payment method.",
    ),
    (
        "reset-password",
        "Reset your password",
        "Use the link on the sign-in page to choose a new password.",
    ),
    (
        "export-csv",
        "Export your data as CSV",
        "Settings, then Export, writes a spreadsheet file of every record.",
    ),
    (
        "delivery-delays",
        "Where is my order?",
        "Shipments usually take three to five working days. Track the shipment with the "
        "number in your confirmation e-mail.",
    ),
    (
        "change-language",
        "Change the interface language",
        "Pick another language under Preferences.",
    ),
]


@pytest.fixture(autouse=True)
def _model_on():
    embeddings.set_enabled(True)
    assert embeddings.encoder() is not None, embeddings.status()
    yield
    embeddings.set_enabled(None)


def add_articles(s, articles=ARTICLES):
    for slug, title, body in articles:
        s.add(Article(slug=slug, title=title, body=body))
    s.flush()
    return semantic.refresh_articles(s)


def add_conversation(s, key: str, subject: str, body: str) -> int:
    email = f"{key}@customer.example"
    return mail(s, key, utcnow(), subject=subject, email=email, name="", body=body, domain="x")


def test_paraphrase_with_no_shared_word_finds_the_article(store):
    assert store.run(add_articles) == len(ARTICLES)
    with store.read() as s:
        found = suggest_for_text(s, "my card got declined", 3)
        assert found[0].slug == "payment-failed"
        assert "similar meaning" in found[0].reason
        parcel = suggest_for_text(s, "the parcel never arrived", 3)
        assert parcel[0].slug == "delivery-delays"
        # Words still count: an exact title stays first.
        assert suggest_for_text(s, "reset password", 3)[0].slug == "reset-password"


# Labelled queries for the tiny help centre: paraphrases (meaning must carry them) and
# exact terms (words must not be drowned by meaning).
LABELLED = [
    ("my card got declined", "payment-failed"),
    ("the bank refused my money", "payment-failed"),
    ("the parcel never arrived", "delivery-delays"),
    ("how long does shipping take", "delivery-delays"),
    ("forgot my login", "reset-password"),
    ("reset password", "reset-password"),
    ("download everything as a spreadsheet", "export-csv"),
    ("CSV export", "export-csv"),
    ("show the app in German", "change-language"),
    ("interface language", "change-language"),
]


def test_the_hybrid_is_never_below_meaning_alone_on_a_labelled_set(store):
    from inbox_tui.services.suggest import W_WORDS, rank

    store.run(add_articles)
    with store.read() as s:
        slugs = {a.id: a.slug for a in s.exec(select(Article))}

        def hits(weight: float) -> tuple[int, float]:
            top1, rr = 0, 0.0
            for query, want in LABELLED:
                got = [slugs[a] for a, _, _ in rank(s, query, 5, words_weight=weight)]
                top1 += got[:1] == [want]
                rr += 1 / (got.index(want) + 1) if want in got else 0.0
            return top1, rr

        hybrid, meaning = hits(W_WORDS), hits(0.0)
    assert W_WORDS > 0
    assert hybrid >= meaning, (hybrid, meaning)
    assert hybrid[0] >= len(LABELLED) - 1, hybrid


def test_an_article_is_embedded_with_its_title_alone_too():
    chunks = semantic.article_chunks("Reset your password", "", "Use the link. " * 80)
    assert chunks[0] == "Reset your password"
    assert all(c.startswith("Reset your password\n") for c in chunks[1:])
    assert all(len(c) <= semantic.CHUNK_CHARS for c in chunks)
    # A body longer than MAX_CHUNKS full chunks is capped.
    long = "\n".join(f"Paragraph {i}. " + "Use the link. " * 30 for i in range(40))
    assert len(semantic.article_chunks("Reset", "", long)) == 1 + semantic.MAX_CHUNKS
    # A title-only article is one chunk, not the same text twice.
    assert semantic.article_chunks("Pricing", "", "") == ["Pricing"]


# A long article whose last section alone is about closing an account, beside a short
# one about the account that is not: the question must find the long one.
SETTINGS_GUIDE = "\n".join(
    [
        "Notifications",
        "Choose which events send you an e-mail: new comments, mentions and weekly digests. "
        "Quiet hours hold every notification until the morning.",
        "Theme and display",
        "Switch between the light and the dark theme, pick the font size and decide whether "
        "tables show compact rows. These choices follow you to every device.",
        "Time zone and date format",
        "Dates and times are shown in the time zone of your profile. Pick a 24-hour clock or "
        "AM/PM, and whether the week starts on Monday or on Sunday.",
        "Keyboard shortcuts",
        "Press the question mark anywhere to list the shortcuts. Each one can be rebound, and "
        "the whole set can be turned off if it clashes with a screen reader.",
        "Integrations",
        "Connect the calendar, the chat tool and the file storage your team already uses. "
        "Each integration asks for its own permission and can be disconnected at any time.",
        "Language and region",
        "Pick the language of menus and e-mails, and the region that decides number formats "
        "and the currency shown on invoices.",
        "Billing contacts",
        "Invoices go to the billing contact, who can be someone other than the owner. Add a "
        "purchase order number or a tax number and it is printed on every invoice.",
        "Storage",
        "The storage page lists the largest projects and files. Archived projects still count "
        "towards the quota until they are emptied from the archive.",
        "Team members",
        "Invite colleagues by e-mail, give each of them the role of viewer, editor or admin, "
        "and move them between teams whenever the organisation changes.",
        "Closing your account",
        "Deleting your account removes your profile, your projects and every file you "
        "uploaded, permanently, after a grace period of thirty days. Download an export "
        "first if you want to keep a copy; once the grace period ends nothing can be restored.",
    ]
)


def test_a_question_answered_only_in_a_long_article_last_section_finds_it(store):
    def work(s):
        s.add(Article(slug="settings-guide", title="Settings guide", body=SETTINGS_GUIDE))
        s.add(
            Article(
                slug="sign-in",
                title="Sign in to your account",
                body="Enter the e-mail address of your account and your password.",
            )
        )
        return add_articles(s)

    # The previous chunking embedded only the first ~1,300 characters of a body.
    assert SETTINGS_GUIDE.index("Closing your account") > 1300
    store.run(work)
    with store.read() as s:
        slugs = {a.id: a.slug for a in s.exec(select(Article))}
        query = "I want to erase my account and all my data for good"
        found = [slugs[a] for a, _ in semantic.search_articles(s, query, 3)]
        assert found[0] == "settings-guide", found


def test_a_new_chunking_recomputes_every_article(store, monkeypatch):
    assert store.run(add_articles) == len(ARTICLES)
    assert store.run(semantic.refresh_articles) == 0
    monkeypatch.setattr(semantic, "CHUNKING", semantic.CHUNKING + "-next")
    assert store.run(semantic.refresh_articles) == len(ARTICLES)
    assert store.run(semantic.refresh_articles) == 0


def test_a_conversation_gets_the_article_its_meaning_asks_for(store):
    def work(s):
        add_articles(s)
        return add_conversation(
            s,
            "c1",
            "Problem at checkout",
            "Hi, I tried to buy the yearly plan but the bank keeps rejecting it.\n"
            "> quoted text about passwords should not count\n",
        )

    cid = store.run(work)
    with store.read() as s:
        assert suggest_articles(s, cid, 3)[0].slug == "payment-failed"


def test_without_the_model_suggestions_rank_by_words(store):
    store.run(add_articles)
    embeddings.set_enabled(False)
    with store.read() as s:
        assert suggest_for_text(s, "reset password", 3)[0].slug == "reset-password"
        # No shared word and no meaning: whatever the words give, not the payment article.
        assert suggest_for_text(s, "my card got declined", 1)[0].slug != "payment-failed"
    assert "words only" in embeddings.status()


def test_embeddings_follow_article_changes_and_only_them(store):
    assert store.run(add_articles) == len(ARTICLES)
    assert store.run(semantic.refresh_articles) == 0  # nothing changed: nothing recomputed

    def stamps(s):
        return {e.ref_id: (e.text_hash, e.updated_at) for e in s.exec(select(Embedding)).all()}

    with store.read() as s:
        before = stamps(s)

    def edit(s):
        art = s.exec(select(Article).where(Article.slug == "export-csv")).one()
        art.title = "Download your card statements"
        art.body = "Statements of every card payment, as a spreadsheet."
        s.add(art)
        s.flush()
        return art.id, semantic.refresh_articles(s)

    changed_id, n = store.run(edit)
    assert n == 1
    with store.read() as s:
        after = stamps(s)
        assert after[changed_id][0] != before[changed_id][0]
        assert {k: v for k, v in after.items() if k != changed_id} == {
            k: v for k, v in before.items() if k != changed_id
        }
        # The search sees the new text at once.
        assert suggest_for_text(s, "card statements", 1)[0].id == changed_id


def test_conversation_embeddings_are_stored_once_and_redone_when_the_customer_writes(store):
    def work(s):
        cid = add_conversation(s, "a", "Refund", "I want my money back for the last order")
        triage.tag(s, "sam", cid, "billing", kind=TagKind.CATEGORY)
        return cid

    cid = store.run(work)
    assert store.run(semantic.refresh_conversations) == 1
    assert store.run(semantic.refresh_conversations) == 0

    def reply(s):
        mail(
            s,
            "a2",
            utcnow(),
            ("a",),
            subject="Re: Refund",
            email="a@customer.example",
            name="",
            body="Any news on this?",
            domain="x",
        )

    store.run(reply)
    assert store.run(semantic.refresh_conversations, [cid]) == 1


TAGGED = [
    ("billing", "Charged twice", "My account was billed two times this month"),
    ("billing", "Invoice is wrong", "The amount on the invoice is higher than the price"),
    ("billing", "Need a refund", "Please return the money for the plan I cancelled"),
    ("login", "Cannot sign in", "The site says my password is wrong every time"),
    ("login", "Locked out", "Too many attempts and now my account is locked"),
    ("login", "2FA code never comes", "I don't get the verification code to log in"),
    ("shipping", "Package lost", "Tracking has shown no movement for two weeks"),
    ("shipping", "Wrong address", "I need to change where the order is delivered"),
]


def test_a_tagged_history_puts_the_right_tag_first(store):
    def work(s):
        for i, (tag, subject, body) in enumerate(TAGGED):
            triage.tag(
                s, "sam", add_conversation(s, f"h{i}", subject, body), tag, kind=TagKind.CATEGORY
            )
        return add_conversation(
            s, "new", "Money taken two times", "You debited my bank account twice for one order"
        )

    cid = store.run(work)
    store.run(semantic.refresh_conversations)
    with store.read() as s:
        tags = suggest_tags(s, cid, 3)
        assert tags[0].name == "billing", tags
        choices = tag_choices(s, cid)
        assert choices[0].name == "billing" and choices[0].score >= 0.2
        assert choices[0].hint.startswith("suggested")
        by_text = suggest_tags_for_text(s, "I can't log into my account, the code is not sent")
        assert by_text[0].name == "login", by_text


def test_cold_start_tags_come_from_their_names(store):
    def work(s):
        for name in ("billing", "shipping", "login"):
            triage.ensure_tag(s, name, TagKind.CATEGORY)
        return add_conversation(s, "x", "Where is my parcel?", "It should have arrived by now")

    cid = store.run(work)
    with store.read() as s:
        tags = suggest_tags(s, cid, 3)
    assert tags[0].name == "shipping", tags
    assert tags[0].reason == "close to the tag's name"


def test_sqlite_and_postgresql_rank_the_same(tmp_path: Path, postgres_url_factory):
    queries = ["my card got declined", "the parcel never arrived", "password", "spreadsheet"]
    results = []
    for url in (sqlite_url(tmp_path / "a.db"), postgres_url_factory()):
        st = Store(url)
        try:
            st.run(add_articles)
            with st.read() as s:
                slugs = {a.id: a.slug for a in s.exec(select(Article))}
                results.append(
                    [
                        [
                            (slugs[aid], round(sim, 4))
                            for aid, sim in semantic.search_articles(s, q, 5)
                        ]
                        for q in queries
                    ]
                )
        finally:
            st.close()
    assert results[0] == results[1]
    assert results[0][0][0][0] == "payment-failed"


def test_cli_suggests_tags_for_a_text(tmp_path: Path, capsys):
    from inbox_tui import cli

    db = sqlite_url(tmp_path / "t.db")
    st = Store(db)

    def work(s):
        for i, (tag, subject, body) in enumerate(TAGGED):
            triage.tag(
                s, "sam", add_conversation(s, f"h{i}", subject, body), tag, kind=TagKind.CATEGORY
            )

    st.run(work)
    st.close()
    argv = ["--db", db, "suggest", "--tags", "--json", "--text", "where is my package?"]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["tag"] == "shipping" and set(out[0]) == {"tag", "score", "reason"}


def test_cli_import_embeds_new_and_changed_articles_only(tmp_path: Path, capsys):
    from inbox_tui import cli

    kb = tmp_path / "kb"
    kb.mkdir()
    for slug, title, body in ARTICLES[:3]:
        (kb / f"{slug}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n")
    db = sqlite_url(tmp_path / "kb.db")

    def imported() -> dict:
        assert cli.main(["--db", db, "import", "articles", "--json", str(kb)]) == 0
        return json.loads(capsys.readouterr().out)

    assert imported()["embedded"] == 3
    assert imported()["embedded"] == 0
    (kb / "reset-password.md").write_text("---\ntitle: Reset your password\n---\nNew text.\n")
    assert imported()["embedded"] == 1
    assert cli.main(["--db", db, "suggest", "--json", "--text", "my card got declined"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["slug"] == "payment-failed"


def test_catch_up_embeds_what_is_missing_in_short_transactions(store):
    def work(s):
        for slug, title, body in ARTICLES:
            s.add(Article(slug=slug, title=title, body=body))
        for i, (tag, subject, body) in enumerate(TAGGED):
            triage.tag(
                s, "sam", add_conversation(s, f"h{i}", subject, body), tag, kind=TagKind.CATEGORY
            )

    store.run(work)
    assert semantic.catch_up(store, batch=3) == len(ARTICLES) + len(TAGGED)
    assert semantic.catch_up(store) == 0
    with store.read() as s:
        assert suggest_for_text(s, "my card got declined", 1)[0].slug == "payment-failed"
        kinds = [e.kind for e in s.exec(select(Embedding)).all()]
    assert kinds.count("article") == len(ARTICLES) and kinds.count("conversation") == len(TAGGED)


def test_a_hostile_subject_reaches_the_reason_as_one_safe_line():
    # The database is untrusted too (a script, an old version, another tool may have
    # written the subject): the vote's reason is one printable line whatever it holds.
    vecs = embeddings.encode(["refund for my plan", "money back please", "printer broken"])
    assert vecs is not None
    index = semantic.TagIndex(
        np.array([1, 2]),
        vecs[:2],
        [["billing"], ["billing"]],
        {1: "Refund\x1b[2J\nplease\x07", 2: "Refund\x1b[2J\nplease\x07"},
    )
    votes = semantic.vote(index, vecs[2])
    assert votes[0][0] == "billing" and votes[0][2].startswith('like "Refund')
    assert all(ch.isprintable() for ch in votes[0][2]), repr(votes[0][2])


def test_config_turns_meaning_off(tmp_path: Path, capsys):
    from inbox_tui import cli

    db = sqlite_url(tmp_path / "kb.db")
    st = Store(db)
    st.run(add_articles)
    st.close()
    off = tmp_path / "off.toml"
    off.write_text("[suggest]\nsemantic = false\n")
    query = ["--db", db, "suggest", "--json", "--text", "my card got declined"]
    try:
        assert cli.main(query) == 0
        assert json.loads(capsys.readouterr().out)[0]["slug"] == "payment-failed"
        assert cli.main(["--config", str(off), *query]) == 0
        ranked = json.loads(capsys.readouterr().out)
        assert not ranked or ranked[0]["slug"] != "payment-failed"
        assert not embeddings.enabled()
    finally:
        embeddings.set_enabled(None)


def test_the_article_index_sees_another_process_vectors_within_its_recheck(store, monkeypatch):
    """Vectors written by this process are searched at once; ones another process wrote
    (here: rows put in the table behind the service's back) once RECHECK_SECONDS passed."""
    store.run(add_articles)
    with store.read() as s:
        assert semantic.article_index(s) is not None
    vec = embeddings.encode(["Payment failed"])
    assert vec is not None

    def behind_the_back(s):
        art = Article(slug="billing-copy", title="Billing copy", body="")
        s.add(art)
        s.flush()
        s.add(
            Embedding(
                kind=semantic.ARTICLE,
                ref_id=art.id,
                model=embeddings.MODEL_ID,
                text_hash="other process",
                vectors=embeddings.vector_bytes(vec),
                updated_at=utcnow(),
            )
        )
        return art.id

    monkeypatch.setattr(semantic, "RECHECK_SECONDS", 3600.0)
    new_id = store.run(behind_the_back)
    with store.read() as s:
        assert new_id not in semantic.article_index(s).position  # not re-read yet
    monkeypatch.setattr(semantic, "RECHECK_SECONDS", 0.0)
    with store.read() as s:
        assert new_id in semantic.article_index(s).position
