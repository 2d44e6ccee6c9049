"""SNS: alerts to Help at Hand staff. Messages carry ids and codes, never personal data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class SnsAlerts:
    """`ports.Alerts` on an SNS topic."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    def alert(self, subject: str, detail: Mapping[str, Any]) -> None:
        self.client.publish(
            TopicArn=self.topic_arn, Subject=subject[:100], Message=json.dumps(dict(detail), default=str, indent=1)
        )
