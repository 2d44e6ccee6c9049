"""The measures of the monthly report: the Wilson interval (against an independent computation and published
figures), who is in the habitual-referral measure, ranking only above a minimum of cases, and the trend."""

from __future__ import annotations

from typing import Any

import pytest
from advocacy_notify.domain.measures import (
    ALL,
    by_authority,
    case_facts,
    facts_of_cases,
    figures,
    habitual_referral,
    standings,
    trend,
    wilson_interval,
)
from advocacy_notify.domain.monthly_report import COLUMNS, monthly_rows

from tests.independent_stats import percent, score_bounds
from tests.unit.test_report import case as report_case


@pytest.mark.parametrize(("yes", "n"), [(0, 5), (5, 5), (3, 7), (1, 1), (12, 40), (499, 1000), (2, 3)])
def test_wilson_interval_matches_the_score_test(yes: int, n: int) -> None:
    low, high = wilson_interval(yes, n)  # type: ignore[misc]
    expected_low, expected_high = score_bounds(yes, n)
    assert low == pytest.approx(expected_low, abs=1e-9)
    assert high == pytest.approx(expected_high, abs=1e-9)
    assert 0.0 <= low <= yes / n <= high <= 1.0


@pytest.mark.parametrize(
    ("yes", "n", "published"),
    [  # Newcombe (1998), Statistics in Medicine 17:857-872, table I, method 3 (score interval)
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
    ],
)
def test_wilson_interval_matches_published_figures(yes: int, n: int, published: tuple[float, float]) -> None:
    low, high = wilson_interval(yes, n)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == published


def test_wilson_interval_needs_trials() -> None:
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


@pytest.mark.parametrize(
    ("answer", "before", "counted"),
    [
        ("confirmed", True, True),
        ("confirmed", False, False),
        ("referrals_in_progress", True, True),
        ("referrals_in_progress", False, False),
        ("confirmed", None, None),  # "don't know": out of the denominator
        ("no_children_placed", None, None),  # not asked: no children placed there
        ("need_help", None, None),
        (None, None, None),  # not answered
    ],
)
def test_who_is_in_the_habitual_referral_measure(answer: str | None, before: bool | None, counted: bool | None) -> None:
    assert habitual_referral(answer, before) is counted


def case(case_id: str, gss: str, la: str, status: str, month: str = "2026-11", **kw: Any) -> dict[str, Any]:
    """A case record opened in `month`, answered when its status is an answer."""
    answer = status if status in {"confirmed", "referrals_in_progress", "no_children_placed", "need_help"} else None
    return report_case(case_id, gss, la, status, opened=f"{month}-03T09:00:00.000Z", answer=answer, **kw)


LEEDS, YORK, KENT = "E08000035", "E06000014", "E10000016"


def test_figures_count_only_answers_with_children_placed_that_said_yes_or_no() -> None:
    cases = [
        case("1", LEEDS, "Leeds", "confirmed", advocacy_before_contact=True),
        case("2", LEEDS, "Leeds", "referrals_in_progress", advocacy_before_contact=True),
        case("3", LEEDS, "Leeds", "confirmed", advocacy_before_contact=False),
        case("4", LEEDS, "Leeds", "confirmed"),  # don't know
        case("5", LEEDS, "Leeds", "no_children_placed"),
        case("6", LEEDS, "Leeds", "need_help"),
        case("7", LEEDS, "Leeds", "awaiting_response"),
    ]
    f = figures(facts_of_cases(cases))
    assert (f.habitual_yes, f.habitual_cases, f.habitual_unknown) == (2, 3, 1)
    assert f.habitual_referral_rate == pytest.approx(2 / 3)
    assert f.habitual_referral_interval == pytest.approx(score_bounds(2, 3), abs=1e-9)
    assert (f.cases_opened, f.answered, f.still_open) == (7, 6, 1)
    assert f.prompt_answer_rate == pytest.approx(6 / 7)  # no reminders in these records


