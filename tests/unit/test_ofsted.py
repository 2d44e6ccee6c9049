"""Reading Ofsted files: formats, header drift, scope, validation, broken files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
from collections import Counter
from pathlib import Path

import pytest
from advocacy_notify.domain.ofsted import (
    DEFAULT_LIMITS,
    FIELD_ALIASES,
    FileUnreadable,
    Limits,
    OfstedFile,
    ParsedRow,
    RowOutcome,
    RowRejected,
    RowSkipped,
    _map_header,
    classify_provision_type,
    normalise_header,
    open_ofsted,
    split_placing_authorities,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from sheet_builders import make_ods, make_xlsx, make_zip, make_zip_bomb
except ImportError:  # tests/unit became a package
    from .sheet_builders import make_ods, make_xlsx, make_zip, make_zip_bomb  # type: ignore[no-redef]

from tests.conftest import HEADER as PROVISIONAL_HEADER  # the provisional layout, as bench/gen.py writes it
from tests.conftest import REAL_DATA

DATA = REAL_DATA / "ofsted"
REAL_CSV = DATA / "provider_at_march_2023.csv"
REAL_ODS = DATA / "Childrens_social_care_in_England_2023_underlying_data.ods"
HEADERS_BY_YEAR = DATA / "headers_by_year.txt"

TODAY = dt.date.today()
RECENT = TODAY - dt.timedelta(days=20)
RECENT_TEXT = RECENT.strftime("%d/%m/%Y")

PUBLIC_HEADER = [
    "Web link",
    "URN",
    "Linked Education URN",
    "Provision type",
    "Registration date",
    "Registration status",
    "Name",
    "Local authority",
    "Latest full inspection date",
    "Latest full inspection publication date",
    "Overall experiences and progress of children and young people",
]


# --- helpers --------------------------------------------------------------------------


class NonSeekable:
    """Like botocore's StreamingBody: read(n) in small pieces, no seek."""

    def __init__(self, data: bytes, piece: int = 7919) -> None:
        self._buf = io.BytesIO(data)
        self._piece = piece
        self.closed = False

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._piece
        return self._buf.read(min(n, self._piece))

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def csv_bytes(rows: list[list[object]], *, encoding: str = "utf-8", bom: bool = False, delimiter: str = ",") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(source: object, filename: str | None = None, **kwargs: object) -> tuple[OfstedFile, list[RowOutcome]]:
    with open_ofsted(source, filename, **kwargs) as f:  # type: ignore[arg-type]
        return f, list(f.rows())


def parsed(outcomes: list[RowOutcome]) -> list[ParsedRow]:
    return [o for o in outcomes if isinstance(o, ParsedRow)]


def skipped(outcomes: list[RowOutcome]) -> list[RowSkipped]:
    return [o for o in outcomes if isinstance(o, RowSkipped)]


def rejected(outcomes: list[RowOutcome]) -> list[RowRejected]:
    return [o for o in outcomes if isinstance(o, RowRejected)]


def assert_one_line(exc: FileUnreadable) -> None:
    assert exc.reason
    assert "\n" not in exc.reason
    assert "Traceback" not in exc.reason
    assert str(exc) == exc.reason


def home(urn: object = "SC123456", **overrides: object) -> list[object]:
    values: dict[str, object] = {
        "URN": urn,
        "Setting name": "The Willows",
        "Provision type": "Children's home",
        "Registration status": "Active",
        "Local authority": "Leeds",
        "Provisional judgement": "Inadequate",
        "Provisional judgement date": RECENT_TEXT,
        "Placing authorities": "Leeds; Bradford",
    }
    values.update(overrides)
    return [values[h] for h in PROVISIONAL_HEADER]


# --- the real files -------------------------------------------------------------------


def test_real_csv_provider_file() -> None:
    f, outcomes = read_all(REAL_CSV)
    assert f.format == "csv"
    assert f.sheet is None
    assert f.header_row == 4
    assert f.columns["urn"] == "URN"
    assert f.columns["inspection_date"] == "Latest full inspection date"
    assert f.columns["judgement"] == "Overall experiences and progress of children and young people"
    assert f.has_judgement_column
    assert not f.has_placing_column
    homes = parsed(outcomes)
    assert len(homes) == 63
    assert len(skipped(outcomes)) == 3483
    assert rejected(outcomes) == []
    assert f.data_rows == 3546
    assert all(h.judgement == "Inadequate" for h in homes)
    assert all(h.placing_authorities == () for h in homes)
    assert len({h.urn for h in homes}) == 63
    reasons = Counter(s.reason for s in skipped(outcomes))
    assert reasons["judgement: Good"] == 2066
    assert reasons["out of scope: Independent Fostering Agency"] == 313
    assert reasons["out of scope: Secure Training Centre"] == 1
    first = homes[0]
    assert first.row == 28
    assert first.urn == "SC386837"
    assert first.name is None  # REDACTED
    assert first.inspection_date == dt.date(2023, 3, 14)
    assert first.local_authority == "Stockport"
    assert first.registration_status == "Active"


def test_real_csv_streamed_from_a_non_seekable_body() -> None:
    body = NonSeekable(REAL_CSV.read_bytes())
    f, outcomes = read_all(body, "provider_at_march_2023.csv")
    assert f.header_row == 4
    assert len(parsed(outcomes)) == 63
    assert len(skipped(outcomes)) == 3483
    assert not body.closed  # the caller owns its stream


