"""The main screen's team flows (#21): merging and splitting by hand, a response
target set by hand (T), and @mentions
(a toast when a note names me, read when I open the conversation, @name completion in
the note editor). The logic is in ``services.merge`` and ``services.mentions``; here
are the pickers, the confirmations that name both conversations, and the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.timer import Timer

from inbox_tui.errors import UserError
from inbox_tui.sanitize import one_line
from inbox_tui.tui.gateway import Loaded, StoreWritten
from inbox_tui.tui.screens.composer import Composer
from inbox_tui.tui.screens.flows import Flow
from inbox_tui.tui.screens.triage import TriageFlows
from inbox_tui.tui.widgets.dialogs import Confirm, FuzzyPicker, PickItem, Prompt
from inbox_tui.tui.widgets.thread_view import ThreadView
from inbox_tui.words import count


class MergeChoicesLoaded(Loaded):
    """value: the customer's other conversations; flow: (conversation id, picker)."""


class MergeDescribed(Loaded):
    """value: (line for the one merged away, line for the one kept); flow: (src, kept)."""


class SplitChoicesLoaded(Loaded):
    """value: the messages that can be split out; flow: (conversation id, picker)."""


class MentionNamesLoaded(Loaded):
    """value: the agents (their usernames complete @names); flow: the note's composer."""


class MentionNews(Message):
    """The app's poll found notes naming me that I have not seen yet (oldest first)."""

    def __init__(self, news: list[Any]) -> None:
        self.news = news
        super().__init__()


@dataclass
class MentionsRead:
    """Opening a conversation marked its mentions read; the view counts follow."""

    conv_id: int


@dataclass
class TargetSet:
    """A response target set by hand (T): the sentence comes from what changed."""

    conv_id: int
    clear: bool


@dataclass
class Moving:
    """A merge or split under way: the sentence once done comes from its result."""

    kind: str  # merge | split
    conv_id: int


def _typed_id(text: str, kept: int) -> PickItem | None:
    """A conversation number typed in the merge picker (``#123`` or ``123``), as the row
    Enter takes; the conversation itself is refused there, in the picker (ValueError)."""
    from inbox_tui.services.merge import refuse_self_merge

    digits = text.strip().removeprefix("#")
    if not digits.isdigit() or len(digits) >= 12:
        return None
    try:
        refuse_self_merge(int(digits), kept)
    except UserError as exc:
        raise ValueError(str(exc)) from exc
    return PickItem(digits, f"#{digits}", f"merge it into #{kept}")


# A preview (the thread beside the list at 140+ columns) reads the notes naming me that
# stay on screen this long: a row the cursor only passes over is not "shown".
PREVIEW_READ_SECONDS = 1.0


