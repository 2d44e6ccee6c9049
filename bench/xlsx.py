"""XLSX workbooks from rows of typed cells, written with XlsxWriter (a dev dependency): the
benchmark's files (bench/gen.py) and the tests' workbook fixtures (tests/unit/sheet_builders.py).

A cell is ``None`` or ``""`` (left empty), ``str``, ``bool``, ``int``, ``float``, ``datetime.date``
or ``datetime.datetime``; anything else is written as its ``str()``. Each type is written as Excel
stores it, so python-calamine reads it back as that type:

- text is always text, never turned into a formula, a number or a link (XlsxWriter's ``write``
  would do all three to a cell such as ``=HYPERLINK(...)`` or ``http://...``);
- a date is a serial number with the built-in short-date format (number format 14) and a datetime
  one with the date-and-time format (22);
- NaN and infinity, which a number cell cannot hold, become the error cells ``#NUM!`` and
  ``#DIV/0!``, as Excel shows them.

    write_workbook(path, [("Data", rows)], constant_memory=True)   # streamed, row by row
    data = workbook_bytes([("Cover", [["title"]]), ("Data", rows)])
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import xlsxwriter

Cell = object
SheetSpec = tuple[str, Iterable[Sequence[Cell]]]

DATE_FORMAT = 14  # Excel's built-in short date (m/d/yyyy, shown in the reader's locale)
DATETIME_FORMAT = 22  # Excel's built-in short date and time (m/d/yyyy h:mm)

# The same creation time on every file, so a fixture's bytes depend only on its cells.
_CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def write_workbook(
    target: str | Path | IO[bytes], sheets: Iterable[SheetSpec], *, constant_memory: bool = False
) -> list[int]:
    """Write each (sheet name, rows) in order; return how many rows each sheet got.

    Rows may be a generator: with ``constant_memory`` each row is flushed to a temporary file as
    soon as the next one starts (XlsxWriter's streaming mode, which also writes text as inline
    strings rather than a shared-strings table), so memory stays flat whatever the row count. A
    file-like ``target`` is written in memory instead (XlsxWriter's ``in_memory`` mode)."""
    in_memory = not isinstance(target, str | Path)
    options: dict[str, Any] = {
        "constant_memory": constant_memory and not in_memory,
        "in_memory": in_memory,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": True,
    }
    specs = list(sheets)
    if not specs:
        raise ValueError("a workbook needs at least one sheet")
    counts: list[int] = []
    with xlsxwriter.Workbook(target, options) as book:
        book.set_properties({"created": _CREATED})
        date_format = book.add_format({"num_format": DATE_FORMAT})
        datetime_format = book.add_format({"num_format": DATETIME_FORMAT})
        for name, rows in specs:
            sheet = book.add_worksheet(name)
            n = 0
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    if isinstance(value, bool):
                        sheet.write_boolean(r, c, value)
                    elif isinstance(value, dt.datetime):
                        sheet.write_datetime(r, c, value, datetime_format)
                    elif isinstance(value, dt.date):
                        sheet.write_datetime(r, c, value, date_format)
                    elif isinstance(value, int | float):
                        sheet.write_number(r, c, value)
                    else:
                        sheet.write_string(r, c, str(value))
                n += 1
            counts.append(n)
    return counts


def workbook_bytes(sheets: Iterable[SheetSpec]) -> bytes:
    """The same workbook, as bytes (for tests that hand a reader a stream or a file they write)."""
    buf = io.BytesIO()
    write_workbook(buf, sheets)
    return buf.getvalue()
