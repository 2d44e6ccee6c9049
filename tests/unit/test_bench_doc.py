"""docs/performance.md is bench/templates/performance.md.j2 filled with bench/results.json: the
committed document can never drift from the committed figures, and each aim reads as met or missed
from the figures themselves."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jinja2
import pytest

from bench import run

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PROJECT / "bench" / "results.json").read_text())
    return loaded


def _render(results: dict[str, Any], **changes: Any) -> str:
    r = copy.deepcopy(results)
    r.update(changes)
    return run.render(r)


def _section(doc: str, title: str) -> str:
    return doc.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_committed_document_is_the_committed_results_rendered(results: dict[str, Any]) -> None:
    # byte for byte, no normalisation: `make bench` writes the document with this same render()
    assert run.render(results) == (PROJECT / "docs" / "performance.md").read_text()


def test_every_figure_comes_from_the_results(results: dict[str, Any]) -> None:
    doc = _render(
        results,
        ingest_rows_per_s=123_456,
        offline_cases_per_s=9.87,
        total_s=600.0,
        phases_s={"generate": 1.5, "elsewhere": 2.5},
    )
    assert "| ingest throughput, 100k-row CSV (`ingest_rows_per_s`) | 123,456 rows/s |" in doc
    own = results["offline"]["offline_cases_per_s"]  # the offline run's own figure, not the top-level one changed above
    assert f"| **cases per second, end to end (`offline_cases_per_s`)** | **{own}** |" in doc
    assert "upload to 1,000 first emails (`offline_cases_per_s`) | 9.87 cases/s |" in doc
    assert "which took 10.0 minutes" in doc
    assert _section(doc, "Phases of this run").strip().splitlines()[2:] == [
        "| generate | 1.5 |",
        "| elsewhere | 2.5 |",
        "| total | 600.0 |",
    ]


def test_the_aims_read_as_the_figures_say(results: dict[str, Any]) -> None:
    doc = _render(results, ingest_vs_baseline_ratio=0.04)
    assert "| ingest / baseline (`ingest_vs_baseline_ratio`) | 4.0% | >= 25% | **missed** |" in doc
    assert "**Why it misses, and what would fix it.**" in doc
    assert _section(doc, "Aims missed, and why").startswith("\n- **Ingest throughput, 4.0% of a bare")

    fast_chase = {**results["full_chase"], "offline_full_chase_cases_per_s": 5.2} if "full_chase" in results else None
    met = _render(  # every aim met, whatever this run measured
        results,
        ingest_vs_baseline_ratio=0.31,
        ingest_rss_ratio_100k_vs_10k=1.2,
        sqs_calls_per_case=0.1,
        cold_import_ratio=dict.fromkeys(results["cold_import_ratio"], 1.2),
        cold_imports={**results["cold_imports"], "misses": []},
        **({"full_chase": fast_chase} if fast_chase else {}),
    )
    assert "| ingest / baseline (`ingest_vs_baseline_ratio`) | 31.0% | >= 25% | met |" in met
    assert "Why it misses" not in met
    assert _section(met, "Aims missed, and why").startswith("\nNone.\n")

    worse = _render(
        results,
        ingest_vs_baseline_ratio=0.31,
        ingest_rss_ratio_100k_vs_10k=1.5,
        sqs_calls_per_case=0.2,
        cold_import_ratio=dict.fromkeys(results["cold_import_ratio"], 1.2),
        cold_imports={**results["cold_imports"], "misses": []},
    )
    missed = _section(worse, "Aims missed, and why")
    assert "- **Ingest memory, 100k peak 1.50x the 10k peak (aim 1.3x).**" in missed
    assert "- **SQS calls per case 0.2 (floor 0.1).**" in missed
    assert "None." not in missed
    assert "The memory aim is met" not in missed


def test_cold_import_misses_are_named(results: dict[str, Any]) -> None:
    r = copy.deepcopy(results)
    r["cold_import_ratio"] = dict.fromkeys(r["cold_import_ratio"], 1.2)
    r["cold_import_ratio"]["gauge"] = 1.7
    r["cold_imports"]["misses"] = ["gauge"]
    r["cold_imports"]["importtime"]["gauge"] = r["cold_imports"]["importtime"]["notify"]
    doc = run.render(r)
    assert "| <= 1.5x each | **missed**: gauge |" in doc
    assert f"| `gauge` | {r['cold_import_ms']['gauge']} | 1.70 | **missed** |" in doc
    assert "`python -X importtime` for `gauge`, which misses its aim" in doc
    assert "- **Cold imports over 1.5x the baseline: gauge** (section 4)." in doc


def test_a_figure_missing_from_the_results_fails_loudly(results: dict[str, Any]) -> None:
    r = copy.deepcopy(results)
    del r["offline"]["setup_s"]
    with pytest.raises(jinja2.UndefinedError, match="setup_s"):
        run.render(r)


def test_the_full_chase_reads_against_its_aim(results: dict[str, Any]) -> None:
    chase = copy.deepcopy(results["full_chase"])
    chase.update(offline_full_chase_cases_per_s=0.42, wall_s=476.2, handler_cpu_s=11.9, wall_vs_handler_cpu_ratio=40.02)
    doc = _render(results, full_chase=chase)
    n = chase["cases"]
    assert f"| full chase, {n} silent cases ({chase['emails']} emails) through the twin" in doc
    assert "| 0.42 cases/s (476 s wall; handlers' own CPU 11.9 s, wall 40.02x it) | >= 5.0 on 2 cores" in doc
    section = _section(doc, f"7. The full chase: {n} cases nobody answers (issue 9)")
    assert "| **cases per second (`offline_full_chase_cases_per_s`)** | **0.42** (aim 5.0: **missed**) |" in section
    assert "| wall / handlers' own CPU | 40.02x |" in section
    assert "The aim of 5.0 cases a second is not reached" in section
    assert f"{chase['load_before']['loadavg'][0]} load average before" in section
    assert "- **The full chase, 0.42 cases a second (aim 5.0)**" in _section(doc, "Aims missed, and why")

    chase.update(offline_full_chase_cases_per_s=5.5)
    fast = _section(_render(results, full_chase=chase), f"7. The full chase: {n} cases nobody answers (issue 9)")
    assert "(aim 5.0: met)" in fast
    assert "is not reached" not in fast
