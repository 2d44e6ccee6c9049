"""SES v2: send one raw MIME email through the configuration set."""

from __future__ import annotations

from .aws import client, error_code

THROTTLED = frozenset({"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"})
REJECTED = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "NotFoundException",
        "BadRequestException",
    }
)


class EmailThrottled(Exception):
    """SES asked us to slow down. Nothing was sent; the task is retried with backoff."""


class EmailRejected(Exception):
    """SES refused the message permanently. Nothing was sent."""


def send_raw(raw: bytes, *, sender: str, to: list[str], configuration_set: str, tags: dict[str, str]) -> str:
    kwargs = {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": to},
        "Content": {"Raw": {"Data": raw}},
        "EmailTags": [{"Name": k, "Value": v} for k, v in tags.items()],
    }
    if configuration_set:
        kwargs["ConfigurationSetName"] = configuration_set
    try:
        response = client("sesv2").send_email(**kwargs)
    except Exception as exc:
        code = error_code(exc)
        if code in THROTTLED:
            raise EmailThrottled(code) from exc
        if code in REJECTED:
            raise EmailRejected(code) from exc
        raise
    return str(response["MessageId"])
