"""Step Functions .waitForTaskToken task: store the token with the case, send this stage's email once."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.workflow import SendRequest, send
from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import Settings
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=SendRequest)
def handler(event: SendRequest, context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(event.case_id)
    result = send(event, Settings.from_env())
    if result["action"] == "sent":
        metrics.add_dimension(name="kind", value=result["kind"])
        metrics.add_metric("EmailsSent", MetricUnit.Count, 1)
        if result["kind"] == "reminder":
            metrics.add_metric("Reminders", MetricUnit.Count, 1)
        elif result["kind"] == "escalation":
            metrics.add_metric("Escalations", MetricUnit.Count, 1)
    logger.info("send_email", extra={"case_id": event.case_id, "stage": event.stage, **result})
    return result
