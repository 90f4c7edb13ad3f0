"""Building outgoing replies and forwards with ``email.message.EmailMessage``.

Threaded so the customer's client files the reply with the conversation (In-Reply-To,
References), ``Re:`` / ``Fwd:`` never stacked, a fresh Message-ID, plain text that SMTP
servers accept (long lines are quoted-printable encoded, so no line exceeds 998 bytes).
Attachments carry their file name RFC 2231-encoded and a content type guessed from it;
a forward carries the original as ``message/rfc822`` or quoted in the text. Header
values with CR, LF or NUL are refused, never trimmed: they are how header injection
starts.
"""

from __future__ import annotations

import email.policy
import email.utils
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage

from inbox_tui.errors import UserError
from inbox_tui.sanitize import eml_name

_BAD = re.compile(r"[\r\n\x00]")
_RE = re.compile(r"^\s*(re|aw|sv)\s*(\[\d+\])?\s*:\s*", re.I)
_FWD = re.compile(r"^\s*(fwd?|wg|tr|rv)\s*(\[\d+\])?\s*:\s*", re.I)
SIGNATURE_SEPARATOR = "-- "  # RFC 3676: clients recognise and trim what follows
SMTP_POLICY = email.policy.SMTP.clone(max_line_length=78)


class HeaderInjection(UserError):
    pass


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    data: bytes


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
    attachments: list[OutgoingAttachment] = field(default_factory=list)
    # A forwarded original, attached whole as message/rfc822.
    forwarded: EmailMessage | None = None


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


def forward_subject(subject: str) -> str:
    base = subject.strip()
    while _FWD.match(base) or _RE.match(base):
        base = _FWD.sub("", _RE.sub("", base, count=1), count=1)
    return f"Fwd: {base}" if base else "Fwd: a conversation"


def with_signature(body: str, signature: str | None) -> str:
    """The body with the signature below the RFC 3676 separator, once."""
    sig = (signature or "").strip("\n")
    if not sig.strip():
        return body
    block = f"{SIGNATURE_SEPARATOR}\n{sig}"
    if body.rstrip().endswith(sig.rstrip()):
        return body  # already signed (an edited draft kept it)
    return body.rstrip("\n") + "\n\n" + block + "\n"


# Files support agents attach every day that ``mimetypes`` does not know: sent as
# octet-stream, the customer's mail client offers to save a log instead of showing it.
_TEXT_SUFFIXES = {".log": "text/plain", ".yaml": "application/yaml", ".yml": "application/yaml"}


def guess_type(filename: str) -> str:
    ctype, encoding = mimetypes.guess_type(filename, strict=False)
    if encoding is not None:  # .tar.gz is gzip data, not a tar
        return "application/octet-stream"
    if ctype is None:
        suffix = filename.rpartition(".")[2].lower()
        return _TEXT_SUFFIXES.get("." + suffix, "application/octet-stream")
    return ctype


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
    for att in parts.attachments:
        check_header("attachment name", att.filename)
        maintype, subtype = _bytes_type(att.content_type)
        # Bytes, base64: a log or CSV arrives exactly as it was, line endings and all.
        msg.add_attachment(
            att.data, maintype=maintype, subtype=subtype, filename=_safe_filename(att.filename)
        )
    if parts.forwarded is not None:
        msg.add_attachment(parts.forwarded, filename=_forward_name(parts.forwarded))
    return msg


def _forward_name(original: EmailMessage) -> str:
    return eml_name(str(original.get("Subject", "") or ""))


def _bytes_type(content_type: str) -> tuple[str, str]:
    """The type a file goes out as, base64-encoded: its own, except that a message or
    multipart may not be base64 (RFC 2046; a kept ``forwarded.eml`` went out as
    ``message/rfc822`` in base64, which mail clients refuse): those go as bytes."""
    maintype, _, subtype = (content_type or "application/octet-stream").partition("/")
    if maintype in ("multipart", "message"):
        return "application", "octet-stream"
    return maintype, subtype or "octet-stream"


@dataclass
class OriginalMessage:
    """What the store knows of a message, to forward it."""

    from_name: str
    from_addr: str | None
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    subject: str
    date: datetime
    message_id: str | None
    body: str
    attachments: list[OutgoingAttachment] = field(default_factory=list)


def rebuild_original(orig: OriginalMessage) -> EmailMessage:
    """An RFC 5322 message with the original's headers, text and attachments, to attach
    to a forward. Values that cannot be headers (line breaks) are dropped here, not sent."""
    msg = EmailMessage(policy=SMTP_POLICY)

    def addr_list(pairs: list[tuple[str, str]]) -> str:
        return ", ".join(
            email.utils.formataddr((n, a)) for n, a in pairs if a and not _BAD.search(n + a)
        )

    if orig.from_addr and not _BAD.search(orig.from_name + orig.from_addr):
        msg["From"] = email.utils.formataddr((orig.from_name, orig.from_addr))
    if addr_list(orig.to):
        msg["To"] = addr_list(orig.to)
    if addr_list(orig.cc):
        msg["Cc"] = addr_list(orig.cc)
    if not _BAD.search(orig.subject):
        msg["Subject"] = orig.subject
    msg["Date"] = email.utils.format_datetime(orig.date)
    if orig.message_id and not _BAD.search(orig.message_id):
        msg["Message-ID"] = f"<{orig.message_id}>"
    msg.set_content(
        orig.body.replace("\r\n", "\n") or "\n", charset="utf-8", cte="quoted-printable"
    )
    for att in orig.attachments:
        maintype, subtype = _bytes_type(att.content_type)
        msg.add_attachment(
            att.data, maintype=maintype, subtype=subtype, filename=_safe_filename(att.filename)
        )
    return msg


def _safe_filename(name: str) -> str:
    return _BAD.sub(" ", name)[:200] or "attachment"


def _shown(name: str, addr: str | None) -> str:
    """An address as a person reads it (not RFC 2047-encoded: this is body text)."""
    name = " ".join(name.split())
    if name and addr:
        # Quoted when it holds a comma or other specials, as in the header it came from:
        # "Accounts, BigCorp" <ap@…> (walk6: unquoted, the Cc line read as two people).
        if any(c in name for c in ',;:<>@()[]"\\'):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{addr}>"
    return name or addr or ""


def quote_original(orig: OriginalMessage) -> str:
    """The original as quoted text under a "Forwarded message" line, as mail clients do."""
    lines = [
        "---------- Forwarded message ----------",
        f"From: {_shown(orig.from_name, orig.from_addr)}",
        f"Date: {email.utils.format_datetime(orig.date)}",
        f"Subject: {orig.subject}",
    ]
    if orig.to:
        lines.append("To: " + ", ".join(_shown(n, a) for n, a in orig.to))
    if orig.cc:
        lines.append("Cc: " + ", ".join(_shown(n, a) for n, a in orig.cc))
    if orig.attachments:
        lines.append("Attachments: " + ", ".join(a.filename for a in orig.attachments))
    return "\n".join(lines) + "\n\n" + orig.body.strip("\n") + "\n"
