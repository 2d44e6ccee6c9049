"""`advocacy dashboard`: the operations dashboard's figures for a local run, as text and as an HTML page.

The deployed system has a CloudWatch dashboard (template.yaml, OperationsDashboard). Offline there is
no CloudWatch, so this reads what the same figures come from:

- the JSON that `advocacy run --json` writes (cases, statuses, emails, staff work items, files);
- the EMF metric lines that the functions print (the log of the last local run, `.advocacy/lambda.log`),
  which CloudWatch would turn into the metrics the dashboard and alarms use.

`build_dashboard` is pure; `render_text` and `render_html` present its result. The page draws its bar
and line charts as inline SVG (no script, no CDN, no dependency beyond Jinja2, which the project already
uses). The habitual-referral figures and their trend over months come from the run's cases through
`advocacy_notify.domain.measures` (the monthly report's own computation); an authority's trend is charted
only with at least `min_cases` cases in the measure. The monitoring figures are the run's `monitoring`.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from advocacy_notify.domain.measures import DEFAULT_MIN_CASES, TrendLine, facts_of_cases, figures, trend
from advocacy_notify.domain.monthly_report import percent as report_percent

from . import console
from .charts import line_chart
from .console import CliError
from .options import JsonFlag, run_result

NAMESPACE = "AdvocacyNotify"  # advocacy_notify.observability.NAMESPACE (not imported: it loads Powertools)
DEFAULT_LOG = Path(".advocacy") / "lambda.log"
OPEN = ("queued", "awaiting_response", "escalated")
EMAIL_KINDS = ("initial", "reminder", "escalation")
ANSWERS = ("confirmed", "referrals_in_progress", "no_children_placed", "need_help")
FLOW = ("FilesReceived", "FilesRejected", "RowsRead", "RowsSkipped", "RowsRejected", "CasesQueued", "CasesOpened")
RESPOND_OUTCOMES = ("form", "invalid", "answered", "already_answered", "expired", "not_found", "error")
# file report counts -> the metric ingest publishes for them
FILE_COUNTS = {"rows_read": "RowsRead", "skipped": "RowsSkipped", "rejected": "RowsRejected", "queued": "CasesQueued"}
_FUNCTION = re.compile(r"^(?P<stack>.+)-(?P<logical>[A-Za-z0-9]+Function)-(?P<suffix>[A-Za-z0-9]+)$")


# ------------------------------------------------------------------------------ reading the log
def read_log(path: Path, last_run: bool = True) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """EMF metric documents and error records from a functions' log.

    The log is appended to by every run. With `last_run`, only the last run's lines are kept: a run
    deploys a new stack, so a function's physical name (`<stack>-<LogicalId>-<suffix>`) changes
    from one run to the next; a new name for a function already seen starts a new run."""
    runs: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = [([], [])]
    names: dict[str, str] = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if not isinstance(doc, dict):
                continue
            name = doc.get("function_name")
            if isinstance(name, str) and (m := _FUNCTION.match(name)):
                logical = m.group("logical")
                if names.get(logical, name) != name:
                    runs.append(([], []))
                    names = {}
                names[logical] = name
            metrics, errors = runs[-1]
            if "_aws" in doc:
                metrics.append(doc)
            elif str(doc.get("level", "")).upper() in {"ERROR", "CRITICAL"}:
                errors.append(
                    {
                        "function": _function_of(doc),
                        "error": str(doc.get("errorType") or doc.get("exception_name") or "error"),
                    }
                )
    if last_run:
        return runs[-1]
    return [m for r in runs for m in r[0]], [e for r in runs for e in r[1]]


def _function_of(doc: dict[str, Any]) -> str:
    name = doc.get("function_name")
    if isinstance(name, str) and (m := _FUNCTION.match(name)):
        return m.group("logical")
    return str(doc.get("function") or doc.get("service") or "unknown")


# ------------------------------------------------------------------------------ EMF arithmetic
def _values(raw: Any) -> list[float]:
    if isinstance(raw, list):
        return [float(v) for v in raw if isinstance(v, int | float)]
    if isinstance(raw, int | float):
        return [float(raw)]
    return []


def metric_values(metrics: Iterable[dict[str, Any]], name: str, **dimensions: str) -> list[float]:
    """Every value of metric `name` in namespace AdvocacyNotify whose dimensions include `dimensions`.

    The `service` dimension is not compared unless asked for: offline, every function shares one
    process, so it does not tell the functions apart as it does on AWS."""
    out: list[float] = []
    for doc in metrics:
        directives = doc.get("_aws", {}).get("CloudWatchMetrics", [])
        for d in directives:
            if d.get("Namespace") != NAMESPACE or name not in {m.get("Name") for m in d.get("Metrics", [])}:
                continue
            if all(str(doc.get(k)) == v for k, v in dimensions.items()):
                out.extend(_values(doc.get(name)))
            break
    return out


def metric_sum(metrics: Iterable[dict[str, Any]], name: str, **dimensions: str) -> int:
    return int(sum(metric_values(metrics, name, **dimensions)))


def _last(metrics: list[dict[str, Any]], name: str, **dimensions: str) -> int | None:
    values = metric_values(metrics, name, **dimensions)
    return int(values[-1]) if values else None


# ------------------------------------------------------------------------------ the figures
def build_dashboard(
    result: dict[str, Any],
    metrics: list[dict[str, Any]],
    errors: list[dict[str, Any]] | None = None,
    min_cases: int = DEFAULT_MIN_CASES,
) -> dict[str, Any]:
    """Pure. The dashboard's figures from a run result (may be {}) and EMF metric documents (may be []).
    Metrics are preferred where both know a figure (they are what CloudWatch would show)."""
    cases: list[dict[str, Any]] = list(result.get("cases", []))
    totals: dict[str, Any] = result.get("totals", {})
    files: list[dict[str, Any]] = list(result.get("files", []))
    have_metrics = bool(metrics)

    flow: dict[str, int | None] = dict.fromkeys(FLOW)
    if have_metrics:
        flow = {k: metric_sum(metrics, k) for k in FLOW}
    elif result:
        flow["FilesReceived"] = len(files)
        flow["FilesRejected"] = sum(1 for f in files if f.get("status") == "unreadable")
        for count, metric in FILE_COUNTS.items():
            flow[metric] = sum(int(f.get(count) or 0) for f in files)
        flow["CasesOpened"] = len(cases)

    by_kind = Counter(e.get("kind") for c in cases for e in c.get("emails", []))
    emails = (
        {k: metric_sum(metrics, "EmailsSent", kind=k) for k in EMAIL_KINDS}
        if have_metrics
        else {k: by_kind.get(k, 0) for k in EMAIL_KINDS}
    )
    answered = Counter(c.get("answer") for c in cases if c.get("answer"))
    answers = (
        {a: metric_sum(metrics, "Answers", answer=a) for a in ANSWERS}
        if have_metrics
        else {a: answered.get(a, 0) for a in ANSWERS}
    )
    statuses = Counter(str(c.get("status")) for c in cases)
    chasing = {
        "Reminders": metric_sum(metrics, "Reminders") if have_metrics else by_kind.get("reminder", 0),
        "Escalations": metric_sum(metrics, "Escalations") if have_metrics else by_kind.get("escalation", 0),
        "Unresolved": metric_sum(metrics, "Unresolved") if have_metrics else statuses.get("unresolved", 0),
    }

    gauge_open = {s: _last(metrics, "OpenCases", status=s) for s in OPEN}
    gauge_overdue = {s: _last(metrics, "OverdueCases", status=s) for s in OPEN}
    from_gauge = any(v is not None for v in gauge_open.values())
    open_by = {s: int(gauge_open[s] or 0) for s in OPEN} if from_gauge else {s: statuses.get(s, 0) for s in OPEN}
    overdue_by: dict[str, int] | None = {s: int(gauge_overdue[s] or 0) for s in OPEN} if from_gauge else None

    days = [int(v) for v in metric_values(metrics, "DaysToAnswer")] or [
        int(c["working_days_to_answer"])
        for c in cases
        if c.get("answer") and isinstance(c.get("working_days_to_answer"), int | float)
    ]
    histogram = Counter(_day_bucket(d) for d in days)
    time_to_answer = {
        "answers": len(days),
        "median": statistics.median(days) if days else None,
        "max": max(days) if days else None,
        "histogram": {b: histogram.get(b, 0) for b in _DAY_BUCKETS},
    }

    initial = emails.get("initial") or 0
    delivery = {
        "delivery_failed_cases": statuses.get("delivery_failed", 0),
        "failed_cases": statuses.get("failed", 0),
        "bounce_rate": round(statuses.get("delivery_failed", 0) / initial, 4) if initial else None,
    }
    work_by_kind: dict[str, int] = dict(totals.get("staff_work_items", {}))
    work_open = _last(metrics, "StaffWorkItemsOpen")
    errors_by_function = Counter(e.get("function", "unknown") for e in errors or [])
    return {
        "sources": {
            "run": bool(result),
            "cases": len(cases),
            "metric_documents": len(metrics),
            "open_and_overdue_from": "gauge" if from_gauge else "run",
        },
        "flow": flow,
        "emails_by_kind": emails,
        "answers_by_answer": answers,
        "chasing": chasing,
        "cases_by_status": dict(sorted(statuses.items())),
        "open_by_status": open_by,
        "overdue_by_status": overdue_by,
        "time_to_answer": time_to_answer,
        "delivery": delivery,
        "staff_work_items": {
            "open": work_open if work_open is not None else sum(work_by_kind.values()),
            "by_kind": dict(sorted(work_by_kind.items())),
        },
        "queues": {"dead_letter_messages": totals.get("dead_letter_messages")},
        "answer_pages": {o: metric_sum(metrics, f"Respond_{o}") for o in RESPOND_OUTCOMES} if have_metrics else {},
        "function_errors": dict(sorted(errors_by_function.items())),
        "habitual_referral": habitual_referral(cases, min_cases),
        "monitoring": monitoring(result.get("monitoring")),
    }


def _points(line: TrendLine) -> list[dict[str, Any]]:
    return [
        {
            "month": p.month,
            "yes": p.yes,
            "cases": p.cases,
            "rate": p.rate,
            "interval": list(p.interval) if p.interval else None,
        }
        for p in line.points
    ]


def habitual_referral(cases: list[dict[str, Any]], min_cases: int = DEFAULT_MIN_CASES) -> dict[str, Any]:
    """The run's habitual-referral figures and their trend over months (the month each case opened)."""
    facts = facts_of_cases(cases)
    overall = figures(facts)
    t = trend(facts)
    interval = overall.habitual_referral_interval
    return {
        "rate": overall.habitual_referral_rate,
        "interval": list(interval) if interval else None,
        "yes": overall.habitual_yes,
        "cases": overall.habitual_cases,
        "dont_know": overall.habitual_unknown,
        "prompt_answer_rate": overall.prompt_answer_rate,
        "min_cases": min_cases,
        "months": t.months,
        "overall": _points(t.overall),
        "authorities": [
            {
                "gss_code": line.gss_code,
                "la_name": line.la_name,
                "cases": line.cases,
                "charted": line.cases >= min_cases,
                "points": _points(line),
            }
            for line in t.authorities
        ],
    }


