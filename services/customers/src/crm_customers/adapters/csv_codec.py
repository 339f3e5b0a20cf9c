"""Customers as CSV: header checks, cells to schema-shaped values and back (no I/O here).

One row per customer; the columns are the fields of a create request. `tags` holds the tags
joined by `;`, and each custom field is a `cf.<key>` column. Cells a spreadsheet would run as
a formula are written with a leading `'` and read back without it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from servicekit.errors import FieldError, InvalidInput

CUSTOM_PREFIX = "cf."
TAG_SEPARATOR = ";"
BOM = "\ufeff"

# OWASP "CSV injection": these first characters start a formula in Excel and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ... but a phone number or a plain number starting with + or - cannot call anything.
_HARMLESS = re.compile(r"^[+\-][0-9 ()\-./+]*$")


@dataclass(frozen=True)
class Record:
    number: int
    values: dict[str, Any]
    problem: FieldError | None = None  # the record cannot be read as a customer at all


@dataclass(frozen=True)
class CsvTable:
    """A decoded CSV file whose header was checked; rows are read on demand."""

    header: tuple[str, ...]
    text: str
    total_rows: int

    @property
    def custom_keys(self) -> list[str]:
        return [c.removeprefix(CUSTOM_PREFIX) for c in self.header if c.startswith(CUSTOM_PREFIX)]

    def rows(self) -> Iterator[Record]:
        """Every non-blank record, its values shaped like a create request.

        Row 1 is the first record after the header. Blank records are skipped but keep their
        number, so row N is line N + 1 of the file when no cell spans lines.
        """
        reader = csv.reader(io.StringIO(self.text, newline=""))
        next(reader, None)
        width = len(self.header)
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                problem = FieldError("row", f"{len(cells)} cells but the header has {width}")
                yield Record(number, {}, problem)
                continue
            yield Record(number, to_values(self.header, cells))


def decode(body: bytes) -> str:
    """UTF-8 text with or without a byte-order mark; 422 for anything else."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"The file is not UTF-8 (byte {exc.start}): save it as 'CSV UTF-8'.",
            errors=[FieldError("body", "not UTF-8")],
        ) from None


def read_table(text: str, columns: Sequence[str]) -> CsvTable:
    """Check the header against `columns` (plus `cf.*`) and count the records; 422 if bad."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = tuple(c.strip().lower() for c in next(reader, []))
        total = sum(1 for cells in reader if any(c.strip() for c in cells))
    except csv.Error as exc:
        raise InvalidInput(
            f"The file is not valid CSV at line {reader.line_num}: {exc}.",
            errors=[FieldError("body", f"line {reader.line_num}: {exc}")],
        ) from None
    if not header or header == ("",):
        raise InvalidInput(
            "The file is empty: the first line must name the columns.",
            errors=[FieldError("header", "missing")],
        )
    problems = [
        FieldError(name or f"column {i}", "unknown column")
        for i, name in enumerate(header, start=1)
        if name not in columns and not _custom_column(name)
    ]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(FieldError(name, "column appears twice"))
        seen.add(name)
    if "name" not in header:
        problems.append(FieldError("name", "required column is missing"))
    if problems:
        raise InvalidInput(
            "Fix the header row: " + ", ".join(f"{p.field} ({p.message})" for p in problems),
            errors=problems,
        )
    return CsvTable(header=header, text=text, total_rows=total)


def _custom_column(name: str) -> bool:
    return name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX)


def to_values(header: Sequence[str], cells: Sequence[str]) -> dict[str, Any]:
    """One record as the JSON a create request would carry; empty cells are left out."""
    values: dict[str, Any] = {}
    custom: dict[str, str] = {}
    for name, raw in zip(header, cells, strict=False):
        cell = _unguard(raw.strip())
        if not cell:
            continue
        if name.startswith(CUSTOM_PREFIX):
            custom[name.removeprefix(CUSTOM_PREFIX)] = cell
        elif name == "tags":
            values["tags"] = [t.strip() for t in cell.split(TAG_SEPARATOR) if t.strip()]
        else:
            values[name] = cell
    if custom:
        values["custom_fields"] = custom
    return values


def column_of(field: str) -> str:
    """The CSV column a field error is about: `custom_fields.size` is `cf.size`."""
    if field.startswith("custom_fields."):
        return CUSTOM_PREFIX + field.removeprefix("custom_fields.")
    return field


# -- writing -------------------------------------------------------------------------------


def header_line(columns: Sequence[str], custom_keys: Sequence[str], *, bom: bool = True) -> bytes:
    """The header row; the byte-order mark makes Excel read the file as UTF-8."""
    names = [*columns, *(CUSTOM_PREFIX + k for k in custom_keys)]
    return ((BOM if bom else "") + encode_rows([names])).encode()


def customer_cells(
    values: dict[str, Any], columns: Sequence[str], custom_keys: Sequence[str]
) -> list[str]:
    """A customer (column name -> value) as the cells of one row."""
    custom = values.get("custom_fields") or {}
    cells = [cell(values.get(name)) for name in columns]
    cells += [cell(custom.get(key)) for key in custom_keys]
    return cells


def encode_rows(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[_guard(cell(c)) for c in row] for row in rows])
    return buffer.getvalue()


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return TAG_SEPARATOR.join(str(v) for v in value)
    if hasattr(value, "value"):  # enums
        return str(value.value)
    return str(value)


def _guard(cell: str) -> str:
    if cell.startswith(_FORMULA_START) and not _HARMLESS.match(cell):
        return "'" + cell
    return cell


def _unguard(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell
