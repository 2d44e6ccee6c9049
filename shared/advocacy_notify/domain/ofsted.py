"""Read one Ofsted provider file (CSV, XLSX or ODS) and yield one outcome per data row.

Pure Python: no AWS. The caller (ingest Lambda, ``advocacy validate``) decides what to do
with the outcomes; placing-authority names are returned raw, another module resolves them.

    with open_ofsted(path_or_binary_stream, filename="ratings.xlsx") as f:
        for outcome in f.rows():
            match outcome:
                case ParsedRow(): ...     # an in-scope home rated (provisionally) Inadequate
                case RowSkipped(): ...    # out of scope: other provision type, other grade
                case RowRejected(): ...   # a broken row: row number + every error found

``open_ofsted`` raises :class:`FileUnreadable` (one-line ``reason``) when the file cannot be
read at all. The file format is detected from the content (magic bytes); the file name is
only a hint used in messages.

Streaming: a CSV is decoded and parsed incrementally, so a non-seekable S3 body is never
held in memory. It is read as UTF-8 (BOM or not); any byte sequence that is not valid UTF-8
is decoded as Windows-1252 by a codec error handler, so a Windows-1252 file and a UTF-8 file
with a stray Windows-1252 byte both read correctly, without re-reading. The delimiter is a
comma unless the header area only parses with ';' or a tab. ``csv.field_size_limit`` is a
process-wide setting: opening a CSV sets it to ``Limits.max_field_chars``.

A workbook is first copied to a spooled temporary file (the byte limit is enforced while
copying), its zip central directory is checked against zip bombs (declared total size and
per-entry compression ratio) before python-calamine opens it, and the first sheet whose
header row has URN and Provision type columns is used (or the ``sheet=`` one). The source
stream given by the caller is never closed here; a path is opened and closed here.

Per row, scope is decided before validation: another provision type, or a known grade
other than Inadequate, gives :class:`RowSkipped` even if the row's URN or date is garbage.
A blank provision type on a non-blank row, and any problem in an in-scope Inadequate row,
gives :class:`RowRejected` listing every error found (URN, date, judgement, provision type).

``OfstedFile.rows()`` may itself raise :class:`FileUnreadable` when a problem only shows
up part-way through a CSV stream: NUL bytes, bytes that are neither UTF-8 nor
Windows-1252, a line longer than ``Limits.max_line_bytes``, the byte limit of a
non-seekable stream, a CSV so broken that the reader cannot recover, or a workbook sheet
that calamine fails to read part-way. When a file has
more than ``Limits.max_rows`` data rows, ``rows()`` yields one final :class:`RowRejected`
for the first row over the limit (saying the rest was not read) and stops.

Row numbers are 1-based and count every row as a spreadsheet shows it (title rows, the
header and blank rows included), so "row 5" is the first data row under a header on row 4.
Blank rows are not yielded.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, make_dataclass
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Final, Literal, cast

from python_calamine import CalamineWorkbook

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "DEFAULT_LIMITS",
    "FIELD_ALIASES",
    "FileUnreadable",
    "Limits",
    "OfstedFile",
    "ParsedRow",
    "RowOutcome",
    "RowRejected",
    "RowSkipped",
    "classify_provision_type",
    "normalise_header",
    "open_ofsted",
    "split_placing_authorities",
]


# --- public types ---------------------------------------------------------------------


class FileUnreadable(Exception):
    """The file cannot be read at all. ``reason`` is one human-readable line."""

    def __init__(self, reason: str) -> None:
        self.reason = _one_line(reason, 300)
        super().__init__(self.reason)


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """An in-scope home rated (provisionally) Inadequate, validated."""

    row: int
    urn: str
    name: str | None
    provision_type: str
    judgement: str
    inspection_date: dt.date
    local_authority: str | None
    registration_status: str | None
    placing_authorities: tuple[str, ...]


def _fast_parsed_row_factory() -> Callable[..., ParsedRow]:
    """A constructor for ParsedRow about 4x faster than the frozen dataclass __init__.

    A frozen dataclass sets each field through object.__setattr__, which dominates the
    per-row cost on large files. We build an identical, non-frozen slots twin and then
    switch its class: the result is an ordinary, frozen, equal and hashable ParsedRow.
    Falls back to the plain constructor if the interpreter refuses the switch.
    """
    twin: Any = make_dataclass("_ParsedRowDraft", [(f.name, f.type) for f in fields(ParsedRow)], slots=True)
    if twin.__slots__ != ParsedRow.__slots__:
        return ParsedRow

    def build(*args: Any) -> ParsedRow:
        obj = twin(*args)
        obj.__class__ = ParsedRow
        return cast(ParsedRow, obj)

    probe = (1, "SC000001", None, "Children's home", "Inadequate", dt.date(2024, 1, 1), None, None, ())
    try:
        ok = build(*probe) == ParsedRow(*probe)
    except TypeError:
        ok = False
    return build if ok else ParsedRow


_new_parsed_row: Final = _fast_parsed_row_factory()


@dataclass(frozen=True, slots=True)
class RowSkipped:
    """Out of scope (another provision type or another grade): counted, not an error."""

    row: int
    reason: str


@dataclass(frozen=True, slots=True)
class RowRejected:
    """A broken row: every error found in it."""

    row: int
    errors: list[str]


RowOutcome = ParsedRow | RowSkipped | RowRejected


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 100 * 1024 * 1024  # the file as uploaded
    max_uncompressed_bytes: int = 200 * 1024 * 1024  # sum of a workbook's zip entries
    max_compression_ratio: float = 200.0  # per zip entry (entries of at least 1 MiB)
    max_zip_entries: int = 10_000
    max_columns: int = 2000  # in the header row
    max_rows: int = 1_000_000  # non-blank data rows
    max_line_bytes: int = 8 * 1024 * 1024  # one physical CSV line
    max_field_chars: int = 1024 * 1024  # one CSV field (csv.field_size_limit)
    header_scan_rows: int = 30  # non-blank rows searched for the header


DEFAULT_LIMITS: Final = Limits()

Format = Literal["csv", "xlsx", "ods"]

# --- header aliases -------------------------------------------------------------------

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
_QUOTES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\ufeff": " "})


def normalise_header(value: object) -> str:
    """Header text as compared with the aliases: lower case, single spaces, straight quotes."""
    text = value if isinstance(value, str) else _cell_text(value)
    text = " ".join(text.translate(_QUOTES).split()).lower()
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
            best[field] = (priority, index, cell if isinstance(cell, str) else _cell_text(cell))
    if "urn" not in best or "provision_type" not in best:
        return None
    return {field: (index, text) for field, (_, index, text) in best.items()}


def _used_width(cells: Sequence[object]) -> int:
    width = len(cells)
    while width and _is_blank(cells[width - 1]):
        width -= 1
    return width


# --- scope and grades -----------------------------------------------------------------

_SCOPE_PUNCT: Final = str.maketrans({"'": None, "\u2019": None, "\u2018": None, "`": None, "-": " "})


def classify_provision_type(value: str) -> tuple[str, bool]:
    """(whitespace-normalised text, in scope?) for a provision type cell.

    In scope: children's homes (secure, short-break, "Children's Home", ...) and residential
    special schools, including "Residential special school (registered as a children's home)".
    """
    display = " ".join(value.split())
    key = " ".join(display.lower().translate(_SCOPE_PUNCT).split())
    in_scope = (
        "childrens home" in key
        or "children home" in key
        or "residential special school" in key
        or ("short break" in key and "home" in key)
    )
    return display, in_scope


_OTHER_GRADES: Final = (
    "Outstanding",
    "Good",
    "Requires improvement to be good",
    "Requires improvement",
    "Adequate",
    "Satisfactory",
    "Met",
    "Not met",
    "Sufficient",
    "Insufficient",
    "Improved effectiveness",
    "Sustained effectiveness",
    "Declined in effectiveness",
)
_INADEQUATE_SPELLINGS: Final = (
    "inadequate",
    "provisionally inadequate",
    "inadequate (provisional)",
    "provisional inadequate",
)
_J_INADEQUATE: Final = 0
_J_OTHER: Final = 1
_J_BLANK: Final = 2
_J_UNKNOWN: Final = 3
_GRADES: Final[dict[str, tuple[int, str]]] = {g.lower(): (_J_OTHER, g) for g in _OTHER_GRADES}
_GRADES.update({s: (_J_INADEQUATE, "Inadequate") for s in _INADEQUATE_SPELLINGS})


def _classify_judgement(value: str) -> tuple[int, str]:
    key = " ".join(value.translate(_QUOTES).split()).lower().rstrip(".")
    if not key:
        return _J_BLANK, ""
    return _GRADES.get(key, (_J_UNKNOWN, _one_line(value, 60)))


# --- cell values ----------------------------------------------------------------------

_URN_RE: Final = re.compile(r"SC\d{6}|\d{7}", re.ASCII)
_URN_FULLMATCH: Final = _URN_RE.fullmatch
_URN_FLOAT_TEXT_RE: Final = re.compile(r"(\d{7})\.0+", re.ASCII)
_PLACING_SPLIT_RE: Final = re.compile(r"[;|\r\n\u2028\u2029\x0b\x0c\x85]+")
_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)
_SERIAL_MIN: Final = 20000
_SERIAL_MAX: Final = 80000
_MIN_DATE: Final = dt.date(2000, 1, 1)
_DMY_RE: Final = re.compile(
    r"(\d{1,2})\s*([/\-.])\s*(\d{1,2})\s*\2\s*(\d{4})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII
)
_ISO_RE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII)
_WORDY_RE: Final = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})", re.ASCII)
_SERIAL_TEXT_RE: Final = re.compile(r"\d{5}(?:\.\d+)?", re.ASCII)
_MONTHS: Final[dict[str, int]] = {}
_MONTH_NAMES: Final = "january february march april may june july august september october november december"
for _number, _month in enumerate(_MONTH_NAMES.split(), start=1):
    _MONTHS[_month] = _number
    _MONTHS[_month[:3]] = _number
_MONTHS["sept"] = 9


def _one_line(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell_text(value: object) -> str:
    """A workbook cell as text (CSV cells are already text)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value or value.isspace()
    return value is None


