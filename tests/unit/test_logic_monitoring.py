"""Monitoring on in-memory fakes: a ratings snapshot is stored and compared with the one before it; the first is
a baseline (one summary item), a later one raises one item per newly Inadequate home no case covers; repeats,
corrections and snapshots that arrive out of order raise nothing twice."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from advocacy_notify.domain.case import CaseStatus
from advocacy_notify.domain.snapshot import RatedHome, compare, fingerprint
from advocacy_notify.logic.monitoring import BASELINE, UNNOTIFIED

from tests.unit.world import World

HEADER = ["URN", "Provision type", "Name", "Local authority", "Inspection date", "Overall effectiveness"]
GOOD, RI, INADEQUATE = "Good", "Requires improvement to be good", "Inadequate"


def ratings_csv(ratings: dict[str, str | tuple[str, str]], as_at: str | None) -> bytes:
    """{urn: rating or (rating, inspection date dd/mm/yyyy)} -> a ratings export ("as at" title row or none)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    if as_at:
        w.writerow([f"Children's homes ratings as at {as_at}"] + [""] * 5)
    w.writerow(HEADER)
    for urn, rating in ratings.items():
        grade, inspected = rating if isinstance(rating, tuple) else (rating, "12/01/2023")
        w.writerow([urn, "Children's home", "REDACTED", "Leeds", inspected, grade])
    return buf.getvalue().encode()


def upload(w: World, key: str, ratings: dict[str, str | tuple[str, str]], as_at: str | None = "31 March 2023"):  # type: ignore[no-untyped-def]
    w.files.objects[("drop", key)] = ratings_csv(ratings, as_at)
    return w.ingest()("drop", key)


def items(w: World, kind: str) -> list[dict]:
    return sorted((i for i in w.work.all() if i["kind"] == kind), key=lambda i: str(i.get("urn") or i["key"]))


MARCH = {
    "SC100001": GOOD,  # -> Inadequate in April, no case: the one item
    "SC100002": GOOD,  # -> Inadequate in April, covered by a case
    "SC100003": (INADEQUATE, "10/02/2023"),  # -> Good in April
    "SC100004": (INADEQUATE, "11/02/2023"),  # still Inadequate
    "SC100005": RI,
}
APRIL = {
    **MARCH,
    "SC100001": (INADEQUATE, "03/04/2023"),
    "SC100002": (INADEQUATE, "04/04/2023"),
    "SC100003": (GOOD, "05/04/2023"),
}


def test_the_first_snapshot_is_a_baseline_with_one_summary_item() -> None:
    w = World()
    result = upload(w, "incoming/march.csv", MARCH)
    assert result.status == "processed"
    assert (result.queued, result.counts.homes, result.counts.rows_read) == (0, 5, 5)
    assert w.queue.sent == []
    assert w.cases.all() == []
    assert result.snapshot is not None
    assert result.snapshot.baseline
    (item,) = w.work.all()
    assert item["kind"] == BASELINE
    assert (item["inadequate"], item["inadequate_without_case"], item["urns"]) == (2, 2, ["SC100003", "SC100004"])
    assert result.work_items == 1
    (summary,) = w.snapshots.summaries()
    assert summary.figures() | {"object_key": ""} == {
        "snapshot_date": "2023-03-31",
        "date_source": "file",
        "baseline": True,
        "compared_with": None,
        "homes": 5,
        "inadequate": 2,
        "newly_inadequate": None,
        "still_inadequate": None,
        "no_longer_inadequate": None,
        "unnotified_inadequate_homes": 0,
        "object_key": "",
    }
    report = json.loads(w.files.objects[("drop", "incoming/march.csv.report.json")])
    assert report["kind"] == "ratings_snapshot"
    assert report["snapshot"]["inadequate_homes"] == ["SC100003", "SC100004"]
    assert report["cases"] == []
    assert report["rejected"] == []


def test_a_later_snapshot_raises_one_item_per_newly_inadequate_home_no_case_covers() -> None:
    w = World()
    upload(w, "incoming/march.csv", MARCH)
    covered = w.open_case(urn="SC100002")  # a provisional notification covered this home (closed since)
    w.cases.move(covered.case_id, CaseStatus.CONFIRMED, w.clock.now())
    w.clock.advance(days=30)
    result = upload(w, "incoming/april.csv", APRIL, as_at="30 April 2023")
    assert result.snapshot is not None
    assert not result.snapshot.baseline
    (item,) = items(w, UNNOTIFIED)
    assert (item["urn"], item["inspection_date"], item["snapshot_date"]) == ("SC100001", "2023-04-03", "2023-04-30")
    assert sorted(w.work.kinds()) == [BASELINE, UNNOTIFIED]  # nothing else: not the covered, not the still
    assert result.work_items == 1
    figures = result.snapshot.summary.figures()
    assert {k: figures[k] for k in ("inadequate", "newly_inadequate", "still_inadequate", "no_longer_inadequate")} == {
        "inadequate": 3,
        "newly_inadequate": 2,
        "still_inadequate": 1,
        "no_longer_inadequate": 1,
    }
    assert (figures["compared_with"], figures["unnotified_inadequate_homes"]) == ("2023-03-31", 1)
    assert w.alerts.sent[-1][1]["urns"] == ["SC100001"]


def test_the_same_snapshot_again_raises_nothing_new() -> None:
    w = World()
    upload(w, "incoming/march.csv", MARCH)
    upload(w, "incoming/april.csv", APRIL, as_at="30 April 2023")
    before = (list(w.work.all()), w.snapshots.summaries())
    again = upload(w, "incoming/april-again.csv", dict(reversed(APRIL.items())), as_at="30 April 2023")
    assert again.snapshot is not None
    assert again.snapshot.already_recorded
    assert again.work_items == 0
    assert (list(w.work.all()), w.snapshots.summaries()) == before


