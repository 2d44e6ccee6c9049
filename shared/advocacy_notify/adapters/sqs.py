"""SQS: queue cases with SendMessageBatch, ten at a time, the authority as message group; and the DLQ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..domain.case import queue_dedup_id
from ..domain.models import CaseMessage
from ..ports import DeadLetter

BATCH = 10


class SqsCaseQueue:
    """`ports.CaseQueue` on the FIFO case queue."""

    def __init__(self, client: Any, queue_url: str, attempts: int = 4) -> None:
        self.client = client
        self.queue_url = queue_url
        self.attempts = attempts

    def send(self, messages: Sequence[CaseMessage]) -> list[str]:
        """Send the messages, ten at a time; retry the entries SQS reports as failed. Returns the case ids still
        failing (the caller retries the whole event)."""
        failing: list[str] = []
        for start in range(0, len(messages), BATCH):
            failing += self._send_batch(list(messages[start : start + BATCH]))
        return failing

    def _send_batch(self, batch: list[CaseMessage]) -> list[str]:
        pending = {queue_dedup_id(m.case_id): m for m in batch}
        for _attempt in range(self.attempts):
            entries = [
                {
                    "Id": entry_id,
                    "MessageBody": m.model_dump_json(),
                    "MessageGroupId": m.gss_code,
                    "MessageDeduplicationId": entry_id,
                }
                for entry_id, m in pending.items()
            ]
            response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = {f["Id"] for f in response.get("Failed", [])}
            pending = {k: v for k, v in pending.items() if k in failed}
            if not pending:
                return []
        return [m.case_id for m in pending.values()]


class SqsDeadLetters:
    """`ports.DeadLetters` on the case DLQ (and the case queue, where staff send cases back)."""

    def __init__(self, client: Any, queue_url: str, case_queue_url: str | None = None) -> None:
        self.client = client
        self.queue_url = queue_url
        self.case_queue_url = case_queue_url

    def receive(self, max_messages: int) -> list[DeadLetter]:
        msgs = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            AttributeNames=["All"],
            VisibilityTimeout=60,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        return [
            DeadLetter(
                body=str(m["Body"]),
                group=str(m.get("Attributes", {}).get("MessageGroupId") or ""),
                receipt=str(m["ReceiptHandle"]),
            )
            for m in msgs
        ]

    def send_back(self, letter: DeadLetter, dedup_id: str) -> None:
        """To the case queue, then off the DLQ (a crash between the two leaves a copy in each: notify is
        idempotent on the case id)."""
        if not self.case_queue_url:
            raise RuntimeError("no case queue to send dead letters back to")
        self.client.send_message(
            QueueUrl=self.case_queue_url,
            MessageBody=letter.body,
            MessageGroupId=letter.group,
            MessageDeduplicationId=dedup_id,
        )
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=letter.receipt)

    def put(self, body: str, group: str, dedup_id: str) -> None:
        self.client.send_message(
            QueueUrl=self.queue_url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup_id
        )
