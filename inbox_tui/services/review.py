"""The review step before a reply or a forward leaves: who it is from (which mailbox),
To, Cc, Bcc, the subject, the files and whether the signature goes with it. The agent
edits the recipients as text (``parse_addresses`` checks every address and says what is
wrong with a bad one in one sentence), turns the signature off or on and attaches files
(``check_file``: the ``[mail]`` size caps, before anything is queued).

Nothing here writes: the review is what ``replies.queue_reply`` and
``forward.queue_forward`` are then called with.
"""

from __future__ import annotations

import email.utils
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.mail.outgoing import forward_subject, reply_subject
from inbox_tui.models import Channel
from inbox_tui.services import core
from inbox_tui.services.agent_clock import agent_time, agent_zone
from inbox_tui.services.replies import (
    account_for,
    addressing,
    answered_message,
    customers_of,
    our_addresses,
    reply_thread,
    sending_account,
    signature,
    thread_of,
)

if TYPE_CHECKING:
    from inbox_tui.config import Account, Config
    from inbox_tui.models import Conversation, Message


class BadAddress(UserError):
    """A recipient the agent typed that is not an email address."""


class BadFile(UserError):
    """A file the agent wants to attach that cannot go (missing, unreadable, too big)."""


Pairs = list[tuple[str, str]]


@dataclass
class Review:
    """What the review step shows and the agent may change before sending."""

    kind: str  # "reply" | "forward" | "note" (an internal note: only its files)
    conversation_id: int
    from_name: str | None
    from_addr: str | None
    mailbox: str | None  # the account's name in the config
    to: Pairs
    cc: Pairs
    subject: str  # "" for chat: a chat line has none
    signature: str | None  # the filled-in signature; None: none set up (or chat)
    bcc: Pairs = field(default_factory=list)
    sign: bool = True
    files: list[str] = field(default_factory=list)  # paths, as typed (~ expanded at send)
    chat: bool = False  # a chat reply: no addresses, no files
    problem: str | None = None  # why it cannot be sent as it stands (no account)
    message_row_id: int | None = None  # forward: the one message (else the conversation)
    attach_original: bool = True  # forward of one message: attached whole, else quoted
    carried: int = 0  # forward quoted: the conversation's files that go along
    left_out: int = 0  # ... and those over the per-message cap, which do not
    send_at: datetime | None = None  # "send at": held in the outbox until then (UTC)
    customer_offset: int | None = None  # minutes east of UTC, from their mail (clock)
    answering: int | None = None  # reply: the customer's message it answers (its row id)
    answers: str | None = None  # that message, named: who wrote it, when, its subject
    customers: list[str] = field(default_factory=list)  # the thread's customers (a merge)
    reply_all: bool = False  # reply to all (taking it back reopens it so)
    # The bug whose follow-up this reply was, taken back (undo send): sent again, it is
    # that follow-up again (``buglinks``), so ``fixed`` does not answer the customer twice.
    follows_up: str | None = None
    # What the agent changed here ("recipients", "sign", "files", "send_at"): kept with
    # the draft (``edits``) so closing the composer and opening it again shows them again.
    edited: set[str] = field(default_factory=set)

    def edits(self) -> dict[str, object]:
        """The agent's changes, as kept with the draft: only what was edited, so
        recipients nobody touched are computed afresh (a new Cc on the thread counts)."""
        out: dict[str, object] = {}
        if self.reply_all and self.kind == "reply":  # the mode: r brings back a reply to all
            out["reply_all"] = True
        if "recipients" in self.edited:
            out.update({k: [list(p) for p in getattr(self, k)] for k in ("to", "cc", "bcc")})
        if "sign" in self.edited:
            out["sign"] = self.sign
        if "files" in self.edited:
            out["files"] = list(self.files)
        if "send_at" in self.edited:  # None: "as soon as it can go", chosen after a time
            out["send_at"] = self.send_at.isoformat() if self.send_at is not None else None
        if self.follows_up:
            out["follows_up"] = self.follows_up
        return out

    def apply_edits(self, edits: dict[str, object]) -> None:
        """Put back changes kept with a draft (``edits``); malformed parts are ignored
        (they came from the store, not from a stranger, but a half-written row must
        not stop the composer)."""

        def pairs(value: object) -> Pairs | None:
            if not isinstance(value, list):
                return None
            out = [(str(p[0]), str(p[1])) for p in value if isinstance(p, list) and len(p) == 2]
            return out if len(out) == len(value) else None

        if edits.get("reply_all") is True and self.kind == "reply":
            self.reply_all = True  # its Cc was computed so (``compose.start_reply``)
        to, cc, bcc = (pairs(edits.get(k)) for k in ("to", "cc", "bcc"))
        if to is not None and cc is not None and bcc is not None and self.kind != "note":
            self.to, self.cc, self.bcc = to, cc, bcc
            self.edited.add("recipients")
        if isinstance(edits.get("sign"), bool) and self.kind != "note":
            self.sign = bool(edits["sign"])
            self.edited.add("sign")
        files = edits.get("files")
        if isinstance(files, list) and all(isinstance(f, str) for f in files) and not self.chat:
            self.files = list(files)
            self.edited.add("files")
        if isinstance(edits.get("follows_up"), str) and self.kind == "reply":
            self.follows_up = str(edits["follows_up"])
        if "send_at" in edits and self.kind == "reply" and not self.chat:
            self.send_at = _moment(edits["send_at"])
            self.edited.add("send_at")

    def missing(self) -> str | None:
        """Why this cannot be sent yet, in one sentence, or None."""
        if self.problem:
            return self.problem
        if not self.chat and self.kind != "note" and not self.to:
            return "Add someone to send it to: press a to edit the recipients."
        return None


