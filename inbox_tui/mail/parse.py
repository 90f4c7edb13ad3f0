"""Raw RFC 5322 bytes → ``IncomingMessage``.

Mail from the wild is broken in every way: raw 8-bit headers, charsets that do not exist
(``utf8``, ``unknown-8bit``), missing boundaries, garbage dates, 3 MB torture messages.
Everything here degrades instead of failing: unknown charsets decode with replacement and
leave a warning; HTML-only mail becomes laid-out text (``html_to_text``); attachments keep
their bytes up to the size caps (``AttachmentLimits``), and one that is over a cap or
cannot be decoded is recorded with a plain note instead. Work per message is bounded (header count and size, addresses, MIME depth and part
count, body size), so one hostile message cannot stall an import. Only a message with
nothing usable raises ``ParseError``, and the caller quarantines the raw bytes.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import TYPE_CHECKING, Protocol

from inbox_tui import words
from inbox_tui.incoming import Attachment, IncomingMessage, as_utc
from inbox_tui.sanitize import eml_name

if TYPE_CHECKING:
    from inbox_tui.config import Config

MAX_RAW_BYTES = 25 * 1024 * 1024
MAX_HEADER_BYTES = 256 * 1024
MAX_ADDRESSES = 200
MAX_PARTS = 500
MAX_DEPTH = 20
MAX_TEXT_CHARS = 1_000_000
MAX_REFERENCES = 100

# compat32 parses 3-5x faster than policy.default, whose header objects are built eagerly;
# we decode the few headers we use ourselves (``_decode``).
_POLICY = email.policy.compat32
_MSGID = re.compile(r"<([^<>\s]{1,900})>")


class ParseError(ValueError):
    """The bytes are not a usable email message; the text is the reason."""


# How far ahead of its arrival a Date header may be (clocks drift) before it is not believed.
FUTURE_SKEW = timedelta(minutes=15)


def parse_message(
    raw: bytes,
    *,
    source: str,
    external_id: str | None,
    received_at: datetime | None = None,
    limits: AttachmentLimits | None = None,
) -> IncomingMessage:
    """Parse one message. Raises ParseError when nothing usable can be read."""
    if not raw or not raw.strip():
        raise ParseError("empty message")
    limits = limits or AttachmentLimits()
    warnings: list[str] = []
    cut = len(raw) > limits.max_raw_bytes
    if cut:
        warnings.append(
            f"message larger than {words.size(limits.max_raw_bytes)}; only the start was read"
        )
        raw = raw[: limits.max_raw_bytes]
    raw = _bound_headers(raw, warnings)
    try:
        msg = email.message_from_bytes(raw, policy=_POLICY)
    except Exception as exc:  # the stdlib parser raises many types on torture input
        raise ParseError(f"unreadable message structure ({exc.__class__.__name__})") from exc
    if not isinstance(msg, Message):
        raise ParseError("unreadable message structure")
    if not msg.keys() and not msg.get_payload():
        raise ParseError("no headers and no body")

    subject = _header(msg, "subject", warnings)
    from_name, from_addr = _first_address(msg, "from", warnings)
    to = _addresses(msg, "to", warnings)
    cc = _addresses(msg, "cc", warnings)
    reply_to = _addresses(msg, "reply-to", warnings)
    message_id = _one_id(_header(msg, "message-id", warnings))
    in_reply_to = _one_id(_header(msg, "in-reply-to", warnings))
    references = _MSGID.findall(_header(msg, "references", warnings))[-MAX_REFERENCES:]
    dated = _date(msg, warnings)
    # When it arrived: the server's word (IMAP's INTERNALDATE) where there is one, so the
    # same mail gets the same date whenever and wherever it is read; else the clock.
    arrived = received_at or datetime.now(UTC)
    sent_at = (as_utc(dated) if dated else None) or arrived
    if sent_at > arrived + FUTURE_SKEW:
        # A Date in the future (a wrong clock, or spam staying on top) would sort the
        # mail after the replies that answer it: it counts from when it arrived.
        warnings.append(f"dated {sent_at:%Y-%m-%d %H:%M} UTC, in the future; arrival time used")
        sent_at = arrived
    first_line = raw[: raw.find(b"\n") + 1]
    linesep = "\r\n" if first_line.endswith(b"\r\n") else "\n"  # as the mail came
    body, attachments, html = _body(msg, warnings, limits, cut, linesep)
    warnings.extend(a.note for a in attachments if a.note)
    if not (msg.keys() or body.strip()):
        raise ParseError("no headers and no readable text")
    if not from_addr and not from_name and not subject and not body.strip() and not message_id:
        raise ParseError("no sender, subject, message id or text")
    return IncomingMessage(
        source=source,
        external_id=external_id,
        sent_at=sent_at,
        utc_offset=utc_offset(dated, warnings),
        body=body,
        subject=subject,
        message_id=f"<{message_id}>" if message_id else None,
        in_reply_to=f"<{in_reply_to}>" if in_reply_to else None,
        references=[f"<{r}>" for r in references],
        author_name=from_name,
        author_email=from_addr or None,
        to=to,
        cc=cc,
        reply_to=reply_to,
        attachments=attachments,
        warnings=warnings,
        html=html.encode("utf-8", "replace")[:MAX_TEXT_CHARS] if html else None,
    )


def _bound_headers(raw: bytes, warnings: list[str]) -> bytes:
    """Cut an absurd header block down so the parser's cost stays bounded."""
    end = raw.find(b"\n\n")
    end_crlf = raw.find(b"\r\n\r\n")
    if end_crlf != -1 and (end == -1 or end_crlf < end):
        end = end_crlf
    if end == -1:
        end = len(raw)
    if end <= MAX_HEADER_BYTES:
        return raw
    warnings.append(f"header block over {MAX_HEADER_BYTES // 1024} KB was cut")
    head = raw[:MAX_HEADER_BYTES]
    head = head[: head.rfind(b"\n") + 1] if b"\n" in head else head
    return head + b"\n" + raw[end:].lstrip(b"\r\n")


