"""CSV files staff open in a spreadsheet: every text cell neutralised against formula injection.

OWASP "CSV injection": a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
with a single quote, so a spreadsheet shows it as text. Files are UTF-8 with a BOM, so Excel reads names right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Leading spaces do not make a cell safe (some spreadsheets strip them), so they are looked through."""
    if isinstance(value, str) and value.lstrip(" ").startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """The inverse, for files this system wrote (directory export -> import)."""
    if value.startswith("'") and value[1:].lstrip(" ").startswith(DANGEROUS_FIRST):
        return value[1:]
    return value


def write_csv(rows: Sequence[Mapping[str, Any]], path: Path | str | None, columns: Sequence[str]) -> str:
    """Write rows as CSV, every text cell neutralised. Returns the text; `path` None writes nothing."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise("" if row.get(c) is None else row.get(c)) for c in columns])
    text = buf.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8-sig", newline="")
    return text
