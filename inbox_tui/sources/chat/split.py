"""Splitting a chat channel into conversations.

Where the format has threads (Slack ``thread_ts``, a JSONL conversation id) they win.
Otherwise a line joins:
1. the conversation of the person it addresses ("nick: …", "nick, …", a mention), if
   that person spoke recently;
2. else the speaker's own current conversation, if they spoke in it recently;
3. else a new conversation starts (a new question).
The decisions only look backwards, so re-splitting a grown log gives the old lines the
same conversations. ``benchmarks/chat_split.py`` measures this against the annotated
#ubuntu logs.
"""

from __future__ import annotations

import re
from datetime import timedelta

from inbox_tui.sources.chat import ChatLine

_TOKEN = re.compile(r"[^\s:,;!?.()\"']+")

ADDRESS_WINDOW = timedelta(minutes=20)
SPEAKER_WINDOW = timedelta(minutes=6)


def split(lines: list[ChatLine]) -> list[str]:
    """A conversation key per line (the external id of the conversation's first line)."""
    keys: list[str] = []
    by_id: dict[str, str] = {}
    last_conv: dict[str, tuple[str, object]] = {}  # handle/author (lower) → (key, at)
    for line in lines:
        key = None
        if line.thread:
            key = f"thread:{line.channel}:{line.thread}"
        elif line.reply_to and line.reply_to in by_id:
            key = by_id[line.reply_to]
        else:
            for who in [*line.addressed, *_mentions(line, last_conv)]:
                hit = last_conv.get(who.lower())
                if hit and line.at - hit[1] <= ADDRESS_WINDOW:  # type: ignore[operator]
                    key = hit[0]
                    break
            if key is None:
                mine = last_conv.get(line.author.lower())
                if mine and line.at - mine[1] <= SPEAKER_WINDOW:  # type: ignore[operator]
                    key = mine[0]
        if key is None:
            key = f"start:{line.channel}:{line.external_id}"
        keys.append(key)
        by_id[line.external_id] = key
        last_conv[line.author.lower()] = (key, line.at)
        last_conv[line.handle.lower()] = (key, line.at)
    return keys


def _mentions(line: ChatLine, recent: dict[str, tuple[str, object]]) -> list[str]:
    """Recent speakers named in the line (IRC users often write "thanks nick" or put the
    nick later in the sentence): the first such name is the likely addressee."""
    me = line.author.lower()
    out = []
    for token in _TOKEN.findall(line.text[:200]):
        t = token.lower()
        if t != me and t in recent and len(t) > 1:
            out.append(t)
    return out
