"""Paced sending: a token bucket in DynamoDB, shared by every send, refilled at the account's SES rate."""

from __future__ import annotations

from datetime import datetime

from .dynamo import ConditionFailed, Table

BUCKET = {"bucket": "ses-send"}


class DynamoSendPacer:
    """`ports.SendPacer`. The bucket holds at most one second's worth of sends (so a burst never goes over the
    rate) and refills at `rate` a second. Each send reserves the next slot: the bucket may go below zero, and
    the reply says how long to wait for the slot - the tenth sender of a burst waits nine slots, and nobody
    retries against anybody. A conditional write on the bucket's last update keeps two senders off one slot."""

    def __init__(self, table: Table, rate: float, attempts: int = 8) -> None:
        self.table = table
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.attempts = attempts

    def reserve(self, at: datetime) -> float:
        now = at.timestamp()
        for _attempt in range(self.attempts):
            item = self.table.get(BUCKET)
            try:
                if item is None:
                    self.table.put(
                        {**BUCKET, "tokens": self.capacity - 1, "updated": now},
                        condition="attribute_not_exists(#bucket)",
                    )
                    return 0.0
                last = float(item["updated"])
                tokens = min(self.capacity, float(item["tokens"]) + max(0.0, now - last) * self.rate) - 1
                self.table.update(
                    BUCKET,
                    {"tokens": tokens, "updated": max(now, last)},
                    condition="#updated = :last",
                    values={"last": item["updated"]},
                )
                return max(0.0, -tokens / self.rate)
            except ConditionFailed:
                continue  # another sender reserved a slot meanwhile: look again
        return 1.0 / self.rate  # still contended: come back in a slot's time
