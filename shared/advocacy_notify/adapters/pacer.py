"""Paced sending: a token bucket in DynamoDB, shared by every send, refilled at the account's SES rate."""

from __future__ import annotations

from datetime import datetime

from .dynamo import ConditionFailed, Table

BUCKET = {"bucket": "ses-send"}


class DynamoSendPacer:
    """`ports.SendPacer`. `rate` tokens a second, at most one second's worth saved up (so a burst never goes
    over the rate); each send takes one. A conditional write on the bucket's last update keeps concurrent
    senders from taking the same token."""

    def __init__(self, table: Table, rate: float, attempts: int = 4) -> None:
        self.table = table
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.attempts = attempts

    def acquire(self, at: datetime) -> bool:
        now = at.timestamp()
        for _attempt in range(self.attempts):
            item = self.table.get(BUCKET)
            try:
                if item is None:
                    self.table.put(
                        {**BUCKET, "tokens": self.capacity - 1, "updated": now},
                        condition="attribute_not_exists(#bucket)",
                    )
                    return True
                last = float(item["updated"])
                tokens = min(self.capacity, float(item["tokens"]) + max(0.0, now - last) * self.rate)
                if tokens < 1:
                    return False
                self.table.update(
                    BUCKET,
                    {"tokens": tokens - 1, "updated": max(now, last)},
                    condition="#updated = :last",
                    values={"last": item["updated"]},
                )
                return True
            except ConditionFailed:
                continue  # another sender took a token meanwhile: look again
        return False
