"""Byte and zip guards: the Windows-1252 fallback, the guarded CSV byte stream, format sniffing, zip bombs."""

from __future__ import annotations

import codecs
import io
import os
import zipfile
from typing import IO, TYPE_CHECKING, Final

from .outcomes import FileUnreadable, Format, Limits

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# --- text decoding --------------------------------------------------------------------

_CP1252_TABLE: Final[tuple[str | None, ...]] = tuple(
    (lambda b: bytes([b]).decode("cp1252", errors="ignore") or None)(b) for b in range(256)
)
CP1252_HANDLER: Final = "advocacy-notify-cp1252-fallback"


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


codecs.register_error(CP1252_HANDLER, _cp1252_fallback)

NOT_TEXT: Final = "file is not UTF-8 or Windows-1252 text"


class GuardedStream(io.RawIOBase):
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

PEEK_BYTES: Final = 256 * 1024
COPY_CHUNK: Final = 1024 * 1024
_ODS_MIMETYPE: Final = "application/vnd.oasis.opendocument.spreadsheet"
OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OTHER_MAGIC: Final = (
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


def extension(name: str | None) -> str:
    if not name:
        return ""
    return os.path.splitext(name)[1].lower().lstrip(".")


def read_up_to(source: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = source.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def looks_binary(peek: bytes) -> bool:
    sample = peek[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 8 and controls * 100 > len(sample)


def check_zip(fileobj: IO[bytes], limits: Limits, hint: str) -> Format:
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