class TeamFlows(TriageFlows):
    unread_mentions: int = 0  # mine, as the views list last counted them
    _preview_timer: Timer | None = None

    # -- merge ---------------------------------------------------------------------

    def action_merge(self) -> None:
        """Merge another conversation of this customer into this one (the customer
        wrote twice): pick it (or type its #number), then confirm with both named."""
        from inbox_tui.services.merge import describe_merge, merge_candidates

        flow = self.begin(single=True)
        if flow is None:
            return
        kept = flow.ids[0]
        title = f"Merge which conversation into #{kept}? (this customer's; or type #number)"
        picker = FuzzyPicker(title, [], loading=True, typed=lambda t: _typed_id(t, kept))

        def chosen(value: str | None) -> None:
            if value and value.isdigit():
                self.gateway.read(
                    self, describe_merge, int(value), kept, reply=MergeDescribed,
                    flow=(int(value), kept), group="pickers",
                )  # fmt: skip

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, merge_candidates, kept, self.zone, reply=MergeChoicesLoaded, flow=(kept, picker),
            group="pickers",
        )  # fmt: skip

    def on_merge_choices_loaded(self, message: MergeChoicesLoaded) -> None:
        _kept, picker = message.flow
        _fill(
            picker,
            message.value,
            "This customer has no other conversation; type #number for another one.",
        )

    def on_merge_described(self, message: MergeDescribed) -> None:
        from inbox_tui.services.merge import merge

        src, kept = message.flow
        gone, stays, warning = message.value

        def answered(yes: bool | None) -> None:
            if not yes:
                self.notify("Nothing was merged.", markup=False)
                return
            self.store_write(merge, self.me, src, kept, ok=None, flow=Moving("merge", kept))

        question = (
            f"Merge #{src} into #{kept}? Its messages, notes, tags and history move into "
            f"#{kept}, and #{src} goes away (ctrl+z takes it back)."
        )
        lines = [f"from: {gone}", f"into: {stays}"]
        self.app.push_screen(Confirm(question, lines, notes=warning), answered)

    # -- split ---------------------------------------------------------------------

    def action_split(self) -> None:
        """Split a message of this conversation and its replies out into a new one."""
        from inbox_tui.services.merge import split_choices

        flow = self.begin(single=True)
        if flow is None:
            return
        cid = flow.ids[0]
        title = f"Split which message (and its replies) out of #{cid} into a new conversation?"
        picker = FuzzyPicker(title, [], loading=True)

        def chosen(value: str | None) -> None:
            if value and value.isdigit():
                self._confirm_split(cid, int(value), picker)

        self.app.push_screen(picker, chosen)
        self.gateway.read(
            self, split_choices, cid, self.zone, reply=SplitChoicesLoaded, flow=(cid, picker),
            group="pickers",
        )  # fmt: skip

    def on_split_choices_loaded(self, message: SplitChoicesLoaded) -> None:
        _cid, picker = message.flow
        _fill(picker, message.value, "No message here can be split out.")

    def _confirm_split(self, cid: int, message_id: int, picker: FuzzyPicker) -> None:
        from inbox_tui.services.merge import split

        item = next((it for it in picker.items if it.value == str(message_id)), None)
        line = f"{item.label} ({item.hint})" if item else f"message {message_id}"

        def answered(yes: bool | None) -> None:
            if not yes:
                self.notify("Nothing was split.", markup=False)
                return
            self.store_write(split, self.me, cid, message_id, ok=None, flow=Moving("split", cid))

        question = (
            f"Split this message and its replies out of #{cid} into a new conversation? "
            "(ctrl+z takes it back)"
        )
        self.app.push_screen(Confirm(question, [line]), answered)

    # -- response target by hand -------------------------------------------------------

    def action_target(self) -> None:
        """Set this conversation's own response target, as a rule's then.target does:
        typed as 30m (first and next reply), "first 1h next 8h", or none to clear."""
        from inbox_tui.services.sla import set_by_hand, target_words

        flow = self.begin(single=True)
        if flow is None:
            return
        cid = flow.ids[0]

        def check(text: str) -> str | None:
            try:
                target_words(text)
            except UserError as exc:
                return str(exc)
            return None

        def typed(text: str | None) -> None:
            if text is None:
                return
            first, next_, clear = target_words(text)
            self.store_write(
                set_by_hand, self.me, cid, first, next_, clear, ok=None,
                flow=TargetSet(cid, clear),
            )  # fmt: skip

        title = f"Response target of #{cid} (30m for every reply, first 1h next 8h; none clears)"
        self.app.push_screen(Prompt(title, "30m", check=check), typed)

    def on_store_written(self, message: StoreWritten) -> None:
        # Textual calls an on_ handler of every class in the MRO: this one chains to
        # TriageFlows' itself, so the walk stops here (it ran twice: every toast twice).
        message.prevent_default()
        flow = message.flow
        if isinstance(flow, MentionsRead):
            message.stop()
            if message.result:  # the count comes from the store with the views: counted
                self.load_views()  # here it raced the poll's news of the same notes
                self.reload()
            return
        if isinstance(flow, TargetSet):
            changed = message.result
            if changed:
                text = f"#{flow.conv_id}: {'; '.join(changed)}."
            else:
                text = f"#{flow.conv_id} already had {'no target of its own' if flow.clear else 'that target'}."
            self.notify(one_line(text, 200), markup=False)
            message.ok, message.flow = None, Flow([flow.conv_id])
        if isinstance(flow, Moving):
            moved = message.result
            if flow.kind == "merge":
                text = f"Merged #{moved.other} into #{moved.kept} ({count(moved.messages, 'message')})."
            else:
                text = f"Split {count(moved.messages, 'message')} out into #{moved.other}."
            self.notify(text + " ctrl+z takes it back.", markup=False)
            message.ok, message.flow = None, Flow([flow.conv_id], after=self.load_views)
        super().on_store_written(message)

    # -- mentions ------------------------------------------------------------------

    def on_mention_news(self, message: MentionNews) -> None:
        """A note names me: say so at once, whatever I am looking at."""
        for m in message.news[-3:]:  # a burst: the latest few, each once
            who = one_line(m.by or "someone", 30)
            note = one_line(m.note, 80)
            subject = one_line(m.subject or "(no subject)", 40)
            self.notify(
                f"@{who} mentioned you on #{m.conversation_id} “{subject}”: {note}",
                title="Mention",
                markup=False,
                timeout=12,
            )
        self.load_views()  # with the unread count (views_panel), as the store has it

    def mentions_shown(self) -> None:
        """The thread view shows a conversation (opened, or refreshed while open): the
        notes naming me there are on my screen. The rule is ``mentions.shown``'s; a
        preview reports its notes after the dwell (``preview_shown``)."""
        thread = self.thread_view.thread
        if thread is None or not thread.conversation.mentioned:
            return
        if self.has_class("-reading") and thread.conversation.id == self.open_id:
            self._report_shown(thread.conversation.id, opened=True, notes=[])

    def _report_shown(self, cid: int, opened: bool, notes: list[int]) -> None:
        from inbox_tui.services.mentions import shown

        thread = self.thread_view.thread
        if thread is not None and thread.conversation.id == cid:
            thread.conversation.mentioned = False  # reported once, not at every refresh
        self.store_write(shown, self.me, cid, opened, notes, ok=None, flow=MentionsRead(cid))

    def on_thread_view_in_sight(self, _message: ThreadView.InSight) -> None:
        self.preview_shown()

    def preview_shown(self) -> None:
        """The thread beside the list shows (or scrolled) the cursor's conversation
        without its being opened. The rule: a mention is read when its note was shown on
        screen for the agent, so the notes naming me that stay in sight for
        ``PREVIEW_READ_SECONDS`` are read (opening reads them all: ``mentions_shown``)."""
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        cid = self.open_id
        if cid is None or self.has_class("-reading") or not self.has_class("-wide"):
            return
        self._preview_timer = self.set_timer(PREVIEW_READ_SECONDS, lambda: self._preview_seen(cid))

    def _preview_seen(self, cid: int) -> None:
        self._preview_timer = None
        if self.open_id != cid or self.has_class("-reading") or not self.has_class("-wide"):
            return  # moved on, or opened it (which read them)
        thread = self.thread_view.thread
        if self.app.screen is not self or thread is None or thread.conversation.id != cid:
            return  # covered by a dialog, or the thread is not shown yet
        if thread.conversation.mentioned:
            notes = self.thread_view.notes_on_screen()
            if notes:
                self._report_shown(cid, opened=False, notes=notes)

    def complete_mentions(self, composer: Composer) -> None:
        """Fill the note editor's @name completion with the agents' usernames."""
        from inbox_tui.services.views import list_agents

        self.gateway.read(
            self, list_agents, reply=MentionNamesLoaded, flow=composer, group="pickers"
        )

    def on_mention_names_loaded(self, message: MentionNamesLoaded) -> None:
        composer: Composer = message.flow
        if composer.is_attached:
            composer.mention_names = [a.username for a in message.value]


def _fill(picker: FuzzyPicker, choices: Any, empty: str) -> None:
    """The merge and split pickers' choices arrived: shown, or ``empty`` said when there
    are none (the picker may have been closed meanwhile)."""
    if not picker.is_attached:
        return
    items = [PickItem(str(c.id), c.label, c.hint) for c in choices]
    picker.set_items(items)
    if not items:
        picker.notify(empty, markup=False)