def test_real_ods_workbook() -> None:
    f, outcomes = read_all(REAL_ODS)
    assert f.format == "ods"
    assert f.sheet == "Provider_level_at_31_Mar_2023"  # first sheet with URN + Provision type
    assert f.header_row == 4
    homes = parsed(outcomes)
    assert len(homes) == 63
    assert len(skipped(outcomes)) == 3483
    assert rejected(outcomes) == []
    for h in homes:
        assert isinstance(h.urn, str)
        assert ".0" not in h.urn
        assert h.urn.startswith("SC") or (len(h.urn) == 7 and h.urn.isdigit())
    assert any(h.urn.isdigit() for h in homes)  # 7-digit URNs stored as numbers in the sheet
    _, csv_outcomes = read_all(REAL_CSV)
    assert [(h.urn, h.inspection_date) for h in homes] == [(h.urn, h.inspection_date) for h in parsed(csv_outcomes)]


def test_real_ods_named_sheet_and_unknown_sheet() -> None:
    f, outcomes = read_all(REAL_ODS, sheet="Provider_level_in_year_2022-23")
    assert f.sheet == "Provider_level_in_year_2022-23"
    assert f.columns["inspection_date"] == "Inspection date"
    assert parsed(outcomes)
    with pytest.raises(FileUnreadable) as info:
        open_ofsted(REAL_ODS, sheet="Nope")
    assert "Nope" in info.value.reason
    assert "Provider_level_at_31_Mar_2023" in info.value.reason
    assert_one_line(info.value)


def test_real_ods_streamed_through_a_spool() -> None:
    f, outcomes = read_all(NonSeekable(REAL_ODS.read_bytes(), piece=65536), "x.ods")
    assert f.format == "ods"
    assert len(parsed(outcomes)) == 63


# --- header aliases across the years --------------------------------------------------


def _header_blocks() -> list[tuple[str, list[str]]]:
    blocks = []
    lines = HEADERS_BY_YEAR.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("## ") and i + 1 < len(lines):
            cells = [c.replace("\\n", "\n") for c in lines[i + 1].split(" | ")]
            blocks.append((line[3:], cells))
    return blocks


HEADER_BLOCKS = _header_blocks()


def test_headers_by_year_were_found() -> None:
    assert len(HEADER_BLOCKS) >= 20


@pytest.mark.parametrize(("title", "cells"), HEADER_BLOCKS, ids=[t[:70] for t, _ in HEADER_BLOCKS])
def test_every_header_of_every_year_maps(title: str, cells: list[str]) -> None:
    mapping = _map_header(cells)
    provider_sheet = "URN" in [c.strip() for c in cells]
    if not provider_sheet:
        assert mapping is None  # LA-level sheets are not provider files
        return
    assert mapping is not None, title
    fields = {field: cells[index] for field, (index, _) in mapping.items()}
    assert fields["urn"] == "URN"
    assert fields["provision_type"] == "Provision type"
    assert "name" in fields
    assert "local_authority" in fields
    if any(c.lower() in ("reg status", "registration status") for c in cells):
        assert normalise_header(fields["registration_status"]) in ("reg status", "registration status")
    date = fields.get("inspection_date")
    if any("inspection date" in c.lower() for c in cells):
        assert date is not None
    if date is not None:
        assert "publication" not in date.lower()
        assert "registration" not in date.lower()
        assert "previous" not in date.lower()
    judgement = fields.get("judgement")
    if any(c.strip().lower().startswith(("overall effectiveness", "overall experiences")) for c in cells):
        assert judgement is not None
    if judgement is not None:
        assert "previous" not in judgement.lower()
        assert "overall" in judgement.lower()


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("URN", "urn"),
        ("\ufeffURN", "urn"),
        (" urn \n", "urn"),
        ("Provision Type", "provision_type"),
        ("PROVISION\nTYPE ", "provision_type"),
        ("Reg Status", "registration_status"),
        ("Setting Name", "name"),
        ("Provider name", "name"),
        ("Premises Local Authority", "local_authority"),
        ("Inspection Date", "inspection_date"),
        ("\nLatest full inspection date", "inspection_date"),
        ("Latest Full inspection\ndate", "inspection_date"),
        ("Inspection/Visit date", "inspection_date"),
        ("Date of provisional judgement", "inspection_date"),
        ("Provisional rating date", "inspection_date"),
        ("Inspection end date", "inspection_date"),
        ("\nOverall experiences and progress of children and young people", "judgement"),
        ("Latest full inspection overall experiences and progress of children and young people", "judgement"),
        ("Overall effectiveness", "judgement"),
        ("Provisional grade", "judgement"),
        ("Placing LA(s)", "placing_authorities"),
        ("Placing local authorities", "placing_authorities"),
        ("Placing authority", "placing_authorities"),
        ("Placing LAs", "placing_authorities"),
        ("Placing Authorities [note 2]", "placing_authorities"),
    ],
)
def test_header_aliases(header: str, field: str) -> None:
    if field == "urn":
        cells = [header, "Provision type"]
    elif field == "provision_type":
        cells = ["URN", header]
    else:
        cells = ["URN", "Provision type", header]
    mapping = _map_header(cells)
    assert mapping is not None
    assert mapping[field] == (cells.index(header), header)


@pytest.mark.parametrize(
    "header",
    [
        "Linked Education URN",
        "Linked ED URN",
        "Inspection publication date",
        "Publication date",
        "Registration date",
        "Latest full inspection publication date",
        "Previous full inspection event date",
        "Previous overall experiences and progress of children and young people",
    ],
)
def test_headers_that_must_not_map(header: str) -> None:
    mapping = _map_header(["URN", "Provision type", header])
    assert mapping is not None
    assert all(index != 2 for index, _ in mapping.values())


