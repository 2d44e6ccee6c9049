"""SNS (SES configuration-set events) -> each email's delivery status per recipient; dead addresses to staff."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.delivery import parse_ses_event
from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import DeliveryEventsSettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(DeliveryEventsSettings)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=SNSEvent)
def handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    record_delivery = deps.get().record_delivery
    results = []
    for record in event.records:
        delivery = parse_ses_event(record.sns.message)
        if delivery is None:
            logger.warning("not an SES delivery event", extra={"message_id": record.sns.message_id})
            continue
        outcome = record_delivery(delivery)
        metrics.add_metric("DeliveryFailures", MetricUnit.Count, outcome.failures)
        metrics.add_metric("Complaints", MetricUnit.Count, outcome.complaints)
        metrics.add_metric("ContactsToFix", MetricUnit.Count, len(outcome.contacts_to_fix))
        metrics.add_metric("CasesWaitingForStaff", MetricUnit.Count, int(outcome.case_waits_for_staff))
        logger.info(
            "delivery event",
            extra={
                "case_id": delivery.case_id,
                "stage": delivery.stage,
                "event_type": delivery.event_type,
                "status": delivery.status,
                "detail": delivery.detail,
                "recipients": len(delivery.recipients),
                "waits_for_staff": outcome.case_waits_for_staff,
            },
        )
        results.append({"case_id": delivery.case_id, "event_type": delivery.event_type, "status": delivery.status})
    return {"events": results}
