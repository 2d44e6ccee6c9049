"""`check_promises`: a run whose emails or outcomes break the chase's rules is a failed run, never a result."""

from __future__ import annotations

from typing import Any

import pytest
from advocacy_offline.run import TwinError, check_promises

STAGES = [
    ("initial", "2026-11-02T09:00:00.000Z"),
    ("reminder", "2026-11-10T09:00:00.000Z"),
    ("reminder", "2026-11-17T09:00:00.000Z"),
    ("escalation", "2026-11-24T09:00:00.000Z"),
]


def _case(status: str, stages: list[int], answered_at: str | None = None) -> dict[str, Any]:
    emails = [{"kind": STAGES[n][0], "stage": n, "sent_at": STAGES[n][1]} for n in stages]
    return {
        "case_id": "SC1-E1-20261102",
        "status": status,
        "execution_name": "x",
        "emails": emails,
        "answered_at": answered_at,
    }


def _check(case: dict[str, Any]) -> None:
    check_promises({"cases": [case]}, running=set(), work=[])


def test_a_whole_chase_and_a_prompt_answer_keep_the_promises() -> None:
    _check(_case("unresolved", [0, 1, 2, 3]))
    _check(_case("confirmed", [0], answered_at="2026-11-03T12:00:00.000Z"))
    _check(_case("confirmed", [0, 1], answered_at="2026-11-10T12:00:00.000Z"))


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        (_case("unresolved", [0, 1, 2]), "closed unresolved without its escalation"),
        (_case("unresolved", [0, 2, 3]), "a stage was skipped"),
        (_case("confirmed", [0, 1], answered_at="2026-11-03T12:00:00.000Z"), "sent after the council answered"),
        (_case("unresolved", [1, 2, 3]), "the first email is a reminder"),
    ],
)
def test_a_run_that_breaks_a_promise_fails_loudly(case: dict[str, Any], problem: str) -> None:
    with pytest.raises(TwinError, match=problem):
        _check(case)
