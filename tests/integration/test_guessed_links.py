"""Thousands of guessed links find nothing (the HTTP API's throttling limits the rate on AWS)."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline.httpapi import form_body, http_event

from tests.conftest import provisional_csv, wait_until

pytestmark = pytest.mark.slow


def test_two_thousand_guessed_links_find_nothing(offline_env: Any, tmp_path: Path) -> None:
    from advocacy_notify.adapters import dynamodb as ddb

    src = provisional_csv(tmp_path / "g.csv", [("SC900001", "Guess House", "Leeds; York")])
    with offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env:
        env.start_clock()
        env.upload(src)
        wait_until(lambda: len(env.sent_emails()) == 2)
        # the emails are out; wait for the function to finish recording them before the snapshot
        wait_until(lambda: sum(1 for c in env.calls if c.function == "send_email" and c.result) == 2)
        before = sorted(map(str, ddb.scan(env.stack.outputs["CasesTableName"])))
        from advocacy_offline.lambdas import FakeLambdaContext, load_handler

        handler = load_handler("respond")
        context = FakeLambdaContext("respond", "arn:aws:lambda:eu-west-2:123456789012:function:respond")
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
            page = handler(http_event(method, f"/respond/{guess}", body=body if method == "POST" else None), context)
            statuses[page["statusCode"]] = statuses.get(page["statusCode"], 0) + 1
        assert statuses == {404: 2000}
        assert sorted(map(str, ddb.scan(env.stack.outputs["CasesTableName"]))) == before
