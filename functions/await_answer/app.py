"""Step Functions .waitForTaskToken task: keep the token with the case while the workflow waits for an answer."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.workflow import AwaitRequest
from advocacy_notify.observability import logger, tracer
from advocacy_notify.settings import WorkflowTaskSettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(WorkflowTaskSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_parser(model=AwaitRequest)
def handler(event: AwaitRequest, context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(event.case_id)
    result = deps.get().await_answer(event)
    logger.info("await_answer", extra={"case_id": event.case_id, "stage": event.stage, "action": result["action"]})
    return result
