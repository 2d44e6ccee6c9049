"""Opening a file: detect its format, guard it, find the header row and map the columns."""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, BinaryIO, cast

from python_calamine import CalamineWorkbook

from .guards import (
    COPY_CHUNK,
    CP1252_HANDLER,
    NOT_TEXT,
    OLE2_MAGIC,
    OTHER_MAGIC,
    PEEK_BYTES,
    GuardedStream,
    check_zip,
    extension,
    looks_binary,
    read_up_to,
)
from .headers import Header, find_header, no_header_reason, snapshot_date_in
from .outcomes import DEFAULT_LIMITS, FileUnreadable, Format, Limits, one_line
from .reader import OfstedFile, close_all


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
    except BaseException as exc:  # anything, including pyo3 panics from calamine
        close_all(closers)
        if isinstance(exc, FileUnreadable | KeyboardInterrupt | SystemExit):
            raise
        raise FileUnreadable(_failure_reason(exc)) from None


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return NOT_TEXT
    if isinstance(exc, OSError):
        return f"file could not be read: {exc.strerror or exc}"
    return f"file could not be read: {type(exc).__name__}: {exc}"


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
    hint = extension(filename)

    peek = read_up_to(stream, PEEK_BYTES)
    whole = len(peek) < PEEK_BYTES
    if not peek.strip() and whole:
        raise FileUnreadable("file is empty")

    if peek.startswith(b"PK\x03\x04") or peek.startswith(b"PK\x05\x06"):
        return _open_workbook(path, peek, stream, sheet, limits, hint, closers)
    if peek.startswith(OLE2_MAGIC):
        raise FileUnreadable("old Excel .xls format is not supported; save as .xlsx or .csv")
    for magic, reason in OTHER_MAGIC:
        if peek.startswith(magic):
            raise FileUnreadable(reason)
    if b"\x00" in peek or looks_binary(peek):
        if hint in ("xlsx", "ods", "xls"):
            raise FileUnreadable(f"file is named .{hint} but is not a valid workbook (unrecognised binary data)")
        if b"\x00" in peek:
            raise FileUnreadable("file contains NUL bytes: it is binary data, not CSV text")
        raise FileUnreadable("file is binary data, not CSV text")
    return _open_csv(peek, whole, stream, owns, limits, closers)


def _sniff_delimiter(peek: bytes, whole: bool, limits: Limits) -> str:
    text = codecs.getincrementaldecoder("utf-8")(errors=CP1252_HANDLER).decode(peek, final=whole)
    if not whole:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[:cut]
    for delimiter in (",", ";", "\t"):
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            if find_header(reader, limits).mapping is not None:
                return delimiter
        except csv.Error:
            continue
    return ","


def _open_csv(
    peek: bytes, whole: bool, stream: IO[bytes], owns: bool, limits: Limits, closers: list[object]
) -> OfstedFile:
    if peek.startswith(codecs.BOM_UTF8) and not peek[3:].strip() and whole:
        raise FileUnreadable("file is empty")
    if csv.field_size_limit() != limits.max_field_chars:
        csv.field_size_limit(limits.max_field_chars)
    delimiter = _sniff_delimiter(peek, whole, limits)
    raw = GuardedStream(peek, None if whole else stream, owns, limits)
    closers.append(raw)
    buffered = io.BufferedReader(raw, buffer_size=256 * 1024)
    text = io.TextIOWrapper(buffered, encoding="utf-8", errors=CP1252_HANDLER, newline="")
    closers.append(text)
    reader = csv.reader(text, delimiter=delimiter)
    header = find_header(reader, limits)
    if header.mapping is None:
        raise FileUnreadable(no_header_reason(limits))
    return _opened("csv", None, header, reader, closers, limits)


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
            chunk = stream.read(COPY_CHUNK) or b""
            total += len(chunk)
            spool.write(chunk)
        spool.seek(0)
        target = cast(IO[bytes], spool)
    fmt = check_zip(target, limits, hint)
    target.seek(0)
    try:
        workbook = CalamineWorkbook.from_filelike(target)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        reason = f"{fmt.upper()} workbook could not be read: {one_line(str(exc), 150)}"
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
            header = find_header(rows, limits)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise FileUnreadable(f"sheet '{name}' could not be read: {one_line(str(exc), 150)}") from None
        if header.mapping is None:
            continue
        return _opened(fmt, name, header, rows, closers, limits)
    where = f" of sheet '{sheet}'" if sheet is not None else f" of any sheet ({', '.join(names)})"
    raise FileUnreadable(no_header_reason(limits, where))


def _opened(
    fmt: Format,
    sheet: str | None,
    header: Header,
    rows: Iterator[Sequence[object]],
    closers: list[object],
    limits: Limits,
) -> OfstedFile:
    """The file, once its header row is found."""
    assert header.mapping is not None
    if header.width > limits.max_columns:
        raise FileUnreadable(f"header row has {header.width} columns; the limit is {limits.max_columns}")
    return OfstedFile(
        format=fmt,
        sheet=sheet,
        header_row=header.row,
        mapping=header.mapping,
        rows=rows,
        closers=closers,
        limits=limits,
        snapshot_date=snapshot_date_in(header.titles),
    )
