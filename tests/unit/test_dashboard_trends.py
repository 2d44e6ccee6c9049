"""The HTML dashboard's trends: the habitual-referral rate month by month (overall, and per authority with enough
cases in the measure), the ratings snapshots' counts, drawn as inline SVG line charts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from advocacy_offline.charts import line_chart
from advocacy_offline.dashboard import build_dashboard, render_html, render_text

from tests.independent_stats import score_bounds

LEEDS, YORK = "E08000035", "E06000014"


def case(gss: str, name: str, month: str, answer: str | None, before: bool | None) -> dict[str, Any]:
    return {
        "case_id": f"{gss}-{month}-{answer}-{before}",
        "gss_code": gss,
        "la_name": name,
        "opened_at": f"{month}-03T09:00:00+00:00",
        "status": answer or "awaiting_response",
        "answer": answer,
        "advocacy_before_contact": before,
        "emails": [],
    }


def cases() -> list[dict[str, Any]]:
    leeds = [
        # September: 2 yes, 1 no, 1 don't know (out), 1 no children placed (out)
        case(LEEDS, "Leeds", "2026-09", "confirmed", True),
        case(LEEDS, "Leeds", "2026-09", "referrals_in_progress", True),
        case(LEEDS, "Leeds", "2026-09", "confirmed", False),
        case(LEEDS, "Leeds", "2026-09", "confirmed", None),
        case(LEEDS, "Leeds", "2026-09", "no_children_placed", None),
        # October: nothing in the measure; November: 1 yes
        case(LEEDS, "Leeds", "2026-10", None, None),
        case(LEEDS, "Leeds", "2026-11", "confirmed", True),
    ]
    york = [case(YORK, "York", "2026-11", "confirmed", False)]
    return [*leeds, *york]


SNAPSHOTS = [
    {
        "snapshot_date": "2026-09-30",
        "baseline": True,
        "compared_with": None,
        "inadequate": 63,
        "newly_inadequate": None,
        "still_inadequate": None,
        "no_longer_inadequate": None,
        "unnotified_inadequate_homes": 0,
    },
    {
        "snapshot_date": "2026-10-31",
        "baseline": False,
        "compared_with": "2026-09-30",
        "inadequate": 64,
        "newly_inadequate": 2,
        "still_inadequate": 62,
        "no_longer_inadequate": 1,
        "unnotified_inadequate_homes": 1,
    },
]


def result() -> dict[str, Any]:
    return {"cases": cases(), "monitoring": {**SNAPSHOTS[-1], "snapshots": SNAPSHOTS}}


def test_habitual_referral_by_month_overall_and_per_authority() -> None:
    h = build_dashboard(result(), [], min_cases=3)["habitual_referral"]
    assert h["months"] == ["2026-09", "2026-10", "2026-11"]  # October kept, with no figure
    assert [(p["yes"], p["cases"]) for p in h["overall"]] == [(2, 3), (0, 0), (1, 2)]
    assert [p["rate"] for p in h["overall"]] == [pytest.approx(2 / 3), None, pytest.approx(0.5)]
    assert h["overall"][0]["interval"] == pytest.approx(list(score_bounds(2, 3)), abs=1e-9)
    assert h["overall"][1]["interval"] is None
    assert (h["yes"], h["cases"], h["dont_know"]) == (3, 5, 1)
    assert h["interval"] == pytest.approx(list(score_bounds(3, 5)), abs=1e-9)
    by = {a["gss_code"]: a for a in h["authorities"]}
    assert (by[LEEDS]["cases"], by[LEEDS]["charted"]) == (4, True)
    assert (by[YORK]["cases"], by[YORK]["charted"]) == (1, False)  # below min_cases: not charted or compared


def test_html_draws_the_trends_inline_and_lists_authorities_with_too_few_cases() -> None:
    page = render_html(build_dashboard(result(), [], min_cases=3))
    assert "Habitual referral by month, all authorities" in page
    assert "Habitual referral by month: Leeds (4 cases)" in page
    assert "Habitual referral by month: York" not in page
    assert "Ratings snapshots: Inadequate homes" in page
    # October has no figure: the overall line breaks there (two segments, each a single point)
    overall = page.split("Habitual referral by month, all authorities", 2)[2].split("</svg>", 1)[0]
    assert len(re.findall(r"<polyline ", overall)) == 2
    assert overall.count("<circle ") == 2
    low, high = score_bounds(2, 3)  # the Wilson interval of 2 of 3, as a whisker
    assert f"<title>2026-09: {100 * low:.1f}% to {100 * high:.1f}%</title>" in overall
    hidden = page.split('id="hidden-title"', 1)[1].split("</table>", 1)[0]
    assert "fewer than 3 cases" in hidden
    assert "<td>York</td><td>0</td><td>1</td>" in hidden
    assert "Leeds" not in hidden
    # nothing fetched from elsewhere: no script, no external stylesheet or image
    assert "<script" not in page
    assert not re.search(r"(src|href)=\"https?:", page)


def test_text_says_the_habitual_referral_and_the_latest_snapshot() -> None:
    text = render_text(build_dashboard(result(), []))
    assert "Habitual referral: 60.0% of 5 answers with children placed (95% interval" in text
    assert "1 did not know" in text
    assert (
        "Ratings snapshot 2026-10-31: 64 homes rated Inadequate; against 2026-09-30: 2 newly, 62 still, "
        "1 no longer; 1 newly Inadequate with no notification"
    ) in text


def test_no_cases_and_no_snapshot() -> None:
    dash = build_dashboard({}, [])
    assert dash["habitual_referral"]["months"] == []
    assert dash["monitoring"] == {"latest": None, "snapshots": []}
    text = render_text(dash)
    assert "Habitual referral: n/a" in text
    assert "Ratings snapshots: none" in text
    assert "Habitual referral by month" not in render_html(dash)


def test_line_chart_geometry() -> None:
    chart = line_chart(
        "t", ["a", "b", "c", "d"], {"s": [0.0, 1.0, None, 0.5]}, y_max=1.0, intervals=[None, (0.5, 1.0), None, None]
    )
    (line,) = chart["lines"]
    assert len(line["segments"]) == 2  # broken at the gap
    ys = [p["y"] for p in line["points"]]
    assert ys[0] == chart["bottom"]  # 0 at the axis
    assert ys[1] == chart["top"]  # y_max at the top
    assert ys[2] == pytest.approx((chart["top"] + chart["bottom"]) / 2, abs=0.1)
    xs = [p["x"] for p in line["points"]]
    assert xs == sorted(xs)
    assert chart["left"] < xs[0] < xs[-1] < chart["right"]
    (whisker,) = chart["whiskers"]
    assert (whisker["x"], whisker["y1"], whisker["y2"]) == (xs[1], ys[2], chart["top"])
    assert chart["legend"] is False
    auto = line_chart("u", ["a", "b"], {"x": [3, 7], "y": [None, 2]})
    assert auto["y_ticks"][-1]["label"] == "7"
    assert auto["legend"] is True