def test_highest_priority_alias_wins() -> None:
    cells = [
        "URN",
        "Provision type",
        "Overall effectiveness",
        "Provisional judgement",
        "Inspection date",
        "Provisional judgement date",
    ]
    mapping = _map_header(cells)
    assert mapping is not None
    assert mapping["judgement"] == (3, "Provisional judgement")
    assert mapping["inspection_date"] == (5, "Provisional judgement date")


def test_alias_table_is_complete_for_the_brief() -> None:
    normalised = {f: {normalise_header(a) for a in aliases} for f, aliases in FIELD_ALIASES.items()}
    for spelling in ("Name", "Setting Name", "Provider name"):
        assert normalise_header(spelling) in normalised["name"]
    for spelling in (
        "Placing authorities",
        "Placing LA(s)",
        "Placing LAs",
        "Placing LA",
        "Placing local authority",
    ):
        assert normalise_header(spelling) in normalised["placing_authorities"]
    assert FIELD_ALIASES["judgement"][:5] == (
        "Provisional judgement",
        "Provisional overall judgement",
        "Provisional rating",
        "Provisional grade",
        "Provisional overall effectiveness",
    )


# --- encodings ------------------------------------------------------------------------


def _small_public_file(name: str = "Ecole Élan’s House", ptype: str = "Children’s home") -> list[list[object]]:
    return [
        ["Provider level data"],
        [],
        PUBLIC_HEADER,
        ["link", "SC111111", "", ptype, "01/01/2010", "Active", name, "Leeds", RECENT_TEXT, "", "Inadequate"],
    ]


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp1252", False)])
def test_csv_encodings(tmp_path: Path, encoding: str, bom: bool) -> None:
    path = write(tmp_path, "f.csv", csv_bytes(_small_public_file(), encoding=encoding, bom=bom))
    f, outcomes = read_all(path)
    assert f.header_row == 3
    (row,) = parsed(outcomes)
    assert row.name == "Ecole Élan’s House"
    assert row.provision_type == "Children’s home"
    assert row.row == 4


def test_bom_before_header_on_row_one(tmp_path: Path) -> None:
    f, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes([PROVISIONAL_HEADER, home()], bom=True)))
    assert f.header_row == 1
    assert f.columns["urn"] == "URN"
    assert len(parsed(outcomes)) == 1


def test_cp1252_bytes_far_into_a_utf8_looking_file(tmp_path: Path) -> None:
    rows: list[list[object]] = [PROVISIONAL_HEADER]
    rows += [home(f"{2000000 + i}") for i in range(6000)]  # > 256 KiB of ASCII first
    rows.append(home("SC999999", **{"Setting name": "Café ‘Oaks’"}))
    path = write(tmp_path, "f.csv", csv_bytes(rows, encoding="cp1252"))
    assert path.stat().st_size > 300_000
    _, outcomes = read_all(NonSeekable(path.read_bytes()))
    homes = parsed(outcomes)
    assert len(homes) == 6001
    assert homes[-1].name == "Café ‘Oaks’"


def test_undecodable_bytes_make_the_file_unreadable(tmp_path: Path) -> None:
    data = csv_bytes([PROVISIONAL_HEADER, home()]) + b"SC1\x81\x8d\x90,x\r\n"
    with pytest.raises(FileUnreadable) as info:
        read_all(write(tmp_path, "f.csv", data))
    assert "UTF-8" in info.value.reason
    assert_one_line(info.value)


def test_semicolon_and_tab_delimited(tmp_path: Path) -> None:
    for delimiter in (";", "\t"):
        data = csv_bytes([PROVISIONAL_HEADER, home(**{"Placing authorities": "Bristol, City of"})], delimiter=delimiter)
        _, outcomes = read_all(write(tmp_path, "f.csv", data))
        (row,) = parsed(outcomes)
        assert row.placing_authorities == ("Bristol, City of",)


# --- header position and header cells ---------------------------------------------------


def _with_header_at(header_row: int, header: list[object], data: list[list[object]]) -> list[list[object]]:
    fillers: list[list[object]] = [
        ["Children's social care data in England"],
        [],
        ["Notes: some cells empty"],
        [],
    ]
    return [*fillers[: header_row - 1], header, *data]


@pytest.mark.parametrize("header_row", [1, 2, 4, 5])
@pytest.mark.parametrize("kind", ["csv", "xlsx", "ods"])
def test_header_position(tmp_path: Path, header_row: int, kind: str) -> None:
    rows = _with_header_at(header_row, PROVISIONAL_HEADER, [home("SC000001"), [], home("SC000002")])
    data = {"csv": lambda: csv_bytes(rows), "xlsx": lambda: make_xlsx(rows), "ods": lambda: make_ods(rows)}[kind]()
    f, outcomes = read_all(write(tmp_path, f"f.{kind}", data))
    assert f.format == kind
    assert f.header_row == header_row
    assert [o.row for o in outcomes] == [
        header_row + 1,
        header_row + 3,
    ]  # blank row not yielded, still counted
    assert [o.urn for o in parsed(outcomes)] == ["SC000001", "SC000002"]


