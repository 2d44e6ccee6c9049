"""`Clients` makes one client per service and retry policy, and never lets botocore change its policies."""

from __future__ import annotations

import boto3
from advocacy_notify.adapters.aws import DEFAULT_RETRIES, NO_RETRIES, Clients


def _clients() -> Clients:
    session = boto3.Session(
        region_name="eu-west-2",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",
    )
    return Clients(session)


def test_each_service_gets_one_client_however_often_it_is_asked_for() -> None:
    clients = _clients()
    first = clients.client("dynamodb")
    assert clients.client("dynamodb") is first
    assert clients.client("sesv2", retries=NO_RETRIES) is clients.client("sesv2", retries=NO_RETRIES)
    assert clients.client("sesv2", retries=NO_RETRIES) is not clients.client("sesv2")


def test_the_retry_policies_stay_as_written_after_clients_are_made() -> None:
    clients = _clients()
    ses = clients.client("sesv2", retries=NO_RETRIES)
    clients.client("dynamodb")
    assert dict(DEFAULT_RETRIES) == {"max_attempts": 5, "mode": "standard"}
    assert dict(NO_RETRIES) == {"total_max_attempts": 1, "mode": "standard"}
    # the SES client makes one attempt in all: no retry after a timeout or a 5xx that may have sent the email
    assert ses.meta.config.retries["total_max_attempts"] == 1
    assert clients.client("dynamodb").meta.config.retries["total_max_attempts"] == 6
