"""The opened file: its header facts, and the stream of one outcome per non-blank data row."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Final, cast

from .cells import cell_text
from .guards import NOT_TEXT
from .outcomes import FileUnreadable, Format, Limits, RowOutcome, RowRejected, one_line
from .rules import RowRules

_MISSING: Final = sys.maxsize
_FIELDS: Final = (
    "urn",
    "provision_type",
    "judgement",
    "inspection_date",
    "name",
    "local_authority",
    "registration_status",
    "placing_authorities",
)


def close_all(closers: list[object]) -> None:
    """Close each object that has a ``close`` method, last opened first; never fails the caller."""
    for obj in reversed(closers):
        close = getattr(obj, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()
    closers.clear()


class OfstedFile:
    """One opened Ofsted file. Use :func:`open_ofsted` to make one."""

    format: Format
    sheet: str | None
    header_row: int
    columns: dict[str, str]
    has_judgement_column: bool
    has_placing_column: bool  # placing authorities: a provisional file; without them, a ratings snapshot
    snapshot_date: dt.date | None  # the date the title rows say the data is "as at", if they say
    data_rows: int  # non-blank data rows seen so far by rows()

    def __init__(
        self,
        *,
        format: Format,
        sheet: str | None,
        header_row: int,
        mapping: dict[str, tuple[int, str]],
        rows: Iterator[Sequence[object]],
        closers: Sequence[object],
        limits: Limits,
        snapshot_date: dt.date | None = None,
    ) -> None:
        self.format = format
        self.sheet = sheet
        self.header_row = header_row
        self.columns = {field: text for field, (_, text) in mapping.items()}
        self.has_judgement_column = "judgement" in mapping
        self.has_placing_column = "placing_authorities" in mapping
        self.snapshot_date = snapshot_date
        self.data_rows = 0
        self._index = tuple(mapping[f][0] if f in mapping else _MISSING for f in _FIELDS)
        self._source_rows = rows
        self._closers = list(closers)
        self._limits = limits
        self._started = False
        self._rules = RowRules(
            has_judgement_column=self.has_judgement_column, has_placing_column=self.has_placing_column
        )

    # context manager ------------------------------------------------------------------

    def __enter__(self) -> OfstedFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        closers, self._closers = self._closers, []
        close_all(closers)

    # rows -----------------------------------------------------------------------------

    @property
    def is_ratings_snapshot(self) -> bool:
        """No placing-authority column: Ofsted's ratings of every home, not a provisional notification."""
        return not self.has_placing_column

    def rows(self, *, every_grade: bool = False) -> Iterator[RowOutcome]:
        """Stream the outcomes of every non-blank data row. May be called once.

        With ``every_grade``, an in-scope row rated Outstanding, Good, ... is a :class:`ParsedRow`
        with that judgement, validated like an Inadequate one, instead of a :class:`RowSkipped`.
        """
        if self._started:
            raise RuntimeError("OfstedFile.rows() may be called only once")
        self._started = True
        self._rules.every_grade = every_grade
        return self._rows_csv() if self.format == "csv" else self._rows_workbook()

    def _too_many_rows(self, row: int) -> RowRejected:
        limit = self._limits.max_rows
        return RowRejected(row, [f"file has more than {limit} data rows; this row and the rest were not read"])

    def _rows_csv(self) -> Iterator[RowOutcome]:
        reader = cast(Iterator[list[str]], self._source_rows)
        row_no = self.header_row
        iu, ip, ij, idate, iname, ila, ist, ipl = self._index
        evaluate = self._rules.evaluate
        max_rows = self._limits.max_rows
        count = 0
        csv_errors = 0
        try:
            while True:
                try:
                    for row in reader:
                        row_no += 1
                        n = len(row)
                        urn = row[iu] if iu < n else ""
                        ptype = row[ip] if ip < n else ""
                        if (not urn or urn.isspace()) and (not ptype or ptype.isspace()):
                            joined = "".join(row)
                            if not joined or joined.isspace():
                                continue
                        count += 1
                        if count > max_rows:
                            self.data_rows = count - 1
                            yield self._too_many_rows(row_no)
                            return
                        yield evaluate(
                            row_no,
                            urn,
                            ptype,
                            row[ij] if ij < n else "",
                            row[idate] if idate < n else "",
                            row[iname] if iname < n else "",
                            row[ila] if ila < n else "",
                            row[ist] if ist < n else "",
                            row[ipl] if ipl < n else "",
                        )
                    break
                except csv.Error as exc:
                    row_no += 1
                    csv_errors += 1
                    if csv_errors > 100:
                        raise FileUnreadable(f"the CSV structure is broken: {exc}") from None
                    count += 1
                    yield RowRejected(row_no, [f"CSV error: {one_line(str(exc), 120)}"])
        except UnicodeDecodeError:
            raise FileUnreadable(NOT_TEXT) from None
        except (FileUnreadable, GeneratorExit, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # e.g. the stream failed part-way: one line, never a traceback
            raise FileUnreadable(f"file could not be read: {type(exc).__name__}: {exc}") from None
        finally:
            self.data_rows = min(count, max_rows)
            self.close()

    def _rows_workbook(self) -> Iterator[RowOutcome]:
        row_no = self.header_row
        iu, ip, ij, idate, iname, ila, ist, ipl = self._index
        evaluate = self._rules.evaluate
        max_rows = self._limits.max_rows
        text = cell_text
        count = 0
        try:
            for row in self._source_rows:
                row_no += 1
                n = len(row)
                for cell in row:
                    if cell != "" and not (isinstance(cell, str) and cell.isspace()):
                        break
                else:
                    continue
                count += 1
                if count > max_rows:
                    yield self._too_many_rows(row_no)
                    return
                yield evaluate(
                    row_no,
                    row[iu] if iu < n else "",
                    text(row[ip]) if ip < n else "",
                    text(row[ij]) if ij < n else "",
                    row[idate] if idate < n else "",
                    text(row[iname]) if iname < n else "",
                    text(row[ila]) if ila < n else "",
                    text(row[ist]) if ist < n else "",
                    text(row[ipl]) if ipl < n else "",
                )
        except FileUnreadable:
            raise
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # calamine errors, including pyo3 panics
            raise FileUnreadable(f"workbook could not be read: {one_line(str(exc), 150)}") from None
        finally:
            self.data_rows = min(count, max_rows)
            self.close()