def _header(msg: Message, name: str, warnings: list[str]) -> str:
    try:
        value = msg.get(name)
    except Exception as exc:  # malformed encoded words, bad defects
        warnings.append(f"{name} header unreadable ({exc.__class__.__name__})")
        raw = msg.get_all(name, failobj=[])
        value = raw[0] if raw else None
        if value is not None and not isinstance(value, str):
            value = str(value)
    if value is None:
        return ""
    return _decode(value).strip()


def _decode(value: object) -> str:
    """An RFC 2047 header value as text; unknown charsets and raw 8-bit bytes degrade to
    replacement characters instead of failing."""
    if isinstance(value, email.header.Header):
        # Raw 8-bit bytes in a header arrive as an 'unknown-8bit' chunk: read them as
        # UTF-8, else the usual legacy charset, then decode any encoded words inside.
        raw = "".join(
            chunk if isinstance(chunk, str) else _bytes_text(chunk, cs)
            for chunk, cs in email.header.decode_header(value)
        )
    else:
        raw = str(value)
    if "=?" not in raw:
        return _unescape_8bit(raw)
    try:
        parts = email.header.decode_header(raw)
    except Exception:
        return _unescape_8bit(raw)
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        cs = (charset or "ascii").lower()
        cs = {
            "utf8": "utf-8",
            "unknown-8bit": "utf-8",
            "x-unknown": "utf-8",
            "gb2312": "gb18030",
            "gbk": "gb18030",
        }.get(cs, cs)
        try:
            out.append(chunk.decode(cs, "replace"))
        except LookupError:
            out.append(chunk.decode("utf-8", "replace"))
    # decode_header drops the whitespace between an encoded word and plain text
    return (
        "".join(out)
        if all(isinstance(c, bytes) for c, _ in parts)
        else " ".join(x.strip() for x in out)
    )