def split_placing_authorities(value: str) -> tuple[str, ...]:
    """Names from a placing-authorities cell: split on ';', '|' and line breaks (never on
    commas: "Bristol, City of" is one name); trimmed; empties dropped; order kept; exact
    repeats removed."""
    if not value or value.isspace():
        return ()
    names: dict[str, None] = {}
    for part in _PLACING_SPLIT_RE.split(value):
        part = part.strip()
        if part:
            names[part] = None
    return tuple(names)


def _serial_to_date(serial: float) -> dt.date | None:
    if _SERIAL_MIN <= serial <= _SERIAL_MAX:
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    return None


def _parse_date_text(text: str) -> dt.date | str:
    """A date, or an error message, for a text cell."""
    s = text.strip()
    shown = _one_line(s, 40)
    m = _DMY_RE.fullmatch(s)
    if m:
        day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    elif m := _ISO_RE.fullmatch(s):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _WORDY_RE.fullmatch(s.lower()):
        month_no = _MONTHS.get(m.group(2))
        if month_no is None:
            return f"inspection date '{shown}' is not a date (expected dd/mm/yyyy)"
        day, month, year = int(m.group(1)), month_no, int(m.group(3))
    elif _SERIAL_TEXT_RE.fullmatch(s):
        serial = _serial_to_date(float(s))
        if serial is None:
            return f"inspection date '{shown}' is not a date (expected dd/mm/yyyy)"
        return serial
    else:
        return f"inspection date '{shown}' is not a date (expected dd/mm/yyyy)"
    try:
        return dt.date(year, month, day)
    except ValueError:
        return f"inspection date '{shown}' is not a real date"