def test_header_cells_with_line_breaks_prefixes_and_case(tmp_path: Path) -> None:
    header = [
        "Web link",
        " URN ",
        "Linked Education URN",
        "PROVISION\ntype",
        "Registration status ",
        "Name",
        "Local authority",
        "\nLatest Full inspection event type",
        "\nLatest full inspection date",
        "Latest full inspection publication date",
        "\nOverall experiences and progress of children and young people",
    ]
    row = [
        "l",
        "SC222222",
        "123456",
        "Children’s Home",
        "Active",
        "REDACTED",
        "Leeds",
        "Full",
        RECENT_TEXT,
        "x",
        "inadequate ",
    ]
    for data, name in ((csv_bytes([header, row]), "f.csv"), (make_xlsx([["t"], header, row]), "f.xlsx")):
        f, outcomes = read_all(write(tmp_path, name, data))
        assert f.columns["urn"] == " URN "
        assert f.columns["inspection_date"] == "\nLatest full inspection date"
        (h,) = parsed(outcomes)
        assert h.urn == "SC222222"
        assert h.inspection_date == RECENT
        assert h.judgement == "Inadequate"
        assert h.name is None


def test_no_header_in_first_30_rows(tmp_path: Path) -> None:
    rows: list[list[object]] = [[f"note {i}"] for i in range(30)] + [PROVISIONAL_HEADER, home()]
    with pytest.raises(FileUnreadable) as info:
        open_ofsted(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert info.value.reason.startswith("no recognisable header row: expected URN and Provision type columns")
    # blank rows do not count towards the 30
    rows = [[f"note {i}"] for i in range(29)] + [[]] * 10 + [PROVISIONAL_HEADER, home()]
    f, outcomes = read_all(write(tmp_path, "g.csv", csv_bytes(rows)))
    assert f.header_row == 40
    assert parsed(outcomes)[0].row == 41


# --- workbooks ------------------------------------------------------------------------


def test_xlsx_numbers_and_typed_dates(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        PROVISIONAL_HEADER,
        home(2611190.0, **{"Provisional judgement date": RECENT}),
        home(
            2611191,
            **{"Provisional judgement date": dt.datetime(RECENT.year, RECENT.month, RECENT.day, 9, 30)},
        ),
        home(1234567.5),
        home("sc 123 456", **{"Provisional judgement date": (RECENT - dt.date(1899, 12, 30)).days}),
        home("SC123457", **{"Provisional judgement date": RECENT.isoformat()}),
        home("SC123458", **{"Provisional judgement date": f"{RECENT.day} {RECENT:%B %Y}"}),
    ]
    for builder, ext in ((make_xlsx, "xlsx"), (make_ods, "ods")):
        f, outcomes = read_all(write(tmp_path, f"f.{ext}", builder(rows)))
        assert f.format == ext
        homes = parsed(outcomes)
        assert [h.urn for h in homes] == ["2611190", "2611191", "SC123456", "SC123457", "SC123458"]
        assert {h.inspection_date for h in homes} == {RECENT}
        (bad,) = rejected(outcomes)
        assert bad.row == 4
        assert bad.errors == ["URN '1234567.5' is not SC + 6 digits or 7 digits"]


def test_workbook_picks_first_sheet_with_the_needed_columns(tmp_path: Path) -> None:
    cover = [["Cover sheet"], ["Contents", "Description"]]
    la_level = [
        ["LA level"],
        ["Web link", "Local authority name", "Inspection date", "Overall effectiveness"],
    ]
    data = [["Provisional ratings"], PROVISIONAL_HEADER, home()]
    other = [PROVISIONAL_HEADER, home("SC000009"), home("SC000010")]
    sheets = [("Cover", cover), ("LA_level", la_level), ("Ratings", data), ("Ratings 2", other)]
    for builder, ext in ((make_xlsx, "xlsx"), (make_ods, "ods")):
        path = write(tmp_path, f"multi.{ext}", builder(sheets=sheets))
        f, outcomes = read_all(path)
        assert f.sheet == "Ratings"
        assert f.header_row == 2
        assert [o.row for o in outcomes] == [3]
        f, outcomes = read_all(path, sheet="Ratings 2")
        assert f.sheet == "Ratings 2"
        assert [h.urn for h in parsed(outcomes)] == ["SC000009", "SC000010"]
        with pytest.raises(FileUnreadable) as info:
            open_ofsted(path, sheet="Missing")
        assert "Cover, LA_level, Ratings, Ratings 2" in info.value.reason
        with pytest.raises(FileUnreadable) as info:
            open_ofsted(path, sheet="Cover")
        assert info.value.reason.startswith("no recognisable header row")


def test_workbook_without_any_header(tmp_path: Path) -> None:
    path = write(tmp_path, "f.xlsx", make_xlsx([["a", "b"], [1, 2]], extra_sheets=[("Two", [["c"]])]))
    with pytest.raises(FileUnreadable) as info:
        open_ofsted(path)
    assert "Sheet1, Two" in info.value.reason
    assert_one_line(info.value)


def test_workbook_from_seekable_stream(tmp_path: Path) -> None:
    data = make_xlsx([PROVISIONAL_HEADER, home()])
    f, outcomes = read_all(io.BytesIO(data))
    assert f.format == "xlsx"
    assert len(parsed(outcomes)) == 1


def test_content_wins_over_the_extension(tmp_path: Path) -> None:
    xlsx = make_xlsx([PROVISIONAL_HEADER, home()])
    f, _ = read_all(write(tmp_path, "misnamed.csv", xlsx))
    assert f.format == "xlsx"
    f, _ = read_all(write(tmp_path, "misnamed.xlsx", csv_bytes([PROVISIONAL_HEADER, home()])))
    assert f.format == "csv"
    f, _ = read_all(write(tmp_path, "misnamed.xlsx", make_ods([PROVISIONAL_HEADER, home()])))
    assert f.format == "ods"


# --- judgement, scope and validation --------------------------------------------------


def test_no_judgement_column_means_all_inadequate(tmp_path: Path) -> None:
    header = ["URN", "Name", "Provision type", "Inspection date", "Placing LAs"]
    rows = [
        header,
        ["SC100001", "A", "Children's home", RECENT_TEXT, "Leeds"],
        ["2100002", "B", "Residential special school", RECENT_TEXT, "Kent|Medway"],
        ["SC100003", "C", "Boarding school", RECENT_TEXT, "Kent"],
    ]
    f, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert not f.has_judgement_column
    assert f.has_placing_column
    homes = parsed(outcomes)
    assert [h.judgement for h in homes] == ["Inadequate", "Inadequate"]
    assert homes[1].placing_authorities == ("Kent", "Medway")
    assert skipped(outcomes) == [RowSkipped(4, "out of scope: Boarding school")]


def test_skipped_and_rejected_rows_with_row_numbers(tmp_path: Path) -> None:
    future = (TODAY + dt.timedelta(days=400)).strftime("%d/%m/%Y")
    rows: list[list[object]] = [
        ["Provisional inspection outcomes"],
        ["Official sensitive"],
        [],
        PROVISIONAL_HEADER,
        home("SC000001"),  # 5 parsed
        home("garbage", **{"Provision type": "Boarding School", "Provisional judgement date": "?"}),  # 6 skip
        home("SC000003", **{"Provisional judgement": "Good"}),  # 7 skip
        home("12345", **{"Provisional judgement date": "31/02/2024"}),  # 8 rejected x2
        home("SC000005", **{"Provisional judgement": ""}),  # 9 rejected: blank judgement in a provisional file
        home("SC000006", **{"Provisional judgement": "4"}),  # 10 rejected
        home("SC000007", **{"Provision type": "  "}),  # 11 rejected
        home("SC000008", **{"Provisional judgement date": ""}),  # 12 rejected
        home("SC000009", **{"Provisional judgement date": future}),  # 13 rejected
        home("SC000010", **{"Provisional judgement date": "31/12/1999"}),  # 14 rejected
        ["", "", "", "", "", "", "", ""],  # 15 blank
        home("SC12", **{"Provisional judgement": "Outstanding", "Provision type": "Adoption Support Agency"}),  # 16
        home("ABC", **{"Provisional judgement": "Requires improvement to be good"}),  # 17 skip, not validated
    ]
    f, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert f.header_row == 4
    assert [o.row for o in outcomes] == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17]
    by_row = {o.row: o for o in outcomes}
    assert isinstance(by_row[5], ParsedRow)
    assert by_row[6] == RowSkipped(6, "out of scope: Boarding School")
    assert by_row[7] == RowSkipped(7, "judgement: Good")
    assert by_row[8] == RowRejected(
        8,
        ["URN '12345' is not SC + 6 digits or 7 digits", "inspection date '31/02/2024' is not a real date"],
    )
    assert by_row[9] == RowRejected(9, ["judgement is blank"])
    assert by_row[10] == RowRejected(10, ["judgement not recognised: '4'"])
    assert by_row[11] == RowRejected(11, ["provision type is blank"])
    assert by_row[12] == RowRejected(12, ["inspection date is missing"])
    assert isinstance(by_row[13], RowRejected)
    assert "more than a year in the future" in by_row[13].errors[0]
    assert by_row[14] == RowRejected(14, ["inspection date 31/12/1999 is before 2000"])
    assert by_row[16] == RowSkipped(16, "out of scope: Adoption Support Agency")
    assert by_row[17] == RowSkipped(17, "judgement: Requires improvement to be good")
    assert f.data_rows == 12


