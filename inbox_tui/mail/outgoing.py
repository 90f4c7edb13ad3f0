"""Building outgoing replies with ``email.message.EmailMessage`` and ``policy.default``.

Threaded so the customer's client files the reply with the conversation (In-Reply-To,
References), ``Re:`` never stacked, a fresh Message-ID, plain text that SMTP servers
accept (long lines are quoted-printable encoded, so no line exceeds 998 bytes). Header
values with CR, LF or NUL are refused, never trimmed: they are how header injection
starts.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage

from inbox_tui.errors import UserError

_BAD = re.compile(r"[\r\n\x00]")
_RE = re.compile(r"^\s*(re|aw|sv)\s*(\[\d+\])?\s*:\s*", re.I)
SMTP_POLICY = email.policy.SMTP.clone(max_line_length=78)


class HeaderInjection(UserError):
    pass


@dataclass
class ReplyParts:
    from_name: str | None
    from_addr: str
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    subject: str
    body: str
    in_reply_to: str | None
    references: list[str]
    domain: str
    date: datetime


def check_header(name: str, value: str) -> str:
    if _BAD.search(value or ""):
        raise HeaderInjection(
            f"The {name} contains a line break or NUL character; it was not sent. Remove it and try again."
        )
    return value


def reply_subject(subject: str) -> str:
    base = subject.strip()
    while _RE.match(base):
        base = _RE.sub("", base, count=1)
    return f"Re: {base}" if base else "Re: your message"


def new_message_id(domain: str) -> str:
    return email.utils.make_msgid(domain=domain or "inbox-tui.invalid")


def _address(name: str, addr: str, what: str) -> Address:
    check_header(what, name)
    check_header(what, addr)
    if "@" not in addr:
        raise UserError(f"The {what} address {addr!r} is not an email address.")
    local, _, domain = addr.rpartition("@")
    try:
        return Address(display_name=name or "", username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise UserError(f"The {what} address {addr!r} is not valid.") from exc


def build_reply(parts: ReplyParts, message_id: str) -> EmailMessage:
    """The rendered reply. Raises HeaderInjection / UserError for unsafe or bad values."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = _address(parts.from_name or "", parts.from_addr, "From")
    if not parts.to:
        raise UserError("This conversation has no customer address to reply to.")
    msg["To"] = [_address(n, a, "To") for n, a in parts.to]
    if parts.cc:
        msg["Cc"] = [_address(n, a, "Cc") for n, a in parts.cc]
    msg["Subject"] = check_header("subject", parts.subject)
    msg["Date"] = email.utils.format_datetime(parts.date)
    msg["Message-ID"] = message_id
    if parts.in_reply_to:
        msg["In-Reply-To"] = f"<{check_header('In-Reply-To', parts.in_reply_to)}>"
    if parts.references:
        msg["References"] = " ".join(
            f"<{check_header('References', r)}>" for r in parts.references[-20:]
        )
    msg["Auto-Submitted"] = "no"
    body = parts.body.replace("\r\n", "\n")
    if not body.endswith("\n"):
        body += "\n"
    long_lines = any(len(line.encode("utf-8")) > 900 for line in body.split("\n"))
    if long_lines:  # SMTP refuses lines over 998 bytes
        msg.set_content(body, charset="utf-8", cte="quoted-printable")
    else:
        msg.set_content(body, charset="utf-8")
    return msg
