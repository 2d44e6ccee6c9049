"""The monthly report use case on in-memory fakes: cases, answers and ratings snapshots read through the ports."""

from __future__ import annotations

from datetime import date

import pytest
from advocacy_notify.domain.case import CaseStatus
from advocacy_notify.domain.measures import MonthError
from advocacy_notify.domain.snapshot import RatedHome, Snapshot

from tests.unit.world import LEEDS, World

YORK = "E06000014"


def answered(w: World, urn: str, gss: str, la: str, answer: CaseStatus, before: bool | None, month: int = 11) -> None:
    case = w.open_case(urn=urn, gss_code=gss, la_name=la)
    w.cases.update(case.case_id, {"opened_at": f"2026-{month:02d}-03T09:00:00.000Z"})
    w.cases.move(case.case_id, answer, w.clock.now(), {"answer": answer.value, "advocacy_before_contact": before})


def snapshot(day: date, inadequate: list[str]) -> Snapshot:
    homes = {
        urn: RatedHome(urn, None, "Children's home", "Inadequate" if urn in inadequate else "Good", day, "Leeds")
        for urn in ("SC1", "SC2", "SC3")
    }
    return Snapshot(date=day, homes=homes, skipped=0, rejected=())


def world() -> World:
    w = World()
    answered(w, "SC900101", LEEDS, "Leeds", CaseStatus.CONFIRMED, True)
    answered(w, "SC900102", LEEDS, "Leeds", CaseStatus.REFERRALS_IN_PROGRESS, False)
    answered(w, "SC900103", LEEDS, "Leeds", CaseStatus.CONFIRMED, None)  # don't know
    answered(w, "SC900104", YORK, "York", CaseStatus.NO_CHILDREN_PLACED, None)
    answered(w, "SC900105", YORK, "York", CaseStatus.CONFIRMED, True, month=10)  # another month
    w.monitor()(snapshot(date(2026, 10, 31), ["SC1"]), "incoming/october.csv")
    w.clock.advance(days=1)
    w.monitor()(snapshot(date(2026, 11, 30), ["SC1", "SC2"]), "incoming/november.csv")
    return w


def test_the_rows_of_a_month_through_the_ports() -> None:
    w = world()
    rows = w.report().rows("2026-11", min_cases=2)
    by = {r["gss_code"]: r for r in rows}
    assert [r["la_name"] for r in rows] == ["Leeds", "York", "All authorities"]
    leeds, york, total = by[LEEDS], by[YORK], by["ALL"]
    assert (leeds["habitual_referral_yes"], leeds["habitual_referral_cases"]) == (1, 2)
    assert (leeds["habitual_referral_rate"], leeds["habitual_referral_dont_know"]) == ("50.0%", 1)
    assert leeds["habitual_referral_rank"] == 1  # 2 cases: enough at min_cases=2
    assert (york["habitual_referral_cases"], york["habitual_referral_comparison"]) == (0, "no cases")
    assert total["cases_opened"] == 4
    # November's snapshot on the overall row: SC2 newly Inadequate against October's
    assert (total["snapshot_date"], total["snapshot_compared_with"]) == ("2026-11-30", "2026-10-31")
    assert (total["snapshot_inadequate"], total["snapshot_newly_inadequate"], total["snapshot_still_inadequate"]) == (
        2,
        1,
        1,
    )
    assert leeds["snapshot_date"] == ""  # monitoring is not per placing authority


def test_every_case_and_the_latest_snapshot_when_no_month_is_given() -> None:
    w = world()
    total = w.report().rows(None)[-1]
    assert (total["month"], total["cases_opened"], total["habitual_referral_cases"]) == ("all", 5, 3)
    assert total["snapshot_date"] == "2026-11-30"
    october = w.report().rows("2026-10")[-1]
    assert (october["snapshot_date"], october["snapshot_newly_inadequate"]) == ("2026-10-31", "")  # a baseline
    with pytest.raises(MonthError):
        w.report().rows("2026-13")


def test_the_trend_and_the_monitoring_history() -> None:
    w = world()
    t = w.report().trend()
    assert t.months == ["2026-10", "2026-11"]
    assert [(p.yes, p.cases) for p in t.overall.points] == [(1, 1), (1, 2)]
    assert [s.snapshot_date for s in w.report().monitoring()] == [date(2026, 10, 31), date(2026, 11, 30)]
