"""The offline mode depends on one private moto method. If an upgrade moves it, fail loudly here."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from advocacy_offline.env import OfflineEnv
from advocacy_offline.lambdas import load_handler
from advocacy_offline.template import code_locations
from moto.awslambda.models import LambdaFunction

# every function of the template, by its folder under functions/ (issue 12: the plan task is gone, the
# workflow's wait and the reconciler are functions of their own)
HANDLERS = {
    "ingest",
    "notify",
    "send_email",
    "await_answer",
    "close_case",
    "respond",
    "delivery_events",
    "gauge",
    "reconcile",
}


def test_moto_still_has_the_invoke_hook() -> None:
    method = getattr(LambdaFunction, "_invoke_lambda", None)
    assert method is not None, "moto.awslambda.models.LambdaFunction._invoke_lambda is gone: see lambdas.py"
    params = list(inspect.signature(method).parameters)
    assert params[:2] == ["self", "event"], f"its signature changed: {params}"


def test_a_direct_invoke_runs_the_real_handler(offline_env: Callable[..., OfflineEnv]) -> None:
    with offline_env(start=date(2026, 11, 24)) as env:
        reconcile = next(s for s in env.schedules if s.function == "ReconcileFunction")
        calls = len(env.calls)
        findings = env.invoke("ReconcileFunction", reconcile.event(env.clock.now()))
        # an empty stack: the reconciler looked at every kind of stalled work and found none
        assert findings == {
            "requeued": 0,
            "effects_delivered": 0,
            "effects_failing": 0,
            "emails_uncertain": 0,
            "workflows_failed": 0,
        }
        assert [c.function for c in env.calls[calls:]] == ["reconcile"]
        # a task of the workflow, invoked for a case nobody opened: the real handler parsed the event and
        # its use case refused it, as Lambda reports a function error
        missing: Any = env.invoke("SendEmailFunction", {"case_id": "SC123456-E08000035-20261102", "stage": 0})
        assert missing["errorType"] == "CaseNotFound"
        assert env.calls[-1].function == "send_email"
        assert env.calls[-1].error is not None
        assert json.dumps(findings)  # the payload went through moto as JSON
        # every function in the template has a handler folder that imports (its cold start validated its
        # settings from its configuration in moto)
        assert {folder.name for folder in code_locations().values()} == HANDLERS
        for folder in HANDLERS:
            assert callable(load_handler(folder)), folder
