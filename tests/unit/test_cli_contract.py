"""The command line's contract: `advocacy validate` and `advocacy authorities resolve` (their JSON and exit codes),
every command and option the design names, plain JSON, one-line failures, and `run --faults` reaching the run."""

from __future__ import annotations

import json
import os
import re
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


# ------------------------------------------------------------------------------ the command line itself
CONTRACT_COMMANDS = (
    "validate",
    "authorities",
    "run",
    "demo",
    "serve",
    "report",
    "dashboard",
    "cases",
    "work",
    "directory",
    "dlq",
)


def test_help_names_every_command_and_the_exit_codes() -> None:
    done = _cli("--help")
    assert done.returncode == 0, done.stderr
    words = set(done.stdout.replace("│", " ").split())
    assert set(CONTRACT_COMMANDS) <= words
    assert "Exit codes" in done.stdout
    assert _cli().returncode == 2  # no command: the help, as a usage error


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (
            ["run", "--help"],
            ["--key", "--responses", "--faults", "--day-seconds", "--start-date", "--outbox", "--report", "--json"],
        ),
        (["demo", "--help"], ["--faults", "--day-seconds", "--outbox", "--json"]),
        (["serve", "--help"], ["--port", "--moto-port", "--day-seconds", "--file", "--responses", "--state-dir"]),
        (["cases", "list", "--help"], ["--status", "--overdue", "--json", "--stack-name", "--stack", "--local"]),
        (["cases", "close", "--help"], ["--reason", "--by", "--state", "--region"]),
        (["directory", "import", "--help"], ["--by", "--dry-run", "--json"]),
        (["dlq", "redrive", "--help"], ["--max", "--json"]),
        (["work", "done", "--help"], ["--by", "--note"]),
        (["report", "--help"], ["--month", "--run-json", "--out", "--json", "--stack-name", "--local"]),
        (["dashboard", "--help"], ["--run-json", "--log", "--whole-log", "--html", "--json"]),
    ],
)
def test_every_command_keeps_its_options(argv: list[str], options: list[str]) -> None:
    done = _cli(*argv)
    assert done.returncode == 0, done.stderr
    named = set(re.findall(r"--[a-z][a-z-]*", done.stdout))
    assert set(options) <= named, sorted(set(options) - named)


def test_a_usage_error_exits_2_without_a_traceback() -> None:
    done = _cli("cases", "list", "--no-such-option")
    assert done.returncode == 2
    assert "--no-such-option" in done.stderr
    assert "Traceback" not in done.stderr
    assert _cli("cases", "list", "--status", "lost").returncode == 2  # not a status: refused before any AWS call


def test_json_is_plain_even_when_colour_is_forced() -> None:
    env = {**os.environ, "FORCE_COLOR": "1", "TERM": "xterm-256color"}
    done = subprocess.run(
        [ADVOCACY, "authorities", "resolve", "[bold]Leeds[/bold]", "Leeds", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    rows = json.loads(done.stdout)
    assert rows[0]["input"] == "[bold]Leeds[/bold]"  # never read as markup
    assert rows[1]["gss_code"] == "E08000035"


def test_run_refuses_a_bad_faults_file_with_one_line(tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "p.csv", [("SC700010", "Faulty House", "Leeds")])
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"service": "sesv2", "operation": "SendEmail"}]))  # no error: not a fault
    done = _cli("run", str(src), "--faults", str(faults), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_run_injects_the_faults_it_is_given(tmp_path: Path) -> None:
    """--faults reaches the run: the throttle fires once, is reported back as given with `fired`, and the case
    still gets its email and its answer."""
    src = provisional_csv(tmp_path / "p.csv", [("SC700011", "Throttled House", "Leeds")])
    fault = {"service": "sesv2", "operation": "SendEmail", "error": "ThrottlingException", "times": 1, "after": 0}
    (tmp_path / "faults.json").write_text(json.dumps([fault]))
    (tmp_path / "responses.json").write_text(json.dumps({"Leeds": {"respond_on_day": 1}}))
    done = _cli(
        "run",
        str(src),
        "--faults",
        str(tmp_path / "faults.json"),
        "--responses",
        str(tmp_path / "responses.json"),
        "--log",
        str(tmp_path / "lambda.log"),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["faults"] == [{**fault, "fired": 1}]
    [case] = result["cases"]
    assert case["status"] == "confirmed"
    assert [e["kind"] for e in case["emails"]] == ["initial"]


# ------------------------------------------------------------------------------ the one table printer
def test_a_piped_table_is_never_cut_and_has_no_trailing_spaces(capsys: pytest.CaptureFixture[str]) -> None:
    from advocacy_offline import console

    console.bind(sys.stdout, sys.stderr)
    long_id = "SC900101-E08000035-20261102-" + "x" * 150
    console.table(["case_id", "la_name"], [[long_id, "[red]Leeds"], ["short", None]])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(long_id in line for line in lines)  # whole, on one line, though wider than any terminal
    assert "[red]Leeds" in out  # a value is shown as it is, never read as markup
    assert all(line == line.rstrip() for line in lines)
    assert "\x1b" not in out
    console.table(["case_id"], [])
    assert capsys.readouterr().out == "  none\n"


def test_a_table_on_a_terminal_has_a_bold_header_and_still_no_markup(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from advocacy_offline import console

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    console.bind(screen, sys.stderr)
    try:
        console.table(["case_id", "la_name"], [["SC1-E08000035-20261102", "[red]Leeds"]])
    finally:
        console.bind(sys.stdout, sys.stderr)
    shown = screen.getvalue()
    assert "\x1b[1m" in shown  # the header, bold
    assert "[red]Leeds" in shown
    assert "SC1-E08000035-20261102" in shown
    assert capsys.readouterr().out == ""  # the table went where `bind` said, not to sys.stdout


def test_an_interrupted_command_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from advocacy_notify.domain.authorities import AuthorityDirectory
    from advocacy_offline.cli import main

    def interrupted() -> AuthorityDirectory:
        raise KeyboardInterrupt

    monkeypatch.setattr(AuthorityDirectory, "default", staticmethod(interrupted))
    assert main(["authorities", "resolve", "Leeds"]) == 130
    assert "Traceback" not in capsys.readouterr().err


def test_a_command_failure_is_one_line_on_stderr_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advocacy_offline.cli import main

    assert main(["dashboard", "--run-json", str(tmp_path / "missing.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("advocacy: cannot read ")
    assert len(captured.err.strip().splitlines()) == 1
