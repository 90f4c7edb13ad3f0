"""A thin, defensive wrapper around aioimaplib.

aioimaplib has known traps, handled here rather than fought everywhere else:
- every await has a timeout (a dead server must not hang a sync);
- FETCH goes in bounded UID batches (one huge FETCH response can hang it, its #118);
- messages are fetched as ``BODY.PEEK[]`` literals and parsed by us, so subjects with
  unbalanced parentheses or quotes come through intact (its #51), and nothing is marked
  \\Seen on the server;
- connection errors become ``ImapError`` with one plain sentence;
- what the socket delivers is handed to its parser in slices of ``FEED_BYTES``: the
  parser copies the rest of its input once per response line and keeps every copy alive
  down its recursion, so one 256 KiB read of a FETCH response held ~30 MB at once (the
  sync's peak memory before any mail was written), and a slice bounds that. It also
  bounds that recursion's depth: one read of ~2,000 short ``RFC822.SIZE`` lines
  overflowed Python's stack inside the parser, and the FETCH then never completed;
- its FETCH command asks, after every response line, whether the current message's data
  is complete by scanning every line of the batch received so far: quadratic in a batch
  (7 M regex matches for 6,046 messages, most of the sync's own CPU beside the writer's).
  ``fetch_command`` gives the same answer scanning only the lines new since it last
  looked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from inbox_tui.errors import UserError

if TYPE_CHECKING:
    from inbox_tui.config import Account

FETCH_BATCH = 200
FEED_BYTES = 8 * 1024  # handed to aioimaplib's parser at a time: <= ~250 short lines
_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FETCH_DATE = re.compile(rb'INTERNALDATE "([^"]{1,40})"')


class ImapError(UserError):
    """A sync problem the user can act on; ``temporary`` ones are retried."""

    def __init__(self, message: str, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


@dataclass
class MailboxState:
    uidvalidity: int
    uidnext: int | None
    exists: int
    highestmodseq: int | None


def internaldate(line: bytes) -> datetime | None:
    """The INTERNALDATE in a FETCH response line (``"06-Dec-2026 21:05:09 +0000"``, the
    day may be space-padded) as an aware datetime; None when absent or unreadable."""
    m = _FETCH_DATE.search(line)
    if m is None:
        return None
    try:
        text = m.group(1).decode("ascii").strip()
        return datetime.strptime(text, "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    except (UnicodeDecodeError, ValueError):
        return None


def feed_in_slices(protocol: Any, size: int = FEED_BYTES) -> None:
    """Make ``protocol`` (an asyncio protocol) take what it receives ``size`` bytes at a
    time, whatever the transport reads at once. The transport looks ``data_received`` up
    on the instance for every read, so this covers plain and TLS connections alike."""
    feed = protocol.data_received

    def data_received(data: bytes) -> None:
        if len(data) <= size:
            feed(data)
            return
        view = memoryview(data)
        for start in range(0, len(data), size):
            feed(bytes(view[start : start + size]))

    protocol.data_received = data_received


@functools.cache
def fetch_command() -> type:
    """aioimaplib's ``FetchCommand`` whose ``wait_data`` (does the last ``n FETCH (``
    line's data still miss a closing parenthesis?) remembers how far it has scanned."""
    from aioimaplib.aioimaplib import FetchCommand, matched_parenthesis

    class IncrementalFetch(FetchCommand):  # type: ignore[misc]
        _scanned = 0  # response lines already looked at for a FETCH line
        _last_fetch = 0  # index of the last FETCH line among them (0: none)

        def wait_data(self) -> bool:
            lines = self._resp_lines
            last = self._last_fetch
            for index in range(self._scanned, len(lines)):
                line = lines[index]
                if isinstance(line, bytes) and self.FETCH_MESSAGE_DATA_RE.match(line):
                    last = index
            self._scanned, self._last_fetch = len(lines), last
            tail = b"".join(line for line in lines[last:] if isinstance(line, bytes))
            return not matched_parenthesis(tail)

    return IncrementalFetch