def test_blank_judgement_in_public_file_is_not_yet_judged(tmp_path: Path) -> None:
    rows = _small_public_file()
    rows[3][-1] = ""
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert outcomes == [RowSkipped(4, "not yet judged")]


def test_missing_date_column(tmp_path: Path) -> None:
    rows = [["URN", "Provision type", "Overall effectiveness"], ["SC100001", "Children's home", "Inadequate"]]
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert outcomes == [RowRejected(2, ["inspection date is missing"])]


@pytest.mark.parametrize(
    "grade",
    [
        "Outstanding",
        "good",
        "Requires improvement to be good",
        "Requires  Improvement",
        "Adequate",
        "Satisfactory",
        "Met",
        "Not met",
        "Sufficient",
        "Insufficient",
    ],
)
def test_other_grades_are_skipped(tmp_path: Path, grade: str) -> None:
    rows = [PROVISIONAL_HEADER, home(**{"Provisional judgement": grade})]
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    (only,) = outcomes
    assert isinstance(only, RowSkipped)
    assert only.reason.startswith("judgement: ")
    assert only.reason.lower() == "judgement: " + " ".join(grade.split()).lower()


@pytest.mark.parametrize("grade", ["Inadequate", " INADEQUATE ", "inadequate\n"])
def test_inadequate_in_any_case(tmp_path: Path, grade: str) -> None:
    rows = [PROVISIONAL_HEADER, home(**{"Provisional judgement": grade})]
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert parsed(outcomes)[0].judgement == "Inadequate"


@pytest.mark.parametrize(
    "ptype",
    [
        "Children's home",
        "Children's Home",
        "Children’s home",
        "CHILDRENS HOME",
        "Secure children's home",
        "Residential special school",
        "Residential Special School",
        "Residential special school (registered as a children's home)",
        "Short-break-only children's home",
        "Short break home",
    ],
)
def test_in_scope_provision_types(ptype: str) -> None:
    assert classify_provision_type(ptype)[1] is True


