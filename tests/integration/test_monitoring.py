"""Monitoring on the twin with Ofsted's real exports: the 2023 export uploaded as a baseline, then a second
snapshot built from it with three homes changed, and the other real export of the same ratings."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline.dashboard import metric_sum, read_log
from advocacy_offline.env import OfflineEnv
from advocacy_offline.run import Runner, RunOptions, ScriptedResponse

from tests.conftest import REAL_DATA, provisional_csv

REAL_CSV = REAL_DATA / "ofsted" / "provider_at_march_2023.csv"
REAL_ODS = REAL_DATA / "ofsted" / "Childrens_social_care_in_England_2023_underlying_data.ods"
LEEDS = "E08000035"


def _real_rows() -> list[list[str]]:
    if not REAL_CSV.is_file():
        pytest.fail(f"the real 2023 export is missing: {REAL_CSV} (set ADVOCACY_SHARED_DATA)")
    return list(csv.reader(io.StringIO(REAL_CSV.read_text(encoding="utf-8-sig"))))


def _column(header: list[str], starts: str) -> int:
    return next(i for i, h in enumerate(header) if h.strip().lower().startswith(starts.lower()))


def _pick(rows: list[list[str]], rating: str, skip: set[str]) -> str:
    """The URN of a children's home rated `rating` in the real export (the first, so the test is stable)."""
    header = rows[3]
    urn, kind, grade = _column(header, "URN"), _column(header, "Provision type"), _column(header, "Overall exp")
    return next(
        r[urn]
        for r in rows[4:]
        if r[kind].strip().lower() == "children's home" and r[grade] == rating and r[urn] not in skip
    )


def april_snapshot(path: Path, changes: dict[str, str]) -> Path:
    """The real export as at 30 April 2023, with `changes` ({urn: new rating}, inspected 12/04/2023)."""
    rows = _real_rows()
    header = rows[3]
    urn, grade, inspected = (
        _column(header, "URN"),
        _column(header, "Overall exp"),
        _column(header, "Latest full inspection date"),
    )
    rows[0][0] = rows[0][0].replace("31 March 2023", "30 April 2023")
    for row in rows[4:]:
        if row[urn] in changes:
            row[grade], row[inspected] = changes[row[urn]], "12/04/2023"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _run(tmp_path: Path, files: list[Path], responses: dict[str, ScriptedResponse] | None = None) -> tuple[Any, Any]:
    with OfflineEnv(start=date(2023, 5, 2), log_path=tmp_path / "lambda.log") as env:
        result = Runner(env, responses or {}, RunOptions(start=date(2023, 5, 2))).run(files)
        with env.reading() as services:
            work = services.work.all()
    return result, work


def test_the_real_2023_export_is_a_baseline_then_a_changed_copy_raises_exactly_its_item(tmp_path: Path) -> None:
    rows = _real_rows()
    uncovered = _pick(rows, "Good", set())  # Good -> Inadequate, no case: the one item
    covered = _pick(rows, "Good", {uncovered})  # Good -> Inadequate, notified: a provisional file opened a case
    recovered = _pick(rows, "Inadequate", set())  # Inadequate -> Good
    april = april_snapshot(
        tmp_path / "ratings_april_2023.csv",
        {uncovered: "Inadequate", covered: "Inadequate", recovered: "Good"},
    )
    provisional = provisional_csv(tmp_path / "provisional.csv", [(covered, "REDACTED", "Leeds")], date="12/04/2023")
    again = tmp_path / "ratings_april_2023_again.csv"
    again.write_bytes(april.read_bytes())
    result, work = _run(
        tmp_path,
        [REAL_CSV, provisional, april, again],
        {LEEDS: ScriptedResponse(respond_on_day=1, answer="confirmed", advocacy_before_contact=True)},
    )

    kinds = sorted(w["kind"] for w in work)
    assert kinds == ["ratings_baseline", "unnotified_inadequate_home"]  # not 63 no_placing_authority items
    (item,) = [w for w in work if w["kind"] == "unnotified_inadequate_home"]
    assert (item["urn"], item["snapshot_date"], item["inspection_date"]) == (uncovered, "2023-04-30", "2023-04-12")
    (baseline,) = [w for w in work if w["kind"] == "ratings_baseline"]
    assert (baseline["snapshot_date"], baseline["inadequate"], baseline["inadequate_without_case"]) == (
        "2023-03-31",
        63,
        63,
    )
    monitoring = result["monitoring"]
    assert {k: monitoring[k] for k in ("snapshot_date", "compared_with", "baseline")} == {
        "snapshot_date": "2023-04-30",
        "compared_with": "2023-03-31",
        "baseline": False,
    }
    assert (
        monitoring["inadequate"],
        monitoring["newly_inadequate"],
        monitoring["still_inadequate"],
        monitoring["no_longer_inadequate"],
        monitoring["unnotified_inadequate_homes"],
    ) == (64, 2, 62, 1, 1)
    assert [s["snapshot_date"] for s in monitoring["snapshots"]] == ["2023-03-31", "2023-04-30"]  # `again` added none
    assert monitoring["snapshots"][0]["baseline"] is True
    assert monitoring["snapshots"][0]["newly_inadequate"] is None
    assert [(c["urn"], c["status"]) for c in result["cases"]] == [(covered, "confirmed")]  # snapshots open no case
    assert result["totals"]["ratings_snapshots"] == 2
    assert result["totals"]["homes_without_placing_authority"] == 0
    # what ingest emitted for the CloudWatch dashboard (the repeated file: nothing)
    metrics, _errors = read_log(tmp_path / "lambda.log")
    assert metric_sum(metrics, "RatingsSnapshots") == 2
    assert metric_sum(metrics, "InadequateHomes") == 63 + 64
    assert metric_sum(metrics, "NewlyInadequateHomes") == 2
    assert metric_sum(metrics, "NoLongerInadequateHomes") == 1
    assert metric_sum(metrics, "UnnotifiedInadequateHomes") == 1


def test_the_other_real_export_of_the_same_ratings_is_the_same_snapshot(tmp_path: Path) -> None:
    if not REAL_ODS.is_file():
        pytest.fail(f"the real 2023 workbook is missing: {REAL_ODS} (set ADVOCACY_SHARED_DATA)")
    result, work = _run(tmp_path, [REAL_ODS, REAL_CSV])
    assert [w["kind"] for w in work] == ["ratings_baseline"]
    monitoring = result["monitoring"]
    assert (monitoring["snapshot_date"], monitoring["inadequate"], monitoring["baseline"]) == ("2023-03-31", 63, True)
    assert monitoring["object_key"] == f"incoming/{REAL_ODS.name}"  # the workbook came first; the CSV repeats it
    assert len(monitoring["snapshots"]) == 1
    assert result["cases"] == []
