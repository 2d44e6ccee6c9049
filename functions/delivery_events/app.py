"""SNS (SES configuration-set events) -> mark bounced or complained cases delivery_failed, alert staff."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.delivery import parse_ses_event, record_delivery_problem
from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import Settings
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=SNSEvent)
def handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_env()
    results = []
    for record in event.records:
        delivery = parse_ses_event(record.sns.message)
        if delivery is None:
            logger.warning("not an SES delivery event", extra={"message_id": record.sns.message_id})
            continue
        result = record_delivery_problem(delivery, settings)
        metrics.add_metric("DeliveryFailures", MetricUnit.Count, 1)
        logger.info(
            "delivery problem",
            extra={
                "case_id": delivery.case_id,
                "event_type": delivery.event_type,
                "detail": delivery.detail,
                "changed": result["changed"],
            },
        )
        results.append(result)
    return {"events": results}
