"""S3 ObjectCreated on incoming/ -> validate the Ofsted file, queue one case per home x authority."""

from __future__ import annotations

from typing import Any

from advocacy_notify.logic.ingest import object_key
from advocacy_notify.observability import logger, metrics, tracer
from advocacy_notify.settings import IngestSettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(IngestSettings)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    ingest = deps.get().ingest
    results = []
    for record in event.records:
        key = object_key(record.s3.get_object.key)
        logger.append_keys(s3_key=key)
        result = ingest(record.s3.bucket.name, key, record.s3.get_object.version_id)
        if result.status == "ignored":
            continue
        c = result.counts
        metrics.add_metric("FilesReceived", MetricUnit.Count, 1)
        metrics.add_metric("FilesRejected", MetricUnit.Count, int(result.status == "unreadable"))
        metrics.add_metric("RowsRead", MetricUnit.Count, c.rows_read)
        metrics.add_metric("RowsSkipped", MetricUnit.Count, c.skipped)
        metrics.add_metric("RowsRejected", MetricUnit.Count, c.rejected)
        metrics.add_metric("CasesQueued", MetricUnit.Count, result.queued)
        metrics.add_metric("RatingsJoinedOpenCases", MetricUnit.Count, result.joined)
        metrics.add_metric("StaffWorkItems", MetricUnit.Count, result.work_items)
        if result.snapshot is not None and not result.snapshot.already_recorded:  # a ratings snapshot, compared
            for name, value in result.snapshot.metrics().items():
                metrics.add_metric(name, MetricUnit.Count, value)
        logger.info("ingested", extra=result.summary())
        results.append(result.summary())
    return {"files": results}
