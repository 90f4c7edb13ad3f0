"""#17: keys typed in one burst (one tmux send-keys: the terminal hands them to the app
together) reach the dialog or box the first of them opens, in order, Enter included:
"/" then the query, then backspaces and a new query; "t" then a new tag's name and
Enter on the thread's first tag picker (a new tag: it is created)."""

from __future__ import annotations

import shutil

import pytest

from tests.tmux import tmux_app
from tests.tui.test_tmux_layout import args_env, list_ready

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)


def test_a_burst_of_backspaces_and_a_query_reaches_the_search_box_in_order(demo_store, tmp_path):
    args, env = args_env(tmp_path, demo_store)
    with tmux_app("lebursts", args, size=(80, 24), env=env, ready=list_ready) as term:
        term.press("/", "w", "e", "b")
        term.press(*["BSpace"] * 8, "I", "N", "V", "-", "2", "2", "9", "1")
        screen = term.wait_for(lambda t: "INV-2291" in t)
        assert "INV-2291" in screen and "webINV" not in screen, screen


def test_a_burst_after_t_tags_the_thread(demo_store, tmp_path):
    from sqlmodel import select

    from inbox_tui.models import ConversationTag, Tag

    args, env = args_env(tmp_path, demo_store)
    with tmux_app("leburstt", args, size=(80, 24), env=env, ready=list_ready) as term:
        term.press("Enter")
        term.press("t", *"quokka", "Enter")
        screen = term.wait_for(lambda t: "Tagged" in t or "y / Enter" in t)
        if "y / Enter" in screen:  # asked first: the tag is named in the question
            assert "quokka" in screen, screen
            screen = term.press("y")
        screen = term.wait_for(lambda t: "Tagged" in t)
        assert "quokka" in screen, screen
    with demo_store.read() as s:
        tagged = s.exec(
            select(ConversationTag.conversation_id)
            .join(Tag, Tag.id == ConversationTag.tag_id)
            .where(Tag.name == "quokka")
        ).all()
        assert len(tagged) == 1


def test_e_then_a_category_and_enter_in_one_burst_closes_with_it(demo_store, tmp_path):
    """walk2: e, "feature" and Enter in one write: the keys held while the store was
    asked whether a category is needed could be lost (the question stayed open and
    empty), or reach the list behind (f opened Forward). A real terminal's burst."""
    from sqlmodel import delete, select

    from inbox_tui.models import Conversation, ConversationTag, Tag, TagKind
    from inbox_tui.services.conversations import list_conversations, view_filter
    from tests.tui.conftest import ME
    from tests.tui.test_triage_keys import tags_of

    with demo_store.write() as s:  # the top row of the list, without a category
        top = list_conversations(s, view_filter("open", ME), limit=1)[0].id
        kinds = select(Tag.id).where(Tag.kind == TagKind.CATEGORY.value)
        s.exec(
            delete(ConversationTag).where(
                ConversationTag.conversation_id == top, ConversationTag.tag_id.in_(kinds)
            )
        )
    args, env = args_env(tmp_path, demo_store)
    with tmux_app("leburste", args, size=(80, 24), env=env, ready=list_ready) as term:
        term.press("Enter")
        term.press("e", *"feature", "Enter")
        screen = term.wait_for(lambda t: "Closed" in t or "Forward" in t)
        assert "Forward" not in screen, screen
    with demo_store.read() as s:
        assert s.get(Conversation, top).status == "closed"
    assert "feature request" in tags_of(demo_store, top)
