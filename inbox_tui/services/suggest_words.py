"""The words the suggestions compare: runs of two or more lower-case letters or digits,
without the English stop words. Articles, tags and clusters all count these."""

from __future__ import annotations

import re

_STOPWORDS = """
a an and are as at be but by can could do does for from have how i if in is it
its me my no not of on or our please so that the their there this to was we what
when where which who why will with would you your hi hello thanks thank regards
dear team just get got want need like
"""
STOPWORDS = frozenset(_STOPWORDS.split())
_WORD = re.compile(r"[a-z0-9]{2,}")


def words(text_: str) -> list[str]:
    return [w for w in _WORD.findall(text_.lower()) if w not in STOPWORDS]
