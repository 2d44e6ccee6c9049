"""SQS (FIFO, message group = authority) -> one named Step Functions execution per case."""

from __future__ import annotations

from typing import Any

from advocacy_notify.domain.models import CaseMessage
from advocacy_notify.logic.notify import start_case_once
from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import Settings
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json


class CaseRecord(SqsRecordModel):
    body: Json[CaseMessage]


processor = SqsFifoPartialProcessor(model=CaseRecord, skip_group_on_error=True)


def record_handler(record: CaseRecord, lambda_context: LambdaContext | None = None) -> dict[str, Any]:
    case = record.body
    logger.set_correlation_id(case.case_id)
    result = start_case_once(case, Settings.from_env(), lambda_context)
    metrics.add_metric("CasesOpened" if result["started"] else "DuplicateStarts", MetricUnit.Count, 1)
    logger.info("case", extra={"case_id": case.case_id, "gss_code": case.gss_code, "started": result["started"]})
    return result


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