# Charset names as mail writes them → what Python can decode. "" means unknown: guess.
_CHARSET_ALIASES = {
    "utf8": "utf-8",
    "unknown-8bit": "",
    "x-unknown": "",
    "us-ascii": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


def _charset(name: str) -> str:
    name = name.lower().strip()
    return _CHARSET_ALIASES.get(name, name)


def _bytes_text(data: bytes, charset: str | None) -> str:
    cs = (charset or "").lower()
    if cs and cs not in ("unknown-8bit", "us-ascii", "ascii"):
        try:
            return data.decode(cs, "replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


_ESCAPED_8BIT = re.compile("[\udc80-\udcff]")


def _unescape_8bit(raw: str) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogate escapes: read them as UTF-8."""
    if not raw.isascii() and _ESCAPED_8BIT.search(raw):
        data = raw.encode("utf-8", "surrogateescape")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", "replace")  # the usual legacy 8-bit charset
    return raw


def _one_id(value: str) -> str | None:
    found = _MSGID.findall(value)
    if found:
        return found[0]
    value = value.strip()
    if value and " " not in value and len(value) < 900 and "@" in value:
        return value
    return None


_ADDR_SPEC = re.compile(r"[^\s<>,;:\"()\[\]]+@[^\s<>,;:\"()\[\]]+\.[^\s<>,;:\"()\[\]]+")


# An address whose local part is quoted (RFC 5321): "ann lee"@example.com.
_QUOTED_LOCAL = re.compile(r'"[^"\r\n]{1,200}"@[^\s@<>,;"]{1,255}')


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_SPEC = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
# The usual header: one address, bare or after a display name of plain words or in
# quotes (without backslashes). ``email.utils.getaddresses`` reads these exactly so
# (tests/test_parse_addresses.py compares), at a twentieth of its cost.
_SIMPLE_ADDRESS = re.compile(
    rf"[ \t]*(?:(?P<spec>{_SIMPLE_SPEC})"
    rf"|(?:(?P<words>{_ATOM}(?: {_ATOM})*)|\"(?P<quoted>[^\"\\\r\n]*)\") <(?P<named>{_SIMPLE_SPEC})>)[ \t]*"
)


def _one_simple_address(text: str) -> list[tuple[str, str]] | None:
    """``getaddresses([text])`` for a header of one plain address, else None."""
    m = _SIMPLE_ADDRESS.fullmatch(text)
    if m is None:
        return None
    if m["spec"] is not None:
        return [("", m["spec"])]
    return [(m["words"] if m["words"] is not None else m["quoted"], m["named"])]


def _addresses(msg: Message, name: str, warnings: list[str]) -> list[tuple[str, str]]:
    """Every address of every ``name`` header (To and Cc may each appear more than
    once), as (display name, address). Entries the address parser cannot read (an
    unbalanced quote, raw 8-bit names, stray text) are searched for addresses instead
    of being dropped; text with no address in it is not an address and is left out."""
    try:
        values = msg.get_all(name, failobj=[])
    except Exception:
        values = []
    out: list[tuple[str, str]] = []
    for value in values:
        text = _raw_header_text(value)
        pairs = _one_simple_address(text)
        if pairs is None:
            try:
                pairs = email.utils.getaddresses([text])
            except Exception:
                pairs = [("", text)]
        for disp, spec in pairs:
            spec = spec.strip()
            plain = "@" in spec and not any(c in spec for c in ' <>,;"')
            if plain or _QUOTED_LOCAL.fullmatch(spec):  # "ann lee"@x.com is an address
                out.append((disp, spec))
            else:  # unreadable entry: keep the addresses inside it
                out.extend(("", found) for found in _ADDR_SPEC.findall(f"{disp} {spec}"))
        if len(out) > MAX_ADDRESSES:
            warnings.append(
                f"{name} lists more than {MAX_ADDRESSES} addresses; the rest were dropped"
            )
            break
    seen: set[str] = set()
    kept = []
    for n, a in out[:MAX_ADDRESSES]:
        if a.lower() not in seen:
            seen.add(a.lower())
            kept.append((_decode(n).strip(), a))
    return kept


def _raw_header_text(value: object) -> str:
    """A header's text before RFC 2047 decoding (an encoded word may hide a comma that
    must not split an address), with raw 8-bit bytes read as UTF-8 (else cp1252)."""
    if isinstance(value, email.header.Header):
        return "".join(
            chunk if isinstance(chunk, str) else _bytes_text(chunk, cs)
            for chunk, cs in email.header.decode_header(value)
        )
    return _unescape_8bit(str(value))


def _first_address(msg: Message, name: str, warnings: list[str]) -> tuple[str, str]:
    addrs = _addresses(msg, name, warnings)
    if addrs:
        n, a = addrs[0]
        return n, a if "@" in a else ""
    raw = _header(msg, name, warnings)
    return raw[:300], ""


def utc_offset(dated: datetime | None, warnings: list[str]) -> int | None:
    """The sender's UTC offset in minutes from their Date header, or None when it has
    none (``-0000`` means unknown) or one no place on Earth uses (beyond -12:00..+14:00),
    which is noted and ignored."""
    delta = dated.utcoffset() if dated is not None else None
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    if not -12 * 60 <= minutes <= 14 * 60:
        sign = "-" if minutes < 0 else "+"
        hours, mins = divmod(abs(minutes), 60)
        warnings.append(f"time-zone offset {sign}{hours:02d}:{mins:02d} is not a real one; ignored")
        return None
    return minutes


def _date(msg: Message, warnings: list[str]) -> datetime | None:
    """The Date header as the sender wrote it: aware in their offset (naive for ``-0000``,
    an unknown zone), or None when there is none or it cannot be read."""
    raw = ""
    try:
        value = msg.get("date")
        dt = getattr(value, "datetime", None)
        if isinstance(dt, datetime):
            return dt
        raw = str(value or "")
    except Exception:
        raw = str((msg.get_all("date", failobj=[""]) or [""])[0])
    if raw:
        try:
            return email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
        try:  # a readable time with an absurd offset (+9900): the time, offset ignored
            parts = email.utils.parsedate_tz(raw)
            if parts is not None and parts[9] is not None:
                hours, rest = divmod(abs(parts[9]) // 60, 60)
                sign = "-" if parts[9] < 0 else "+"
                dt = datetime(*parts[:6])  # type: ignore[misc]
                warnings.append(
                    f"time-zone offset {sign}{hours:02d}:{rest:02d} is not a real one; "
                    "the time is taken as UTC"
                )
                return dt
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
        warnings.append("Date header unreadable; the time it was received is used")
    else:
        warnings.append("no Date header; the time it was received is used")
    return None


def _body(
    msg: Message, warnings: list[str], limits: AttachmentLimits, cut: bool, linesep: str = "\n"
) -> tuple[str, list[Attachment], str | None]:
    """The text, the attachments, and the original HTML part (kept for the agent who
    wants to see it as sent; shown only through ``sanitize``)."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    kept = [0]  # bytes of attachments kept so far (the per-message cap)
    count = 0
    # (part, depth, inside a message kept whole: its own enclosed messages are in its file)
    stack: list[tuple[Message, int, bool]] = [(msg, 0, False)]
    while stack:
        part, depth, enclosed = stack.pop()
        count += 1
        if count > MAX_PARTS:
            warnings.append(f"more than {MAX_PARTS} MIME parts; the rest were skipped")
            break
        try:
            ctype = part.get_content_type()
        except Exception:
            ctype = "text/plain"
        if part.is_multipart():
            forwarded = ctype == "message/rfc822" and not enclosed
            if forwarded:  # a forwarded message: kept whole as a file, and read below too
                name = _filename(part) or _enclosed_name(part)
                attachments.append(_attachment(part, name, ctype, limits, kept, linesep))
            if depth >= MAX_DEPTH:
                warnings.append(f"MIME nesting deeper than {MAX_DEPTH}; inner parts skipped")
                continue
            payload = part.get_payload()
            if isinstance(payload, list):
                inside = enclosed or forwarded
                stack.extend(
                    (p, depth + 1, inside) for p in reversed(payload) if isinstance(p, Message)
                )
            continue
        disposition = (part.get_content_disposition() or "") if _safe(part) else ""
        filename = _filename(part)
        if filename and _invalid_type(part):  # "BINARY;name=x": a file, not text to show
            ctype = "application/octet-stream"
        if (
            ctype == "message/rfc822"
            or (disposition == "attachment")
            or (filename and not ctype.startswith("text/"))
        ):
            attachments.append(_attachment(part, filename, ctype, limits, kept))
            continue
        if filename:  # an inline text file (a patch, a log): read in the thread, kept too
            attachments.append(_attachment(part, filename, ctype, limits, kept))
        if ctype == "text/plain" or (ctype.startswith("text/") and ctype != "text/html"):
            plain.append(_text(part, warnings))
        elif ctype == "text/html":
            html.append(_text(part, warnings))
        elif ctype.startswith("multipart/"):
            # A multipart with a broken or missing boundary arrives here as one blob.
            text = _text(part, warnings)
            if text.strip():
                warnings.append("broken multipart structure; shown as text")
                plain.append(text)
        else:
            attachments.append(_attachment(part, filename, ctype, limits, kept))
    return _assembled(plain, html, attachments, cut, limits, warnings)


def _assembled(
    plain: list[str],
    html: list[str],
    attachments: list[Attachment],
    cut: bool,
    limits: AttachmentLimits,
    warnings: list[str],
) -> tuple[str, list[Attachment], str | None]:
    """``_body``'s result from the parts it read: the text (plain parts, else the HTML
    as text), the files (the last one marked when the message was cut), the HTML."""
    if cut and attachments and attachments[-1].data is not None:
        # The message was cut at MAX_RAW_BYTES: its last file is incomplete.
        last = attachments[-1]
        attachments[-1] = Attachment(
            last.name,
            last.content_type,
            last.size,
            None,
            "too_large",
            f"{_quoted(last.name)} was cut off: the whole message is over "
            f"{words.size(limits.max_raw_bytes)}, so this file was not kept",
        )
    if plain:
        body = "\n\n".join(t for t in plain if t.strip()) or plain[0]
    elif html:
        body = "\n\n".join(html_to_text(h, warnings) for h in html)
    else:
        body = ""
    if len(body) > MAX_TEXT_CHARS:
        warnings.append("text longer than a million characters was cut")
        body = body[:MAX_TEXT_CHARS]
    return body, attachments[:MAX_PARTS], (html[0] if html else None)


@dataclass(frozen=True)
class AttachmentLimits:
    """Size caps ([mail] in the config). A file over a cap is recorded as too large with
    its name and size; the message itself is always kept."""

    max_attachment_bytes: int = 25 * 1024 * 1024
    max_message_attachment_bytes: int = 50 * 1024 * 1024

    @property
    def max_raw_bytes(self) -> int:
        # base64 is 4/3 of the bytes, plus room for the text and headers
        return max(MAX_RAW_BYTES, self.max_message_attachment_bytes * 4 // 3 + 5 * 1024 * 1024)


def attachment_limits(config: Config) -> AttachmentLimits:
    """The caps of the config's [mail] table."""
    return AttachmentLimits(
        config.mail.max_attachment_bytes, config.mail.max_message_attachment_bytes
    )


def _quoted(name: str) -> str:
    shown = " ".join(name.split())
    return f"'{shown[:80]}…'" if len(shown) > 80 else f"'{shown}'"


def _attachment(
    part: Message,
    filename: str,
    ctype: str,
    limits: AttachmentLimits,
    kept: list[int],
    linesep: str = "\n",
) -> Attachment:
    """One attachment with its bytes, or with the plain reason they were not kept."""
    name = filename or ("message.eml" if ctype == "message/rfc822" else ctype.replace("/", "."))
    data: bytes | None
    try:
        if part.is_multipart():  # message/rfc822: the enclosed message, as bytes
            inner = part.get_payload(0)
            # Its lines end as the mail's did, its headers are not folded again.
            again = _POLICY.clone(linesep=linesep, max_line_length=0)
            data = inner.as_bytes(policy=again) if isinstance(inner, Message) else None
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else None
    except Exception:
        data = None
    if data is None:
        return Attachment(
            name, ctype, 0, None, "unreadable", f"{_quoted(name)} could not be decoded"
        )
    defects = {type(d).__name__ for d in getattr(part, "defects", [])}
    if "InvalidBase64LengthDefect" in defects:
        return Attachment(
            name,
            ctype,
            len(data),
            None,
            "unreadable",
            f"{_quoted(name)} has broken base64 encoding; the file was not kept",
        )
    size = len(data)
    if size > limits.max_attachment_bytes:
        return Attachment(
            name,
            ctype,
            size,
            None,
            "too_large",
            f"{_quoted(name)} ({words.size(size)}) is over the {words.size(limits.max_attachment_bytes)} "
            "limit for one attachment; its name and size are kept, the file is not",
        )
    if kept[0] + size > limits.max_message_attachment_bytes:
        return Attachment(
            name,
            ctype,
            size,
            None,
            "too_large",
            f"{_quoted(name)} ({words.size(size)}) would take this message's attachments over "
            f"{words.size(limits.max_message_attachment_bytes)}; its name and size are kept, "
            "the file is not",
        )
    kept[0] += size
    note = None
    if "InvalidBase64CharactersDefect" in defects:
        note = f"{_quoted(name)} had stray characters in its encoding; it may be damaged"
    return Attachment(name, ctype, size, data, "stored", note)


def _enclosed_name(part: Message) -> str:
    """A forwarded message's file name, from its subject (``forwarded.eml`` without)."""
    try:
        inner = part.get_payload(0)
    except Exception:
        inner = None
    subject = _header(inner, "subject", []) if isinstance(inner, Message) else ""
    return eml_name(subject)


def _invalid_type(part: Message) -> bool:
    """The Content-Type names no type/subtype (the stdlib then says text/plain)."""
    try:
        declared = str(part.get("Content-Type", "") or "").split(";")[0].strip()
    except Exception:
        return False
    return bool(declared) and "/" not in declared


def _safe(part: Message) -> bool:
    try:
        part.get_content_disposition()
        return True
    except Exception:
        return False


def _filename(part: Message) -> str:
    try:
        name = str(part.get_filename() or "")
    except Exception:
        return "attachment"
    # Many mailers put RFC 2047 encoded words inside the quoted name (not allowed, but
    # common): decode them so the agent sees the name, cleaned like any other text.
    return _decode(name) if "=?" in name else name


def _text(part: Message, warnings: list[str]) -> str:
    """A text part's content; unknown or lying charsets fall back with replacement."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    if not isinstance(payload, bytes):
        return str(payload)
    charset = (part.get_content_charset() or "").lower().strip()
    aliases = {
        "utf8": "utf-8",
        "unknown-8bit": "",
        "x-unknown": "",
        "us-ascii": "ascii",
        "ascii": "ascii",
        "gb2312": "gb18030",
        "gbk": "gb18030",
    }
    charset = aliases.get(charset, charset)
    if charset:
        try:
            return payload.decode(charset)
        except LookupError:
            warnings.append(f"unknown charset {charset!r}; decoded as UTF-8 with replacement")
        except UnicodeDecodeError:
            warnings.append(f"text is not valid {charset}; decoded with replacement")
            try:
                return payload.decode(charset, "replace")
            except LookupError:
                pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        if not charset:
            warnings.append("text without a charset is not UTF-8; decoded as Latin-1")
            return payload.decode("latin-1")
        return payload.decode("utf-8", "replace")


MAX_LINKS = 200
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_TAG = re.compile(r"<[^>]*>")


def html_to_text(html: str, warnings: list[str] | None = None) -> str:
    """HTML mail as text that reads well in a terminal: tables as aligned columns, lists
    as bullets, links as numbered references listed at the end ("our portal [1]" …
    "[1] https://…"). Scripts, styles and images are dropped; nothing is ever fetched.

    The layout is inscriptis's (lxml underneath). What lxml cannot lay out (nesting
    past libxml2's depth limit, a text node over its size limit) comes out empty; then
    the tags are stripped instead, so no text is lost, and a warning says so.
    """
    html = html[:MAX_TEXT_CHARS]
    if not html.strip():
        return ""
    text = ""
    try:
        from inscriptis import Inscriptis
        from inscriptis.css_profiles import CSS_PROFILES
        from inscriptis.model.config import ParserConfig
        from lxml.html import document_fromstring

        from inbox_tui.mail import inscriptis_speed

        inscriptis_speed.install()
        tree = document_fromstring(html)
        refs: list[str] = []
        for a in tree.iter("a"):
            href = (a.get("href") or "").strip()
            if len(refs) >= MAX_LINKS or not href.lower().startswith(_LINK_SCHEMES):
                continue
            label = a.text_content().strip()
            if label in (href, href.removeprefix("mailto:")):
                continue  # the text already is the address
            refs.append(href)
            a.tail = f" [{len(refs)}]" + (a.tail or "")
        config = ParserConfig(css=CSS_PROFILES["strict"])
        text = Inscriptis(tree, config).get_text()
        lines = [ln.rstrip() for ln in text.splitlines()]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
        if refs and text.strip():
            text += "\n\n" + "\n".join(f"[{i}] {h}" for i, h in enumerate(refs, 1))
    except Exception:  # lxml raises on some byte soup; the fallback below keeps the text
        text = ""
    if text.strip():
        return text
    stripped = _strip_tags(html)
    if stripped and warnings is not None:
        warnings.append(
            "the HTML could not be laid out (too deep or too large); shown as plain text"
        )
    return stripped


def _strip_tags(html: str) -> str:
    import html as html_lib

    html = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", html)
    text = html_lib.unescape(_TAG.sub(" ", html))
    return re.sub(r"[ \t]+", " ", text).strip()


class RawSource(Protocol):
    """What ``parse_many`` needs of an item: its bytes and its stable id."""

    raw: bytes
    external_id: str
    received_at: datetime | None  # when the server got it, if known


def parse_many(
    source: str, limits: AttachmentLimits | None, items: Sequence[RawSource]
) -> list[IncomingMessage | str]:
    """``parse_message`` over a chunk (the ingest pipeline's parse pool runs this in its
    workers): one result per item, the message or the reason it cannot be read."""
    out: list[IncomingMessage | str] = []
    for item in items:
        try:
            out.append(
                parse_message(
                    item.raw,
                    source=source,
                    external_id=item.external_id,
                    received_at=item.received_at,
                    limits=limits,
                )
            )
        except ParseError as exc:
            out.append(str(exc))
    return out