def reply_review(
    session: Session,
    actor: str,
    conversation_id: int,
    *,
    config: Config,
    reply_all: bool = False,
    answering: int | None = None,
) -> Review:
    """The review of a reply: the same recipients, subject and signature that
    ``queue_reply`` would use (answering the customer's message ``answering``, else
    their newest)."""
    conv = core.lock_conversation(session, conversation_id)
    thread = reply_thread(session, conv)
    ours = our_addresses(session, config)
    last_in = answered_message(thread, ours, answering)
    chat = conv.channel == Channel.CHAT.value
    subject = (  # a chat line has no subject
        ""
        if chat
        else reply_subject(last_in.subject if last_in and last_in.subject else conv.subject)
    )
    account = _account(config, conv)
    problem = None
    to: Pairs = []
    cc: Pairs = []
    if not chat:
        try:
            who = addressing(
                session, actor, conversation_id, config=config, reply_all=reply_all,
                answering=last_in.id if last_in else None,
            )  # fmt: skip
            to, cc = who.to, who.cc
        except UserError as exc:
            problem = str(exc)
    from inbox_tui.models import utcnow
    from inbox_tui.services.clock import customer_clock

    clock = None if chat else customer_clock(session, conversation_id, utcnow())
    return Review(
        kind="reply",
        conversation_id=conversation_id,
        customer_offset=clock.offset_minutes if clock else None,
        from_name=(account.from_name if account else None) or _agent_name(session, actor),
        from_addr=None if chat else (account.address if account else None),
        mailbox=None if chat else (account.name if account else None),
        to=to,
        cc=cc,
        subject=subject,
        signature=_signature(session, actor, conversation_id, config),
        chat=chat,
        problem=problem or (None if chat else _cannot_send(config, account)),
        answering=last_in.id if last_in else None,
        answers=_answers(last_in, agent_zone(config.agent.timezone)),
        customers=customers_of(thread, ours),
        reply_all=reply_all,
    )


