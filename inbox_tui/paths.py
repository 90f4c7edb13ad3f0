"""Containment for importers that walk a folder they were given: a file found inside it
may be a link to somewhere else (a Maildir or help-centre folder from an archive with
``cur/x -> ~/.ssh/id_ed25519``). Importers read only what resolves inside the folder."""

from __future__ import annotations

from pathlib import Path

OUTSIDE = "links to a file outside the folder, so it was not read"


def real_root(root: Path) -> Path | None:
    """``root`` with every link resolved, or None when it cannot be resolved."""
    try:
        return root.resolve(strict=True)
    except (OSError, RuntimeError):
        return None


def inside(path: Path, root: Path | None) -> bool:
    """True when ``path`` (links followed) is ``root`` (a ``real_root``) or below it. A
    link loop or an unresolvable root counts as outside."""
    if root is None:
        return False
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False
