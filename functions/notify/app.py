"""SQS (FIFO, message group = authority) -> one named Step Functions execution per case."""

from __future__ import annotations

from typing import Any

from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import NotifySettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(NotifySettings)
# the body is parsed by the use case: a message that is not a case goes to the DLQ alone, never failing its group
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def record_handler(record: SQSRecord) -> dict[str, Any]:
    services = deps.get()
    handle = services.case_messages(start=services.start_case_once)
    result = handle(
        record.body,
        record.attributes.message_group_id or "",
        record.message_id,
        int(record.attributes.approximate_receive_count or 1),
    )
    if result.get("dead_lettered"):
        metrics.add_metric("CaseMessagesDeadLettered", MetricUnit.Count, 1)
    else:
        metrics.add_metric("CasesOpened" if result["started"] else "DuplicateStarts", MetricUnit.Count, 1)
    logger.info("case", extra={"message_id": record.message_id, **result})
    return result


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    deps.get().idempotency_config.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
