"""EventBridge Scheduler, daily -> publish open, overdue and waiting cases by status, and open staff work items."""

from __future__ import annotations

from typing import Any

from advocacy_notify.observability import logger, metrics, put_metric, tracer
from advocacy_notify.settings import GaugeSettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(GaugeSettings)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    gauge = deps.get().gauge()
    for status, n in gauge.open_by_status.items():  # one EMF line per status: dimensions status, service
        put_metric("OpenCases", n, status=status)
        put_metric("OverdueCases", gauge.overdue_by_status.get(status, 0), status=status)
    for status, n in gauge.waiting_by_status.items():
        put_metric("WaitingCases", n, status=status)
    metrics.add_metric("StaffWorkItemsOpen", MetricUnit.Count, gauge.work_items_open)
    summary = gauge.summary()
    logger.info("gauge", extra=summary)
    return summary
