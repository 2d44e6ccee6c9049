"""The work table's repository: staff work items, one per (kind, key)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain.case import record_expiry
from ..domain.clock import iso
from .dynamo import ConditionFailed, Table


def item_id(kind: str, key: str) -> str:
    return f"{kind}#{hashlib.sha256(key.encode()).hexdigest()[:20]}"


class DynamoWorkItems:
    """`ports.WorkItems` on DynamoDB (pk `item_id`)."""

    def __init__(self, table: Table, retention_days: int) -> None:
        self.table = table
        self.retention_days = retention_days

    def _doc(self, kind: str, key: str, at: datetime, detail: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "item_id": item_id(kind, key),
            "kind": kind,
            "key": key,
            "created_at": iso(at),
            "state": "open",
            "expires_at": record_expiry(at, self.retention_days),
            **detail,
        }

    def raise_item(self, kind: str, key: str, at: datetime, **detail: Any) -> bool:
        """False when the same item (kind and key) already exists: repeats of a problem do not pile up."""
        try:
            self.table.put(self._doc(kind, key, at, detail), condition="attribute_not_exists(item_id)")
        except ConditionFailed:
            return False
        return True

    def raise_part(self, kind: str, key: str, at: datetime, **detail: Any) -> Mapping[str, Any]:
        """The same item as a part of a transaction (an answer's need_help item, written with the answer)."""
        return self.table.put_part(self._doc(kind, key, at, detail))

    def open_items(self) -> list[dict[str, Any]]:
        return list(self.table.scan("#state = :open", values={":open": "open"}, names={"#state": "state"}))

    def all(self) -> list[dict[str, Any]]:
        return list(self.table.scan())

    def done(self, item_id: str, *, by: str, note: str, at: datetime) -> bool:
        try:
            self.table.update(
                {"item_id": item_id},
                {"state": "done", "resolved_at": iso(at), "resolved_by": by, "resolution": note[:200]},
                condition="attribute_exists(item_id)",
            )
        except ConditionFailed:
            return False
        return True
