"""The offline mode depends on one private moto method. If an upgrade moves it, fail loudly here."""

from __future__ import annotations

import inspect
import json

from advocacy_offline.lambdas import load_handler
from moto.awslambda.models import LambdaFunction


def test_moto_still_has_the_invoke_hook() -> None:
    method = getattr(LambdaFunction, "_invoke_lambda", None)
    assert method is not None, "moto.awslambda.models.LambdaFunction._invoke_lambda is gone: see lambdas.py"
    params = list(inspect.signature(method).parameters)
    assert params[:2] == ["self", "event"], f"its signature changed: {params}"


def test_a_direct_invoke_runs_the_real_handler(offline_env, tmp_path) -> None:
    with offline_env(day_seconds=86400) as env:
        result = env.invoke("PlanStageFunction", {"case_id": "SC123456-E08000035-20261102", "stage": 0})
        assert result["kind"] == "initial"
        assert result["stage"] == 0
        assert result["next_stage"] == 1
        assert [c.function for c in env.calls][-1] == "plan_stage"
        # every function in the template has a handler folder that imports
        for folder in {
            "ingest",
            "notify",
            "plan_stage",
            "send_email",
            "close_case",
            "respond",
            "delivery_events",
        }:
            assert callable(load_handler(folder))
        assert json.dumps(result)  # the payload went through moto as JSON