def monitoring(doc: Any) -> dict[str, Any]:
    """The latest ratings snapshot's figures and every snapshot's (the run's `monitoring`)."""
    if not isinstance(doc, dict) or not doc.get("snapshot_date"):
        return {"latest": None, "snapshots": []}
    return {
        "latest": {k: v for k, v in doc.items() if k != "snapshots"},
        "snapshots": list(doc.get("snapshots") or [doc]),
    }


_DAY_BUCKETS = ("0-5", "6-10", "11-15", "16-20", "21+")


def _day_bucket(days: int) -> str:
    for bucket in _DAY_BUCKETS[:-1]:
        low, high = (int(x) for x in bucket.split("-"))
        if low <= days <= high:
            return bucket
    return _DAY_BUCKETS[-1]


# ------------------------------------------------------------------------------ text
def _na(value: Any) -> Any:
    return "n/a" if value is None else value


def _line(title: str, values: dict[str, Any]) -> str:
    return f"{title}: " + ", ".join(f"{k.replace('_', ' ')} {'n/a' if v is None else v}" for k, v in values.items())


def render_text(dash: dict[str, Any]) -> str:
    t = dash["time_to_answer"]
    d = dash["delivery"]
    overdue = dash["overdue_by_status"]
    lines = [
        "advocacy-notify - operations (local run)",
        _line("Flow", dash["flow"]),
        _line("Emails sent", dash["emails_by_kind"]),
        _line("Answers", dash["answers_by_answer"]),
        _line("Chasing", dash["chasing"]),
        _line("Open cases", dash["open_by_status"]),
        _line("Overdue cases", overdue) if overdue is not None else "Overdue cases: n/a (no gauge in this run)",
        f"Time to answer: {t['answers']} answers, median {t['median'] if t['median'] is not None else 'n/a'}, "
        f"longest {t['max'] if t['max'] is not None else 'n/a'} working days",
        f"Delivery: {d['delivery_failed_cases']} cases undeliverable, {d['failed_cases']} failed, bounce rate "
        + (f"{100 * d['bounce_rate']:.1f}%" if d["bounce_rate"] is not None else "n/a"),
        _line("Cases by status", dash["cases_by_status"]) if dash["cases_by_status"] else "Cases by status: none",
        f"Staff work items: {dash['staff_work_items']['open']} "
        + (f"({_line('by kind', dash['staff_work_items']['by_kind'])})" if dash["staff_work_items"]["by_kind"] else ""),
        f"Dead-letter queue: {_na(dash['queues']['dead_letter_messages'])} messages",
        _line("Function errors", dash["function_errors"]) if dash["function_errors"] else "Function errors: none",
        _habitual_text(dash["habitual_referral"]),
        _monitoring_text(dash["monitoring"]["latest"]),
    ]
    return "\n".join(lines) + "\n"


