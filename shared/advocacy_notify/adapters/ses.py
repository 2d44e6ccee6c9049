"""SES v2: send one raw MIME email through the configuration set, and say what a failure means."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..ports import EmailRejected, EmailThrottled, EmailUnavailable, EmailUncertain
from .aws import error_code, http_status

# Certain not to have sent anything, and worth trying again soon.
THROTTLED = frozenset({"TooManyRequestsException", "Throttling", "ThrottlingException"})
# Certain not to have sent anything: SES cannot send for now (the account paused, a configuration to fix,
# the service unavailable). The case waits and retries for hours, then staff are told.
UNAVAILABLE = frozenset(
    {
        "SendingPausedException",
        "AccountSuspendedException",
        "MailFromDomainNotVerifiedException",
        "NotFoundException",
        "LimitExceededException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
# This message will never be accepted.
REJECTED = frozenset({"MessageRejected", "BadRequestException"})


def classify(exc: Exception) -> Exception:
    """The mailer's error for a failed SendEmail call."""
    code = error_code(exc)
    status = http_status(exc)
    name = type(exc).__name__
    if code in THROTTLED or status == 429:
        return EmailThrottled(code or name)
    if code in UNAVAILABLE or status == 503:
        return EmailUnavailable(code or name)
    if code in REJECTED:
        return EmailRejected(code)
    if code and status is not None and status < 500:
        return EmailRejected(code)  # any other 4xx: the request itself is wrong
    if name in {"EndpointConnectionError", "ConnectTimeoutError"}:
        return EmailUnavailable(name)  # never connected: nothing sent
    return EmailUncertain(code or name)  # 5xx, read timeout, connection closed mid-request


class SesMailer:
    """`ports.Mailer` on SES v2. The client must not retry on its own (`aws.NO_RETRIES`): after a timeout or a
    5xx the email may have gone, and only the ledger may decide what happens next."""

    def __init__(self, client: Any, configuration_set: str) -> None:
        self.client = client
        self.configuration_set = configuration_set

    def send(self, raw: bytes, *, sender: str, to: Sequence[str], tags: Mapping[str, str]) -> str:
        try:
            response = self.client.send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": list(to)},
                Content={"Raw": {"Data": raw}},
                EmailTags=[{"Name": k, "Value": v} for k, v in tags.items()],
                ConfigurationSetName=self.configuration_set,
            )
        except Exception as exc:
            raise classify(exc) from exc
        return str(response["MessageId"])
