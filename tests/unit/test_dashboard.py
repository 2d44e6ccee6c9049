"""The offline dashboard (figures, text, HTML), the gauge's counting, and the CloudWatch dashboard and
alarms in template.yaml: every custom metric they use must be one the functions emit, with exactly
the dimensions the functions emit (Powertools adds `service`, the function's POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline.dashboard import (
    NAMESPACE,
    bar_chart,
    build_dashboard,
    metric_sum,
    read_log,
    render_html,
    render_text,
)

PROJECT = Path(__file__).resolve().parents[2]


def emf(metrics: dict[str, float], service: str = "ingest", **dims: str) -> dict[str, Any]:
    return {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {
                    "Namespace": "AdvocacyNotify",
                    "Dimensions": [[*dims, "service"]],
                    "Metrics": [{"Name": n, "Unit": "Count"} for n in metrics],
                }
            ],
        },
        "service": service,
        **dims,
        **{k: [v] for k, v in metrics.items()},
    }


METRICS = [
    emf(
        {"FilesReceived": 1, "FilesRejected": 0, "RowsRead": 14, "RowsSkipped": 2, "RowsRejected": 1, "CasesQueued": 3}
    ),
    emf({"CasesOpened": 1}, "notify"),
    emf({"CasesOpened": 1}, "notify"),
    emf({"CasesOpened": 1}, "notify"),
    emf({"EmailsSent": 1}, "send_email", kind="initial"),
    emf({"EmailsSent": 1}, "send_email", kind="initial"),
    emf({"EmailsSent": 1}, "send_email", kind="initial"),
    emf({"EmailsSent": 1, "Reminders": 1}, "send_email", kind="reminder"),
    emf({"EmailsSent": 1, "Escalations": 1}, "send_email", kind="escalation"),
    emf({"Answers": 1, "Respond_answered": 1}, "respond", answer="confirmed"),
    emf({"DaysToAnswer": 4}, "respond"),
    emf({"Unresolved": 1, "StaffWorkItems": 1}, "close_case"),
    emf({"OpenCases": 0}, "gauge", status="queued"),
    emf({"OpenCases": 1}, "gauge", status="awaiting_response"),
    emf({"OverdueCases": 1}, "gauge", status="awaiting_response"),
    emf({"OpenCases": 0}, "gauge", status="escalated"),
    emf({"StaffWorkItemsOpen": 2}, "gauge"),
    {"level": "INFO", "message": "not a metric"},
]
RESULT = {
    "cases": [
        {
            "case_id": "a",
            "status": "confirmed",
            "answer": "confirmed",
            "working_days_to_answer": 4,
            "emails": [{"kind": "initial"}],
        },
        {
            "case_id": "b",
            "status": "unresolved",
            "answer": None,
            "emails": [{"kind": "initial"}, {"kind": "reminder"}, {"kind": "escalation"}],
        },
        {"case_id": "c", "status": "delivery_failed", "answer": None, "emails": [{"kind": "initial"}]},
    ],
    "totals": {"staff_work_items": {"unresolved": 1, "delivery_failed": 1}, "dead_letter_messages": 0},
    "files": [{"status": "processed", "rows_read": 14, "skipped": 2, "rejected": 1, "queued": 3}],
}


def test_namespace_is_the_handlers() -> None:
    from advocacy_notify.observability import NAMESPACE as HANDLERS

    assert NAMESPACE == HANDLERS


def test_figures_from_metrics_and_run() -> None:
    dash = build_dashboard(RESULT, METRICS)
    assert dash["flow"] == {
        "FilesReceived": 1,
        "FilesRejected": 0,
        "RowsRead": 14,
        "RowsSkipped": 2,
        "RowsRejected": 1,
        "CasesQueued": 3,
        "CasesOpened": 3,
    }
    assert dash["emails_by_kind"] == {"initial": 3, "reminder": 1, "escalation": 1}
    assert dash["answers_by_answer"]["confirmed"] == 1
    assert dash["chasing"] == {"Reminders": 1, "Escalations": 1, "Unresolved": 1}
    assert dash["open_by_status"] == {"queued": 0, "awaiting_response": 1, "escalated": 0}
    assert dash["overdue_by_status"] == {"queued": 0, "awaiting_response": 1, "escalated": 0}
    assert dash["sources"]["open_and_overdue_from"] == "gauge"
    assert dash["time_to_answer"]["median"] == 4
    assert dash["delivery"]["delivery_failed_cases"] == 1
    assert dash["delivery"]["bounce_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert dash["staff_work_items"]["open"] == 2
    assert dash["queues"]["dead_letter_messages"] == 0
    assert metric_sum(METRICS, "EmailsSent", kind="initial", service="send_email") == 3


def test_figures_from_the_run_alone() -> None:
    dash = build_dashboard(RESULT, [])
    assert dash["flow"]["RowsRead"] == 14
    assert dash["flow"]["CasesOpened"] == 3
    assert dash["emails_by_kind"] == {"initial": 3, "reminder": 1, "escalation": 1}
    assert dash["chasing"]["Unresolved"] == 1
    assert dash["overdue_by_status"] is None  # only the gauge knows
    assert dash["staff_work_items"]["open"] == 2
    text = render_text(dash)
    assert "Overdue cases: n/a" in text
    assert "initial 3" in text


def test_empty_inputs_do_not_fail() -> None:
    dash = build_dashboard({}, [])
    assert "n/a" in render_text(dash)
    assert "<svg" in render_html(dash)


def test_html_escapes_and_draws_bars() -> None:
    result = json.loads(json.dumps(RESULT))
    result["totals"]["staff_work_items"] = {"<script>alert(1)</script>": 3}
    page = render_html(build_dashboard(result, METRICS))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert page.count("<svg") >= 9
    assert "<rect" in page


def test_bar_chart_geometry() -> None:
    chart = bar_chart("t", {"a": 10, "b": 5, "c": 0, "d": None})
    widths = [b["w"] for b in chart["bars"]]
    assert widths[0] == 2 * widths[1]
    assert widths[2] == widths[3] == 0


def test_read_log_keeps_the_last_run(tmp_path: Path) -> None:
    def logline(name: str) -> str:
        return json.dumps({"level": "INFO", "message": "x", "function_name": name})

    log = tmp_path / "lambda.log"
    lines = [
        logline("advocacy-local-IngestFunction-AAAA"),
        json.dumps(emf({"FilesReceived": 1})),
        logline("advocacy-local-NotifyFunction-BBBB"),
        json.dumps(emf({"CasesOpened": 1}, "notify")),
        "not json",
        logline("advocacy-local-IngestFunction-CCCC"),  # a new stack: a new run
        json.dumps(emf({"FilesReceived": 1})),
        json.dumps(emf({"FilesReceived": 1})),
        json.dumps({"level": "ERROR", "function": "notify", "errorType": "Boom"}),
    ]
    log.write_text("\n".join(lines) + "\n")
    metrics, errors = read_log(log)
    assert metric_sum(metrics, "FilesReceived") == 2
    assert metric_sum(metrics, "CasesOpened") == 0
    assert errors == [{"function": "notify", "error": "Boom"}]
    everything, _ = read_log(log, last_run=False)
    assert metric_sum(everything, "FilesReceived") == 3


def test_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advocacy_offline.cli import main

    run_json = tmp_path / "run.json"
    run_json.write_text(json.dumps(RESULT))
    log = tmp_path / "lambda.log"
    log.write_text("\n".join(json.dumps(m) for m in METRICS) + "\n")
    html = tmp_path / "dash.html"
    assert main(["dashboard", "--run-json", str(run_json), "--log", str(log), "--html", str(html)]) == 0
    assert "Emails sent: initial 3" in capsys.readouterr().out
    assert html.read_text().startswith("<!doctype html>")
    assert main(["dashboard", "--log", str(tmp_path / "missing.log")]) == 2


# ------------------------------------------------------------------------------ the gauge
def test_gauge_counts_open_and_overdue() -> None:
    from advocacy_notify.logic.gauge import count

    today = date(2026, 12, 10)
    cases = [
        {"status": "awaiting_response", "reply_by": "2026-12-09"},  # overdue
        {"status": "awaiting_response", "reply_by": "2026-12-10"},  # due today: not yet
        {"status": "escalated", "reply_by": "2026-11-30"},  # overdue
        {"status": "queued"},  # no reply-by yet
        {"status": "confirmed", "reply_by": "2026-11-01"},  # answered: not open
    ]
    work = [{"kind": "unknown_authority", "state": "open"}, {"kind": "need_help", "state": "done"}]
    g = count(cases, work, today)
    assert g.open_by_status == {"awaiting_response": 2, "escalated": 1, "queued": 1}
    assert g.overdue_by_status == {"awaiting_response": 1, "escalated": 1, "queued": 0}
    assert g.work_items_open == 1
    assert g.work_items_by_kind == {"unknown_authority": 1}


def _gauge_emf(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Run the real gauge handler (its use case given by wiring, counting fixed cases) and read the EMF it prints."""
    import importlib.util
    from types import SimpleNamespace

    from advocacy_notify import wiring
    from advocacy_notify.logic import gauge as gauge_logic

    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "gauge")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    fake = gauge_logic.count(
        [{"status": "awaiting_response", "reply_by": "2026-01-01"}], [{"kind": "x", "state": "open"}], date(2026, 2, 1)
    )
    services = SimpleNamespace(gauge=lambda: fake)
    provided = wiring.provide(lambda _settings_class: services)  # type: ignore[arg-type,return-value]
    provided.__enter__()
    spec = importlib.util.spec_from_file_location("gauge_app_under_test", PROJECT / "functions" / "gauge" / "app.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from advocacy_notify.observability import metrics

    monkeypatch.setattr(metrics, "service", "gauge")

    class Ctx:
        function_name = "advocacy-GaugeFunction-X"
        memory_limit_in_mb = 128
        invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:x"
        aws_request_id = "r"

    out = io.StringIO()
    try:
        with redirect_stdout(out):
            module.handler({}, Ctx())
    finally:
        provided.__exit__(None, None, None)
    return [json.loads(line) for line in out.getvalue().splitlines() if '"_aws"' in line]


def test_gauge_handler_emits_by_status(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _gauge_emf(monkeypatch)
    assert metric_sum(docs, "OpenCases", status="awaiting_response", service="gauge") == 1
    assert metric_sum(docs, "OverdueCases", status="awaiting_response", service="gauge") == 1
    assert metric_sum(docs, "StaffWorkItemsOpen", service="gauge") == 1
    dims = {
        (m["Name"], tuple(sorted(d)))
        for doc in docs
        for cw in doc["_aws"]["CloudWatchMetrics"]
        for m in cw["Metrics"]
        for d in cw["Dimensions"]
    }
    assert ("OpenCases", ("service", "status")) in dims
    assert ("StaffWorkItemsOpen", ("service",)) in dims


# ------------------------------------------------------------------------------ template.yaml
# Every custom metric a function emits: name -> (service, the other dimensions). See docs/operations.md.
EMITTED: dict[str, set[tuple[str, tuple[str, ...]]]] = {
    **{
        m: {("ingest", ())}
        for m in ("FilesReceived", "FilesRejected", "RowsRead", "RowsSkipped", "RowsRejected", "CasesQueued")
    },
    "StaffWorkItems": {("ingest", ()), ("close_case", ())},
    "RatingsJoinedOpenCases": {("ingest", ())},
    "CasesOpened": {("notify", ())},
    "DuplicateStarts": {("notify", ())},
    "CaseMessagesDeadLettered": {("notify", ())},
    "EmailsSent": {("send_email", ("kind",))},
    "EmailsUncertain": {("send_email", ())},
    "Reminders": {("send_email", ("kind",))},
    "Escalations": {("send_email", ("kind",))},
    "Answers": {("respond", ("answer",))},
    "Respond_answered": {("respond", ("answer",))},
    "DaysToAnswer": {("respond", ())},
    **{
        f"Respond_{o}": {("respond", ())}
        for o in ("form", "invalid", "already_answered", "expired", "not_found", "error")
    },
    "Unresolved": {("close_case", ())},
    "WorkflowFailures": {("close_case", ())},
    "TechnicalFailures": {("close_case", ())},
    **{
        m: {("delivery_events", ())}
        for m in ("DeliveryFailures", "Complaints", "ContactsToFix", "CasesWaitingForStaff")
    },
    "OpenCases": {("gauge", ("status",))},
    "OverdueCases": {("gauge", ("status",))},
    "WaitingCases": {("gauge", ("status",))},
    "StaffWorkItemsOpen": {("gauge", ())},
    "HabitualReferralAnswered": {("respond", ())},
    "HabitualReferralYes": {("respond", ())},
    **{
        m: {("ingest", ())}
        for m in (
            "RatingsSnapshots",
            "InadequateHomes",
            "NewlyInadequateHomes",
            "StillInadequateHomes",
            "NoLongerInadequateHomes",
            "UnnotifiedInadequateHomes",
        )
    },
    **{
        f"Reconciler{m}": {("reconcile", ())}
        for m in ("Requeued", "EffectsDelivered", "EffectsFailing", "EmailsUncertain", "WorkflowsFailed")
    },
}


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    from advocacy_offline.template import load_sam

    return load_sam()


def _dashboard_metrics(sam: dict[str, Any]) -> list[list[Any]]:
    """Every metric of the dashboard's widgets (metric math expressions aside: see the test of those)."""
    out = []
    for w in _widgets(sam):
        out += [m for m in w.get("properties", {}).get("metrics", []) if not isinstance(m[0], dict)]
    return out


def _widgets(sam: dict[str, Any]) -> list[dict[str, Any]]:
    body = sam["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return list(json.loads(re.sub(r"\$\{[^}]+\}", "X", body))["widgets"])


def test_services_are_the_functions_service_names(sam: dict[str, Any]) -> None:
    names = {
        r["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for r in sam["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert {s for uses in EMITTED.values() for s, _ in uses} <= names


def test_dashboard_uses_emitted_metrics_with_their_dimensions(sam: dict[str, Any]) -> None:
    seen = set()
    for m in _dashboard_metrics(sam):
        parts = [p for p in m if not isinstance(p, dict)]
        if parts[0] != "AdvocacyNotify":
            continue
        name, dims = parts[1], dict(zip(parts[2::2], parts[3::2], strict=True))
        assert "service" in dims, f"{name}: Powertools always adds the service dimension"
        shape = (dims["service"], tuple(sorted(k for k in dims if k != "service")))
        assert shape in EMITTED.get(name, set()), f"{name} {dims} is not what the functions emit"
        seen.add(name)
    wanted = {
        "FilesReceived",
        "FilesRejected",
        "RowsRead",
        "RowsSkipped",
        "RowsRejected",
        "CasesQueued",
        "CasesOpened",
        "EmailsSent",
        "Answers",
        "Reminders",
        "Escalations",
        "Unresolved",
        "OpenCases",
        "OverdueCases",
        "DaysToAnswer",
        "DeliveryFailures",
        "StaffWorkItemsOpen",
        "HabitualReferralAnswered",
        "HabitualReferralYes",
        "InadequateHomes",
        "NewlyInadequateHomes",
        "UnnotifiedInadequateHomes",
    }
    assert wanted <= seen


def test_dashboard_expressions_use_metrics_of_their_widget(sam: dict[str, Any]) -> None:
    """Metric math (the habitual-referral rate, yes / answered) names metrics of its own widget by their ids."""
    expressions = 0
    for widget in _widgets(sam):
        metrics = widget.get("properties", {}).get("metrics", [])
        ids = {p["id"] for m in metrics for p in m if isinstance(p, dict) and "id" in p and "expression" not in p}
        for m in metrics:
            for p in m:
                if isinstance(p, dict) and "expression" in p:
                    expressions += 1
                    names = set(re.findall(r"[a-z][a-z0-9_]*", p["expression"]))
                    assert names, p["expression"]
                    assert names <= ids, f"{p['expression']} names metrics not in its widget ({ids})"
    assert expressions >= 1


def test_the_habitual_referral_by_authority_widget_reads_what_respond_logs(sam: dict[str, Any]) -> None:
    """The Logs Insights widget filters on the respond handler's log message and sums its field."""
    query = next(w for w in _widgets(sam) if w["type"] == "log")["properties"]["query"]
    source = (PROJECT / "functions" / "respond" / "app.py").read_text(encoding="utf-8")
    message = re.search(r"message = '([^']+)'", query)
    assert message
    assert f'"{message.group(1)}"' in source
    assert "habitual_referral_yes" in query
    assert '"habitual_referral_yes"' in source
    assert "by gss_code, bin(1mo)" in query


def test_dashboard_covers_functions_queues_state_machine_and_ses(sam: dict[str, Any]) -> None:
    metrics = _dashboard_metrics(sam)
    namespaces = {(m[0], m[1]) for m in metrics}
    functions = [k for k, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    for metric in ("Errors", "Throttles", "Duration"):
        assert sum(1 for m in metrics if m[:2] == ["AWS/Lambda", metric]) == len(functions)
    for metric in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"):
        assert ("AWS/SQS", metric) in namespaces
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
        assert ("AWS/States", metric) in namespaces
    assert ("AWS/SES", "Reputation.BounceRate") in namespaces
    assert ("AWS/SES", "Reputation.ComplaintRate") in namespaces


def test_alarms_go_to_staff_and_use_emitted_metrics(sam: dict[str, Any]) -> None:
    alarms = {k: r["Properties"] for k, r in sam["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert {
        "DeadLetterQueueNotEmptyAlarm",
        "FunctionErrorsAlarm",
        "ExecutionsFailedAlarm",
        "BounceRateHighAlarm",
        "FileRejectedAlarm",
        "StaffWorkItemsWaitingAlarm",
    } <= set(alarms)
    for name, props in alarms.items():
        assert props["AlarmActions"] == [{"Ref": "AlertTopic"}], name
        assert props["TreatMissingData"] == "notBreaching", name
        if props.get("Namespace") == "AdvocacyNotify":
            dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
            shape = (dims["service"], tuple(sorted(k for k in dims if k != "service")))
            assert shape in EMITTED[props["MetricName"]], name
        # the dashboard's alarm widget names each alarm by its AlarmName
        assert props["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), name
    errors = alarms["FunctionErrorsAlarm"]["Metrics"]
    functions = {r for r, v in sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"] for m in errors if "MetricStat" in m}
    assert watched == functions
    assert alarms["BounceRateHighAlarm"]["Threshold"] == 0.05
