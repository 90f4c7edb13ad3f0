"""After a large import, PostgreSQL plans with fresh statistics (``Store.after_bulk_load``):
a store searched right after its first big import, before autovacuum analysed it, was
planned as if its tables were empty (benchmarks/README.md, growth curve)."""

from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import text

from inbox_tui.services.mailimport import import_mail
from inbox_tui.store import engine
from inbox_tui.store.engine import Store


def write_maildir(root: Path, n: int, start: int = 0) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        m = EmailMessage()
        m["From"] = f"Customer {i} <c{i}@example.com>"
        m["To"] = "support@example.com"
        m["Subject"] = f"Password reset number {i}"
        m["Message-ID"] = f"<m{i}@example.com>"
        m["Date"] = "Mon, 02 Nov 2026 10:00:00 +0000"
        m.set_content(f"I cannot reset my password, attempt {i}.")
        (root / "cur" / f"{i}.eml:2,S").write_bytes(m.as_bytes())
    return root


def analysed_columns(store: Store) -> int:
    with store.read() as s:
        return int(
            s.execute(
                text("SELECT count(*) FROM pg_stats WHERE tablename = 'message'")
            ).scalar_one()
        )


def test_a_large_import_leaves_postgres_with_statistics(
    postgres_url_factory, tmp_path, monkeypatch
):
    monkeypatch.setattr(engine, "ANALYZE_MIN_MESSAGES", 40)
    store = Store(postgres_url_factory())
    try:
        assert analysed_columns(store) == 0
        report = import_mail(store, [write_maildir(tmp_path / "md", 50)])
        assert report.counts.imported == 50
        assert analysed_columns(store) > 0
        # A load below the minimum, or growing the store by less than a tenth, is left
        # to autovacuum.
        assert store.after_bulk_load(39) is False
        monkeypatch.setattr(engine, "ANALYZE_MIN_MESSAGES", 2)
        assert store.after_bulk_load(4) is False  # 4 < 50 / 10
        assert store.after_bulk_load(6) is True
    finally:
        store.close()


def test_sqlite_is_left_as_it_plans(sqlite_store):
    assert sqlite_store.after_bulk_load(1_000_000) is False