@pytest.mark.parametrize(
    "ptype",
    [
        "Boarding School",
        "Independent Fostering Agency",
        "Residential Family Centre",
        "Further Education College with Residential Accommodation",
        "Voluntary Adoption Agency",
        "Adoption Support Agency",
        "Residential Holiday Scheme for Disabled Children",
        "Secure Training Centre",
        "Supported accommodation",
        "Local authority fostering agency",
    ],
)
def test_out_of_scope_provision_types(ptype: str) -> None:
    assert classify_provision_type(ptype)[1] is False


def test_suspended_home_is_in_scope(tmp_path: Path) -> None:
    rows = [PROVISIONAL_HEADER, home(**{"Registration status": "Suspended"})]
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    (h,) = parsed(outcomes)
    assert h.registration_status == "Suspended"


def test_parsed_row_fields(tmp_path: Path) -> None:
    rows = [
        PROVISIONAL_HEADER,
        home("sc123456", **{"Setting name": "  The   Willows ", "Provision type": " Secure  children's home "}),
        home("2611190", **{"Setting name": "redacted", "Local authority": "", "Registration status": ""}),
    ]
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    a, b = parsed(outcomes)
    assert a == ParsedRow(
        row=2,
        urn="SC123456",
        name="The Willows",
        provision_type="Secure children's home",
        judgement="Inadequate",
        inspection_date=RECENT,
        local_authority="Leeds",
        registration_status="Active",
        placing_authorities=("Leeds", "Bradford"),
    )
    assert type(a) is ParsedRow
    with pytest.raises(AttributeError):
        a.urn = "x"  # type: ignore[misc]
    assert hash(a) == hash(ParsedRow(**{f: getattr(a, f) for f in ParsedRow.__slots__}))
    assert b.name is None
    assert b.local_authority is None
    assert b.registration_status is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/03/2024", dt.date(2024, 3, 5)),
        ("5/3/2024", dt.date(2024, 3, 5)),
        ("05-03-2024", dt.date(2024, 3, 5)),
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024-03-05 00:00:00", dt.date(2024, 3, 5)),
        ("5 March 2024", dt.date(2024, 3, 5)),
        ("5 Mar 2024", dt.date(2024, 3, 5)),
        ("45356", dt.date(2024, 3, 5)),
        ("05/03/2024 10:15", dt.date(2024, 3, 5)),
    ],
)
def test_date_formats(tmp_path: Path, text: str, expected: dt.date) -> None:
    rows = [PROVISIONAL_HEADER, home(**{"Provisional judgement date": text})]
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert parsed(outcomes)[0].inspection_date == expected


@pytest.mark.parametrize("text", ["2024/13/45", "next week", "12345", "99999", "05/03/24", "0/0/2024"])
def test_bad_dates(tmp_path: Path, text: str) -> None:
    rows = [PROVISIONAL_HEADER, home(**{"Provisional judgement date": text})]
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)))
    (bad,) = rejected(outcomes)
    assert len(bad.errors) == 1
    assert bad.errors[0].startswith(f"inspection date '{text}'")


@pytest.mark.parametrize(
    ("urn", "expected"),
    [
        ("SC123456", "SC123456"),
        ("sc123456", "SC123456"),
        (" SC 123456 ", "SC123456"),
        ("1234567", "1234567"),
        ("1234567.0", "1234567"),
    ],
)
def test_good_urns(tmp_path: Path, urn: str, expected: str) -> None:
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes([PROVISIONAL_HEADER, home(urn)])))
    assert parsed(outcomes)[0].urn == expected


@pytest.mark.parametrize("urn", ["12345", "SC12", "1234567.5", "ABC", "SC1234567", "12345678", "XY123456"])
def test_bad_urns(tmp_path: Path, urn: str) -> None:
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes([PROVISIONAL_HEADER, home(urn)])))
    assert rejected(outcomes)[0].errors == [f"URN '{urn.upper()}' is not SC + 6 digits or 7 digits"]


def test_missing_urn(tmp_path: Path) -> None:
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes([PROVISIONAL_HEADER, home("")])))
    assert outcomes == [RowRejected(2, ["URN is missing"])]


# --- placing authorities --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Leeds", ("Leeds",)),
        ("Leeds; Bradford", ("Leeds", "Bradford")),
        ("Leeds|Bradford | Kirklees", ("Leeds", "Bradford", "Kirklees")),
        ("Leeds\nBradford\r\nKirklees\rWakefield", ("Leeds", "Bradford", "Kirklees", "Wakefield")),
        ("Bristol, City of; Herefordshire, County of", ("Bristol, City of", "Herefordshire, County of")),
        (" ; Leeds ;; Leeds; Bradford ;", ("Leeds", "Bradford")),
        ("", ()),
        ("  ", ()),
    ],
)
def test_split_placing_authorities(cell: str, expected: tuple[str, ...]) -> None:
    assert split_placing_authorities(cell) == expected