class ImapSession:
    def __init__(self, account: Account) -> None:
        self.account = account
        self.client: Any = None
        self.timeout = account.timeout

    async def _wait(self, coro: Any, what: str) -> Any:
        try:
            return await asyncio.wait_for(coro, self.timeout)
        except TimeoutError as exc:
            raise ImapError(
                f"The IMAP server {self.account.host} did not answer {what} within {self.timeout:g} seconds.",
                temporary=True,
            ) from exc
        except (ssl.SSLError, ConnectionRefusedError):
            raise  # connect() turns these into their own sentences
        except (ConnectionError, OSError) as exc:
            raise ImapError(
                f"The connection to {self.account.host} was lost during {what} ({exc.__class__.__name__}).",
                temporary=True,
            ) from exc

    async def connect(self) -> None:
        """Connect and log in. Raises ImapError with a plain sentence."""
        import aioimaplib

        from inbox_tui.config import is_loopback

        a = self.account
        if a.security == "plain" and not (is_loopback(a.host) or a.allow_plain):
            raise ImapError(
                f'Refusing to send the password for {a.name} unencrypted to {a.host}; use security = "tls" (or allow_plain = true if you really mean it).'
            )
        password = await a.resolve_password_async(f"account {a.name}")
        if password is None:
            raise ImapError(
                f"No password for account {a.name}: set password_cmd or password_env in the config."
            )
        try:
            if a.security == "tls":
                ctx = (
                    ssl.create_default_context(cafile=a.tls_ca_file)
                    if a.tls_ca_file
                    else ssl.create_default_context()
                )
                self.client = aioimaplib.IMAP4_SSL(
                    host=a.host, port=a.port, timeout=a.timeout, ssl_context=ctx
                )
            else:
                self.client = aioimaplib.IMAP4(host=a.host, port=a.port, timeout=a.timeout)
            feed_in_slices(self.client.protocol)
            await self._wait(self.client.wait_hello_from_server(), "the greeting")
        except ssl.SSLCertVerificationError as exc:
            raise ImapError(
                f"The certificate of {a.host} could not be verified ({exc.verify_message}); set tls_ca_file if it uses a private CA."
            ) from exc
        except ssl.SSLError as exc:
            raise ImapError(
                f"The TLS handshake with {a.host}:{a.port} failed ({exc.reason or exc}).",
                temporary=True,
            ) from exc
        except ConnectionRefusedError as exc:
            raise ImapError(
                f"Cannot reach the IMAP server {a.host}:{a.port}: the connection was refused.",
                temporary=True,
            ) from exc
        except OSError as exc:
            raise ImapError(
                f"Cannot reach the IMAP server {a.host}:{a.port} ({exc.strerror or exc}).",
                temporary=True,
            ) from exc
        resp = await self._wait(self.client.login(a.username or "", password), "the login")
        if resp.result != "OK":
            raise ImapError(
                f"The IMAP server {a.host} refused the login for {a.username}: wrong user name or password."
            )

    def has(self, capability: str) -> bool:
        try:
            return bool(self.client.has_capability(capability))
        except Exception:
            return False

    async def status(self, mailbox: str) -> MailboxState:
        """One round trip: UIDVALIDITY, UIDNEXT (and HIGHESTMODSEQ with CONDSTORE)."""
        items = "(MESSAGES UIDVALIDITY UIDNEXT" + (
            " HIGHESTMODSEQ)" if self.has("CONDSTORE") else ")"
        )
        resp = await self._wait(self.client.status(_quote(mailbox), items), f"STATUS {mailbox}")
        if resp.result != "OK":
            raise ImapError(f"The mailbox {mailbox!r} cannot be read: {_text(resp)}.")
        raw = b" ".join(
            bytes(x) if isinstance(x, (bytes, bytearray)) else str(x).encode() for x in resp.lines
        )

        def num(name: bytes) -> int | None:
            m = re.search(name + rb" (\d+)", raw)
            return int(m.group(1)) if m else None

        uidvalidity = num(b"UIDVALIDITY")
        if uidvalidity is None:
            raise ImapError(f"The server did not report UIDVALIDITY for {mailbox!r}.")
        return MailboxState(
            uidvalidity, num(b"UIDNEXT"), num(b"MESSAGES") or 0, num(b"HIGHESTMODSEQ")
        )

    async def select(self, mailbox: str) -> None:
        resp = await self._wait(self.client.select(_quote(mailbox)), f"SELECT {mailbox}")
        if resp.result != "OK":
            raise ImapError(f"The mailbox {mailbox!r} cannot be opened: {_text(resp)}.")

    async def uids_after(self, last_uid: int) -> list[int]:
        resp = await self._wait(
            self.client.protocol.search(f"UID {last_uid + 1}:*", charset=None, by_uid=True),
            "UID SEARCH",
        )
        if resp.result != "OK":
            raise ImapError(f"UID SEARCH failed: {_text(resp)}.", temporary=True)
        uids: list[int] = []
        for line in resp.lines:
            raw = bytes(line) if isinstance(line, (bytes, bytearray)) else str(line).encode()
            if raw.startswith(b"SEARCH") or raw[:1].isdigit():
                uids.extend(int(x) for x in re.findall(rb"\d+", raw.removeprefix(b"SEARCH")))
        return sorted(u for u in set(uids) if u > last_uid)

    async def sizes(self, uids: list[int]) -> dict[int, int]:
        """Each message's size in bytes (``RFC822.SIZE``), one round trip; missing
        (expunged) UIDs are absent."""
        if not uids:
            return {}
        spec = sequence_set(uids)
        resp = await self._wait(self.client.uid("fetch", spec, "(UID RFC822.SIZE)"), "FETCH")
        if resp.result != "OK":
            raise ImapError(f"FETCH failed: {_text(resp)}.", temporary=True)
        out: dict[int, int] = {}
        for line in resp.lines:
            if isinstance(line, (bytes, bytearray)) and b"FETCH" in line:
                uid, size = _FETCH_UID.search(line), _FETCH_SIZE.search(line)
                if uid and size:
                    out[int(uid.group(1))] = int(size.group(1))
        return out

    async def fetch(self, uids: list[int]) -> list[tuple[int, bytes, datetime | None]]:
        """Raw messages for ``uids`` (one bounded batch), each with its INTERNALDATE (when
        the server got it; None if unreadable). Missing (expunged) UIDs are absent."""
        if not uids:
            return []
        spec = sequence_set(uids)
        items = "(UID INTERNALDATE BODY.PEEK[])"
        proto = self.client.protocol
        command = fetch_command()(
            proto.new_tag(), spec, items, prefix="UID", loop=proto.loop, timeout=self.timeout
        )
        resp = await self._wait(proto.execute(command), "FETCH")
        if resp.result != "OK":
            raise ImapError(f"FETCH failed: {_text(resp)}.", temporary=True)
        out: list[tuple[int, bytes, datetime | None]] = []
        lines = resp.lines
        i = 0
        while i < len(lines):
            line = lines[i]
            if (
                isinstance(line, (bytes, bytearray))
                and b"FETCH" in line
                and i + 1 < len(lines)
                and isinstance(lines[i + 1], bytearray)
            ):
                m = _FETCH_UID.search(bytes(line))
                # INTERNALDATE comes before the literal, or after it on the closing line.
                after = lines[i + 2] if i + 2 < len(lines) else b""
                after = bytes(after) if isinstance(after, (bytes, bytearray)) else b""
                if b"FETCH" in after:  # the next message's: never its date
                    after = b""
                if m:
                    when = internaldate(bytes(line)) or internaldate(after)
                    out.append((int(m.group(1)), bytes(lines[i + 1]), when))
                i += 2
                continue
            i += 1
        return out

    async def search_header(self, name: str, value: str) -> list[int]:
        resp = await self._wait(
            self.client.protocol.search("HEADER", name, f'"{value}"', charset=None, by_uid=True),
            "UID SEARCH HEADER",
        )
        if resp.result != "OK":
            return []
        found: list[int] = []
        for line in resp.lines:
            raw = bytes(line) if isinstance(line, (bytes, bytearray)) else str(line).encode()
            raw = raw.removeprefix(b"SEARCH").strip()
            if raw and re.fullmatch(rb"[\d ]+", raw):  # aioimaplib strips the SEARCH prefix
                found.extend(int(x) for x in raw.split())
        return found

    async def idle(self, seconds: float) -> bool:
        """Wait for the server to announce changes, at most ``seconds``. True if it did.
        Falls back to sleeping when IDLE is not offered."""
        if not self.has("IDLE"):
            await asyncio.sleep(seconds)
            return False
        idle = await self._wait(self.client.idle_start(timeout=seconds + 30), "IDLE")
        try:
            push = await asyncio.wait_for(self.client.wait_server_push(), seconds)
            changed = any(
                b"EXISTS" in (p if isinstance(p, bytes) else str(p).encode())
                for p in (push if isinstance(push, list) else [push])
            )
        except TimeoutError:
            changed = False
        finally:
            self.client.idle_done()
            with contextlib.suppress(TimeoutError, Exception):
                await asyncio.wait_for(idle, self.timeout)
        return changed

    async def logout(self) -> None:
        if self.client is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.logout(), 5)


def sequence_set(uids: list[int]) -> str:
    """Sorted UIDs as an IMAP sequence set of ranges: ``1:200,205,210:300``."""
    parts: list[str] = []
    start = prev = None
    for u in sorted(set(uids)):
        if prev is not None and u == prev + 1:
            prev = u
            continue
        if start is not None:
            parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = u
    if start is not None:
        parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(resp: Any) -> str:
    parts = [
        bytes(x).decode(errors="replace") if isinstance(x, (bytes, bytearray)) else str(x)
        for x in resp.lines[-1:]
    ]
    from inbox_tui.sanitize import one_line

    return one_line(" ".join(parts), 200)


async def message_id_in_mailbox(account: Account, mailbox: str, message_id: str) -> bool:
    """Is a message with this Message-ID in ``mailbox``? Used before resending a reply
    whose outcome is unknown."""
    session = ImapSession(account)
    await session.connect()
    try:
        await session.select(mailbox)
        return bool(await session.search_header("Message-ID", message_id.strip()))
    finally:
        await session.logout()
