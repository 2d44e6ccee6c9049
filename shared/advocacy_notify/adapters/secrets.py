"""The link secret, read through Powertools Parameters with caching."""

from __future__ import annotations

from typing import Any


def link_secret(secret_id: str) -> bytes:
    if not secret_id:
        # never fall back to a built-in key: links would be guessable by anyone with the source
        raise RuntimeError("LINK_SECRET_ID is not set")
    from aws_lambda_powertools.utilities import parameters

    from .aws import client

    provider = _provider(parameters, client("secretsmanager"))
    value = provider.get(secret_id, max_age=300)
    return str(value).encode()


_providers: dict[int, Any] = {}


def _provider(parameters: Any, sm_client: Any) -> Any:
    key = id(sm_client)
    if key not in _providers:
        _providers[key] = parameters.SecretsProvider(boto3_client=sm_client)
    return _providers[key]
