"""Ingest on in-memory fakes: one claimed, queued case per home x placing authority; repeats queue nothing; a
new rating for a home and authority with an open case joins it instead of starting a second chase."""

from __future__ import annotations

import json
from pathlib import Path

from advocacy_notify.domain.case import CaseStatus

from tests.conftest import provisional_csv
from tests.unit.world import World


def _upload(w: World, tmp_path: Path, homes: list[tuple[str, str, str]], key: str, date: str = "02/11/2026") -> None:
    path = provisional_csv(tmp_path / key.replace("/", "_"), homes, date=date)
    w.files.objects[("drop", key)] = path.read_bytes()


def test_a_file_becomes_one_queued_case_per_home_and_authority(tmp_path: Path) -> None:
    w = World()
    _upload(w, tmp_path, [("SC800001", "North House", "Leeds; Bradford")], "incoming/a.csv")
    result = w.ingest()("drop", "incoming/a.csv")
    assert (result.status, result.queued, result.already_known) == ("processed", 2, 0)
    assert sorted(m.gss_code for m in w.queue.sent) == ["E08000032", "E08000035"]
    assert all(c.queued_at is not None for c in w.cases.all())
    report = w.files.get_json("drop", "incoming/a.csv.report.json")
    assert report["counts"]["queued"] == 2
    assert result.work_items == 0


def test_the_same_ratings_again_queue_nothing(tmp_path: Path) -> None:
    w = World()
    _upload(w, tmp_path, [("SC800001", "North House", "Leeds")], "incoming/a.csv")
    w.ingest()("drop", "incoming/a.csv")
    _upload(w, tmp_path, [("SC800001", "North House", "Leeds")], "incoming/b.csv")
    again = w.ingest()("drop", "incoming/b.csv")
    assert (again.queued, again.already_known, again.joined) == (0, 1, 0)
    assert len(w.queue.sent) == 1


def test_a_new_rating_for_an_open_case_joins_it(tmp_path: Path) -> None:
    w = World()
    _upload(w, tmp_path, [("SC800001", "North House", "Leeds")], "incoming/a.csv")
    w.ingest()("drop", "incoming/a.csv")
    _upload(w, tmp_path, [("SC800001", "North House", "Leeds")], "incoming/b.csv", date="20/11/2026")
    later = w.ingest()("drop", "incoming/b.csv")
    assert (later.queued, later.joined) == (0, 1)
    assert len(w.queue.sent) == 1  # no second chase
    (case,) = w.cases.all()
    assert [d.isoformat() for d in case.joined_ratings] == ["2026-11-20"]
    assert w.work.kinds() == ["rating_joined_open_case"]
    assert later.work_items == 1


def test_a_new_rating_after_the_case_closed_opens_a_new_case(tmp_path: Path) -> None:
    w = World()
    _upload(w, tmp_path, [("SC800001", "North House", "Leeds")], "incoming/a.csv")
    w.ingest()("drop", "incoming/a.csv")
    (first,) = w.cases.all()
    w.cases.move(first.case_id, CaseStatus.CONFIRMED, w.clock.now())
    _upload(w, tmp_path, [("SC800001", "North House", "Leeds")], "incoming/b.csv", date="20/11/2026")
    later = w.ingest()("drop", "incoming/b.csv")
    assert (later.queued, later.joined) == (1, 0)
    assert len(w.cases.all()) == 2


def test_an_unreadable_file_is_reported_and_raises_one_work_item() -> None:
    w = World()
    w.files.objects[("drop", "incoming/x.csv")] = b"\x00\x01 not a spreadsheet"
    result = w.ingest()("drop", "incoming/x.csv")
    assert result.status == "unreadable"
    assert w.work.kinds() == ["unreadable_file"]
    assert result.work_items == 1
    report = json.loads(w.files.objects[("drop", "incoming/x.csv.report.json")])
    assert report["status"] == "unreadable"


def test_work_items_are_counted_by_the_use_case(tmp_path: Path) -> None:
    """Three rows: an unknown authority, a home with none, a valid one - ingest makes two work items."""
    w = World()
    _upload(
        w,
        tmp_path,
        [("SC800001", "A", "Leeds; Atlantis"), ("SC800002", "B", ""), ("SC800003", "C", "Bradford")],
        "incoming/c.csv",
    )
    result = w.ingest()("drop", "incoming/c.csv")
    assert sorted(w.work.kinds()) == ["no_placing_authority", "unknown_authority"]
    assert result.work_items == 2
