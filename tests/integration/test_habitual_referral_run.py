"""Habitual referral measured on a scripted run: councils answer through the real answer pages, and the monthly
report counts only the answers with children placed that said yes or no, with the Wilson interval."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from advocacy_offline.dashboard import metric_sum, read_log
from advocacy_offline.env import OfflineEnv
from advocacy_offline.report import report_for_run, summary_lines, write_csv
from advocacy_offline.run import Runner, RunOptions, ScriptedResponse

from tests.conftest import provisional_csv
from tests.independent_stats import percent, score_bounds

LEEDS, SHEFFIELD, YORK, KENT, BRADFORD, WAKEFIELD = (
    "E08000035",
    "E08000019",
    "E06000014",
    "E10000016",
    "E08000032",
    "E08000036",
)
SCRIPT = {
    LEEDS: ScriptedResponse(respond_on_day=1, answer="confirmed", advocacy_before_contact=True),
    SHEFFIELD: ScriptedResponse(respond_on_day=2, answer="referrals_in_progress", advocacy_before_contact=False),
    YORK: ScriptedResponse(respond_on_day=0, answer="no_children_placed"),  # not asked: out of the measure
    KENT: ScriptedResponse(respond_on_day=3, answer="confirmed", advocacy_before_contact=None),  # "don't know"
    BRADFORD: ScriptedResponse(respond_on_day=9, answer="confirmed", advocacy_before_contact=True),  # after a reminder
    # Wakefield never answers
}


def test_habitual_referral_figures_of_a_scripted_run(tmp_path: Path) -> None:
    src = provisional_csv(
        tmp_path / "provisional.csv",
        [
            ("SC600001", "North House", "Leeds; Sheffield; York; Kent; Bradford; Wakefield"),
            ("SC600002", "REDACTED", "Leeds; Sheffield"),
        ],
        date="02/11/2026",
    )
    with OfflineEnv(start=date(2026, 11, 9), log_path=tmp_path / "lambda.log") as env:
        result = Runner(env, SCRIPT, RunOptions(start=date(2026, 11, 9))).run([src])

    stored = {(c["urn"], c["gss_code"]): (c["answer"], c["advocacy_before_contact"]) for c in result["cases"]}
    assert stored == {
        ("SC600001", LEEDS): ("confirmed", True),
        ("SC600002", LEEDS): ("confirmed", True),
        ("SC600001", SHEFFIELD): ("referrals_in_progress", False),
        ("SC600002", SHEFFIELD): ("referrals_in_progress", False),
        ("SC600001", YORK): ("no_children_placed", None),
        ("SC600001", KENT): ("confirmed", None),
        ("SC600001", BRADFORD): ("confirmed", True),
        ("SC600001", WAKEFIELD): (None, None),
    }

    rows = report_for_run(result, min_cases=2)
    by = {r["gss_code"]: r for r in rows}
    total = by["ALL"]
    # in the measure: Leeds yes x2, Bradford yes, Sheffield no x2; York (no children) and Kent (don't know) out
    assert (total["habitual_referral_yes"], total["habitual_referral_cases"]) == (3, 5)
    assert (total["habitual_referral_rate"], total["habitual_referral_dont_know"]) == ("60.0%", 1)
    low, high = score_bounds(3, 5)
    assert (total["habitual_referral_ci_low"], total["habitual_referral_ci_high"]) == (percent(low), percent(high))
    assert (total["cases_opened"], total["answered"], total["answer_no_children_placed"]) == (8, 7, 1)
    # the old measure counts prompt answers among all cases: Bradford answered after a reminder, Wakefield never
    assert total["prompt_answer_rate"] == percent(6 / 8)
    assert (by[YORK]["habitual_referral_cases"], by[YORK]["habitual_referral_rate"]) == (0, "")
    assert (by[KENT]["habitual_referral_cases"], by[KENT]["habitual_referral_dont_know"]) == (0, 1)
    assert (by[BRADFORD]["habitual_referral_rate"], by[BRADFORD]["prompt_answer_rate"]) == ("100.0%", "0.0%")
    # ranked only with at least 2 cases in the measure: Leeds (2 of 2) first, Sheffield (0 of 2) second
    assert (by[LEEDS]["habitual_referral_rank"], by[SHEFFIELD]["habitual_referral_rank"]) == (1, 2)
    assert (by[BRADFORD]["habitual_referral_rank"], by[BRADFORD]["habitual_referral_comparison"]) == (
        "",
        "too few cases",
    )
    # 0 of 2 is no evidence of a difference: its interval (0% to 65.8%) holds the overall 60%
    assert by[SHEFFIELD]["habitual_referral_comparison"] == "in line with overall"
    text = "\n".join(summary_lines(rows))
    assert "Habitual referral: 60.0% of 5 answers" in text
    csv_text = write_csv(rows, tmp_path / "report.csv")
    assert "habitual_referral_ci_low" in csv_text.splitlines()[0]

    # what the respond handler emitted for the CloudWatch dashboard: the counts, and a line per authority
    metrics, _errors = read_log(tmp_path / "lambda.log")
    assert metric_sum(metrics, "HabitualReferralAnswered") == 5
    assert metric_sum(metrics, "HabitualReferralYes") == 3
    with (tmp_path / "lambda.log").open(encoding="utf-8") as log:
        lines = [json.loads(line) for line in log if '"habitual referral answer"' in line]
    assert Counter((d["gss_code"], d["habitual_referral_yes"]) for d in lines) == {
        (LEEDS, 1): 2,
        (SHEFFIELD, 0): 2,
        (BRADFORD, 1): 1,
    }
    assert all("@" not in json.dumps(d) for d in lines)  # no address in the log
