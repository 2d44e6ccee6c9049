"""The data access layer: cases, emails ledger, links, answers, contacts and staff work items."""

from __future__ import annotations

import contextlib
import hashlib
import os
from datetime import UTC, datetime
from typing import Any

from ..domain.contacts import Contacts
from ..domain.models import OPEN_STATUSES
from . import dynamodb as ddb
from .dynamodb import CASE, ConditionFailed

OPEN = sorted(s.value for s in OPEN_STATUSES)
DEFAULT_RETENTION_DAYS = 730


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def expires_at(at: datetime) -> int:
    """The DynamoDB TTL (`expires_at`, epoch seconds) of a record written at `at`: RETENTION_DAYS
    (the template's RetentionDays parameter, in every function's environment) later."""
    days = int(os.environ.get("RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)
    return int(at.timestamp()) + days * 86400


# ------------------------------------------------------------------ cases
def claim_case(table: str, doc: dict[str, Any]) -> bool:
    """Record a newly queued case. False if it is already known (a repeat of the same ratings)."""
    try:
        ddb.put(table, {**doc, "sk": CASE}, condition="attribute_not_exists(case_id)")
    except ConditionFailed:
        return False
    return True


def get_case(table: str, case_id: str) -> dict[str, Any] | None:
    return ddb.get(table, {"case_id": case_id, "sk": CASE})


def update_case(
    table: str,
    case_id: str,
    sets: dict[str, Any],
    *,
    only_if_open: bool = False,
    add: dict[str, int] | None = None,
    removes: tuple[str, ...] = (),
) -> dict[str, Any]:
    condition = None
    values: dict[str, Any] = {}
    if only_if_open:
        condition = "#status IN (" + ", ".join(f":o{i}" for i in range(len(OPEN))) + ")"
        values = {f"o{i}": s for i, s in enumerate(OPEN)}
    return ddb.update(
        table,
        {"case_id": case_id, "sk": CASE},
        sets,
        condition=condition,
        values=values,
        add=add,
        removes=removes,
    )


def add_event(table: str, case_id: str, at: datetime, event: str, **detail: Any) -> None:
    doc = {"case_id": case_id, "sk": ddb.event_sk(iso(at)), "at": iso(at), "event": event, "expires_at": expires_at(at)}
    ddb.put(table, {**doc, **detail})


def case_items(table: str, case_id: str) -> list[dict[str, Any]]:
    return ddb.query(table, "case_id", case_id)


def all_cases(table: str) -> list[dict[str, Any]]:
    return list(ddb.scan(table, "sk = :c", values={":c": CASE}))


# ------------------------------------------------------------------ the email ledger
def email_sk(stage: int) -> str:
    return f"EMAIL#{stage:02d}"


def begin_email(table: str, case_id: str, stage: int, doc: dict[str, Any]) -> dict[str, Any] | None:
    """Record the intent to send before sending. Returns None if we may send now, or the
    existing ledger entry when this stage's email was already sent or may have been."""
    key = {"case_id": case_id, "sk": email_sk(stage)}
    try:
        ddb.put(table, {**key, **doc, "state": "sending"}, condition="attribute_not_exists(sk)")
        return None
    except ConditionFailed:
        pass
    existing = ddb.get(table, key) or {}
    if existing.get("state") == "not_sent":
        try:
            ddb.update(table, key, {"state": "sending", **doc}, condition="#state = :ns", values={"ns": "not_sent"})
            return None
        except ConditionFailed:
            existing = ddb.get(table, key) or {}
    return existing


def finish_email(table: str, case_id: str, stage: int, state: str, **fields: Any) -> None:
    ddb.update(table, {"case_id": case_id, "sk": email_sk(stage)}, {"state": state, **fields})


# ------------------------------------------------------------------ links
def put_link(table: str, link_hash: str, case_id: str, expires: datetime) -> None:
    with contextlib.suppress(ConditionFailed):
        ddb.put(
            table,
            {
                "link_hash": link_hash,
                "case_id": case_id,
                "expires": iso(expires),
                "expires_at": int(expires.timestamp()) + 90 * 86400,
            },
            condition="attribute_not_exists(link_hash)",
        )


def get_link(table: str, link_hash: str) -> dict[str, Any] | None:
    return ddb.get(table, {"link_hash": link_hash})


# ------------------------------------------------------------------ contacts
def get_contacts(table: str, gss_code: str) -> Contacts | None:
    item = ddb.get(table, {"gss_code": gss_code, "sk": "CONTACTS"}, consistent=False)
    if not item:
        return None
    return Contacts.model_validate({k: item.get(k) for k in Contacts.model_fields})


def put_contacts(table: str, contacts: Contacts, *, by: str, at: datetime) -> bool:
    """Save contacts and an audit entry of what changed. Returns False when nothing changed."""
    before = get_contacts(table, contacts.gss_code)
    if before == contacts:
        return False
    ddb.put(table, {**contacts.model_dump(), "sk": "CONTACTS", "updated_at": iso(at), "updated_by": by})
    changed = (
        [f for f in Contacts.model_fields if getattr(before, f, None) != getattr(contacts, f)]
        if before
        else ["created"]
    )
    ddb.put(
        table,
        {
            "gss_code": contacts.gss_code,
            "sk": f"AUDIT#{iso(at)}#{by}",
            "by": by,
            "at": iso(at),
            "changed": changed,
            "before": before.model_dump() if before else None,
            "after": contacts.model_dump(),
            "expires_at": expires_at(at),  # audit entries expire; the current contacts never do
        },
    )
    return True


# ------------------------------------------------------------------ staff work items
def add_work_item(table: str, kind: str, key: str, at: datetime, **detail: Any) -> bool:
    """One work item per (kind, key): repeats of the same problem do not pile up."""
    item_id = f"{kind}#{hashlib.sha256(key.encode()).hexdigest()[:20]}"
    try:
        ddb.put(
            table,
            {
                "item_id": item_id,
                "kind": kind,
                "key": key,
                "created_at": iso(at),
                "state": "open",
                "expires_at": expires_at(at),
                **detail,
            },
            condition="attribute_not_exists(item_id)",
        )
    except ConditionFailed:
        return False
    return True


def work_items(table: str) -> list[dict[str, Any]]:
    return list(ddb.scan(table))
