"""Thousands of guessed links find nothing (the HTTP API's throttling limits the rate on AWS)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from advocacy_notify.domain.case import CaseStatus
from advocacy_offline.env import OfflineEnv
from advocacy_offline.httpapi import form_body, http_event

from tests.conftest import provisional_csv

pytestmark = pytest.mark.slow


def _cases_table(env: OfflineEnv) -> list[str]:
    with env.reading() as services:
        return sorted(map(str, services.cases.table.scan()))


def test_two_thousand_guessed_links_find_nothing(offline_env: Callable[..., OfflineEnv], tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "g.csv", [("SC900001", "Guess House", "Leeds; York")])
    with offline_env(start=date(2026, 11, 24)) as env:
        env.upload(src)

        def both_waiting() -> bool:
            with env.reading() as services:
                cases = services.cases.all()
            return len(cases) == 2 and all(c.task_token for c in cases)

        # the emails are out and recorded, and both workflows wait for an answer
        env.settle(done=both_waiting, until=env.clock.now() + timedelta(hours=1))
        assert len(env.sent_emails()) == 2
        with env.reading() as services:
            assert {c.status for c in services.cases.all()} == {CaseStatus.AWAITING_RESPONSE}
        before = _cases_table(env)
        statuses: dict[int, int] = {}
        body = form_body(
            {
                "answer": "confirmed",
                "children_count": "1",
                "responder_name": "X",
                "responder_role": "Y",
                "responder_email": "x@y.example",
            }
        )
        for n in range(2000):
            guess = secrets.token_urlsafe(24)[:32]
            method = "POST" if n % 2 else "GET"
            event = http_event(method, f"/respond/{guess}", body=body if method == "POST" else None)
            page = env.invoke("RespondFunction", event)  # the real handler, through Lambda
            statuses[page["statusCode"]] = statuses.get(page["statusCode"], 0) + 1
        assert statuses == {404: 2000}
        assert _cases_table(env) == before