# --- text decoding --------------------------------------------------------------------

_CP1252_TABLE: Final[tuple[str | None, ...]] = tuple(
    (lambda b: bytes([b]).decode("cp1252", errors="ignore") or None)(b) for b in range(256)
)
_CP1252_HANDLER: Final = "advocacy-notify-cp1252-fallback"


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not valid UTF-8 are read as Windows-1252."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    out = []
    for byte in err.object[err.start : err.end]:
        char = _CP1252_TABLE[byte]
        if char is None:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined in Windows-1252
            raise err
        out.append(char)
    return "".join(out), err.end


codecs.register_error(_CP1252_HANDLER, _cp1252_fallback)

_NOT_TEXT: Final = "file is not UTF-8 or Windows-1252 text"


class _GuardedStream(io.RawIOBase):
    """Bytes from (already read prefix) + (the rest of the source), with the CSV guards:
    byte limit, NUL bytes, line length. Never closes a source it does not own."""

    def __init__(self, prefix: bytes, source: IO[bytes] | None, owns_source: bool, limits: Limits) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._source = source
        self._owns = owns_source
        self._max_bytes = limits.max_bytes
        self._max_line = limits.max_line_bytes
        self._total = 0
        self._since_newline = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        # chunks never exceed the line limit, so a too-long line always spans chunks
        want = min(len(view), self._max_line)
        if self._prefix:
            data: bytes | memoryview = self._prefix[:want]
            self._prefix = self._prefix[len(data) :]
        elif self._source is not None:
            data = self._source.read(want) or b""
        else:
            data = b""
        n = len(data)
        if not n:
            return 0
        view[:n] = data
        chunk = view[:n].tobytes() if isinstance(data, memoryview) else data
        self._check(chunk)
        return n

    def _check(self, chunk: bytes) -> None:
        self._total += len(chunk)
        if self._total > self._max_bytes:
            raise FileUnreadable(f"file is larger than the limit of {self._max_bytes} bytes")
        if b"\x00" in chunk:
            raise FileUnreadable("file contains NUL bytes: it is binary data, not CSV text")
        first = _first_newline(chunk)
        if first < 0:
            self._since_newline += len(chunk)
        elif self._since_newline + first > self._max_line:
            self._since_newline += first
        else:
            self._since_newline = len(chunk) - 1 - max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if self._since_newline > self._max_line:
            raise FileUnreadable(f"a line of the file is longer than {self._max_line} bytes")

    def close(self) -> None:
        if not self.closed and self._owns and self._source is not None:
            self._source.close()
        super().close()


