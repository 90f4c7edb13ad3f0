"""Hostile text, shared by every test that checks untrusted text is shown as text.

Each entry is (text, why). They cover Rich/Textual markup, raw and RFC 2047-encoded
terminal control sequences (ESC/CSI/OSC/DCS/APC, OSC 52 clipboard writes, OSC 8 links),
8-bit C1 controls, bidi overrides and zero-width characters; ``LONG_LINE`` is a single
100,000-character line. ``assert_no_control_text`` / ``assert_no_control_bytes`` check
what reached the screen or a terminal."""

from __future__ import annotations

import json
from pathlib import Path

HOSTILE: list[tuple[str, str]] = [
    ("[@click=app.quit]Click me[/]", "markup action"),
    ("[link=https://evil.example]login[/link] [/", "markup link and a stray close tag"),
    ("Invoice \x1b]52;c;cHduZWQ=\x07 copied", "OSC 52 clipboard write"),
    ("Hello \x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "OSC 8 hyperlink"),
    ("Clear \x1b[2J\x1b[H screen", "CSI clear screen"),
    ("DCS \x1bPpwned\x1b\\ and APC \x1b_pwned\x1b\\", "DCS and APC strings"),
    ("C1 \x9b31mred\x9d0;title\x9c", "8-bit C1 controls"),
    ("bidi \u202eevil.exe\u202c zero\u200bwidth", "bidi override and zero width"),
    ("=?utf-8?q?=1B=5D52=3Bc=3BcHduZWQ=3D=07encoded?=", "RFC 2047 encoded escape"),
    ("=?utf-8?b?G1syShtbSA==?= b64", "RFC 2047 base64 CSI"),
    ("bell\x07 back\x08space cr\roverwrite del\x7f", "C0 bell, backspace, CR, DEL"),
    ("isolate \u2066hidden\u2069 mark\u200f arabic\u061c ltr\u200e", "bidi isolates and marks"),
]

LONG_LINE = "Z" * 100_000

# Text that must never reach a widget or a terminal from the data.
FORBIDDEN_TEXT = (
    "\x1b",
    "\x07",
    "\x08",
    "\x7f",
    "\x90",
    "\x9b",
    "\x9c",
    "\x9d",
    "\x9e",
    "\x9f",
    "\u202e",
    "\u2066",
    # bidi marks (issue 19: they reached the screen and pushed the pane border out of line)
    "\u200e",
    "\u200f",
    "\u061c",
)

# Bytes of the same, as a terminal would receive them (UTF-8), for raw TUI captures
# (where the app's own drawing uses ESC, so only the data's sequences are searched).
FORBIDDEN_TUI_BYTES = (
    b"\x1b]52",
    b"\x1bP",
    b"\x1b_",
    b"\xc2\x9b",
    b"\xc2\x9d",
    b"\xc2\x9c",
    b"\x1b]8;;https://evil",
    b"\xe2\x80\xae",
    b"\xe2\x81\xa6",
    b"\x1b[2J",
    b"\xe2\x80\x8e",  # U+200E
    b"\xe2\x80\x8f",  # U+200F
    b"\xd8\x9c",  # U+061C
)


def assert_no_control_text(text: str, where: str = "") -> None:
    for bad in FORBIDDEN_TEXT:
        assert bad not in text, f"{bad!r} reached {where or 'the output'}"


def assert_no_control_bytes(data: bytes, where: str = "") -> None:
    """For plain CLI output: no ESC, no C0 but tab/newline, no C1, no bidi controls."""
    text = data.decode("utf-8", "replace").replace("\r\r\n", "\n")  # CSV through a pty
    text = text.replace("\r\n", "\n")  # a pty's newline
    text = text.replace("\n\r", "\n").removeprefix("\r")  # a progress line, rewritten
    for i, ch in enumerate(text):
        code = ord(ch)
        bad = (code < 0x20 and ch not in "\n\t") or 0x7F <= code <= 0x9F
        bad = (
            bad or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
        )
        assert not bad, (
            f"{ch!r} reached {where or 'the terminal'}: {text[max(0, i - 60) : i + 20]!r}"
        )


def hostile_chat_logs(root: Path) -> list[Path]:
    """A JSON-lines log, a Slack export and an IRC log whose nicks, texts, channel and
    file names are hostile."""
    root.mkdir(parents=True, exist_ok=True)
    texts = [t for t, _ in HOSTILE] + [LONG_LINE]
    jsonl = root / "widget \x1b]52;c;cHduZWQ=\x07\u202e.jsonl"
    with jsonl.open("w") as fh:
        for i, text in enumerate(texts):
            fh.write(
                json.dumps(
                    {
                        "conversation": f"c{i}",
                        "author": HOSTILE[i % len(HOSTILE)][0][:60],
                        "ts": f"2026-11-18T10:{i:02d}:00Z",
                        "text": text,
                        "id": f"j{i}",
                        "channel": "chan \x1b[2J\x9b31m" + HOSTILE[i % len(HOSTILE)][0][:20],
                    }
                )
                + "\n"
            )
        fh.write("{broken \x1b]52;c;aGk=\x07 json\n")  # reported with file:line
        fh.write(json.dumps({"author": "a", "ts": "\x1b[2J\x9b", "text": "bad time"}) + "\n")
    slack = root / "slack \x1b]8;;https://evil.example\x1b\\export"
    chan = "general"
    (slack / chan).mkdir(parents=True)
    (slack / "channels.json").write_text(json.dumps([{"id": "C1", "name": chan}]))
    (slack / "users.json").write_text(
        json.dumps(
            [{"id": "U1", "name": "x", "profile": {"display_name": "Eve \x1b]52;c;aGk=\x07\u202e"}}]
        )
    )
    (slack / chan / "2026-11-18.json").write_text(
        json.dumps(
            [
                {"type": "message", "user": "U1", "ts": f"{1795500000 + i}.000100", "text": t}
                for i, t in enumerate(texts)
            ]
        )
    )
    irc = root / "irc \x9b2J\u2066.log"
    with irc.open("w", encoding="utf-8") as fh:
        fh.write("--- Log opened Wed Nov 18 2026\n")
        for i, (text, _) in enumerate(HOSTILE):
            nick = ["ev\x1b]52;c;aGk=\x07il", "m\x9bal", "[@click=app.quit]x"][i % 3]
            fh.write(f"[10:{i:02d}] <{nick}> {text.replace(chr(13), ' ')}\n")
    return [jsonl, slack, irc]