def note_review(conversation_id: int) -> Review:
    """The review of an internal note: only the files kept with it (it is never sent, so
    no addresses and no signature)."""
    return Review(
        kind="note",
        conversation_id=conversation_id,
        from_name=None,
        from_addr=None,
        mailbox=None,
        to=[],
        cc=[],
        subject="",
        signature=None,
        sign=False,
    )


def _answers(message: Message | None, zone: str) -> str | None:
    """The message a reply answers, named for the review: who wrote it, when (on the
    agent's clock), about what."""
    if message is None:
        return None
    who = sanitize.one_line(message.author_name or message.author_email or "the customer", 60)
    if message.author_name and message.author_email:
        who += f" <{sanitize.one_line(message.author_email, 120)}>"
    subject = sanitize.one_line(message.subject or "(no subject)", 60)
    return f"{who}, {agent_time(message.sent_at, zone, '%d %b %H:%M')}: “{subject}”"


def forward_review(
    session: Session,
    actor: str,
    conversation_id: int,
    *,
    config: Config,
    message_row_id: int | None = None,
    to: Pairs | None = None,
) -> Review:
    """The review of a forward of one message (attached whole) or of the conversation
    (quoted): nobody to send to yet unless ``to`` is given."""
    conv = core.lock_conversation(session, conversation_id)
    thread = thread_of(session, conv)
    chosen = [m for m in thread if m.id == message_row_id] if message_row_id else thread
    if not chosen:
        raise UserError(f"Message {message_row_id} is not in conversation {conversation_id}.")
    account = _account(config, conv)
    carried = left_out = 0
    if message_row_id is None:  # quoted: its files go along (services.forward)
        from inbox_tui.services.attachments import carried_files

        files, left_out = carried_files(session, chosen, config.mail.max_message_attachment_bytes)
        carried = len(files)
    return Review(
        kind="forward",
        conversation_id=conversation_id,
        from_name=(account.from_name if account else None) or _agent_name(session, actor),
        from_addr=account.address if account else None,
        mailbox=account.name if account else None,
        to=list(to or []),
        cc=[],
        subject=forward_subject(chosen[-1].subject or conv.subject),
        signature=_signature(session, actor, conversation_id, config),
        problem=_cannot_send(config, account),
        message_row_id=message_row_id,
        carried=carried,
        left_out=left_out,
    )


def review_again(
    session: Session, actor: str, conversation_id: int, compose: dict[str, Any], *, config: Config
) -> Review:
    """The review a reply or forward was sent with, back as it was (undo send): its
    mode (reply, reply to all, forward and what it forwards), recipients, files and
    signature choice, from what ``queue_reply`` / ``queue_forward`` recorded."""

    def pairs(key: str) -> Pairs:
        return [(str(n), str(a)) for n, a in compose.get(key) or []]

    if compose.get("kind") == "forward":
        review = forward_review(
            session, actor, conversation_id, config=config,
            message_row_id=compose.get("message_row_id"), to=pairs("to"),
        )  # fmt: skip
        review.attach_original = bool(compose.get("attach_original", True))
    else:
        answering = compose.get("answering")
        try:
            review = reply_review(
                session, actor, conversation_id, config=config,
                reply_all=bool(compose.get("reply_all")), answering=answering,
            )  # fmt: skip
        except UserError:  # that message left the thread (a split): the newest one
            review = reply_review(
                session, actor, conversation_id, config=config,
                reply_all=bool(compose.get("reply_all")),
            )  # fmt: skip
        if not review.chat:
            review.to = pairs("to") or review.to
    if not review.chat:
        review.cc, review.bcc = pairs("cc"), pairs("bcc")
    review.sign = bool(compose.get("sign", True))
    review.files = [str(p) for p in compose.get("files") or []]
    review.send_at = _moment(compose.get("send_at"))  # a scheduled reply keeps its time (walk2)
    # All of it is what the agent chose: kept with the draft if the composer closes (walk5).
    review.edited |= {"recipients", "sign", "files", "send_at"}
    return review


