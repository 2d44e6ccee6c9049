"""SQS: queue cases with SendMessageBatch, ten at a time, the authority as message group."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .aws import client

BATCH = 10


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: str  # unique within the batch; also the deduplication id (the case id)
    body: str
    group: str


def _chunks(items: Iterable[Outgoing]) -> Iterator[list[Outgoing]]:
    batch: list[Outgoing] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def send_batch(queue_url: str, batch: list[Outgoing], attempts: int = 4) -> list[str]:
    """Send up to ten messages; retry the entries SQS reports as failed. Returns ids still failing."""
    pending = {m.id: m for m in batch}
    sqs = client("sqs")
    for attempt in range(attempts):
        entries = [
            {
                "Id": _entry_id(m.id),
                "MessageBody": m.body,
                "MessageGroupId": m.group,
                "MessageDeduplicationId": _entry_id(m.id),
            }
            for m in pending.values()
        ]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        by_entry = {_entry_id(k): k for k in pending}
        failed = {by_entry[f["Id"]] for f in response.get("Failed", [])}
        pending = {k: v for k, v in pending.items() if k in failed}
        if not pending:
            return []
        time.sleep(0.05 * 2**attempt)
    return list(pending)


def _entry_id(case_id: str) -> str:
    # SQS entry ids and deduplication ids allow [A-Za-z0-9_-]; case ids already fit.
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in case_id)[:80]
