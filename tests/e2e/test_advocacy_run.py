"""`advocacy run` end to end, as a person or a later check would call it: a subprocess, JSON out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import expected_emails, provisional_csv

ADVOCACY = str(Path(sys.executable).with_name("advocacy"))
START = "2026-11-24"  # simulated date of the first emails: the run's dates never depend on the real day


def _run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ADVOCACY, *args], capture_output=True, text=True, timeout=timeout, check=False)


def test_run_emails_and_statuses_follow_the_rules(tmp_path: Path) -> None:
    src = provisional_csv(
        tmp_path / "prov.csv",
        [
            ("SC600001", "North House", "Leeds; Sheffield"),
            ("SC600002", "REDACTED", "Leeds City Council|York; Northamptonshire"),
        ],
    )
    script = {
        "Leeds": {"respond_on_day": 2, "answer": "confirmed"},
        "E08000019": {"respond_on_day": 12, "answer": "referrals_in_progress"},
    }  # Sheffield by GSS code
    (tmp_path / "r.json").write_text(json.dumps(script))
    outbox = tmp_path / "outbox"
    done = _run(
        "run",
        str(src),
        "--responses",
        str(tmp_path / "r.json"),
        "--start-date",
        START,
        "--outbox",
        str(outbox),
        "--json",
        "--log",
        str(tmp_path / "lambda.log"),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    by = {(c["urn"], c["gss_code"]): c for c in result["cases"]}
    assert set(by) == {
        ("SC600001", "E08000035"),
        ("SC600001", "E08000019"),
        ("SC600002", "E08000035"),
        ("SC600002", "E06000014"),
    }
    days = {"E08000035": 2, "E08000019": 12, "E06000014": None}
    for (_urn, gss), case in by.items():
        assert [e["kind"] for e in case["emails"]] == expected_emails(case, days[gss])[0], case["case_id"]
        assert all(e["to"] and e["sent_at"] for e in case["emails"])
    assert by[("SC600001", "E08000035")]["status"] == "confirmed"
    assert by[("SC600002", "E08000035")]["status"] == "confirmed"
    assert by[("SC600001", "E08000019")]["status"] == "referrals_in_progress"
    assert by[("SC600002", "E06000014")]["status"] == "unresolved"
    totals = result["totals"]
    assert totals["cases"] == 4
    assert totals["emails"]["total"] == sum(len(c["emails"]) for c in result["cases"])
    assert totals["emails_sent_by_ses"] == totals["emails"]["total"]
    ambiguous = result["staff_work_items"]["unresolved_authorities"]
    assert [(u["input"], u["status"]) for u in ambiguous] == [("Northamptonshire", "ambiguous")]
    emls = sorted(outbox.glob("*.eml"))
    assert len(emls) == totals["emails"]["total"]
    assert (outbox / "index.html").read_text().count("<article") == len(emls)


def test_run_same_file_twice_opens_nothing_new(tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "prov.csv", [("SC600003", "Twice House", "Leeds; Bradford")])
    script = {
        "Leeds": {"respond_on_day": 1, "answer": "confirmed"},
        "Bradford": {"respond_on_day": 1, "answer": "confirmed"},
    }
    (tmp_path / "r.json").write_text(json.dumps(script))
    done = _run(
        "run",
        str(src),
        str(src),
        "--responses",
        str(tmp_path / "r.json"),
        "--start-date",
        START,
        "--json",
        "--log",
        str(tmp_path / "lambda.log"),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["totals"]["cases"] == 2
    assert result["totals"]["emails"] == {"initial": 2, "reminder": 0, "escalation": 0, "total": 2}
    assert result["totals"]["emails_sent_by_ses"] == 2


def test_run_with_a_bad_responses_file_exits_2(tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "prov.csv", [("SC600004", "X", "Leeds")])
    (tmp_path / "r.json").write_text(json.dumps({"Cumbria": {"respond_on_day": 1}}))
    done = _run("run", str(src), "--responses", str(tmp_path / "r.json"), "--json")
    assert done.returncode == 2
    assert "Cumbria" in done.stderr
    assert "Traceback" not in done.stderr