def test_wide_and_long_placing_layouts(tmp_path: Path) -> None:
    wide = [
        PROVISIONAL_HEADER,
        home("SC000001", **{"Placing authorities": "Leeds;\nBristol, City of | Kent"}),
    ]
    _, outcomes = read_all(write(tmp_path, "wide.csv", csv_bytes(wide)))
    assert parsed(outcomes)[0].placing_authorities == ("Leeds", "Bristol, City of", "Kent")

    long_header = [h if h != "Placing authorities" else "Placing local authority" for h in PROVISIONAL_HEADER]
    long = [long_header] + [home("SC000001", **{"Placing authorities": la}) for la in ("Leeds", "Kent", "Medway")]
    long.append(home("SC000002", **{"Placing authorities": ""}))
    for data, name in ((csv_bytes(long), "long.csv"), (make_xlsx(long), "long.xlsx")):
        f, outcomes = read_all(write(tmp_path, name, data))
        assert f.columns["placing_authorities"] == "Placing local authority"
        homes = parsed(outcomes)
        assert [(h.row, h.urn, h.placing_authorities) for h in homes] == [
            (2, "SC000001", ("Leeds",)),
            (3, "SC000001", ("Kent",)),
            (4, "SC000001", ("Medway",)),
            (5, "SC000002", ()),
        ]


# --- broken files ---------------------------------------------------------------------


BROKEN_FILES: list[tuple[str, str, bytes, str]] = [
    ("empty", "f.csv", b"", "file is empty"),
    ("whitespace", "f.csv", b"  \r\n\t\n  ", "file is empty"),
    ("bom only", "f.csv", b"\xef\xbb\xbf\r\n", "file is empty"),
    ("binary", "f.csv", random.Random(1).randbytes(5000), "binary"),
    ("nul bytes", "f.csv", csv_bytes([PROVISIONAL_HEADER, home()]) + b"SC1\x00\x00,2\r\n", "NUL bytes"),
    ("no header", "f.csv", csv_bytes([["a", "b"], ["1", "2"]]), "no recognisable header row"),
    ("zip without workbook", "f.xlsx", make_zip({"hello.txt": "hi"}), "not an XLSX or ODS workbook"),
    ("corrupt zip", "f.xlsx", b"PK\x03\x04" + b"garbage" * 100, "damaged or truncated zip"),
    ("truncated xlsx", "f.xlsx", make_xlsx([PROVISIONAL_HEADER, home()])[:300], "damaged or truncated zip"),
    (
        "old xls",
        "f.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "old Excel .xls format is not supported",
    ),
    ("pdf", "f.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    ("compression ratio bomb", "f.xlsx", make_zip_bomb(8 << 20), "workbook is too large when uncompressed"),
    ("docx", "f.xlsx", make_zip({"word/document.xml": "<w/>", "[Content_Types].xml": "<T/>"}), "not an XLSX"),
    (
        "workbook.xml that is not a workbook",
        "f.xlsx",
        make_zip({"xl/workbook.xml": "not xml at all", "[Content_Types].xml": "<T/>"}),
        "workbook could not be read",
    ),
    (
        "too many columns",
        "f.csv",
        csv_bytes([["URN", "Provision type", *[f"c{i}" for i in range(2100)]]]),
        "columns",
    ),
]


@pytest.mark.parametrize(("case", "name", "data", "reason"), BROKEN_FILES, ids=[b[0] for b in BROKEN_FILES])
def test_broken_files_are_unreadable(tmp_path: Path, case: str, name: str, data: bytes, reason: str) -> None:
    for source in (write(tmp_path, name, data), NonSeekable(data)):
        with pytest.raises(FileUnreadable) as info:
            read_all(source, name)
        assert reason in info.value.reason, (case, info.value.reason)
        assert_one_line(info.value)


def test_zip_bomb_by_total_size(tmp_path: Path) -> None:
    data = make_zip_bomb(3 << 20)
    limits = Limits(max_uncompressed_bytes=2 << 20, max_compression_ratio=1e9)
    with pytest.raises(FileUnreadable) as info:
        open_ofsted(write(tmp_path, "bomb.xlsx", data), limits=limits)
    assert info.value.reason == "workbook is too large when uncompressed"


def test_nul_bytes_far_into_a_large_csv(tmp_path: Path) -> None:
    rows = [PROVISIONAL_HEADER] + [home(f"{2000000 + i}") for i in range(5000)]
    data = csv_bytes(rows) + b"SC000001,\x00\x00\r\n"
    with open_ofsted(NonSeekable(data)) as f, pytest.raises(FileUnreadable) as info:
        list(f.rows())
    assert "NUL" in info.value.reason


def test_byte_limit(tmp_path: Path) -> None:
    data = csv_bytes([PROVISIONAL_HEADER] + [home(f"{2000000 + i}") for i in range(5000)])
    limits = Limits(max_bytes=len(data) - 1)
    with pytest.raises(FileUnreadable) as info:
        open_ofsted(write(tmp_path, "f.csv", data), limits=limits)
    assert "larger than" in info.value.reason
    with pytest.raises(FileUnreadable):
        open_ofsted(io.BytesIO(data), limits=limits)
    # a non-seekable stream only finds out while streaming
    with pytest.raises(FileUnreadable) as info:
        read_all(NonSeekable(data), limits=limits)
    assert "larger than" in info.value.reason
    workbook = make_xlsx([PROVISIONAL_HEADER, home()])
    with pytest.raises(FileUnreadable) as info:
        open_ofsted(NonSeekable(workbook), limits=Limits(max_bytes=len(workbook) - 1))
    assert "larger than" in info.value.reason


def test_too_many_columns_limit(tmp_path: Path) -> None:
    header = [*PROVISIONAL_HEADER, *(f"extra {i}" for i in range(20))]
    for data, name in ((csv_bytes([header, home()]), "f.csv"), (make_xlsx([header, home()]), "f.xlsx")):
        with pytest.raises(FileUnreadable) as info:
            open_ofsted(write(tmp_path, name, data), limits=Limits(max_columns=20))
        assert info.value.reason == "header row has 28 columns; the limit is 20"
    assert DEFAULT_LIMITS.max_columns == 2000


def test_row_limit_yields_a_final_rejection(tmp_path: Path) -> None:
    rows = [PROVISIONAL_HEADER] + [home(f"{2000000 + i}") for i in range(10)]
    for data, name in ((csv_bytes(rows), "f.csv"), (make_xlsx(rows), "f.xlsx")):
        f, outcomes = read_all(write(tmp_path, name, data), limits=Limits(max_rows=3))
        assert len(outcomes) == 4
        assert len(parsed(outcomes)) == 3
        assert outcomes[-1] == RowRejected(5, ["file has more than 3 data rows; this row and the rest were not read"])
        assert f.data_rows == 3


def test_long_line_limit(tmp_path: Path) -> None:
    data = csv_bytes([PROVISIONAL_HEADER, home()]) + b"x" * 5000 + b"\r\n"
    with pytest.raises(FileUnreadable) as info:
        read_all(write(tmp_path, "f.csv", data), limits=Limits(max_line_bytes=4000))
    assert "longer than" in info.value.reason


def test_csv_error_rejects_the_row_and_continues(tmp_path: Path) -> None:
    rows = [
        PROVISIONAL_HEADER,
        home("SC000001"),
        home("SC000002", **{"Setting name": "x" * 500}),
        home("SC000003"),
    ]
    _, outcomes = read_all(write(tmp_path, "f.csv", csv_bytes(rows)), limits=Limits(max_field_chars=200))
    assert [type(o).__name__ for o in outcomes] == ["ParsedRow", "RowRejected", "ParsedRow"]
    assert outcomes[1].row == 3
    assert "CSV error" in outcomes[1].errors[0]  # type: ignore[union-attr]
    # the default field limit is restored by the next open
    _, outcomes = read_all(write(tmp_path, "g.csv", csv_bytes(rows)))
    assert len(parsed(outcomes)) == 3


def test_missing_path_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(FileUnreadable) as info:
        open_ofsted(tmp_path / "nope.csv")
    assert_one_line(info.value)


# --- lifecycle ------------------------------------------------------------------------


def test_rows_may_be_called_once_and_close_is_idempotent(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", csv_bytes([PROVISIONAL_HEADER, home()]))
    f = open_ofsted(path)
    assert len(list(f.rows())) == 1
    with pytest.raises(RuntimeError):
        f.rows()
    f.close()
    f.close()
    with open_ofsted(path) as g:
        pass
    g.close()


def test_streaming_does_not_read_everything_first(tmp_path: Path) -> None:
    rows = [PROVISIONAL_HEADER] + [home(f"{2000000 + i}") for i in range(20000)]
    body = NonSeekable(csv_bytes(rows), piece=65536)
    with open_ofsted(body) as f:
        it = f.rows()
        first = next(it)
        assert isinstance(first, ParsedRow)
        assert body._buf.tell() < len(body._buf.getvalue()) // 2


# --- fuzzing --------------------------------------------------------------------------

_CSVISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                ",",
                ";",
                "\t",
                '"',
                "\n",
                "\r\n",
                "\r",
                " ",
                "URN",
                "Provision type",
                "Overall effectiveness",
                "Inspection date",
                "Placing LAs",
                "Children's home",
                "Inadequate",
                "Good",
                "SC123456",
                "1234567",
                "05/03/2024",
                "45356",
                "é",
                "’",
                "\ufeff",
                "REDACTED",
                "|",
                "Boarding School",
                "",
            ]
        ),
        st.text(max_size=8),
    ),
    max_size=120,
).map("".join)