def _moment(value: object) -> datetime | None:
    """A "send at" time as kept in the store (ISO text, UTC), or None when absent or
    unreadable (a half-written row must not stop the composer)."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def forward_draft(review: Review) -> dict[str, object]:
    """What a forward's draft keeps besides its note: what it forwards and to whom, in
    the form ``queue_forward`` records for undo send (``review_again`` reads both)."""
    return {
        "kind": "forward",
        "to": [list(p) for p in review.to],
        "cc": [list(p) for p in review.cc],
        "bcc": [list(p) for p in review.bcc],
        "sign": review.sign,
        "files": list(review.files),
        "message_row_id": review.message_row_id,
        "attach_original": review.attach_original,
    }


def keep_forward(
    session: Session, actor: str, conversation_id: int, note: str, review: Review
) -> bool:
    """A forward's composer closed (Esc): its note and recipients kept for the next ``f``."""
    from inbox_tui.services.drafts import save_draft

    return save_draft(
        session, actor, conversation_id, note, kind="forward", review=forward_draft(review)
    )


def resume_forward(
    session: Session, actor: str, conversation_id: int, *, config: Config
) -> tuple[str, Review] | None:
    """The agent's kept forward on this conversation (its note and review), or None."""
    from inbox_tui.services.drafts import delete_draft, get_draft, get_review_edits

    note = get_draft(session, actor, conversation_id, kind="forward")
    kept = get_review_edits(session, actor, conversation_id, kind="forward")
    if note is None or kept.get("kind") != "forward":
        return None
    try:
        return note, review_again(session, actor, conversation_id, kept, config=config)
    except UserError:  # the forwarded message left the conversation (a split): start again
        delete_draft(session, actor, conversation_id, kind="forward")
        return None


def _account(config: Config, conv: Conversation) -> Account | None:
    """The account the reply goes out from (the demo's own in the demo), else the one
    the conversation came through, which cannot send (``_cannot_send`` says so)."""
    try:
        return sending_account(config, conv)
    except UserError:
        return account_for(config, conv.source)


def _cannot_send(config: Config, account: object) -> str | None:
    if config.demo:
        return None
    if account is None or getattr(account, "smtp", None) is None:
        return "No account is set up to send email (add [accounts.NAME] with an address and [accounts.NAME.smtp] to the config)."
    return None


def _agent_name(session: Session, actor: str) -> str | None:
    from sqlmodel import select

    from inbox_tui.models import Agent

    agent = session.exec(select(Agent).where(Agent.username == actor)).first()
    return (agent.name or agent.username) if agent else actor


def _signature(session: Session, actor: str, conversation_id: int, config: Config) -> str | None:
    try:
        return signature(session, actor, conversation_id, config=config)
    except UserError:
        return None  # a broken signature is refused when the config loads; not here


# -- recipients as the agent types them -----------------------------------------------

_LOCAL = re.compile(r"^[^\s@<>(),;:\"\[\]\\]+$")
_DOMAIN = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def format_addresses(pairs: Pairs) -> str:
    """Recipients as one editable line: ``Name <addr>, addr``."""
    return ", ".join(_one(n, a) for n, a in pairs)


def _one(name: str, addr: str) -> str:
    name, addr = sanitize.one_line(name, 200), sanitize.one_line(addr, 320)
    if not name:
        return addr
    if re.search(r'[,;<>@"()]', name):
        name = '"' + name.replace("\\", "").replace('"', "'") + '"'
    return f"{name} <{addr}>"


