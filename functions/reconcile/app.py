"""EventBridge Scheduler -> find stalled work (lost queue messages, undelivered answer effects, emails stuck in
sending, failed workflows) and repair it or tell staff."""

from __future__ import annotations

from typing import Any

from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import ReconcileSettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(ReconcileSettings)
METRICS = {
    "requeued": "ReconcilerRequeued",
    "effects_delivered": "ReconcilerEffectsDelivered",
    "effects_failing": "ReconcilerEffectsFailing",
    "emails_uncertain": "ReconcilerEmailsUncertain",
    "workflows_failed": "ReconcilerWorkflowsFailed",
}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    findings = deps.get().reconcile().as_dict()
    for name, value in findings.items():
        metrics.add_metric(METRICS[name], MetricUnit.Count, value)
    logger.info("reconciled", extra=findings)
    return findings
