"""Step Functions task: close a case as unresolved, undeliverable or failed, and alert staff."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.workflow import CloseRequest, close
from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import Settings
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

METRIC = {"unresolved": "Unresolved", "delivery_failed": "DeliveryFailures", "failed": "WorkflowFailures"}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=CloseRequest)
def handler(event: CloseRequest, context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(event.case_id)
    result = close(event, Settings.from_env())
    if result["changed"]:
        metrics.add_metric(METRIC.get(event.outcome, "CasesClosed"), MetricUnit.Count, 1)
        metrics.add_metric("StaffWorkItems", MetricUnit.Count, 1)
    logger.info("closed", extra={"case_id": event.case_id, "outcome": event.outcome, **result})
    return result