def percent(value: float | None) -> str:
    return report_percent(value) or "n/a"


def _habitual_text(h: dict[str, Any]) -> str:
    prompt = f"prompt answers {percent(h['prompt_answer_rate'])}"
    if not h["cases"]:
        return f"Habitual referral: n/a (no answer with children placed said yes or no); {prompt}"
    low, high = h["interval"]
    return (
        f"Habitual referral: {percent(h['rate'])} of {h['cases']} answers with children placed (95% interval "
        f"{percent(low)} to {percent(high)}), {h['dont_know']} did not know; {prompt}"
    )


def _monitoring_text(latest: dict[str, Any] | None) -> str:
    if latest is None:
        return "Ratings snapshots: none"
    head = f"Ratings snapshot {latest['snapshot_date']}: {latest['inadequate']} homes rated Inadequate"
    if latest["baseline"]:
        return head + " (a baseline)"
    return (
        f"{head}; against {latest['compared_with']}: {latest['newly_inadequate']} newly, "
        f"{latest['still_inadequate']} still, {latest['no_longer_inadequate']} no longer; "
        f"{latest['unnotified_inadequate_homes']} newly Inadequate with no notification"
    )


# ------------------------------------------------------------------------------ HTML with SVG charts
def bar_chart(title: str, data: dict[str, Any], width: int = 420, bar_height: int = 22) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (the template draws it as SVG). None values count as 0."""
    label_width, gap, top = 170, 6, 8
    values = {k: float(v or 0) for k, v in data.items()}
    peak = max(values.values(), default=0.0) or 1.0
    room = width - label_width - 60
    bars = []
    for i, (label, value) in enumerate(values.items()):
        y = top + i * (bar_height + gap)
        bars.append(
            {
                "label": label.replace("_", " "),
                "value": f"{value:g}",
                "x": label_width,
                "y": y,
                "w": max(round(room * value / peak, 1), 1.0 if value else 0.0),
                "h": bar_height,
                "text_y": y + bar_height * 0.7,
            }
        )
    return {"title": title, "width": width, "height": top * 2 + len(bars) * (bar_height + gap), "bars": bars}


def render_html(dash: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader

    # autoescape everywhere: every label and value is escaped (authority names come from files)
    env = Environment(loader=PackageLoader("advocacy_offline", "static"), autoescape=True)
    t = dash["time_to_answer"]
    d = dash["delivery"]
    overdue = dash["overdue_by_status"]
    kpis = [
        {"label": "cases", "value": sum(dash["cases_by_status"].values())},
        {"label": "open", "value": sum(dash["open_by_status"].values())},
        {
            "label": "overdue",
            "value": sum(overdue.values()) if overdue is not None else "n/a",
            "alert": bool(overdue and sum(overdue.values())),
        },
        {"label": "median working days to answer", "value": t["median"] if t["median"] is not None else "n/a"},
        {"label": "undeliverable", "value": d["delivery_failed_cases"], "alert": bool(d["delivery_failed_cases"])},
        {
            "label": "staff work items",
            "value": dash["staff_work_items"]["open"],
            "alert": bool(dash["staff_work_items"]["open"]),
        },
        {
            "label": "dead-letter messages",
            "value": dash["queues"]["dead_letter_messages"]
            if dash["queues"]["dead_letter_messages"] is not None
            else "n/a",
            "alert": bool(dash["queues"]["dead_letter_messages"]),
        },
    ]
    charts = [
        bar_chart("The flow", dash["flow"]),
        bar_chart("Emails sent by kind", dash["emails_by_kind"]),
        bar_chart("Answers by answer", dash["answers_by_answer"]),
        bar_chart("Reminders, escalations, unresolved", dash["chasing"]),
        bar_chart("Open cases by status", dash["open_by_status"]),
        bar_chart("Time to answer (working days)", t["histogram"]),
        bar_chart("Cases by status", dash["cases_by_status"]),
        bar_chart("Staff work items by kind", dash["staff_work_items"]["by_kind"]),
        bar_chart("Delivery", {"undeliverable": d["delivery_failed_cases"], "failed": d["failed_cases"]}),
    ]
    if overdue is not None:
        charts.insert(5, bar_chart("Overdue cases by status", overdue))
    if dash["answer_pages"]:
        charts.append(bar_chart("Answer pages served", dash["answer_pages"]))
    if dash["function_errors"]:
        charts.append(bar_chart("Function errors", dash["function_errors"]))
    h = dash["habitual_referral"]
    kpis.insert(4, {"label": "habitual referral (answers with children placed)", "value": percent(h["rate"])})
    latest = dash["monitoring"]["latest"]
    if latest is not None:
        counts = ("inadequate", "newly_inadequate", "still_inadequate", "no_longer_inadequate")
        charts.append(
            bar_chart(
                f"Ratings snapshot of {latest['snapshot_date']}",
                {**{k: latest[k] for k in counts}, "with no notification": latest["unnotified_inadequate_homes"]},
            )
        )
    return env.get_template("dashboard.html.j2").render(
        dash=dash, kpis=kpis, charts=charts, trends=trend_charts(dash), hidden=_not_charted(h)
    )


def trend_charts(dash: dict[str, Any]) -> list[dict[str, Any]]:
    """The habitual-referral rate month by month, overall (with its 95% intervals) and for each authority with
    enough cases; the ratings snapshots' counts from one snapshot to the next."""
    h = dash["habitual_referral"]
    out = []
    if h["months"]:
        out.append(
            line_chart(
                "Habitual referral by month, all authorities (95% intervals)",
                h["months"],
                {"all authorities": [p["rate"] for p in h["overall"]]},
                y_max=1.0,
                intervals=[tuple(p["interval"]) if p["interval"] else None for p in h["overall"]],
                fmt=percent,
            )
        )
    for a in h["authorities"]:
        if a["charted"]:
            out.append(
                line_chart(
                    f"Habitual referral by month: {a['la_name']} ({a['cases']} case{'' if a['cases'] == 1 else 's'})",
                    h["months"],
                    {a["la_name"]: [p["rate"] for p in a["points"]]},
                    y_max=1.0,
                    intervals=[tuple(p["interval"]) if p["interval"] else None for p in a["points"]],
                    fmt=percent,
                )
            )
    snapshots = dash["monitoring"]["snapshots"]
    if snapshots:
        out.append(
            line_chart(
                "Ratings snapshots: Inadequate homes",
                [s["snapshot_date"] for s in snapshots],
                {
                    "Inadequate": [s["inadequate"] for s in snapshots],
                    "newly": [s["newly_inadequate"] for s in snapshots],
                    "no longer": [s["no_longer_inadequate"] for s in snapshots],
                    "with no notification": [
                        None if s["baseline"] else s["unnotified_inadequate_homes"] for s in snapshots
                    ],
                },
            )
        )
    return out


