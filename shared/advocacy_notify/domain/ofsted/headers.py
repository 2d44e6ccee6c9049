"""Header mapping: the column spellings of every year, the header row below title rows, and a title's date."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from typing import Final, NamedTuple

from .cells import QUOTES, cell_text, is_blank, parse_date_text
from .outcomes import Limits, one_line

# field -> header spellings, highest priority first. Matching is done on normalised text
# (see normalise_header): case, line breaks, repeated/leading/trailing spaces, BOM, curly
# apostrophes and "[note 3]" markers do not matter, and a "Latest full inspection" prefix
# is tried with and without. Matching is exact on the whole normalised cell, so "Linked
# Education URN", "Inspection publication date", "Publication date", "Registration date",
# "Previous full inspection event date" and "Previous overall experiences ..." never match.
FIELD_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "urn": ("URN", "Unique reference number", "Provider URN", "Social care URN", "Setting URN"),
    "name": ("Name", "Setting name", "Provider name", "Home name", "Establishment name"),
    "provision_type": ("Provision type", "Type of provision"),
    "registration_status": ("Registration status", "Reg status"),
    "local_authority": ("Local authority", "Premises local authority"),
    "inspection_date": (
        # provisional files first: the date of the provisional judgement
        "Provisional judgement date",
        "Date of provisional judgement",
        "Provisional rating date",
        "Inspection end date",
        "Date of inspection",
        # public exports
        "Inspection date",
        "Latest full inspection date",
        "Inspection/Visit date",
    ),
    "judgement": (
        # provisional files first
        "Provisional judgement",
        "Provisional overall judgement",
        "Provisional rating",
        "Provisional grade",
        "Provisional overall effectiveness",
        # public exports: 2019 onwards, then 2015-2018
        "Overall experiences and progress of children and young people",
        "Overall effectiveness",
        "Overall judgement",
    ),
    "placing_authorities": (
        "Placing authorities",
        "Placing local authorities",
        "Placing LA(s)",
        "Placing LAs",
        "Placing authority",
        "Placing local authority",
        "Placing LA",
    ),
}

_HEADER_PREFIXES: Final = ("latest full inspection ",)
_NOTE_MARKER_RE: Final = re.compile(r"\s*[\[(]\s*note\s*\d+\s*[\])]\s*$")


def normalise_header(value: object) -> str:
    """Header text as compared with the aliases: lower case, single spaces, straight quotes."""
    text = value if isinstance(value, str) else cell_text(value)
    text = " ".join(text.translate(QUOTES).split()).lower()
    text = _NOTE_MARKER_RE.sub("", text)
    return text.rstrip(" :*")


_ALIAS_INDEX: Final[dict[str, tuple[str, int]]] = {}
for _field, _aliases in FIELD_ALIASES.items():
    for _priority, _alias in enumerate(_aliases):
        _ALIAS_INDEX.setdefault(normalise_header(_alias), (_field, _priority))


def _field_for_header(value: object) -> tuple[str, int] | None:
    norm = normalise_header(value)
    if not norm:
        return None
    hit = _ALIAS_INDEX.get(norm)
    if hit is None:
        for prefix in _HEADER_PREFIXES:
            if norm.startswith(prefix):
                hit = _ALIAS_INDEX.get(norm[len(prefix) :])
                break
    return hit


def _map_header(cells: Sequence[object]) -> dict[str, tuple[int, str]] | None:
    """field -> (column index, header text) when the row has URN and Provision type columns."""
    best: dict[str, tuple[int, int, str]] = {}
    for index, cell in enumerate(cells):
        if cell == "" or cell is None:
            continue
        hit = _field_for_header(cell)
        if hit is None:
            continue
        field, priority = hit
        current = best.get(field)
        if current is None or priority < current[0]:
            best[field] = (priority, index, cell if isinstance(cell, str) else cell_text(cell))
    if "urn" not in best or "provision_type" not in best:
        return None
    return {field: (index, text) for field, (_, index, text) in best.items()}


def _used_width(cells: Sequence[object]) -> int:
    width = len(cells)
    while width and is_blank(cells[width - 1]):
        width -= 1
    return width


class Header(NamedTuple):
    """Where the header row is and what it maps, with the text of the rows above it."""

    mapping: dict[str, tuple[int, str]] | None  # field -> (column index, header text); None: not found
    row: int  # 1-based row number of the header (of the last row scanned when not found)
    width: int  # columns up to the last non-blank header cell
    titles: tuple[str, ...] = ()  # each non-blank row above the header, as one line of text


def find_header(rows: Iterator[Sequence[object]], limits: Limits) -> Header:
    """Scan the first non-blank rows for the header row."""
    row_no = 0
    seen = 0
    titles: list[str] = []
    while seen < limits.header_scan_rows:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error:
            row_no += 1
            seen += 1
            continue
        row_no += 1
        if not row or all(is_blank(cell) for cell in row):
            continue
        seen += 1
        if row and isinstance(row[0], str) and row[0].startswith("\ufeff"):
            row = [row[0][1:], *row[1:]]
        mapping = _map_header(row)
        if mapping is not None:
            return Header(mapping, row_no, _used_width(row), tuple(titles))
        titles.append(_title_text(row))
    return Header(None, row_no, 0, tuple(titles))


def _title_text(row: Sequence[object]) -> str:
    """A title or notes row as one line: its first few non-blank cells (a row can be very wide)."""
    texts: list[str] = []
    for cell in row:
        if not is_blank(cell):
            texts.append(cell_text(cell))
            if len(texts) == _TITLE_CELLS:
                break
    return one_line(" ".join(texts), _TITLE_CHARS)


_TITLE_CELLS: Final = 8
_TITLE_CHARS: Final = 500
# a date as titles write it: "31 March 2023", "31st March 2023", "31/03/2023", "2023-03-31"
_TITLE_DATE_RE: Final = re.compile(
    r"(?:\b(?P<at>(?:as\s+)?at)\s+)?"
    r"\b(?P<date>\d{1,2}(?:st|nd|rd|th)?\s+[a-z]+\.?,?\s+\d{4}|\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)


def snapshot_date_in(titles: Sequence[str]) -> dt.date | None:
    """The date a file's data is "as at", from the rows above its header.

    A date after "as at" or "at" in any of them wins ("Provider level as at 31 March 2023");
    else the one date in the first of them, the title ("Ratings 31 March 2023"). None when there
    is no date, or the title has several and none follows "at" ("between 01 April 2022 and
    31 March 2023": a period, not a snapshot).
    """
    for title in titles:
        for match in _TITLE_DATE_RE.finditer(title):
            found = parse_date_text(match["date"])
            if match["at"] and isinstance(found, dt.date):
                return found
    if not titles:
        return None
    dates = [d for m in _TITLE_DATE_RE.finditer(titles[0]) if isinstance(d := parse_date_text(m["date"]), dt.date)]
    return dates[0] if len(dates) == 1 else None


def no_header_reason(limits: Limits, where: str = "") -> str:
    return (
        "no recognisable header row: expected URN and Provision type columns "
        f"in the first {limits.header_scan_rows} rows{where}"
    )
