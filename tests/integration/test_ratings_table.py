"""The ratings table's repository on the twin's strict DynamoDB (items over 400 KB are refused, as by AWS):
a snapshot far larger than Ofsted's real exports is stored in chunks and read back whole."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from advocacy_notify.adapters.ratings_table import CHUNK_BYTES, FIELD_CHARS, chunks
from advocacy_notify.domain.snapshot import RatedHome, SnapshotSummary, compare
from advocacy_offline.env import OfflineEnv

RATINGS = ("Outstanding", "Good", "Requires improvement to be good", "Inadequate")


def homes(n: int) -> list[RatedHome]:
    # names, types and areas at the longest stored, with characters of 2 and 3 UTF-8 bytes
    return [
        RatedHome(
            urn=f"SC{i:07d}",
            name=("Maison Léa – " * 20)[:FIELD_CHARS],
            provision_type="Children's home",
            rating=RATINGS[i % 4],
            inspection_date=date(2023, 1, 1 + i % 28),
            local_authority=("Kingston upon Hull, City of – " * 10)[:FIELD_CHARS],
        )
        for i in range(n)
    ]


def test_chunks_stay_under_their_limit_and_keep_every_home() -> None:
    many = homes(3000)
    parts = chunks(many)
    assert len(parts) > 2
    assert all(len(p.encode()) <= CHUNK_BYTES for p in parts)
    assert [row[0] for p in parts for row in json.loads(p)] == [h.urn for h in many]
    small = chunks(many, limit=1000)
    assert all(len(p.encode()) <= 1000 for p in small)
    assert sum(len(json.loads(p)) for p in small) == 3000


def test_a_snapshot_of_10000_homes_is_stored_in_chunks_and_read_back(tmp_path: Path) -> None:
    many = homes(10_000)
    comparison = compare({h.urn: h for h in many}, None)
    summary = SnapshotSummary.baseline_of(
        comparison,
        snapshot_date=date(2023, 3, 31),
        date_source="file",
        fingerprint="f" * 64,
        object_key="incoming/big.csv",
        stored_at=datetime(2023, 4, 3, 9, tzinfo=UTC),
    )
    with OfflineEnv(start=date(2023, 4, 3), log_path=tmp_path / "lambda.log") as env, env.reading() as services:
        store = services.snapshots
        store.save_homes(summary, many)
        store.put_summary(summary)
        # a smaller corrected write of the same snapshot leaves no stale chunk behind
        assert store.homes(summary) == {h.urn: h for h in many}
        store.save_homes(summary, many[:10])
        assert store.homes(summary) == {h.urn: h for h in many[:10]}
        (stored,) = store.summaries()
    assert stored == summary
    assert (stored.homes, stored.inadequate, stored.baseline) == (10_000, 2500, True)
