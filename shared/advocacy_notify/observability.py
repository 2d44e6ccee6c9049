"""Powertools Logger, Metrics and Tracer shared by the handlers (one namespace for all metrics).

Logs carry ids, URNs, GSS codes and counts - never names or email addresses.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()
