"""Powertools Logger, Metrics and Tracer shared by the handlers (one namespace for all metrics).

Logs carry ids, URNs, GSS codes and counts - never names or email addresses.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE = "AdvocacyNotify"

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE)
tracer = Tracer()


def put_metric(name: str, value: float, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
    """One metric on its own EMF line, with only its own dimensions (and `service`, which Powertools
    adds) - unlike `metrics`, whose metrics share one dimension set per invocation."""
    with single_metric(
        name=name, unit=unit, value=value, namespace=metrics.namespace, default_dimensions=dimensions or None
    ):
        pass
