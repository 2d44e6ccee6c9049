"""EventBridge Scheduler, daily -> publish open and overdue cases by status, and open staff work items."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.gauge import measure
from advocacy_notify.observability import logger, metrics, put_metric, tracer
from advocacy_notify.settings import Settings
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    gauge = measure(Settings.from_env())
    for status, n in gauge.open_by_status.items():  # one EMF line per status: dimensions status, service
        put_metric("OpenCases", n, status=status)
        put_metric("OverdueCases", gauge.overdue_by_status.get(status, 0), status=status)
    metrics.add_metric("StaffWorkItemsOpen", MetricUnit.Count, gauge.work_items_open)
    summary = gauge.summary()
    logger.info("gauge", extra=summary)
    return summary