def _first_newline(chunk: bytes) -> int:
    lf = chunk.find(b"\n")
    cr = chunk.find(b"\r")
    if lf < 0:
        return cr
    if cr < 0:
        return lf
    return min(lf, cr)


# --- format detection -----------------------------------------------------------------

_PEEK_BYTES: Final = 256 * 1024
_COPY_CHUNK: Final = 1024 * 1024
_ODS_MIMETYPE: Final = "application/vnd.oasis.opendocument.spreadsheet"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_MAGIC: Final = (
    (b"%PDF", "file is a PDF document, not a CSV, XLSX or ODS file"),
    (b"\x1f\x8b", "file is gzip-compressed, not a CSV, XLSX or ODS file"),
    (b"\x89PNG", "file is a PNG image, not a CSV, XLSX or ODS file"),
    (b"\xff\xd8\xff", "file is a JPEG image, not a CSV, XLSX or ODS file"),
    (b"{\\rtf", "file is an RTF document, not a CSV, XLSX or ODS file"),
    (b"\xff\xfe", "file is UTF-16 text; save it as CSV (UTF-8), XLSX or ODS"),
    (b"\xfe\xff", "file is UTF-16 text; save it as CSV (UTF-8), XLSX or ODS"),
)
_CONTROL_BYTES: Final = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 26, 27))
_ZIP_RATIO_MIN_ENTRY: Final = 1024 * 1024


def _extension(name: str | None) -> str:
    if not name:
        return ""
    return os.path.splitext(name)[1].lower().lstrip(".")


