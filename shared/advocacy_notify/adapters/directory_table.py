"""The directory table's repository: each authority's contacts, kept by staff, with an audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.case import record_expiry
from ..domain.clock import iso
from ..domain.contacts import Contacts
from .dynamo import Table

CONTACTS = "CONTACTS"


class DynamoDirectory:
    """`ports.Directory` on DynamoDB (pk `gss_code`; sk `CONTACTS`, or `AUDIT#<time>#<who>`)."""

    def __init__(self, table: Table, retention_days: int) -> None:
        self.table = table
        self.retention_days = retention_days

    def contacts(self, gss_code: str) -> Contacts | None:
        item = self.table.get({"gss_code": gss_code, "sk": CONTACTS})
        if not item:
            return None
        return Contacts.model_validate({k: item.get(k) for k in Contacts.model_fields})

    def save(self, contacts: Contacts, *, by: str, at: datetime) -> bool:
        """Save contacts and an audit entry of what changed. False when nothing changed."""
        before = self.contacts(contacts.gss_code)
        if before == contacts:
            return False
        self.table.put({**contacts.model_dump(), "sk": CONTACTS, "updated_at": iso(at), "updated_by": by})
        changed = (
            [f for f in Contacts.model_fields if getattr(before, f, None) != getattr(contacts, f)]
            if before
            else ["created"]
        )
        self.table.put(
            {
                "gss_code": contacts.gss_code,
                "sk": f"AUDIT#{iso(at)}#{by}",
                "by": by,
                "at": iso(at),
                "changed": changed,
                "before": before.model_dump() if before else None,
                "after": contacts.model_dump(),
                "expires_at": record_expiry(at, self.retention_days),  # the current contacts never expire
            }
        )
        return True

    def all_contacts(self) -> list[Contacts]:
        items = self.table.scan("sk = :c", values={":c": CONTACTS})
        return [Contacts.model_validate({k: i.get(k) for k in Contacts.model_fields}) for i in items]

    def audit(self, gss_code: str) -> list[dict[str, Any]]:
        return self.table.query("gss_code", gss_code, prefix="AUDIT#")
