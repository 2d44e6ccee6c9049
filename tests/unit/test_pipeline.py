"""From rows to homes: a home is its URN within a file, for `advocacy validate` and ingest alike."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from advocacy_notify.domain.authorities import AuthorityDirectory
from advocacy_notify.domain.ofsted import open_ofsted
from advocacy_notify.domain.pipeline import Collector, Counts, HomeOut, process
from advocacy_notify.logic.ingest_report import ReportWriter

FIRST = dt.date.today() - dt.timedelta(days=20)
LATER = FIRST + dt.timedelta(days=3)
HEADER = [
    "URN",
    "Setting name",
    "Provision type",
    "Local authority",
    "Provisional judgement",
    "Provisional judgement date",
    "Placing local authority",
]

# Long layout, one row per home x placing authority, with one home's rows spread over the file.
ROWS = [
    ("SC100001", "Leeds", FIRST),
    ("SC100002", "Kent", FIRST),
    ("SC100001", "Medway", LATER),  # apart from its home's first row, and dated differently
    ("SC100003", "", FIRST),  # no placing authority here ...
    ("SC100001", "Leeds", FIRST),  # the same authority again
    ("SC100001", "Cumbria", FIRST),  # ambiguous (split on abolition)
    ("SC100004", "", FIRST),
    ("SC100003", "Nowhere Borough Council", FIRST),  # ... its first one, unknown, comes later
    ("SC100002", "Kent", FIRST),
    ("SC100005", "", FIRST),  # a home with none at all
    ("SC100004", "York", FIRST),
]


def _long_layout_csv(tmp_path: Path) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    for urn, placing, when in ROWS:
        writer.writerow([urn, "", "Children's home", "Leeds", "Inadequate", when.strftime("%d/%m/%Y"), placing])
    path = tmp_path / "long.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def directory() -> AuthorityDirectory:
    return AuthorityDirectory.default()


def _validate(path: Path, directory: AuthorityDirectory) -> dict[str, Any]:
    """What `advocacy validate --json` prints about homes and cases."""
    with open_ofsted(path) as file:
        return Collector().add_all(process(file, directory)).report()


def _ingest(path: Path, directory: AuthorityDirectory) -> tuple[Counts, dict[str, Any]]:
    """What ingest counts and writes as its report, without AWS."""
    counts = Counts()
    writer = ReportWriter()
    try:
        with open_ofsted(path) as file:
            for outcome in process(file, directory):
                counts.add(outcome)
                writer.add(outcome)
        report = json.loads("".join(writer.chunks({"file": path.name})))
    finally:
        writer.close()
    return counts, report


def _placing(home: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["input"], m["status"]) for m in home["placing_authorities"]]


def test_rows_of_one_home_apart_make_one_home_for_validate_and_ingest(
    tmp_path: Path, directory: AuthorityDirectory
) -> None:
    path = _long_layout_csv(tmp_path)
    validated = _validate(path, directory)
    counts, report = _ingest(path, directory)

    urns = ["SC100001", "SC100002", "SC100003", "SC100004", "SC100005"]
    assert [h["urn"] for h in validated["homes"]] == urns
    assert [h["urn"] for h in report["homes"]] == urns
    assert counts.homes == len(validated["homes"]) == len(report["homes"]) == 5
    assert counts.rows_read == validated["rows_read"] == len(ROWS)

    by_urn = {h["urn"]: h for h in validated["homes"]}
    assert _placing(by_urn["SC100001"]) == [("Leeds", "resolved"), ("Medway", "resolved"), ("Cumbria", "ambiguous")]
    assert _placing(by_urn["SC100002"]) == [("Kent", "resolved")]
    assert _placing(by_urn["SC100003"]) == [("Nowhere Borough Council", "unknown")]
    assert _placing(by_urn["SC100004"]) == [("York", "resolved")]
    assert _placing(by_urn["SC100005"]) == []
    assert [_placing(h) for h in report["homes"]] == [_placing(h) for h in validated["homes"]]
    assert [h["row"] for h in report["homes"]] == [h["row"] for h in validated["homes"]] == [2, 3, 5, 8, 11]

    case_ids = sorted(c["case_id"] for c in validated["cases"])
    assert sorted(c["case_id"] for c in report["cases"]) == case_ids  # listed by home, or in file order
    assert counts.cases == len(case_ids) == 4  # Leeds, Medway, Kent, York
    assert len(set(case_ids)) == len(case_ids)
    first = FIRST.strftime("%Y%m%d")
    assert all(cid.endswith(first) for cid in case_ids)  # the home's date, from its first row

    assert validated["homes_without_placing_authority"] == report["homes_without_placing_authority"] == ["SC100005"]
    assert counts.homes_without_placing_authority == 1
    unresolved = [(u["input"], u["urns"]) for u in validated["unresolved_authorities"]]
    assert unresolved == [("Cumbria", ["SC100001"]), ("Nowhere Borough Council", ["SC100003"])]
    assert [(u["input"], u["urns"]) for u in report["unresolved_authorities"]] == unresolved
    assert counts.unresolved_authorities == 2


def test_later_rows_of_a_home_come_out_as_what_they_add(tmp_path: Path, directory: AuthorityDirectory) -> None:
    with open_ofsted(_long_layout_csv(tmp_path)) as file:
        homes = [o for o in process(file, directory) if isinstance(o, HomeOut)]
    seen = [(o.home.urn, o.more, [m.input for m in o.home.placing_authorities], o.rows) for o in homes]
    assert seen == [
        ("SC100001", False, ["Leeds"], 1),
        ("SC100002", False, ["Kent"], 1),
        ("SC100001", True, ["Medway"], 1),
        ("SC100003", False, [], 1),
        ("SC100001", True, ["Cumbria"], 2),  # two rows together: Leeds again adds nothing
        ("SC100004", False, [], 1),
        ("SC100003", True, ["Nowhere Borough Council"], 1),
        ("SC100002", True, [], 1),
        ("SC100005", False, [], 1),
        ("SC100004", True, ["York"], 1),
    ]
    assert all(o.home.inspection_date == FIRST for o in homes)
    assert [o.first_authorities for o in homes] == [False] * 6 + [True, False, False, True]
