"""The authority directory as a CSV file staff edit: its columns, and the validation of every row."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .authorities import AuthorityDirectory
from .contacts import Contacts
from .csv_cells import unneutralise

DIRECTORY_COLUMNS = ["gss_code", "la_name", "advocacy_lead", "childrens_services", "senior_contact"]


class DirectoryFileError(ValueError):
    """The file as a whole cannot be used (one line, for staff)."""


@dataclass
class ParsedDirectory:
    valid: list[tuple[int, Contacts]] = field(default_factory=list)  # (row number, contacts)
    invalid: list[dict[str, Any]] = field(default_factory=list)  # {row, gss_code, errors} - never the values


def parse_directory_csv(text: str, known: AuthorityDirectory | None = None) -> ParsedDirectory:
    """Validate every row (Contacts, and a GSS code the bundled list knows). Error messages never repeat
    the values (they may be addresses)."""
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in DIRECTORY_COLUMNS if c not in header]
    if missing:
        raise DirectoryFileError(
            f"the file needs the columns {', '.join(DIRECTORY_COLUMNS)} (missing {', '.join(missing)})"
        )
    reader.fieldnames = header
    known = known or AuthorityDirectory.default()
    out = ParsedDirectory()
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):  # row 1 is the header, as a spreadsheet numbers rows
        row = {k: unneutralise((raw.get(k) or "").strip()) for k in DIRECTORY_COLUMNS}
        gss = row["gss_code"].upper()
        errors: list[str] = []
        authority = known.by_gss(gss)
        if authority is None:
            errors.append("gss_code: not an English local authority with children's services")
        elif gss in seen:
            errors.append("gss_code: appears more than once in the file")
        contacts = None
        if authority is not None and not errors:
            try:
                contacts = Contacts.model_validate(
                    {**row, "gss_code": gss, "la_name": row["la_name"] or authority.name}
                )
            except ValidationError as exc:
                errors += [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        if errors or contacts is None:
            out.invalid.append({"row": number, "gss_code": gss if authority else None, "errors": errors})
            continue
        seen.add(gss)
        out.valid.append((number, contacts))
    return out