def test_the_answer_record_is_preferred_to_the_case_record() -> None:
    facts = case_facts(
        case("1", LEEDS, "Leeds", "confirmed", advocacy_before_contact=None, reminders_sent=0),
        {"case_id": "1", "answer": "confirmed", "advocacy_before_contact": True, "reminders_before_answer": 1},
    )
    assert (facts.habitual, facts.before_reminder) == (True, False)


def _group_cases(gss: str, la: str, yes: int, no: int) -> list[dict[str, Any]]:
    return [case(f"{gss}-{i}", gss, la, "confirmed", advocacy_before_contact=i < yes) for i in range(yes + no)]


def test_only_authorities_with_enough_cases_are_ranked_and_compared() -> None:
    cases = (
        _group_cases(LEEDS, "Leeds", 12, 0)  # 100% of 12
        + _group_cases(YORK, "York", 2, 10)  # 17% of 12
        + _group_cases(KENT, "Kent", 3, 0)  # 100% but only 3
    )
    groups = by_authority(facts_of_cases(cases))
    assert [g.gss_code for g in groups] == [KENT, LEEDS, YORK, ALL]
    overall = groups[-1].figures.habitual_referral_rate
    assert overall == pytest.approx(17 / 27)
    ranked = standings(groups, min_cases=10)
    assert (ranked[LEEDS].rank, ranked[LEEDS].comparison) == (1, "above overall")
    assert (ranked[YORK].rank, ranked[YORK].comparison) == (2, "below overall")
    assert (ranked[KENT].rank, ranked[KENT].comparison) == (None, "too few cases")
    lower = standings(groups, min_cases=3)  # the threshold is the caller's
    assert (lower[KENT].rank, lower[LEEDS].rank, lower[YORK].rank) == (1, 1, 3)  # equal rates share a rank
    assert lower[KENT].comparison == "in line with overall"  # 3 of 3: its interval still holds the overall rate

    rows = monthly_rows(cases, [], "2026-11", min_cases=10)
    assert set(rows[0]) == set(COLUMNS)
    by = {r["gss_code"]: r for r in rows}
    assert (by[LEEDS]["habitual_referral_rate"], by[LEEDS]["habitual_referral_cases"]) == ("100.0%", 12)
    low, high = score_bounds(12, 12)
    leeds_interval = (by[LEEDS]["habitual_referral_ci_low"], by[LEEDS]["habitual_referral_ci_high"])
    assert leeds_interval == (percent(low), percent(high))
    assert (by[KENT]["habitual_referral_rank"], by[KENT]["habitual_referral_comparison"]) == ("", "too few cases")
    assert (by[ALL]["habitual_referral_rank"], by[ALL]["habitual_referral_comparison"]) == ("", "")
    with pytest.raises(ValueError):
        standings(groups, min_cases=0)


def test_the_trend_has_every_month_overall_and_per_authority() -> None:
    cases = [
        case("a", LEEDS, "Leeds", "confirmed", month="2026-10", advocacy_before_contact=True),
        case("b", LEEDS, "Leeds", "confirmed", month="2026-10", advocacy_before_contact=False),
        case("c", YORK, "York", "confirmed", month="2026-10", advocacy_before_contact=True),
        case("d", YORK, "York", "no_children_placed", month="2026-11"),  # a month with nobody in the measure
        case("e", LEEDS, "Leeds", "referrals_in_progress", month="2027-01", advocacy_before_contact=True),
    ]
    t = trend(facts_of_cases(cases))
    assert t.months == ["2026-10", "2026-11", "2026-12", "2027-01"]
    assert [(p.yes, p.cases) for p in t.overall.points] == [(2, 3), (0, 0), (0, 0), (1, 1)]
    assert [p.rate for p in t.overall.points] == [pytest.approx(2 / 3), None, None, 1.0]
    leeds, york = t.authorities
    assert (leeds.la_name, [(p.yes, p.cases) for p in leeds.points]) == ("Leeds", [(1, 2), (0, 0), (0, 0), (1, 1)])
    assert (york.la_name, york.cases) == ("York", 1)
    assert [line.gss_code for line in t.comparable(min_cases=3)] == [LEEDS]
    assert trend([]).months == []
