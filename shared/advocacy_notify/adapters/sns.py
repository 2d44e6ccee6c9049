"""SNS: alerts to Help at Hand staff. Messages carry ids and codes, never personal data."""

from __future__ import annotations

import json
from typing import Any

from .aws import client


def alert(topic_arn: str, subject: str, detail: dict[str, Any]) -> None:
    if not topic_arn:
        return
    client("sns").publish(
        TopicArn=topic_arn,
        Subject=subject[:100],
        Message=json.dumps(detail, default=str, indent=1),
    )
