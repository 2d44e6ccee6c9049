"""Header mapping: the column spellings of every year, and finding the header row below title rows."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from typing import Final

from .cells import QUOTES, cell_text, is_blank
from .outcomes import Limits

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


def find_header(rows: Iterator[Sequence[object]], limits: Limits) -> tuple[dict[str, tuple[int, str]] | None, int, int]:
    """Scan the first non-blank rows for the header. (mapping, header row number, width)."""
    row_no = 0
    seen = 0
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
            return mapping, row_no, _used_width(row)
    return None, row_no, 0


def no_header_reason(limits: Limits, where: str = "") -> str:
    return (
        "no recognisable header row: expected URN and Provision type columns "
        f"in the first {limits.header_scan_rows} rows{where}"
    )
