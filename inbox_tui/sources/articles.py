"""A help centre on disk: Markdown files with YAML front matter (Jekyll/Hugo style).

    ---
    title: Share a board with guests        (required)
    description: One-line summary
    category: Collaboration
    tags: [sharing, guests]
    url: https://help.example.com/guests    (or slug: share-with-guests)
    ---
    Body in Markdown (HTML inside is fine).

``load_articles`` returns the articles it could read and one plain problem per file it
could not (missing title, bad YAML, not text), so an import reports them all and keeps
the rest. A slug is stable across imports (front matter ``slug``, else the URL's last
part, else the file's path), which is how a re-import updates instead of duplicating.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from inbox_tui import safeyaml, sanitize
from inbox_tui.errors import UserError
from inbox_tui.mail.parse import html_to_text
from inbox_tui.paths import OUTSIDE, inside, real_root

SUFFIXES = {".md", ".markdown"}
MAX_ARTICLE_BYTES = 2 * 1024 * 1024  # a long help article is ~50 KB
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
_MD = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\(([^)]+)\)"), r"\1"),  # links keep their text
    (re.compile(r"^#{1,6}\s*", re.M), ""),
    (re.compile(r"[*_`]{1,3}"), ""),
    (re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S), ""),  # Liquid/Hugo template tags
]


@dataclass
class ArticleFile:
    slug: str
    title: str
    description: str
    category: str
    tags: str
    url: str | None
    body: str
    path: str

    def __post_init__(self) -> None:
        # The boundary for help-centre text, by construction: whoever builds an article
        # gets it without control characters, bidi controls or line breaks where a line
        # is shown (an article title with ESC ] 52 cleared the composer's screen).
        self.slug = sanitize.one_line(self.slug, 300)
        self.title = sanitize.one_line(self.title, 500)
        self.description = sanitize.one_line(self.description, 2000)
        self.category = sanitize.one_line(self.category, 200)
        self.tags = sanitize.one_line(self.tags, 1000)
        self.url = sanitize.one_line(self.url, 2000) or None if self.url else None
        self.body = sanitize.for_display(self.body)
        self.path = sanitize.one_line(self.path, 4096)


@dataclass
class ArticleProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def plain_text(markdown: str) -> str:
    """Markdown (with HTML inside) as readable plain text for search and excerpts."""
    text = html_to_text(markdown) if "<" in markdown else markdown
    for pattern, repl in _MD:
        text = pattern.sub(repl, text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def load_articles(root: Path) -> tuple[list[ArticleFile], list[ArticleProblem]]:
    base, paths = article_paths(root)
    return collect(load_files(base, paths))


def article_paths(root: Path) -> tuple[Path | None, list[Path]]:
    """(the folder the articles' slugs are relative to, when ``root`` is a folder; every
    Markdown file to read, in order). Raises UserError when ``root`` does not exist."""
    if not root.exists():
        raise UserError(f"{root} does not exist.")
    base = root if root.is_dir() else None
    files = (
        [root]
        if base is None
        else sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    )
    # Jekyll defaults and partials are not articles
    return base, [p for p in files if not p.name.startswith("_")]


Loaded = tuple[ArticleFile | None, ArticleProblem | None]


def load_files(base: Path | None, paths: list[Path]) -> list[Loaded]:
    """Each file of ``article_paths`` read: its article or its problem. Pure, so an
    import can run it on parts of a large help centre in parse workers."""
    real = real_root(base) if base is not None else None
    out: list[Loaded] = []
    for path in paths:
        if base is not None and not inside(path, real):
            out.append((None, ArticleProblem(str(path), OUTSIDE)))
        else:
            out.append(_load(path, base if base is not None else path.parent))
    return out


def collect(loaded: Iterable[Loaded]) -> tuple[list[ArticleFile], list[ArticleProblem]]:
    articles: list[ArticleFile] = []
    problems: list[ArticleProblem] = []
    for art, problem in loaded:
        if art:
            articles.append(art)
        if problem:
            problems.append(problem)
    return articles, problems


def _load(path: Path, root: Path) -> tuple[ArticleFile | None, ArticleProblem | None]:
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            return None, ArticleProblem(
                where,
                f"is {size // 1024:,} KB; articles over {MAX_ARTICLE_BYTES // 1024:,} KB are not read",
            )
        raw = path.read_bytes()
    except OSError as exc:
        return None, ArticleProblem(where, f"cannot be read ({exc.strerror})")
    if b"\x00" in raw[:4096]:
        return None, ArticleProblem(where, "is a binary file, not Markdown")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, ArticleProblem(where, "is not UTF-8 text")
    text = text.replace("\r\n", "\n")
    m = _FRONT.match(text)
    if not m:
        return None, ArticleProblem(where, "has no front matter (--- title: … ---)")
    try:
        meta = safeyaml.load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark else ""
        if isinstance(exc, safeyaml.LimitError):
            return None, ArticleProblem(where, f"has front matter that {exc.problem}{line}")
        return None, ArticleProblem(where, f"has front matter that is not valid YAML{line}")
    if not isinstance(meta, dict):
        return None, ArticleProblem(where, "has front matter that is not a set of keys")
    if meta.get("layout") == "redirect" or meta.get("redirect"):
        return None, ArticleProblem(where, "is a redirect page, not an article")
    title = str(meta.get("title") or "").strip()
    if not title:
        return None, ArticleProblem(where, "has no title in its front matter")
    url = str(meta["url"]).strip() if meta.get("url") else None
    slug = str(meta.get("slug") or "").strip()
    if not slug and url:
        slug = url.rstrip("/").rsplit("/", 1)[-1]
    if not slug:
        slug = path.relative_to(root).with_suffix("").as_posix()
    tags = meta.get("tags") or []
    tags_text = ", ".join(str(t) for t in tags) if isinstance(tags, list) else str(tags)
    return (
        ArticleFile(
            slug=slug[:300],
            title=title[:500],
            description=str(meta.get("description") or "").strip(),
            category=str(meta.get("category") or "").strip()[:200],
            tags=tags_text[:1000],
            url=url,
            body=plain_text(m.group(2)),
            path=where,
        ),
        None,
    )
