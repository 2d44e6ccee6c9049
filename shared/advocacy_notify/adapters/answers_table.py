"""The answers table's repository: what each authority answered, who answered and when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from ..domain.clock import iso
from ..ports import AnswerRecord
from .dynamo import Table, nullable


class DynamoAnswers:
    """`ports.Answers` on DynamoDB (pk `case_id`, sk `answered_at`)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_part(self, answer: AnswerRecord, expires_at: int) -> Mapping[str, Any]:
        doc = {k: v for k, v in asdict(answer).items() if k != "link_hash"}
        doc["answered_at"] = iso(answer.answered_at)
        doc["advocacy_before_contact"] = nullable(answer.advocacy_before_contact)  # null: "do not know"
        return self.table.put_part({**doc, "expires_at": expires_at})

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        return self.table.query("case_id", case_id, sort_key="answered_at")

    def all(self) -> list[dict[str, Any]]:
        return list(self.table.scan())
