"""Shared test helpers: small provisional files and the offline environment."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from advocacy_notify.domain.clock import parse_iso, uk_time
from advocacy_notify.domain.schedule import Timers, plan_stage
from advocacy_offline.shared_data import shared_data_dir

from bench.gen import HEADER  # the provisional file's columns, as the benchmark's files have them

if TYPE_CHECKING:  # imported by the fixture: unit tests never load moto
    from advocacy_offline.env import OfflineEnv

PROJECT = Path(__file__).resolve().parents[1]


REAL_DATA = shared_data_dir()


def provisional_csv(
    path: Path, homes: list[tuple[str, str, str]], *, date: str = "02/11/2026", title_rows: int = 2
) -> Path:
    """homes: (urn, name, 'LA1; LA2') -> a provisional file with the wide layout."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for i in range(title_rows):
        w.writerow([f"Ofsted provisional inadequate judgements - test file note {i + 1}"] + [""] * 7)
    w.writerow(HEADER)
    for urn, name, las in homes:
        w.writerow([urn, name, "Children's home", "Active", "Leeds", "Inadequate", date, las])
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


def expected_emails(case: dict[str, Any], respond_on_day: int | None) -> tuple[list[str], bool]:
    """The email kinds the chase rules give a case of a run's JSON, and whether its scripted answer lands
    before the final deadline. The script answers at midday UK time N calendar days after the first email's
    UK day, or at once for day 0; chases fire at 09:00 UK on working days (domain.schedule.plan_stage)."""
    first = date.fromisoformat(case["first_sent"])
    fires = [plan_stage(s, first, Timers()).fires_at for s in range(4)]
    if respond_on_day is None:
        return ["initial", "reminder", "reminder", "escalation"], False
    due = (
        uk_time(first + timedelta(days=respond_on_day), 12)
        if respond_on_day
        else parse_iso(case["emails"][0]["sent_at"])
    )
    kinds = ["initial"] + [
        k for k, f in zip(["reminder", "reminder", "escalation"], fires[:3], strict=True) if f <= due
    ]
    return kinds, due < fires[3]


@pytest.fixture
def offline_env(tmp_path: Path) -> Callable[..., OfflineEnv]:
    """Factory: `with offline_env(start=date(...)) as env:` - one moto world per test, on the virtual clock.

    Keyword arguments are OfflineEnv's (`start`, `pace_seconds_per_day`, `faults`, `extra_parameters`, ...);
    the functions' log goes to the test's own folder. Nothing runs until the test uploads, then settles."""
    from advocacy_offline.env import OfflineEnv

    def make(**kwargs: Any) -> OfflineEnv:
        kwargs.setdefault("log_path", tmp_path / "lambda.log")
        return OfflineEnv(**kwargs)

    return make
