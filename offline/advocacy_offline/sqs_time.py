"""moto's SQS on the twin's clock, and FIFO deduplication as AWS does it.

moto's SQS reads the wall clock for visibility timeouts, delays, retention and the 5-minute deduplication
interval. Under the virtual clock those are simulated seconds. And moto deduplicates a FIFO message only
against the messages still in the queue, where AWS remembers a deduplication id for 5 minutes after it was
sent, even once the message is deleted: a repeat in that interval is accepted and silently dropped. The twin
does the same, so a retry that AWS would drop is dropped here too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from .vclock import VirtualClock

DEDUPLICATION_SECONDS = 300


@contextmanager
def virtual_deduplication(clock: VirtualClock) -> Iterator[None]:
    from moto.sqs import models

    for name in ("unix_time", "unix_time_millis", "DEDUPLICATION_TIME_IN_SECONDS"):
        if not hasattr(models, name):
            raise RuntimeError(f"moto.sqs.models.{name} has moved: the twin's SQS clock needs updating")
    remembered: dict[tuple[str, str], float] = {}  # (queue arn, deduplication id) -> simulated send time
    lock = threading.Lock()
    original = models.Queue.add_message

    def add_message(queue: Any, message: Any) -> None:
        dedup = message.deduplication_id if queue.fifo_queue else None
        if dedup:
            now = clock.timestamp()
            key = (queue.queue_arn, dedup)
            with lock:
                sent = remembered.get(key)
                if sent is not None and now - sent < DEDUPLICATION_SECONDS:
                    return  # accepted, and dropped: a duplicate within the deduplication interval
                remembered[key] = now
        original(queue, message)

    def unix_time(*_: Any) -> float:
        return clock.timestamp()

    def unix_time_millis(*_: Any) -> float:
        return clock.timestamp() * 1000.0

    with (
        mock.patch.object(models, "unix_time", unix_time),
        mock.patch.object(models, "unix_time_millis", unix_time_millis),
        mock.patch.object(models.Queue, "add_message", add_message),
    ):
        yield
