"""Ratings snapshots: a file with no placing-authority column, its "as at" date, every home's rating."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pytest
from advocacy_notify.domain.authorities import AuthorityDirectory
from advocacy_notify.domain.ofsted import ParsedRow, RowRejected, RowSkipped, open_ofsted
from advocacy_notify.domain.pipeline import Collector, process
from advocacy_notify.domain.snapshot import RatedHome, Snapshot, read_snapshot

try:
    from sheet_builders import make_xlsx
except ImportError:  # tests/unit became a package
    from .sheet_builders import make_xlsx  # type: ignore[no-redef]

from tests.conftest import PROJECT, REAL_DATA

REAL_CSV = REAL_DATA / "ofsted" / "provider_at_march_2023.csv"
REAL_ODS = REAL_DATA / "ofsted" / "Childrens_social_care_in_England_2023_underlying_data.ods"
MARCH_2023 = dt.date(2023, 3, 31)
RECENT = (dt.date.today() - dt.timedelta(days=40)).strftime("%d/%m/%Y")
PUBLIC_HEADER = ["URN", "Provision type", "Name", "Local authority", "Inspection date", "Overall effectiveness"]


def _snapshot(path: Path) -> Snapshot:
    with open_ofsted(path) as file:
        assert not file.has_placing_column
        assert file.is_ratings_snapshot
        return read_snapshot(file)


@pytest.fixture(scope="module")
def real_csv() -> Snapshot:
    return _snapshot(REAL_CSV)


@pytest.fixture(scope="module")
def real_ods() -> Snapshot:
    return _snapshot(REAL_ODS)


def test_the_real_2023_export_is_a_snapshot_as_at_31_march_2023(real_csv: Snapshot, real_ods: Snapshot) -> None:
    assert real_csv.date == real_ods.date == MARCH_2023
    assert len(real_csv.homes) > 2500
    assert real_csv.homes.keys() == real_ods.homes.keys()
    assert real_csv.homes == real_ods.homes  # the same rating, date, name and LA for every home
    assert len(real_csv.inadequate) == len(real_ods.inadequate) == 63
    assert real_csv.inadequate == real_ods.inadequate
    assert real_csv.rejected == real_ods.rejected == ()
    assert real_csv.skipped == real_ods.skipped > 0  # fostering agencies, boarding schools, ...


def test_a_snapshot_keeps_every_grade(real_csv: Snapshot) -> None:
    ratings = Counter(home.rating for home in real_csv.homes.values())
    assert set(ratings) == {"Outstanding", "Good", "Requires improvement to be good", "Inadequate"}
    assert ratings["Good"] > ratings["Inadequate"]
    assert all(isinstance(h, RatedHome) and h.urn == urn for urn, h in real_csv.homes.items())
    types = {home.provision_type.lower() for home in real_csv.homes.values()}
    assert all("children" in t or "residential special school" in t for t in types), types


def test_its_inadequate_homes_are_the_ones_validate_finds(real_csv: Snapshot) -> None:
    with open_ofsted(REAL_CSV) as file:
        report = Collector().add_all(process(file, AuthorityDirectory.default())).report()
    assert {h["urn"] for h in report["homes"]} == real_csv.inadequate
    for h in report["homes"]:
        home = real_csv.homes[h["urn"]]
        assert (home.inspection_date.isoformat(), home.provision_type) == (h["inspection_date"], h["provision_type"])


def test_a_provisional_file_is_not_a_snapshot() -> None:
    with open_ofsted(PROJECT / "events" / "provisional_wide.csv") as file:
        assert file.has_placing_column
        assert not file.is_ratings_snapshot
        assert file.snapshot_date is None


def _public_csv(tmp_path: Path, titles: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for title in titles:
        writer.writerow([title] + [""] * (len(PUBLIC_HEADER) - 1))
    writer.writerow(PUBLIC_HEADER)
    writer.writerows(rows)
    path = tmp_path / "ratings.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("titles", "expected"),
    [
        (["Children's social care data in England 2023 - Provider level as at 31 March 2023"], MARCH_2023),
        (["Leavers and Joiners at 31 March 2023"], MARCH_2023),
        (["Children's homes ratings 31 March 2023"], MARCH_2023),
        (["Ratings", "This table shows ratings as at 31st March 2023."], MARCH_2023),
        (["Ratings as at 31/03/2023"], MARCH_2023),
        (["Ratings 1 April 2024", "Data as at 31 March 2023"], MARCH_2023),  # "as at" wins
        (["Overall effectiveness of inspections between 01 April 2022 and 31 March 2023"], None),  # a period
        (["Children's social care data in England 2023 - Provider level in year 2022-23"], None),
        (["Ratings", "Published 12 May 2023"], None),  # a date in a notes row, not "as at"
        (["Ratings as at 31 February 2023"], None),  # not a real date
        ([], None),
    ],
)
def test_the_snapshot_date_comes_from_the_title_rows(
    tmp_path: Path, titles: list[str], expected: dt.date | None
) -> None:
    path = _public_csv(tmp_path, titles, [["SC000001", "Children's home", "REDACTED", "Leeds", RECENT, "Good"]])
    with open_ofsted(path) as file:
        assert file.header_row == len(titles) + 1
        assert file.snapshot_date == expected


def test_a_typed_date_in_a_workbook_title_counts(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Ratings as at", dt.datetime(2024, 9, 30)],
        PUBLIC_HEADER,
        ["SC000001", "Children's home", "REDACTED", "Leeds", RECENT, "Good"],
    ]
    path = tmp_path / "ratings.xlsx"
    path.write_bytes(make_xlsx(rows))
    with open_ofsted(path) as file:
        assert file.snapshot_date == dt.date(2024, 9, 30)
        assert read_snapshot(file).homes["SC000001"].rating == "Good"


def test_every_grade_reads_other_grades_instead_of_skipping_them(tmp_path: Path) -> None:
    rows = [
        ["SC000001", "Children's home", "REDACTED", "Leeds", RECENT, "Good"],
        ["SC000002", "Residential special school", "Oak School", "Kent", RECENT, "Inadequate"],
        ["SC000003", "Children's home", "REDACTED", "York", "", ""],  # not yet rated
        ["SC000004", "Independent fostering agency", "Fosters", "Kent", RECENT, "Good"],  # out of scope
        ["SC00000X", "Children's home", "REDACTED", "Leeds", RECENT, "Outstanding"],  # broken URN
        ["SC000005", "Children's home", "REDACTED", "Leeds", "31/02/2023", "Requires improvement to be good"],
    ]
    path = _public_csv(tmp_path, ["Ratings as at 31 March 2023"], rows)
    with open_ofsted(path) as file:
        default = list(file.rows())
    assert [type(o) for o in default] == [RowSkipped, ParsedRow, RowSkipped, RowSkipped, RowSkipped, RowSkipped]

    with open_ofsted(path) as file:
        every = list(file.rows(every_grade=True))
    assert [type(o) for o in every] == [ParsedRow, ParsedRow, RowSkipped, RowSkipped, RowRejected, RowRejected]
    assert [o.judgement for o in every if isinstance(o, ParsedRow)] == ["Good", "Inadequate"]
    broken = [o for o in every if isinstance(o, RowRejected)]
    assert ["URN" in broken[0].errors[0], "not a real date" in broken[1].errors[0]] == [True, True]

    with open_ofsted(path) as file:
        snapshot = read_snapshot(file)
    assert snapshot.date == MARCH_2023
    assert list(snapshot.homes) == ["SC000001", "SC000002"]
    assert snapshot.homes["SC000002"] == RatedHome(
        urn="SC000002",
        name="Oak School",
        provision_type="Residential special school",
        rating="Inadequate",
        inspection_date=dt.datetime.strptime(RECENT, "%d/%m/%Y").date(),
        local_authority="Kent",
    )
    assert snapshot.homes["SC000001"].name is None  # REDACTED
    assert snapshot.inadequate == {"SC000002"}
    assert snapshot.skipped == 2
    assert [r.row for r in snapshot.rejected] == [7, 8]


def test_a_home_listed_twice_keeps_its_latest_inspection(tmp_path: Path) -> None:
    older = (dt.date.today() - dt.timedelta(days=400)).strftime("%d/%m/%Y")
    rows = [
        ["SC000001", "Children's home", "REDACTED", "Leeds", older, "Inadequate"],
        ["SC000002", "Children's home", "REDACTED", "Leeds", older, "Good"],
        ["SC000001", "Children's home", "REDACTED", "Leeds", RECENT, "Good"],
        ["SC000002", "Children's home", "REDACTED", "Leeds", older, "Inadequate"],  # same date: the first stays
    ]
    with open_ofsted(_public_csv(tmp_path, [], rows)) as file:
        snapshot = read_snapshot(file)
    assert list(snapshot.homes) == ["SC000001", "SC000002"]
    assert snapshot.homes["SC000001"].rating == "Good"
    assert snapshot.homes["SC000002"].rating == "Good"
    assert snapshot.inadequate == frozenset()


# --- every year's provider-level header makes a snapshot --------------------------------------------------------------
def _provider_headers() -> list[tuple[str, list[str]]]:
    """The provider-level headers of every year's real export (`headers_by_year.txt`) that carry a judgement."""
    path = REAL_DATA / "ofsted" / "headers_by_year.txt"
    if not path.is_file():
        pytest.fail(f"the real exports' headers are missing: {path} (set ADVOCACY_SHARED_DATA)")
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = [(lines[i][3:], lines[i + 1].split(" | ")) for i, line in enumerate(lines[:-1]) if line.startswith("## ")]
    return [
        (title, [c.replace("\\n", "\n") for c in cells])
        for title, cells in blocks
        if "URN" in cells and any(_judgement(c) for c in cells)
    ]


