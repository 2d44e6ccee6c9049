"""Step Functions task: send this stage's email (the first, a reminder, the escalation) exactly once."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.workflow import StageRequest
from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import SendEmailSettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(SendEmailSettings)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=StageRequest)
def handler(event: StageRequest, context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(event.case_id)
    result = deps.get().send_stage(event)
    if result.action == "sent":
        metrics.add_dimension(name="kind", value=result.kind.value)
        metrics.add_metric("EmailsSent", MetricUnit.Count, 1)
        if result.kind == "reminder":
            metrics.add_metric("Reminders", MetricUnit.Count, 1)
        elif result.kind == "escalation":
            metrics.add_metric("Escalations", MetricUnit.Count, 1)
    elif result.action == "uncertain":
        metrics.add_metric("EmailsUncertain", MetricUnit.Count, 1)
    logger.info(
        "send_email",
        extra={
            "case_id": event.case_id,
            "stage": event.stage,
            "action": result.action,
            "kind": result.kind.value,
            "recipients": result.recipients,
            "timeout_seconds": result.timeout_seconds,
        },
    )
    return result.model_dump(mode="json")
