"""`advocacy validate` and `advocacy authorities resolve`: the JSON contract and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT, REAL_DATA, provisional_csv

ADVOCACY = str(Path(sys.executable).with_name("advocacy"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ADVOCACY, *args], capture_output=True, text=True, timeout=120, check=False)


def test_validate_json_contract_on_the_sample_file() -> None:
    done = _cli("validate", str(PROJECT / "events" / "provisional_wide.csv"), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert {"rows_read", "homes", "cases", "skipped", "rejected", "unresolved_authorities"} <= set(doc)
    assert doc["rows_read"] == 14
    assert len(doc["homes"]) == 12
    assert doc["skipped"] == 2
    home = doc["homes"][0]
    assert {"urn", "name", "provision_type", "judgement", "inspection_date", "placing_authorities"} <= set(home)
    assert set(home["placing_authorities"][0]) >= {"input", "status", "gss_code", "name"}
    assert all(set(c) >= {"case_id", "urn", "gss_code"} for c in doc["cases"])
    assert len(doc["cases"]) == 23
    assert sorted(u["input"] for u in doc["unresolved_authorities"]) == ["Cumbria", "Gotham City Council"]
    redacted = next(h for h in doc["homes"] if h["urn"] == "SC900102")
    assert redacted["name"] is None
    numeric = next(h for h in doc["homes"] if h["urn"] == "1234567")
    assert numeric["inspection_date"] == "2026-11-12"


def test_validate_real_2023_export_has_63_in_scope_inadequate_homes() -> None:
    done = _cli("validate", str(REAL_DATA / "ofsted" / "provider_at_march_2023.csv"), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert len(doc["homes"]) == 63
    assert doc["cases"] == []  # the public file names no placing authorities...
    assert len(doc["homes_without_placing_authority"]) == 63  # ...so every home is a staff work item
    assert doc["rejected"] == []


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.csv"),
        (b"\x00\x01\x02\x03" * 100, "binary.csv"),
        (b"PK\x03\x04 this is not really a workbook", "fake.xlsx"),
        (b"just,some,words\nwith,no,header\n", "noheader.csv"),
    ],
)
def test_validate_unreadable_file_exits_2_with_one_line(tmp_path: Path, content: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    done = _cli("validate", str(path), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Traceback" not in done.stderr


def test_validate_rejects_broken_rows_and_keeps_going(tmp_path: Path) -> None:
    src = provisional_csv(
        tmp_path / "p.csv",
        [("SC700001", "Good Row", "Leeds"), ("12345", "Bad URN", "Leeds"), ("SC700003", "Also Good", "York")],
    )
    done = _cli("validate", str(src), "--json")
    assert done.returncode == 0
    doc = json.loads(done.stdout)
    assert [h["urn"] for h in doc["homes"]] == ["SC700001", "SC700003"]
    assert [r["row"] for r in doc["rejected"]] == [5]
    assert "URN" in doc["rejected"][0]["errors"][0]


def test_authorities_resolve_json_contract() -> None:
    done = _cli(
        "authorities",
        "resolve",
        "Bristol, City of",
        "Kingston Upon Hull",
        "Tameside Mbc",
        "Bournemouth (Pre LG)",
        "Together For Children Sunderland",
        "Cumbria",
        "Gotham",
        "E09000033",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["status"], r["gss_code"]) for r in rows] == [
        ("resolved", "E06000023"),
        ("resolved", "E06000010"),
        ("resolved", "E08000008"),
        ("resolved", "E06000058"),
        ("resolved", "E08000024"),
        ("ambiguous", None),
        ("unknown", None),
        ("resolved", "E09000033"),
    ]
    assert all(set(r) >= {"input", "status", "gss_code", "name", "candidates"} for r in rows)
    assert {c["name"] for c in rows[5]["candidates"]} == {"Cumberland", "Westmorland and Furness"}
