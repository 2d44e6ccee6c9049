"""boto3 clients, made once per service and handed to the adapters (boto3 itself is imported lazily)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

# botocore's standard retry mode: throttling and transient errors are retried with jittered back-off.
DEFAULT_RETRIES: Mapping[str, Any] = MappingProxyType({"max_attempts": 5, "mode": "standard"})
# Sending an email must not be retried by botocore after a timeout or a 5xx: SES may have sent it, and the
# email ledger must know. Throttling, which is certain not to have sent, is retried by the workflow.
# One attempt in all: botocore's `max_attempts` counts the retries after the first, `total_max_attempts` all.
NO_RETRIES: Mapping[str, Any] = MappingProxyType({"total_max_attempts": 1, "mode": "standard"})


class Clients:
    """Where the adapters' boto3 clients come from. On Lambda: the default session and region. The offline
    twin and the staff commands hand in a session pointed at moto or at a stack (`endpoint_url`)."""

    def __init__(
        self,
        session: Any = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        self._session = session
        self._region = region
        self._endpoint_url = endpoint_url
        self._config = config or {}  # more botocore Config for every client (the offline twin's)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.Session(region_name=self._region) if self._region else boto3.Session()
        return self._session

    @property
    def region(self) -> str | None:
        return self._region or self.session.region_name

    def client(self, service: str, *, retries: Mapping[str, Any] | None = None) -> Any:
        chosen = retries or DEFAULT_RETRIES
        key = (service, repr(sorted(chosen.items())))
        with self._lock:
            if key not in self._clients:
                from botocore.config import Config

                # a copy: botocore rewrites the retries it is given (`max_attempts` -> `total_max_attempts`)
                config = Config(retries=dict(chosen), **self._config)
                kwargs: dict[str, Any] = {"config": config, "region_name": self.region}
                if self._endpoint_url:
                    kwargs["endpoint_url"] = self._endpoint_url
                self._clients[key] = self.session.client(service, **kwargs)
            return self._clients[key]


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if status is not None else None
    return None