def _read_up_to(source: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = source.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _looks_binary(peek: bytes) -> bool:
    sample = peek[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 8 and controls * 100 > len(sample)


def _check_zip(fileobj: IO[bytes], limits: Limits, hint: str) -> Format:
    """Inspect the zip central directory (before calamine opens anything)."""
    try:
        with zipfile.ZipFile(fileobj) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_zip_entries:
                raise FileUnreadable(f"workbook has too many parts ({len(infos)} zip entries)")
            total = 0
            for info in infos:
                total += info.file_size
                if info.file_size >= _ZIP_RATIO_MIN_ENTRY and (
                    info.compress_size <= 0 or info.file_size / info.compress_size > limits.max_compression_ratio
                ):
                    raise FileUnreadable("workbook is too large when uncompressed")
            if total > limits.max_uncompressed_bytes:
                raise FileUnreadable("workbook is too large when uncompressed")
            names = {info.filename for info in infos}
            if "mimetype" in names:
                with zf.open("mimetype") as handle:
                    mimetype = handle.read(200).decode("ascii", errors="replace").strip()
                if mimetype == _ODS_MIMETYPE:
                    return "ods"
                if mimetype.startswith("application/vnd.oasis.opendocument"):
                    raise FileUnreadable(f"file is an OpenDocument file but not a spreadsheet ({mimetype})")
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                raise FileUnreadable("binary Excel .xlsb format is not supported; save as .xlsx or .csv")
    except FileUnreadable:
        raise
    except zipfile.LargeZipFile:
        raise FileUnreadable("workbook is too large when uncompressed") from None
    except Exception:  # BadZipFile, OSError, EOFError, NotImplementedError, ...
        reason = "file is a damaged or truncated zip archive, not a readable XLSX or ODS workbook"
        raise FileUnreadable(reason) from None
    named = f" (although it is named .{hint})" if hint in ("xlsx", "ods", "xls") else ""
    raise FileUnreadable(f"file is a zip archive but not an XLSX or ODS workbook{named}")


# --- the file -------------------------------------------------------------------------

_MISSING: Final = sys.maxsize
_CACHE_MAX: Final = 20_000
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


def _no_header_reason(limits: Limits, where: str = "") -> str:
    return (
        "no recognisable header row: expected URN and Provision type columns "
        f"in the first {limits.header_scan_rows} rows{where}"
    )


class OfstedFile:
    """One opened Ofsted file. Use :func:`open_ofsted` to make one."""

    format: Format
    sheet: str | None
    header_row: int
    columns: dict[str, str]
    has_judgement_column: bool
    has_placing_column: bool
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
    ) -> None:
        self.format = format
        self.sheet = sheet
        self.header_row = header_row
        self.columns = {field: text for field, (_, text) in mapping.items()}
        self.has_judgement_column = "judgement" in mapping
        self.has_placing_column = "placing_authorities" in mapping
        self.data_rows = 0
        self._index = tuple(mapping[f][0] if f in mapping else _MISSING for f in _FIELDS)
        self._source_rows = rows
        self._closers = list(closers)
        self._limits = limits
        self._started = False
        self._today = dt.date.today()
        try:
            self._max_date = self._today.replace(year=self._today.year + 1)
        except ValueError:  # 29 February
            self._max_date = self._today + dt.timedelta(days=365)
        self._scope_cache: dict[str, tuple[str, bool]] = {}
        self._grade_cache: dict[str, tuple[int, str]] = {}
        self._date_cache: dict[str, dt.date | str] = {}
        self._placing_cache: dict[str, tuple[str, ...]] = {}
        self._text_cache: dict[str, str] = {}

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
        for obj in reversed(closers):
            close = getattr(obj, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):  # closing must never fail the caller
                    close()

    # rows -----------------------------------------------------------------------------

    def rows(self) -> Iterator[RowOutcome]:
        """Stream the outcomes of every non-blank data row. May be called once."""
        if self._started:
            raise RuntimeError("OfstedFile.rows() may be called only once")
        self._started = True
        return self._rows_csv() if self.format == "csv" else self._rows_workbook()

    def _too_many_rows(self, row: int) -> RowRejected:
        limit = self._limits.max_rows
        return RowRejected(row, [f"file has more than {limit} data rows; this row and the rest were not read"])

    def _rows_csv(self) -> Iterator[RowOutcome]:
        reader = cast(Iterator[list[str]], self._source_rows)
        row_no = self.header_row
        iu, ip, ij, idate, iname, ila, ist, ipl = self._index
        evaluate = self._evaluate
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
                    yield RowRejected(row_no, [f"CSV error: {_one_line(str(exc), 120)}"])
        except UnicodeDecodeError:
            raise FileUnreadable(_NOT_TEXT) from None
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
        evaluate = self._evaluate
        max_rows = self._limits.max_rows
        text = _cell_text
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
            raise FileUnreadable(f"workbook could not be read: {_one_line(str(exc), 150)}") from None
        finally:
            self.data_rows = min(count, max_rows)
            self.close()

    # one row --------------------------------------------------------------------------

    def _evaluate(
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
            if len(self._scope_cache) > _CACHE_MAX:
                self._scope_cache.clear()
            scope = self._scope_cache[ptype] = classify_provision_type(ptype)
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
                if len(self._grade_cache) > _CACHE_MAX:
                    self._grade_cache.clear()
                graded = self._grade_cache[grade] = _classify_judgement(grade)
            kind, word = graded
            if kind == _J_OTHER:
                if not errors:
                    return RowSkipped(row, "judgement: " + word)
            elif kind == _J_BLANK:
                if self.has_placing_column:
                    errors.append("judgement is blank")
                elif not errors:
                    return RowSkipped(row, "not yet judged")
            elif kind == _J_UNKNOWN:
                errors.append(f"judgement not recognised: '{word}'")

        # fast paths first: a well-formed URN, a date string already seen in this file
        urn = urn_raw if isinstance(urn_raw, str) and _URN_FULLMATCH(urn_raw) else self._urn(urn_raw, errors)
        inspected = self._date_cache.get(date_raw) if isinstance(date_raw, str) else None
        if not isinstance(inspected, dt.date):
            inspected = self._date(date_raw, errors)
        if errors or inspected is None:
            return RowRejected(row, errors)

        if placing:
            places = self._placing_cache.get(placing)
            if places is None:
                if len(self._placing_cache) > _CACHE_MAX:
                    self._placing_cache.clear()
                places = self._placing_cache[placing] = split_placing_authorities(placing)
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
        return _new_parsed_row(
            row, urn, clean_name or None, provision, judgement, inspected, la or None, reg or None, places
        )

    @staticmethod
    def _urn(raw: object, errors: list[str]) -> str:
        if isinstance(raw, str):
            urn = "".join(raw.split()).upper()
        elif isinstance(raw, float) and raw.is_integer():
            urn = str(int(raw))
        elif isinstance(raw, bool):
            urn = ""
            errors.append(f"URN '{raw}' is not SC + 6 digits or 7 digits")
            return urn
        else:
            urn = _cell_text(raw).strip().upper()
        if _URN_RE.fullmatch(urn):
            return urn
        if not urn:
            errors.append("URN is missing")
            return urn
        as_float = _URN_FLOAT_TEXT_RE.fullmatch(urn)
        if as_float:
            return as_float.group(1)
        errors.append(f"URN '{_one_line(urn, 40)}' is not SC + 6 digits or 7 digits")
        return urn

    def _date(self, raw: object, errors: list[str]) -> dt.date | None:
        parsed: dt.date | str
        if isinstance(raw, str):
            if not raw or raw.isspace():
                errors.append("inspection date is missing")
                return None
            cached = self._date_cache.get(raw)
            if cached is None:
                if len(self._date_cache) > _CACHE_MAX:
                    self._date_cache.clear()
                cached = self._date_cache[raw] = self._check_date(_parse_date_text(raw))
            parsed = cached
        elif isinstance(raw, dt.datetime):
            parsed = self._check_date(raw.date())
        elif isinstance(raw, dt.date):
            parsed = self._check_date(raw)
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            serial = _serial_to_date(raw)
            parsed = (
                self._check_date(serial)
                if serial is not None
                else f"inspection date '{_cell_text(raw)}' is not a date (expected dd/mm/yyyy)"
            )
        elif raw is None:
            errors.append("inspection date is missing")
            return None
        else:
            parsed = f"inspection date '{_one_line(_cell_text(raw), 40)}' is not a date (expected dd/mm/yyyy)"
        if isinstance(parsed, str):
            errors.append(parsed)
            return None
        return parsed

    def _check_date(self, value: dt.date | str) -> dt.date | str:
        if isinstance(value, str):
            return value
        if value > self._max_date:
            return f"inspection date {value:%d/%m/%Y} is more than a year in the future"
        if value < _MIN_DATE:
            return f"inspection date {value:%d/%m/%Y} is before 2000"
        return value


# --- opening --------------------------------------------------------------------------


def open_ofsted(
    source: str | os.PathLike[str] | BinaryIO,
    filename: str | None = None,
    *,
    sheet: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> OfstedFile:
    """Open an Ofsted file (path or binary file-like, possibly non-seekable), find its
    header row and map its columns. Raises :class:`FileUnreadable` with a one-line reason."""
    closers: list[object] = []
    try:
        return _open(source, filename, sheet, limits, closers)
    except FileUnreadable:
        _close_all(closers)
        raise
    except (KeyboardInterrupt, SystemExit):
        _close_all(closers)
        raise
    except UnicodeDecodeError:
        _close_all(closers)
        raise FileUnreadable(_NOT_TEXT) from None
    except OSError as exc:
        _close_all(closers)
        raise FileUnreadable(f"file could not be read: {exc.strerror or exc}") from None
    except BaseException as exc:  # anything else, including pyo3 panics from calamine
        _close_all(closers)
        raise FileUnreadable(f"file could not be read: {type(exc).__name__}: {exc}") from None


def _close_all(closers: list[object]) -> None:
    for obj in reversed(closers):
        close = getattr(obj, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()
    closers.clear()


def _open(
    source: str | os.PathLike[str] | BinaryIO,
    filename: str | None,
    sheet: str | None,
    limits: Limits,
    closers: list[object],
) -> OfstedFile:
    path: str | None = None
    stream: IO[bytes]
    owns = False
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        size = os.stat(path).st_size
        if size > limits.max_bytes:
            raise FileUnreadable(f"file is larger than the limit of {limits.max_bytes} bytes")
        stream = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by OfstedFile.close
        closers.append(stream)
        owns = True
        if filename is None:
            filename = os.path.basename(path)
    else:
        stream = source
        seekable = getattr(stream, "seekable", None)
        if seekable is not None and seekable():
            here = stream.tell()
            size = stream.seek(0, os.SEEK_END) - here
            stream.seek(here)
            if size > limits.max_bytes:
                raise FileUnreadable(f"file is larger than the limit of {limits.max_bytes} bytes")
    hint = _extension(filename)

    peek = _read_up_to(stream, _PEEK_BYTES)
    whole = len(peek) < _PEEK_BYTES
    if not peek.strip() and whole:
        raise FileUnreadable("file is empty")

    if peek.startswith(b"PK\x03\x04") or peek.startswith(b"PK\x05\x06"):
        return _open_workbook(path, peek, stream, sheet, limits, hint, closers)
    if peek.startswith(_OLE2_MAGIC):
        raise FileUnreadable("old Excel .xls format is not supported; save as .xlsx or .csv")
    for magic, reason in _OTHER_MAGIC:
        if peek.startswith(magic):
            raise FileUnreadable(reason)
    if b"\x00" in peek or _looks_binary(peek):
        if hint in ("xlsx", "ods", "xls"):
            raise FileUnreadable(f"file is named .{hint} but is not a valid workbook (unrecognised binary data)")
        if b"\x00" in peek:
            raise FileUnreadable("file contains NUL bytes: it is binary data, not CSV text")
        raise FileUnreadable("file is binary data, not CSV text")
    return _open_csv(peek, whole, stream, owns, limits, closers)


def _sniff_delimiter(peek: bytes, whole: bool, limits: Limits) -> str:
    text = codecs.getincrementaldecoder("utf-8")(errors=_CP1252_HANDLER).decode(peek, final=whole)
    if not whole:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[:cut]
    for delimiter in (",", ";", "\t"):
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            if _find_header(reader, limits)[0] is not None:
                return delimiter
        except csv.Error:
            continue
    return ","


def _find_header(
    rows: Iterator[Sequence[object]], limits: Limits
) -> tuple[dict[str, tuple[int, str]] | None, int, int]:
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
        if not row or all(_is_blank(cell) for cell in row):
            continue
        seen += 1
        if row and isinstance(row[0], str) and row[0].startswith("\ufeff"):
            row = [row[0][1:], *row[1:]]
        mapping = _map_header(row)
        if mapping is not None:
            return mapping, row_no, _used_width(row)
    return None, row_no, 0


def _open_csv(
    peek: bytes, whole: bool, stream: IO[bytes], owns: bool, limits: Limits, closers: list[object]
) -> OfstedFile:
    if peek.startswith(codecs.BOM_UTF8) and not peek[3:].strip() and whole:
        raise FileUnreadable("file is empty")
    if csv.field_size_limit() != limits.max_field_chars:
        csv.field_size_limit(limits.max_field_chars)
    delimiter = _sniff_delimiter(peek, whole, limits)
    raw = _GuardedStream(peek, None if whole else stream, owns, limits)
    closers.append(raw)
    buffered = io.BufferedReader(raw, buffer_size=256 * 1024)
    text = io.TextIOWrapper(buffered, encoding="utf-8", errors=_CP1252_HANDLER, newline="")
    closers.append(text)
    reader = csv.reader(text, delimiter=delimiter)
    mapping, header_row, width = _find_header(reader, limits)
    if mapping is None:
        raise FileUnreadable(_no_header_reason(limits))
    if width > limits.max_columns:
        raise FileUnreadable(f"header row has {width} columns; the limit is {limits.max_columns}")
    return OfstedFile(
        format="csv",
        sheet=None,
        header_row=header_row,
        mapping=mapping,
        rows=reader,
        closers=closers,
        limits=limits,
    )


def _open_workbook(
    path: str | None,
    peek: bytes,
    stream: IO[bytes],
    sheet: str | None,
    limits: Limits,
    hint: str,
    closers: list[object],
) -> OfstedFile:
    target: IO[bytes]
    if path is not None:
        target = stream  # the file itself (python-calamine's from_path trusts the extension)
        target.seek(0)
    else:
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        closers.append(spool)
        spool.write(peek)
        total = len(peek)
        chunk = peek
        while chunk:
            if total > limits.max_bytes:
                raise FileUnreadable(f"file is larger than the limit of {limits.max_bytes} bytes")
            chunk = stream.read(_COPY_CHUNK) or b""
            total += len(chunk)
            spool.write(chunk)
        spool.seek(0)
        target = cast(IO[bytes], spool)
    fmt = _check_zip(target, limits, hint)
    target.seek(0)
    try:
        workbook = CalamineWorkbook.from_filelike(target)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        reason = f"{fmt.upper()} workbook could not be read: {_one_line(str(exc), 150)}"
        raise FileUnreadable(reason) from None
    closers.append(workbook)

    names = list(workbook.sheet_names)
    if sheet is not None:
        if sheet not in names:
            raise FileUnreadable(f"sheet '{sheet}' not found; the workbook has: {', '.join(names)}")
        candidates = [sheet]
    else:
        candidates = names
    if not candidates:
        raise FileUnreadable("workbook has no sheets")
    for name in candidates:
        try:
            rows = iter(workbook.get_sheet_by_name(name).iter_rows())
            mapping, header_row, width = _find_header(rows, limits)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise FileUnreadable(f"sheet '{name}' could not be read: {_one_line(str(exc), 150)}") from None
        if mapping is None:
            continue
        if width > limits.max_columns:
            raise FileUnreadable(f"header row has {width} columns; the limit is {limits.max_columns}")
        return OfstedFile(
            format=fmt,
            sheet=name,
            header_row=header_row,
            mapping=mapping,
            rows=rows,
            closers=closers,
            limits=limits,
        )
    where = f" of sheet '{sheet}'" if sheet is not None else f" of any sheet ({', '.join(names)})"
    raise FileUnreadable(_no_header_reason(limits, where))