def test_an_undated_snapshot_is_dated_by_its_upload_and_its_repeat_is_the_same_snapshot() -> None:
    w = World()
    w.clock.set(datetime(2023, 5, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 June in London
    first = upload(w, "incoming/ratings.csv", MARCH, as_at=None)
    assert first.snapshot is not None
    assert (first.snapshot.summary.snapshot_date, first.snapshot.summary.date_source) == (date(2023, 6, 1), "upload")
    w.clock.advance(days=3)
    again = upload(w, "incoming/ratings-again.csv", MARCH, as_at=None)
    assert again.snapshot is not None
    assert again.snapshot.already_recorded
    assert len(w.snapshots.summaries()) == 1
    assert w.work.kinds() == [BASELINE]


def test_a_corrected_file_of_the_same_date_is_compared_with_the_earlier_one() -> None:
    w = World()
    upload(w, "incoming/march.csv", MARCH)
    w.clock.advance(hours=2)
    corrected = upload(w, "incoming/march-corrected.csv", {**MARCH, "SC100005": (INADEQUATE, "20/03/2023")})
    assert corrected.snapshot is not None
    summary = corrected.snapshot.summary
    assert (summary.compared_with, summary.newly_inadequate, summary.still_inadequate) == (date(2023, 3, 31), 1, 2)
    assert [i["urn"] for i in items(w, UNNOTIFIED)] == ["SC100005"]
    assert [s.fingerprint for s in w.snapshots.summaries()][-1] == summary.fingerprint  # the latest


def test_an_older_snapshot_that_comes_late_is_compared_with_the_one_before_it() -> None:
    """March, then May, then April: April compares with March and May with April; no home is raised twice."""
    w = World()
    upload(w, "incoming/march.csv", MARCH)
    may = {
        **APRIL,
        "SC100002": (GOOD, "20/05/2023"),  # Inadequate in April only
        "SC100006": (INADEQUATE, "10/05/2023"),  # new in May
    }
    upload(w, "incoming/may.csv", may, as_at="31 May 2023")
    assert [i["urn"] for i in items(w, UNNOTIFIED)] == ["SC100001", "SC100006"]  # May against March
    late = upload(w, "incoming/april.csv", APRIL, as_at="30 April 2023")
    assert late.snapshot is not None
    april = late.snapshot.summary
    assert (april.compared_with, april.newly_inadequate) == (date(2023, 3, 31), 2)
    # SC100001 was raised by May already (the same inspection): only SC100002, Inadequate in April alone, is new
    assert [i["urn"] for i in items(w, UNNOTIFIED)] == ["SC100001", "SC100002", "SC100006"]
    assert late.work_items == 1
    by_date = {s.snapshot_date: s for s in w.snapshots.summaries()}
    assert list(by_date) == [date(2023, 3, 31), date(2023, 4, 30), date(2023, 5, 31)]
    may_now = by_date[date(2023, 5, 31)]  # its figures now compare with April
    assert (may_now.compared_with, may_now.newly_inadequate, may_now.no_longer_inadequate) == (date(2023, 4, 30), 1, 1)
    assert (may_now.still_inadequate, may_now.inadequate) == (2, 3)


def test_when_the_earliest_snapshot_comes_last_the_next_one_is_compared_with_it() -> None:
    w = World()
    upload(w, "incoming/april.csv", APRIL, as_at="30 April 2023")  # a baseline: no per-home items
    assert items(w, UNNOTIFIED) == []
    upload(w, "incoming/march.csv", MARCH)  # earlier: a baseline of its own; April now compares with it
    assert [i["urn"] for i in items(w, UNNOTIFIED)] == ["SC100001", "SC100002"]
    assert len(items(w, BASELINE)) == 2
    april = w.snapshots.summaries()[-1]
    assert (april.snapshot_date, april.compared_with, april.newly_inadequate) == (
        date(2023, 4, 30),
        date(2023, 3, 31),
        2,
    )


def test_broken_rows_of_a_snapshot_are_a_work_item() -> None:
    w = World()
    result = upload(w, "incoming/march.csv", {**MARCH, "SC10000X": GOOD})
    assert result.counts.rejected == 1
    assert sorted(w.work.kinds()) == [BASELINE, "rejected_rows"]
    assert result.work_items == 2


@pytest.mark.parametrize("previous", [None, {"SC1": GOOD, "SC2": INADEQUATE, "SC3": INADEQUATE}])
def test_compare_counts(previous: dict[str, str] | None) -> None:
    def home(urn: str, rating: str) -> RatedHome:
        return RatedHome(urn, None, "Children's home", rating, date(2023, 1, 1), None)

    now = {"SC1": home("SC1", INADEQUATE), "SC2": home("SC2", INADEQUATE), "SC4": home("SC4", GOOD)}
    c = compare(now, previous)
    assert c.inadequate == {"SC1", "SC2"}
    if previous is None:
        assert c.baseline
        assert not (c.newly_inadequate)
        assert not (c.still_inadequate)
        assert not (c.no_longer_inadequate)
    else:
        assert (c.newly_inadequate, c.still_inadequate, c.no_longer_inadequate) == ({"SC1"}, {"SC2"}, {"SC3"})
    assert fingerprint(now.values()) == fingerprint(reversed(list(now.values())))
    assert fingerprint(now.values()) != fingerprint([home("SC1", GOOD), now["SC2"], now["SC4"]])
