"""Build small workbooks in memory, for tests: XLSX with XlsxWriter (bench/xlsx.py), ODS and any zip
by hand.

Cells may be ``None`` or ``""`` (empty), ``str``, ``bool``, ``int``, ``float``,
``datetime.date`` or ``datetime.datetime``. Dates are written as typed dates (a serial
number with a date number format in XLSX, ``office:value-type="date"`` in ODS), so
python-calamine reads them back as ``date``/``datetime`` objects.

The ODS builder stays hand-written: no well-kept ODS writer is cheap to add (odfpy, the one
pandas uses, has had no release since 2020), and an ODS is one small XML file in a zip.

    make_xlsx([["URN", "Provision type"], [1234567, "Children's home"]])
    make_xlsx(rows, sheet_name="Data", extra_sheets=[("Notes", [["hello"]])])
    make_xlsx(sheets=[("Cover", [["title"]]), ("Data", rows)])   # explicit order
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from bench.xlsx import workbook_bytes

Cell = object
Rows = Sequence[Sequence[Cell]]
SheetSpec = tuple[str, Rows]


def _sheet_list(
    rows: Rows | None,
    sheet_name: str,
    extra_sheets: Mapping[str, Rows] | Iterable[SheetSpec] | None,
    sheets: Iterable[SheetSpec] | None,
) -> list[SheetSpec]:
    if sheets is not None:
        result = list(sheets)
    else:
        result = [(sheet_name, rows if rows is not None else [])]
        if extra_sheets:
            extra = extra_sheets.items() if isinstance(extra_sheets, Mapping) else extra_sheets
            result.extend((name, r) for name, r in extra)
    if not result:
        raise ValueError("a workbook needs at least one sheet")
    return result


def make_xlsx(
    rows: Rows | None = None,
    sheet_name: str = "Sheet1",
    extra_sheets: Mapping[str, Rows] | Iterable[SheetSpec] | None = None,
    *,
    sheets: Iterable[SheetSpec] | None = None,
) -> bytes:
    """An XLSX workbook written by XlsxWriter; the first sheet is ``sheet_name`` unless ``sheets`` is given."""
    return workbook_bytes(_sheet_list(rows, sheet_name, extra_sheets, sheets))


# --- ODS -------------------------------------------------------------------------------

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def _ods_cell(value: Cell) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}">'
            f"<text:p>{text}</text:p></table:table-cell>"
        )
    if isinstance(value, dt.datetime):
        iso = value.strftime("%Y-%m-%dT%H:%M:%S")
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
            f"<text:p>{value.strftime('%d/%m/%Y %H:%M:%S')}</text:p></table:table-cell>"
        )
    if isinstance(value, dt.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.strftime('%d/%m/%Y')}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value!r}">'
            f"<text:p>{value!r}</text:p></table:table-cell>"
        )
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def make_ods(
    rows: Rows | None = None,
    sheet_name: str = "Sheet1",
    extra_sheets: Mapping[str, Rows] | Iterable[SheetSpec] | None = None,
    *,
    sheets: Iterable[SheetSpec] | None = None,
) -> bytes:
    """A minimal OpenDocument spreadsheet, same arguments as :func:`make_xlsx`."""
    specs = _sheet_list(rows, sheet_name, extra_sheets, sheets)
    tables = []
    for name, sheet_rows in specs:
        body = []
        for row in sheet_rows:
            cells = "".join(_ods_cell(v) for v in row) or "<table:table-cell/>"
            body.append(f"<table:table-row>{cells}</table:table-row>")
        tables.append(f"<table:table table:name={quoteattr(name)}>{''.join(body)}</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", manifest)
        zf.writestr("content.xml", content)
    return buf.getvalue()


def make_zip(entries: Mapping[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Any zip archive (for fake-workbook tests): a zip that only poses as a workbook (no workbook
    part, a Word document, a workbook part that is not XML) is what no spreadsheet writer makes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_zip_bomb(uncompressed_bytes: int, *, fill: bytes = b"\x00") -> bytes:
    """A zip posing as an XLSX whose sheet part inflates to ``uncompressed_bytes`` of ``fill``
    (about 1,000 times its compressed size). Made by hand on purpose: a spreadsheet writer never
    makes a sheet of one repeated byte, and it would hold the whole sheet in memory to write it;
    this streams 1 MiB at a time."""
    chunk = fill * ((1 << 20) // len(fill))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for _ in range(uncompressed_bytes // len(chunk)):
                sheet.write(chunk)
    return buf.getvalue()
