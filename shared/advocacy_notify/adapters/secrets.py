"""The answer-link key, read from Secrets Manager through Powertools Parameters (cached)."""

from __future__ import annotations

from typing import Any


class SecretsLinkKey:
    """`ports.LinkKey`: never a built-in key (links would be guessable by anyone with the source)."""

    def __init__(self, client: Any, secret_id: str, max_age: int = 300) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self.provider = SecretsProvider(boto3_client=client)
        self.secret_id = secret_id
        self.max_age = max_age

    def secret(self) -> bytes:
        return str(self.provider.get(self.secret_id, max_age=self.max_age)).encode()
