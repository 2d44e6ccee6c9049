"""The ratings table's repository: Ofsted's ratings snapshots (`ports.Snapshots`).

Items (pk `pk`, sk `sk`):
- pk `SNAPSHOTS`, sk `<date>#<fingerprint>`: a complete snapshot's summary (`domain.snapshot.SnapshotSummary`),
  so one query lists every snapshot in date order.
- pk `SNAPSHOT#<date>#<fingerprint>`, sk `HOMES#<nnnn>`: its in-scope homes and ratings, in chunks. A chunk
  holds homes as compact JSON up to `CHUNK_BYTES`, well under DynamoDB's 400 KB item limit (Ofsted's 2025
  export lists about 3,900 in-scope homes: a handful of chunks).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from ..domain.case import record_expiry
from ..domain.clock import iso, parse_iso
from ..domain.snapshot import RatedHome, SnapshotSummary
from .dynamo import Table

SUMMARIES = "SNAPSHOTS"
CHUNK_BYTES = 200_000  # UTF-8 bytes of one chunk's homes; an item may hold 400 KB
FIELD_CHARS = 200  # a home's name, type or local authority is cut to this when stored (they only inform)


def _id(summary: SnapshotSummary) -> str:
    return f"{summary.snapshot_date.isoformat()}#{summary.fingerprint[:16]}"


def _home_row(home: RatedHome) -> list[str | None]:
    return [
        home.urn,
        home.rating,
        home.inspection_date.isoformat(),
        home.provision_type[:FIELD_CHARS],
        (home.local_authority or "")[:FIELD_CHARS] or None,
        (home.name or "")[:FIELD_CHARS] or None,
    ]


def _home(row: Sequence[Any]) -> RatedHome:
    urn, rating, inspected, provision_type, local_authority, name = row
    return RatedHome(
        urn=urn,
        name=name,
        provision_type=provision_type,
        rating=rating,
        inspection_date=date.fromisoformat(inspected),
        local_authority=local_authority,
    )


def chunks(homes: Sequence[RatedHome], limit: int = CHUNK_BYTES) -> list[str]:
    """The homes as JSON arrays of rows, each at most `limit` UTF-8 bytes (a home is far smaller)."""
    out: list[str] = []
    current: list[str] = []
    size = 2
    for home in homes:
        text = json.dumps(_home_row(home), ensure_ascii=False, separators=(",", ":"))
        length = len(text.encode()) + 1
        if current and size + length > limit:
            out.append("[" + ",".join(current) + "]")
            current, size = [], 2
        current.append(text)
        size += length
    out.append("[" + ",".join(current) + "]")
    return out


class DynamoSnapshots:
    """`ports.Snapshots` on DynamoDB."""

    def __init__(self, table: Table, retention_days: int) -> None:
        self.table = table
        self.retention_days = retention_days

    def save_homes(self, summary: SnapshotSummary, homes: Sequence[RatedHome]) -> None:
        """Every chunk of the snapshot's homes (a retry writes the same chunks again)."""
        pk = f"SNAPSHOT#{_id(summary)}"
        expires = record_expiry(summary.stored_at, self.retention_days)
        parts = chunks(homes)
        for n, text in enumerate(parts):
            self.table.put({"pk": pk, "sk": f"HOMES#{n:04d}", "homes": text, "expires_at": expires})
        for stale in self.table.query("pk", pk, prefix="HOMES#"):
            if int(str(stale["sk"]).split("#")[1]) >= len(parts):
                self.table.delete({"pk": pk, "sk": stale["sk"]})

    def put_summary(self, summary: SnapshotSummary) -> None:
        doc: dict[str, Any] = {
            "pk": SUMMARIES,
            "sk": _id(summary),
            "snapshot_date": summary.snapshot_date.isoformat(),
            "date_source": summary.date_source,
            "fingerprint": summary.fingerprint,
            "object_key": summary.object_key,
            "stored_at": iso(summary.stored_at),
            "homes": summary.homes,
            "inadequate": summary.inadequate,
            "compared_with": summary.compared_with.isoformat() if summary.compared_with else None,
            "newly_inadequate": summary.newly_inadequate,
            "still_inadequate": summary.still_inadequate,
            "no_longer_inadequate": summary.no_longer_inadequate,
            "unnotified_inadequate_homes": summary.unnotified_inadequate_homes,
            "expires_at": record_expiry(summary.stored_at, self.retention_days),
        }
        self.table.put(doc)

    def summaries(self) -> list[SnapshotSummary]:
        found = [_summary(item) for item in self.table.query("pk", SUMMARIES)]
        return sorted(found, key=lambda s: s.order)

    def homes(self, summary: SnapshotSummary) -> dict[str, RatedHome]:
        out: dict[str, RatedHome] = {}
        for item in self.table.query("pk", f"SNAPSHOT#{_id(summary)}", prefix="HOMES#"):
            for row in json.loads(str(item["homes"])):
                home = _home(row)
                out[home.urn] = home
        return out


def _summary(item: dict[str, Any]) -> SnapshotSummary:
    def day(name: str) -> date | None:
        value = item.get(name)
        return date.fromisoformat(str(value)) if value else None

    def count(name: str) -> int | None:
        value = item.get(name)
        return None if value is None else int(value)

    return SnapshotSummary(
        snapshot_date=date.fromisoformat(str(item["snapshot_date"])),
        date_source=str(item.get("date_source", "file")),
        fingerprint=str(item["fingerprint"]),
        object_key=str(item.get("object_key", "")),
        stored_at=parse_iso(str(item["stored_at"])),
        homes=int(item.get("homes", 0)),
        inadequate=int(item.get("inadequate", 0)),
        compared_with=day("compared_with"),
        newly_inadequate=count("newly_inadequate"),
        still_inadequate=count("still_inadequate"),
        no_longer_inadequate=count("no_longer_inadequate"),
        unnotified_inadequate_homes=int(item.get("unnotified_inadequate_homes", 0)),
    )
