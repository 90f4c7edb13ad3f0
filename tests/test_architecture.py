"""The layering rules of DESIGN.md, checked: nothing below the TUI imports textual, and
the CLI's help stays light (heavy modules load only when a command needs them)."""

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "inbox_tui"


def core_modules() -> list[str]:
    mods = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = rel.parts
        if "tui" in parts or "migrations" in parts or parts[-1] in ("__main__",):
            continue
        mods.append(".".join(p for p in parts if p != "__init__"))
    return mods


def test_core_never_imports_textual():
    mods = core_modules()
    assert "inbox_tui.services.triage" in mods and "inbox_tui.ingest" in mods
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k == 'textual' or k.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core modules imported textual: {out.stdout}"


def test_cli_help_does_not_load_heavy_modules():
    code = (
        "import sys\n"
        "from inbox_tui.cli import build_parser\n"
        "build_parser()\n"
        "heavy = [m for m in ('textual', 'sqlalchemy', 'sqlmodel', 'alembic', 'aioimaplib', 'aiosmtplib', 'rapidfuzz') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