def parse_addresses(text: str, what: str = "To") -> Pairs:
    """Recipients typed by the agent (commas or semicolons between them; ``Name <addr>``
    or a bare address). Raises BadAddress, one sentence naming the first bad one."""
    if "\n" in text or "\r" in text or "\x00" in text:
        raise BadAddress(f"The {what} line contains a line break; write the addresses on one line.")
    text = text.replace(";", ",")
    pairs: Pairs = []
    seen: set[str] = set()
    for chunk in _split(text):
        name, addr = email.utils.parseaddr(chunk)
        addr = addr.strip()
        local, at, domain = addr.rpartition("@")
        # parseaddr drops what follows an address's ">" ("<a@b.example>ccc") and joins
        # words after a bare one ("a@b.example ccc" read "a@b.exampleccc"): refused.
        bare = "<" not in chunk and "(" not in chunk
        trailing = (bare and addr != chunk.strip()) or (
            "<" in chunk and not chunk.strip().endswith(">")
        )
        if trailing or not at or not _LOCAL.match(local or "") or not _DOMAIN.match(domain or ""):
            shown = sanitize.one_line(chunk, 80)
            raise BadAddress(
                f"“{shown}” in {what} is not an email address; write it as name@example.com "
                "(several separated by commas)."
            )
        if addr.lower() not in seen:
            seen.add(addr.lower())
            pairs.append((sanitize.one_line(name, 200), addr))
    return pairs


def _split(text: str) -> list[str]:
    """Split at commas outside quotes and angle brackets."""
    out: list[str] = []
    buf: list[str] = []
    quoted = angle = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle = True
        elif ch == ">" and not quoted:
            angle = False
        if ch == "," and not quoted and not angle:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return [c.strip() for c in out if c.strip()]


# -- files the agent attaches ---------------------------------------------------------


def check_file(path_text: str, already: list[str], config: Config) -> tuple[str, int]:
    """A file the agent wants to attach, checked before it is added to the review: it
    exists, can be read, and keeps within the ``[mail]`` caps together with the files
    already attached. Returns (the path as it will be read, its size)."""
    from inbox_tui import words

    if not path_text.strip():
        raise BadFile("Type the path of a file to attach.")
    path = Path(path_text.strip()).expanduser()
    shown = sanitize.one_line(str(path), 200)
    try:
        if path.is_dir():
            raise BadFile(f"{shown} is a folder; choose a file in it.")
        size = path.stat().st_size
        if not os.access(path, os.R_OK):
            raise PermissionError(path)
    except FileNotFoundError as exc:
        raise BadFile(f"There is no file {shown}.") from exc
    except PermissionError as exc:
        raise BadFile(f"{shown} cannot be read (permission denied).") from exc
    cap = config.mail.max_attachment_bytes
    if size > cap:
        raise BadFile(
            f"{shown} is {words.size(size)}, over the {words.size(cap)} limit for one attachment."
        )
    total = size + sum(_size(p) for p in already)
    if total > config.mail.max_message_attachment_bytes:
        limit = words.size(config.mail.max_message_attachment_bytes)
        raise BadFile(
            f"With {shown} the attachments add up to {words.size(total)}, over the {limit} limit."
        )
    return str(path), size


def _size(path: str) -> int:
    try:
        return Path(path).expanduser().stat().st_size
    except OSError:
        return 0


def complete_path(typed: str, cwd: Path | None = None, limit: int = 50) -> list[str]:
    """Completions of a partly typed path, relative to ``cwd`` (the current folder) or
    the home folder (``~/``): folders end in ``/``; hidden files only when a dot is
    typed. Sorted, at most ``limit``."""
    cwd = cwd or Path.cwd()
    folder_text, _, stem = typed.rpartition("/")
    if typed.startswith("~") and "/" not in typed:
        return ["~/"]
    if folder_text or typed.startswith("/"):
        base = Path(folder_text + "/" if folder_text else "/").expanduser()
    else:
        base = Path(".")
    folder = base if base.is_absolute() else cwd / base
    prefix = (folder_text + "/") if (folder_text or typed.startswith("/")) else ""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    out = []
    for name in names:
        if not name.startswith(stem) or (name.startswith(".") and not stem.startswith(".")):
            continue
        out.append(prefix + name + ("/" if (folder / name).is_dir() else ""))
        if len(out) >= limit:
            break
    return out
