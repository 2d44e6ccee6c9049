"""Shared test helpers: small provisional files and the offline environment."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline.shared_data import shared_data_dir

from bench.gen import HEADER  # the provisional file's columns, as the benchmark's files have them

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


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture
def offline_env(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Factory: `with offline_env(day_seconds=...) as env:` - one moto world per test."""
    from advocacy_offline.env import OfflineEnv

    def make(**kwargs: Any) -> OfflineEnv:
        kwargs.setdefault("log_path", tmp_path / "lambda.log")
        return OfflineEnv(**kwargs)

    return make
