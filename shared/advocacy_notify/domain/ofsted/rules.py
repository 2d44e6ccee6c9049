"""One data row's verdict: scope, grade and validation, with the caches that make a large file fast."""

from __future__ import annotations

import datetime as dt
from typing import Final, TypeVar

from .cells import (
    J_BLANK,
    J_OTHER,
    J_UNKNOWN,
    MIN_DATE,
    URN_FULLMATCH,
    cell_text,
    classify_judgement,
    classify_provision_type,
    parse_date_text,
    parse_urn,
    serial_to_date,
    split_placing_authorities,
)
from .outcomes import RowOutcome, RowRejected, RowSkipped, new_parsed_row, one_line

_CACHE_MAX: Final = 20_000  # entries per cache; a cache is cleared when full (bounded memory)
_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(cache: dict[_K, _V], key: _K, value: _V) -> _V:
    if len(cache) > _CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


class RowRules:
    """Decides the outcome of each data row of one file. Values that repeat down a file (provision
    types, grades, date strings, placing-authority cells) are worked out once and remembered."""

    def __init__(self, *, has_judgement_column: bool, has_placing_column: bool, every_grade: bool = False) -> None:
        self.has_judgement_column = has_judgement_column
        self.has_placing_column = has_placing_column
        self.every_grade = every_grade  # other grades are rows to read, not rows to skip (ratings snapshots)
        today = dt.date.today()
        try:
            self._max_date = today.replace(year=today.year + 1)
        except ValueError:  # 29 February
            self._max_date = today + dt.timedelta(days=365)
        self._scope_cache: dict[str, tuple[str, bool]] = {}
        self._grade_cache: dict[str, tuple[int, str]] = {}
        self._date_cache: dict[str, dt.date | str] = {}
        self._placing_cache: dict[str, tuple[str, ...]] = {}
        self._text_cache: dict[str, str] = {}

    def evaluate(
        self,
        row: int,
        urn_raw: object,
        ptype: str,
        grade: str,
        date_raw: object,
        name: str,
        local_authority: str,
        status: str,
        placing: str,
    ) -> RowOutcome:
        scope = self._scope_cache.get(ptype)
        if scope is None:
            scope = _remember(self._scope_cache, ptype, classify_provision_type(ptype))
        provision, in_scope = scope
        errors: list[str] = []
        if not provision:
            errors.append("provision type is blank")
        elif not in_scope:
            return RowSkipped(row, "out of scope: " + provision)

        judgement = "Inadequate"
        if self.has_judgement_column:
            graded = self._grade_cache.get(grade)
            if graded is None:
                graded = _remember(self._grade_cache, grade, classify_judgement(grade))
            kind, word = graded
            if kind == J_OTHER:
                if self.every_grade:
                    judgement = word
                elif not errors:
                    return RowSkipped(row, "judgement: " + word)
            elif kind == J_BLANK:
                if self.has_placing_column:
                    errors.append("judgement is blank")
                elif not errors:
                    return RowSkipped(row, "not yet judged")
            elif kind == J_UNKNOWN:
                errors.append(f"judgement not recognised: '{word}'")

        # fast paths first: a well-formed URN, a date string already seen in this file
        urn = urn_raw if isinstance(urn_raw, str) and URN_FULLMATCH(urn_raw) else parse_urn(urn_raw, errors)
        inspected = self._date_cache.get(date_raw) if isinstance(date_raw, str) else None
        if not isinstance(inspected, dt.date):
            inspected = self._date(date_raw, errors)
        if errors or inspected is None:
            return RowRejected(row, errors)

        if placing:
            places = self._placing_cache.get(placing)
            if places is None:
                places = _remember(self._placing_cache, placing, split_placing_authorities(placing))
        else:
            places = ()
        texts = self._text_cache
        if len(texts) > _CACHE_MAX:
            texts.clear()
        la = texts.get(local_authority)
        if la is None:
            la = texts[local_authority] = " ".join(local_authority.split())
        reg = texts.get(status)
        if reg is None:
            reg = texts[status] = " ".join(status.split())
        clean_name = " ".join(name.split()) if name else ""
        if len(clean_name) == 8 and clean_name.upper() == "REDACTED":
            clean_name = ""
        return new_parsed_row(
            row, urn, clean_name or None, provision, judgement, inspected, la or None, reg or None, places
        )

    def _date(self, raw: object, errors: list[str]) -> dt.date | None:
        parsed: dt.date | str
        if isinstance(raw, str):
            if not raw or raw.isspace():
                errors.append("inspection date is missing")
                return None
            cached = self._date_cache.get(raw)
            if cached is None:
                cached = _remember(self._date_cache, raw, self._check_date(parse_date_text(raw)))
            parsed = cached
        elif isinstance(raw, dt.datetime):
            parsed = self._check_date(raw.date())
        elif isinstance(raw, dt.date):
            parsed = self._check_date(raw)
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            serial = serial_to_date(raw)
            parsed = (
                self._check_date(serial)
                if serial is not None
                else f"inspection date '{cell_text(raw)}' is not a date (expected dd/mm/yyyy)"
            )
        elif raw is None:
            errors.append("inspection date is missing")
            return None
        else:
            parsed = f"inspection date '{one_line(cell_text(raw), 40)}' is not a date (expected dd/mm/yyyy)"
        if isinstance(parsed, str):
            errors.append(parsed)
            return None
        return parsed

    def _check_date(self, value: dt.date | str) -> dt.date | str:
        if isinstance(value, str):
            return value
        if value > self._max_date:
            return f"inspection date {value:%d/%m/%Y} is more than a year in the future"
        if value < MIN_DATE:
            return f"inspection date {value:%d/%m/%Y} is before 2000"
        return value