def _judgement(header: str) -> bool:
    h = header.strip().lower()
    return ("overall effectiveness" in h or "overall experiences" in h) and not h.startswith("previous")


PROVIDER_HEADERS = _provider_headers()


def _cell(header: str, rating: str, urn: str) -> str:
    h = header.strip().lower()
    if h == "urn":
        return urn
    if h == "provision type":
        return "Children's home"
    if _judgement(h):
        return rating
    if "date" in h and "inspection" in h and "publication" not in h:
        return "14/02/2023"
    if h in ("reg status", "registration status"):
        return "Active"
    if h == "local authority":
        return "Leeds"
    return "x"


def test_the_headers_of_the_years_were_found() -> None:
    assert len(PROVIDER_HEADERS) >= 15  # 2015-2025 CSVs and the provider sheets of the workbooks


@pytest.mark.parametrize(("title", "header"), PROVIDER_HEADERS, ids=[t[:60] for t, _ in PROVIDER_HEADERS])
def test_every_years_provider_export_is_a_snapshot(tmp_path: Path, title: str, header: list[str]) -> None:
    """A file in that year's layout, titled "as at 31 March 2024", is a snapshot of its two homes."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Children's social care providers and places as at 31 March 2024"])
    w.writerow([])
    w.writerow(header)
    w.writerow([_cell(h, "Inadequate", "SC111111") for h in header])
    w.writerow([_cell(h, "Good", "SC222222") for h in header])
    path = tmp_path / "ratings.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    snapshot = _snapshot(path)
    assert snapshot.date == dt.date(2024, 3, 31), title
    assert {urn: h.rating for urn, h in snapshot.homes.items()} == {"SC111111": "Inadequate", "SC222222": "Good"}
    assert snapshot.inadequate == {"SC111111"}
    assert snapshot.rejected == ()
