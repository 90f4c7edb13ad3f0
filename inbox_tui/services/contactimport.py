"""``inbox-tui import contacts FILE.csv``: customers' attributes from a CSV file.

The header names the columns; ``email`` (required) says whose row it is, ``name`` sets
the contact's name, every other column is an attribute (``plan``, ``company``,
``country``...; names lower-case). An empty cell removes that attribute; a contact that
is not known yet is created, so their first mail finds them.

Bounded and all or nothing: the file is read twice, streamed (a million rows take a
few megabytes): first to check every line (broken quoting, a wrong number of fields, a
missing address, an over-long value: one sentence with the line number, and nothing is
stored), then in one transaction, a batch of rows at a time.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, delete, select
from sqlmodel import Session, col

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import Contact, ContactAttribute, utcnow
from inbox_tui.sources.attributes import MAX_VALUE
from inbox_tui.sources.attributes import NAME as _NAME
from inbox_tui.store import dialect

MAX_ROWS = 2_000_000
MAX_COLUMNS = 50
BATCH = 2000
_CONTACT = Contact.__table__  # type: ignore[attr-defined]
_ATTR = ContactAttribute.__table__  # type: ignore[attr-defined]


class ContactsFileError(UserError):
    pass


@dataclass
class ContactsReport:
    rows: int = 0
    created: int = 0  # contacts not known before
    attributes: int = 0  # values set
    removed: int = 0  # empty cells: attributes removed

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "attributes": self.attributes,
            "removed": self.removed,
        }


def check_file(path: Path) -> list[str]:
    """Read the whole file once; the attribute columns, or ContactsFileError (one
    sentence naming the line) for the first problem."""
    header: list[str] = []
    at = 0
    for line, row in _rows(path):
        if not header:
            header = _header(path, row)
            at = header.index("email")
        elif "@" not in row[at]:
            raise ContactsFileError(
                f"{sanitize.one_line(path.name, 100)} line {line} has no email address "
                f"(“{sanitize.one_line(row[at], 40)}”); nothing was imported."
            )
    if not header:
        raise ContactsFileError(f"{path.name} is empty: the first line names the columns.")
    return header


def import_contacts(session: Session, path: Path) -> ContactsReport:
    """Store the file's attributes in this transaction (``check_file`` first)."""
    report = ContactsReport()
    header: list[str] = []
    batch: list[list[str]] = []
    for _line, row in _rows(path):
        if not header:
            header = _header(path, row)
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            _store(session, header, batch, report)
            batch = []
    if batch:
        _store(session, header, batch, report)
    return report


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for each row, checked; the header is the first."""
    where = sanitize.one_line(path.name, 100)
    # The csv module's limit is process-wide: set for this file, put back after.
    previous = csv.field_size_limit(MAX_VALUE * 4)
    try:
        yield from _read(path, where)
    finally:
        csv.field_size_limit(previous)


def _read(path: Path, where: str) -> Iterator[tuple[int, list[str]]]:
    width = 0
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ContactsFileError(f"{where} cannot be read ({exc.strerror or exc}).") from None
    with handle:
        reader = csv.reader(handle, strict=True)
        line = 1  # where the record being read starts (a quoted field may span lines)
        try:
            for n, row in enumerate(reader):
                if n > MAX_ROWS:
                    raise ContactsFileError(
                        f"{where} has more than {MAX_ROWS:,} rows; split it and import each part."
                    )
                if n == 0:
                    width = len(row)
                elif row and len(row) != width:
                    raise ContactsFileError(
                        f"{where} line {line} has {len(row)} fields where the header has "
                        f"{width}; nothing was imported."
                    )
                if row:  # not a blank line
                    yield line, row
                line = reader.line_num + 1
        except csv.Error as exc:
            raise ContactsFileError(
                f"{where} line {line} is not valid CSV "
                f"({sanitize.one_line(str(exc), 100)}); nothing was imported."
            ) from None
        except UnicodeDecodeError:
            raise ContactsFileError(
                f"{where} near line {line} is not UTF-8 text; nothing was imported."
            ) from None


def _header(path: Path, row: list[str]) -> list[str]:
    where = sanitize.one_line(path.name, 100)
    names = [cell.strip().lower() for cell in row]
    if len(names) > MAX_COLUMNS:
        raise ContactsFileError(f"{where} has more than {MAX_COLUMNS} columns.")
    if "email" not in names:
        raise ContactsFileError(
            f"{where} has no email column: the first line names the columns, one of them email."
        )
    for name in names:
        if not _NAME.fullmatch(name):
            shown = sanitize.one_line(name, 40)
            raise ContactsFileError(
                f"{where}: the column name “{shown}” is not a plain name (letters, digits, "
                "_ . -, up to 100)."
            )
    if len(set(names)) != len(names):
        raise ContactsFileError(f"{where}: a column name is used twice.")
    return names


@dataclass
class ContactRecord:
    """One contact's row to store: ``email`` (None for a chat handle's contact), ``name``
    ("" keeps the name), attribute values by name ("" removes that attribute)."""

    email: str | None
    name: str
    attributes: dict[str, str]


def _store(
    session: Session, header: list[str], rows: list[list[str]], report: ContactsReport
) -> None:
    at = header.index("email")
    name_at = header.index("name") if "name" in header else None
    attrs = [(i, n) for i, n in enumerate(header) if n not in ("email", "name")]
    wanted: dict[str, ContactRecord] = {}
    for row in rows:
        email = sanitize.one_line(row[at], 320).lower()
        if "@" not in email:
            continue  # check_file refused such a file; here only for safety
        wanted[email] = ContactRecord(
            email=email,
            name=sanitize.one_line(row[name_at], 300) if name_at is not None else "",
            attributes={n: sanitize.one_line(row[i], MAX_VALUE) for i, n in attrs},
        )
    report.rows += len(rows)
    store_contacts(session, wanted, report)


def store_contacts(
    session: Session, wanted: dict[str, ContactRecord], report: ContactsReport
) -> None:
    """Create the contacts not known yet (by key: the lower-cased email, or
    ``chat:<handle>``), rename those given a new name, and set or remove their
    attributes: the one path for a contacts CSV and a chat log's attributes."""
    if not wanted:
        return
    conn = session.connection()
    lookup = select(_CONTACT.c.key, _CONTACT.c.id, _CONTACT.c.name).where(
        _CONTACT.c.key.in_(list(wanted))
    )
    before = {key: (cid, name) for key, cid, name in conn.execute(lookup).all()}
    new = [
        {"key": k, "email": r.email, "name": r.name, "created_at": utcnow()}
        for k, r in wanted.items()
        if k not in before
    ]
    if new:  # one statement for the batch; a contact created meanwhile is kept
        conn.execute(dialect.insert_many_ignoring(_CONTACT, "key", conn.dialect.name), new)
        report.created += len(new)
    known: dict[str, int] = {key: cid for key, cid, _name in conn.execute(lookup).all()}
    renamed = [
        {"cid": cid, "nm": wanted[key].name}
        for key, (cid, name) in before.items()
        if wanted[key].name and wanted[key].name != name
    ]
    if renamed:
        conn.execute(
            _CONTACT.update().where(_CONTACT.c.id == bindparam("cid")).values(name=bindparam("nm")),
            renamed,
        )
    # The attributes given replace the stored ones of those names, one statement per
    # set of names (a CSV has one; chat writers may each give others).
    by_names: dict[frozenset[str], list[int]] = {}
    values = []
    for key, rec in wanted.items():
        if rec.attributes:
            by_names.setdefault(frozenset(rec.attributes), []).append(known[key])
        for name, value in rec.attributes.items():
            if value:
                values.append({"contact_id": known[key], "name": name, "value": value})
            else:
                report.removed += 1
    for names, ids in by_names.items():
        conn.execute(
            delete(ContactAttribute)
            .where(col(ContactAttribute.contact_id).in_(ids))
            .where(col(ContactAttribute.name).in_(sorted(names)))
        )
    if values:
        conn.execute(_ATTR.insert(), values)
        report.attributes += len(values)


def attributes_of(session: Session, contact_id: int) -> dict[str, str]:
    """A contact's attributes by name (cleaned for the screen), sorted by name."""
    rows = session.execute(
        select(_ATTR.c.name, _ATTR.c.value)
        .where(_ATTR.c.contact_id == contact_id)
        .order_by(_ATTR.c.name)
    ).all()
    return {sanitize.one_line(n, 100): sanitize.one_line(v, MAX_VALUE) for n, v in rows}
