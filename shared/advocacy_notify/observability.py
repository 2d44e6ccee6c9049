"""Powertools Logger, Metrics and Tracer shared by the handlers (one namespace for all metrics).

Logs carry ids, URNs, GSS codes and counts - never names or email addresses.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

NAMESPACE = "AdvocacyNotify"

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE)
tracer = Tracer()