def _consume(source: object) -> None:
    try:
        with open_ofsted(source, "fuzz") as f:  # type: ignore[arg-type]
            for outcome in f.rows():
                assert isinstance(outcome, ParsedRow | RowSkipped | RowRejected)
    except FileUnreadable as exc:
        assert_one_line(exc)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes(data: bytes) -> None:
    _consume(io.BytesIO(data))


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(_CSVISH, st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]), st.booleans())
def test_fuzz_csvish_text(text: str, encoding: str, with_header: bool) -> None:
    if with_header:
        text = "URN,Provision type,Overall effectiveness,Inspection date,Placing LAs\n" + text
    data = text.encode(encoding, errors="replace")
    _consume(io.BytesIO(data))
    _consume(NonSeekable(data, piece=17))


_CELL = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["Children's home", "Inadequate", "Good", "SC123456", "05/03/2024", ""]),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.booleans(),
)


@settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_CELL, max_size=6), max_size=8), st.booleans())
def test_fuzz_workbook_cells(rows: list[list[object]], ods: bool) -> None:
    header: list[object] = [
        "URN",
        "Provision type",
        "Overall effectiveness",
        "Inspection date",
        "Name",
        "Placing LA",
    ]
    data = (make_ods if ods else make_xlsx)([header, *rows])
    _consume(io.BytesIO(data))


def test_fuzz_mutated_real_workbook_bytes() -> None:
    base = make_xlsx([PROVISIONAL_HEADER, home(), home("2611190")])
    rng = random.Random(7)
    for _ in range(60):
        data = bytearray(base)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        _consume(io.BytesIO(bytes(data)))


def test_environment_has_real_data() -> None:
    assert REAL_CSV.exists(), os.listdir(DATA)
    assert REAL_ODS.exists(), os.listdir(DATA)
