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

A file with no placing-authority column is a ratings snapshot (``OfstedFile.is_ratings_snapshot``),
Ofsted's list of every home's latest rating; ``OfstedFile.snapshot_date`` is the date its title
rows say it is "as at" ("Provider level as at 31 March 2023"), or None. ``rows(every_grade=True)``
reads in-scope rows of every grade as :class:`ParsedRow` (see ``domain/snapshot.py``).

The package's rooms: ``outcomes`` (the types above and :class:`Limits`), ``guards`` (byte and
zip guards), ``headers`` (header spellings, the header row and the title rows' date), ``cells``
(scope, grades, URNs, dates), ``rules`` (one row's verdict), ``reader`` (:class:`OfstedFile`) and
``opening`` (:func:`open_ofsted`).
"""

from .cells import classify_provision_type, split_placing_authorities
from .headers import FIELD_ALIASES, _map_header, normalise_header
from .opening import open_ofsted
from .outcomes import DEFAULT_LIMITS, FileUnreadable, Limits, ParsedRow, RowOutcome, RowRejected, RowSkipped
from .reader import OfstedFile

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
    "_map_header",  # header mapping, tested directly
    "classify_provision_type",
    "normalise_header",
    "open_ofsted",
    "split_placing_authorities",
]
