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
    assert "| **cases per second, end to end (`offline_cases_per_s`)** | **6.09** |" in doc  # the offline run's own
    assert "upload to 1,000 first emails (`offline_cases_per_s`) | 9.87 cases/s |" in doc
    assert "which took 10.0 minutes" in doc
    assert _section(doc, "Phases of this run").strip().splitlines()[2:] == [
        "| generate | 1.5 |",
        "| elsewhere | 2.5 |",
        "| total | 600.0 |",
    ]


def test_the_aims_read_as_the_figures_say(results: dict[str, Any]) -> None:
    doc = run.render(results)
    assert "| ingest / baseline (`ingest_vs_baseline_ratio`) | 4.0% | >= 25% | **missed** |" in doc
    assert "**Why it misses, and what would fix it.**" in doc
    assert _section(doc, "Aims missed, and why").startswith("\n- **Ingest throughput, 4.0% of a bare")

    met = _render(results, ingest_vs_baseline_ratio=0.31)
    assert "| ingest / baseline (`ingest_vs_baseline_ratio`) | 31.0% | >= 25% | met |" in met
    assert "Why it misses" not in met
    assert _section(met, "Aims missed, and why").startswith("\nNone.\n")

    worse = _render(results, ingest_vs_baseline_ratio=0.31, ingest_rss_ratio_100k_vs_10k=1.5, sqs_calls_per_case=0.2)
    missed = _section(worse, "Aims missed, and why")
    assert "- **Ingest memory, 100k peak 1.50x the 10k peak (aim 1.3x).**" in missed
    assert "- **SQS calls per case 0.2 (floor 0.1).**" in missed
    assert "None." not in missed
    assert "The memory aim is met" not in missed


def test_cold_import_misses_are_named(results: dict[str, Any]) -> None:
    r = copy.deepcopy(results)
    r["cold_import_ratio"]["gauge"] = 1.7
    r["cold_imports"]["misses"] = ["gauge"]
    r["cold_imports"]["importtime"]["gauge"] = r["cold_imports"]["importtime"]["notify"]
    doc = run.render(r)
    assert "| <= 1.5x each | **missed**: gauge |" in doc
    assert "| `gauge` | 263.6 | 1.70 | **missed** |" in doc
    assert "`python -X importtime` for `gauge`, which misses its aim" in doc
    assert "- **Cold imports over 1.5x the baseline: gauge** (section 4)." in doc


def test_a_figure_missing_from_the_results_fails_loudly(results: dict[str, Any]) -> None:
    r = copy.deepcopy(results)
    del r["offline"]["setup_s"]
    with pytest.raises(jinja2.UndefinedError, match="setup_s"):
        run.render(r)
