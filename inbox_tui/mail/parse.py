"""Raw RFC 5322 bytes → ``IncomingMessage``.

Mail from the wild is broken in every way: raw 8-bit headers, charsets that do not exist
(``utf8``, ``unknown-8bit``), missing boundaries, garbage dates, 3 MB torture messages.
Everything here degrades instead of failing: unknown charsets decode with replacement and
leave a warning; HTML-only mail becomes readable text; attachments are recorded, not
kept. Work per message is bounded (header count and size, addresses, MIME depth and part
count, body size), so one hostile message cannot stall an import. Only a message with
nothing usable raises ``ParseError``, and the caller quarantines the raw bytes.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import re
from datetime import UTC, datetime
from email.message import Message
from html.parser import HTMLParser

from inbox_tui.incoming import Attachment, IncomingMessage

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


def parse_message(
    raw: bytes,
    *,
    source: str,
    external_id: str | None,
    received_at: datetime | None = None,
) -> IncomingMessage:
    """Parse one message. Raises ParseError when nothing usable can be read."""
    if not raw or not raw.strip():
        raise ParseError("empty message")
    warnings: list[str] = []
    if len(raw) > MAX_RAW_BYTES:
        warnings.append(
            f"message larger than {MAX_RAW_BYTES // (1024 * 1024)} MB; only the start was read"
        )
        raw = raw[:MAX_RAW_BYTES]
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
    message_id = _one_id(_header(msg, "message-id", warnings))
    in_reply_to = _one_id(_header(msg, "in-reply-to", warnings))
    references = _MSGID.findall(_header(msg, "references", warnings))[-MAX_REFERENCES:]
    sent_at = _date(msg, warnings) or received_at or datetime.now(UTC)
    body, attachments = _body(msg, warnings)
    if not (msg.keys() or body.strip()):
        raise ParseError("no headers and no readable text")
    if not from_addr and not from_name and not subject and not body.strip() and not message_id:
        raise ParseError("no sender, subject, message id or text")
    return IncomingMessage(
        source=source,
        external_id=external_id,
        sent_at=sent_at,
        body=body,
        subject=subject,
        message_id=f"<{message_id}>" if message_id else None,
        in_reply_to=f"<{in_reply_to}>" if in_reply_to else None,
        references=[f"<{r}>" for r in references],
        author_name=from_name,
        author_email=from_addr or None,
        to=to,
        cc=cc,
        attachments=attachments,
        warnings=warnings,
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


def _unescape_8bit(raw: str) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogate escapes: read them as UTF-8."""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
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


def _addresses(msg: Message, name: str, warnings: list[str]) -> list[tuple[str, str]]:
    try:
        values = msg.get_all(name, failobj=[])
    except Exception:
        values = []
    out: list[tuple[str, str]] = []
    for value in values:
        try:
            group = getattr(value, "addresses", None)
            if group is not None:
                for addr in group:
                    out.append((str(addr.display_name or ""), str(addr.addr_spec or "")))
                    if len(out) >= MAX_ADDRESSES:
                        break
            else:
                for disp, spec in email.utils.getaddresses([_unescape_8bit(str(value))]):
                    out.append((disp, spec))
        except Exception:
            try:
                out.extend(email.utils.getaddresses([str(value)]))
            except Exception:
                warnings.append(f"{name} header unreadable")
        if len(out) >= MAX_ADDRESSES:
            warnings.append(
                f"{name} lists more than {MAX_ADDRESSES} addresses; the rest were dropped"
            )
            break
    return [(_decode(n).strip(), a.strip()) for n, a in out[:MAX_ADDRESSES] if n or a]


def _first_address(msg: Message, name: str, warnings: list[str]) -> tuple[str, str]:
    addrs = _addresses(msg, name, warnings)
    if addrs:
        n, a = addrs[0]
        return n, a if "@" in a else ""
    raw = _header(msg, name, warnings)
    return raw[:300], ""


def _date(msg: Message, warnings: list[str]) -> datetime | None:
    raw = ""
    try:
        value = msg.get("date")
        dt = getattr(value, "datetime", None)
        if isinstance(dt, datetime):
            return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
        raw = str(value or "")
    except Exception:
        raw = str((msg.get_all("date", failobj=[""]) or [""])[0])
    if raw:
        try:
            dt = email.utils.parsedate_to_datetime(raw)
            return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
        except (TypeError, ValueError, IndexError, OverflowError):
            warnings.append("Date header unreadable; the time it was received is used")
    else:
        warnings.append("no Date header; the time it was received is used")
    return None


def _body(msg: Message, warnings: list[str]) -> tuple[str, list[Attachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    count = 0
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > MAX_PARTS:
            warnings.append(f"more than {MAX_PARTS} MIME parts; the rest were skipped")
            break
        try:
            ctype = part.get_content_type()
        except Exception:
            ctype = "text/plain"
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                warnings.append(f"MIME nesting deeper than {MAX_DEPTH}; inner parts skipped")
                continue
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        disposition = (part.get_content_disposition() or "") if _safe(part) else ""
        filename = _filename(part)
        if (
            ctype == "message/rfc822"
            or (disposition == "attachment")
            or (filename and not ctype.startswith("text/"))
        ):
            attachments.append(Attachment(filename or ctype.replace("/", "."), ctype, _size(part)))
            continue
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
            attachments.append(Attachment(filename or ctype.replace("/", "."), ctype, _size(part)))
    if plain:
        body = "\n\n".join(t for t in plain if t.strip()) or plain[0]
    elif html:
        body = "\n\n".join(html_to_text(h) for h in html)
    else:
        body = ""
    if len(body) > MAX_TEXT_CHARS:
        warnings.append("text longer than a million characters was cut")
        body = body[:MAX_TEXT_CHARS]
    return body, attachments[:MAX_PARTS]


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


def _size(part: Message) -> int:
    try:
        payload = part.get_payload(decode=True)
        return len(payload) if isinstance(payload, bytes) else 0
    except Exception:
        return 0


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


class _HTMLText(HTMLParser):
    """HTML → readable plain text: blocks become lines, links keep their address."""

    BLOCK = {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "ul",
        "ol",
    }
    SKIP = {"script", "style", "head", "title", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")
            if tag == "li":
                self.out.append("• ")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.out.append("\n")
        elif tag == "a" and self.href is not None:
            text = "".join(self.link_text).strip()
            href = self.href.strip()
            if (
                href
                and href.startswith(("http://", "https://", "mailto:"))
                and href.removeprefix("mailto:") != text
            ):
                self.out.append(f" ({href})")
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = re.sub(r"\s+", " ", data)
        self.out.append(data)
        if self.href is not None:
            self.link_text.append(data)

    def text(self) -> str:
        joined = "".join(self.out)
        lines = [ln.strip() for ln in joined.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(html[:MAX_TEXT_CHARS])
        parser.close()
    except Exception:
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()