def _not_charted(h: dict[str, Any]) -> list[dict[str, Any]]:
    """The authorities with too few cases in the measure to chart or compare: their totals, in a table."""
    return [
        {"la_name": a["la_name"], "cases": a["cases"], "yes": sum(p["yes"] for p in a["points"])}
        for a in h["authorities"]
        if not a["charted"]
    ]


# ------------------------------------------------------------------------------ the command
LAST_RUN = Path(".advocacy") / "last_run.json"  # written by `advocacy run` and `advocacy demo`


def cmd_dashboard(
    run_json: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="The JSON written by advocacy run --json (default: the last local run)."),
    ] = None,
    log: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help=f"The functions' log with the EMF metric lines (default {DEFAULT_LOG})."),
    ] = None,
    whole_log: Annotated[bool, typer.Option("--whole-log", help="Every run in the log, not only the last.")] = False,
    html: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Also write the dashboard as an HTML page here.")
    ] = None,
    min_cases: Annotated[
        int,
        typer.Option(
            "--min-cases",
            min=1,
            help="Chart an authority's habitual-referral trend only with this many cases.",
        ),
    ] = DEFAULT_MIN_CASES,
    as_json: JsonFlag = False,
) -> None:
    """The operations dashboard's figures for a local run (text, JSON, and an HTML page with charts)."""
    source = run_json or (LAST_RUN if LAST_RUN.is_file() else None)
    result = run_result(source) if source else {}
    metrics: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    log_path = log or DEFAULT_LOG
    if log_path.is_file():
        metrics, errors = read_log(log_path, last_run=not whole_log)
    elif log:
        raise CliError(f"{log_path}: no such file")
    if not result and not metrics:
        raise CliError(f"nothing to show: give --run-json FILE, or run `advocacy run` first (reads {log_path})")
    dash = build_dashboard(result, metrics, errors, min_cases)
    if as_json:
        console.say_json(dash)
    else:
        console.write(render_text(dash))
    if html:
        html.write_text(render_html(dash), encoding="utf-8")
        if not as_json:
            console.say(f"Dashboard page: {html}")


def register(app: typer.Typer, panel: str | None = None) -> None:
    """Add `advocacy dashboard` to the command line."""
    app.command("dashboard", rich_help_panel=panel)(cmd_dashboard)
