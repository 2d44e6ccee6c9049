"""Step Functions task: which email comes next, and how long to wait for an answer after it."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.workflow import PlanRequest, plan
from advocacy_notify.observability import logger, tracer
from advocacy_notify.settings import Settings
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_parser(model=PlanRequest)
def handler(event: PlanRequest, context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(event.case_id)
    result = plan(event, Settings.from_env())
    logger.info(
        "planned",
        extra={
            "case_id": event.case_id,
            "stage": result.stage,
            "kind": result.kind,
            "timeout_seconds": result.timeout_seconds,
        },
    )
    return result.model_dump(mode="json")
