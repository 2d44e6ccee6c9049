"""Reading the package's own data files: the CSVs under advocacy_notify/data (see SOURCES.md there)."""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path


def read_text(name: str) -> str:
    """One data file's text (a UTF-8 BOM is dropped)."""
    try:
        data = resources.files("advocacy_notify").joinpath("data")
        return data.joinpath(name).read_text(encoding="utf-8-sig")
    except (OSError, TypeError, ModuleNotFoundError):
        # An editable install made before the package had an __init__.py exposes it as a
        # namespace package, which importlib.resources cannot read on Python 3.11.
        return (Path(__file__).resolve().parent.parent / "data" / name).read_text(encoding="utf-8-sig")


def read_rows(name: str) -> list[dict[str, str]]:
    """One CSV data file's rows, keyed by its header."""
    return list(csv.DictReader(io.StringIO(read_text(name), newline="")))
