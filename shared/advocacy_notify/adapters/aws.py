"""boto3 clients, created once at first use (boto3 itself is imported lazily)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=16)
def _client(service: str, region: str | None, endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 5, "mode": "standard"})
    return boto3.client(service, region_name=region, config=config)


def client(service: str) -> Any:
    # keyed by region and endpoint so tests and `advocacy serve` can point clients elsewhere
    return _client(
        service,
        os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        os.environ.get("AWS_ENDPOINT_URL"),
    )


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
