"""Step Functions task: record an outcome the workflow reached - unresolved, failed, or a technical failure
(SES could not send for hours) - with a staff work item and an alert."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.workflow import MarkRequest
from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import WorkflowTaskSettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(WorkflowTaskSettings)
METRIC = {"unresolved": "Unresolved", "failed": "WorkflowFailures", "technical_failure": "TechnicalFailures"}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=MarkRequest)
def handler(event: MarkRequest, context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(event.case_id)
    result = deps.get().mark_case(event)
    if result["changed"]:
        metrics.add_metric(METRIC[event.outcome], MetricUnit.Count, 1)
    metrics.add_metric("StaffWorkItems", MetricUnit.Count, int(result["work_item"]))
    logger.info("marked", extra={"case_id": event.case_id, "outcome": event.outcome, **result})
    return result
