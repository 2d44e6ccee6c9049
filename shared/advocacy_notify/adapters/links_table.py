"""The links table's repository: answer links, stored by the hash of the link id, expiring, single use."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain.clock import iso, parse_iso
from ..ports import LinkRecord
from .dynamo import ConditionFailed, Table

KEEP_AFTER_EXPIRY_DAYS = 90  # a used or expired link still says so (not "not found") for this long


class DynamoLinks:
    """`ports.Links` on DynamoDB."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put(self, link_hash: str, case_id: str, expires: datetime) -> None:
        # the same link (a reminder re-derives it): keep the first record and its use
        with contextlib.suppress(ConditionFailed):
            self.table.put(
                {
                    "link_hash": link_hash,
                    "case_id": case_id,
                    "expires": iso(expires),
                    "expires_at": int(expires.timestamp()) + KEEP_AFTER_EXPIRY_DAYS * 86400,
                },
                condition="attribute_not_exists(link_hash)",
            )

    def get(self, link_hash: str) -> LinkRecord | None:
        item = self.table.get({"link_hash": link_hash})
        if item is None:
            return None
        return LinkRecord(
            link_hash=str(item["link_hash"]),
            case_id=str(item["case_id"]),
            expires=parse_iso(str(item["expires"])),
            used_at=parse_iso(str(item["used_at"])) if item.get("used_at") else None,
        )

    def use_part(self, link_hash: str, at: datetime) -> Mapping[str, Any]:
        return self.table.update_part(
            {"link_hash": link_hash},
            {"used_at": iso(at)},
            condition="attribute_exists(link_hash) AND attribute_not_exists(used_at)",
        )
