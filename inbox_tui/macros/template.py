"""Macro templates: ``{{ … }}`` placeholders, as agents know them from Intercom, Front
and Zendesk.

    {{contact.first_name | fallback: "there"}}   a value, or the fallback when empty
    {{agent.first_name}}                          no fallback: missing value blocks sending
    {{article:export-csv}}                        a help article's title, link and excerpt
    {{ask: order number}}                         a blank the agent must fill before sending

Rendering is one pass over the template: a value that itself contains ``{{`` is inserted
as that text and never re-read, so a customer's name cannot inject anything. Output is
plain text for email; values are made single-line and stripped of control characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from inbox_tui import sanitize

KNOWN_FIELDS = (
    "contact.first_name",
    "contact.name",
    "contact.email",
    "contact.company",
    "agent.first_name",
    "agent.name",
    "conversation.id",
    "conversation.subject",
    # Customer ratings from any mail client (services/ratings): the mailto: links, and
    # "How did we do? Good <mailto:…> / OK <…> / Bad <…>" for a signature.
    "rating.good",
    "rating.ok",
    "rating.bad",
    "rating.links",
)

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
_FALLBACK = re.compile(r'^\s*fallback\s*:\s*(?:"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\')\s*$')
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._/-]*$", re.I)


class TemplateError(ValueError):
    """A template problem found when the macro is loaded. ``offset`` is the character
    position in the template (for file:line reports)."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


class MissingValues(ValueError):
    """Rendering needs values that are not there; ``names`` says which."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            "This macro needs " + ", ".join(names) + " and there is no value or fallback for it."
        )
        self.names = names


@dataclass(frozen=True)
class Placeholder:
    kind: str  # field | article | ask
    name: str  # the field, the article slug, or the question
    fallback: str | None
    start: int
    end: int


@dataclass
class Template:
    text: str
    placeholders: list[Placeholder] = field(default_factory=list)

    @property
    def asks(self) -> list[str]:
        return list(dict.fromkeys(p.name for p in self.placeholders if p.kind == "ask"))

    @property
    def articles(self) -> list[str]:
        return list(dict.fromkeys(p.name for p in self.placeholders if p.kind == "article"))


def parse(text: str) -> Template:
    """Parse a template. Raises TemplateError for an unknown or malformed placeholder,
    or an unclosed ``{{``."""
    placeholders: list[Placeholder] = []
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        _check_unclosed(text, pos, m.start())
        placeholders.append(_placeholder(m.group(1), m.start(), m.end()))
        pos = m.end()
    _check_unclosed(text, pos, len(text))
    return Template(text, placeholders)


def _check_unclosed(text: str, start: int, end: int) -> None:
    i = text.find("{{", start, end)
    if i != -1:
        raise TemplateError("'{{' is never closed with '}}'.", i)


def _placeholder(inner: str, start: int, end: int) -> Placeholder:
    body = inner.strip()
    if not body:
        raise TemplateError("Empty placeholder '{{}}'.", start)
    if body.startswith("ask:"):
        question = body[4:].strip()
        if not question:
            raise TemplateError("'{{ask: …}}' needs a question, e.g. {{ask: order number}}.", start)
        return Placeholder("ask", question, None, start, end)
    if body.startswith("article:"):
        slug = body[8:].strip()
        if not _SLUG.match(slug):
            raise TemplateError(f"'{{{{article:{slug}}}}}' needs an article slug.", start)
        return Placeholder("article", slug, None, start, end)
    name, _, rest = body.partition("|")
    name = name.strip()
    if name not in KNOWN_FIELDS:
        raise TemplateError(
            f"Unknown placeholder '{{{{{name}}}}}'; known ones are {', '.join(KNOWN_FIELDS)}, "
            "article:SLUG and ask: QUESTION.",
            start,
        )
    fallback = None
    if rest:
        fm = _FALLBACK.match(rest)
        if not fm:
            raise TemplateError(
                f"In '{{{{{body}}}}}' the part after '|' must be fallback: \"text\".", start
            )
        raw = fm.group(1) if fm.group(1) is not None else fm.group(2)
        fallback = re.sub(r"\\(.)", r"\1", raw)
    return Placeholder("field", name, fallback, start, end)


def render(
    template: Template,
    values: Mapping[str, str | None],
    *,
    article_text: Callable[[str], str | None] = lambda slug: None,
    answers: Mapping[str, str] | None = None,
) -> str:
    """The filled-in text. Raises MissingValues naming every placeholder without a value
    (and without a fallback), unanswered ``ask`` blanks and unknown articles."""
    answers = answers or {}
    out: list[str] = []
    missing: list[str] = []
    pos = 0
    for p in template.placeholders:
        out.append(template.text[pos : p.start])
        pos = p.end
        if p.kind == "ask":
            value = (answers.get(p.name) or "").strip()
            if not value:
                missing.append(f"an answer to '{p.name}'")
                continue
            out.append(sanitize.clean(value))
        elif p.kind == "article":
            text = article_text(p.name)
            if text is None:
                missing.append(f"the help article '{p.name}' (not in the store)")
                continue
            out.append(text)
        else:
            raw = values.get(p.name)
            value = sanitize.one_line(raw, 500) if raw else ""
            if not value:
                if p.fallback is None:
                    missing.append(p.name)
                    continue
                value = p.fallback
            out.append(value)
    out.append(template.text[pos:])
    if missing:
        raise MissingValues(list(dict.fromkeys(missing)))
    return "".join(out)


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1
