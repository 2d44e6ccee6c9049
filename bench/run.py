"""`make bench`: throughput, memory, cold starts, the offline workflow and the AWS cost per case.

Writes bench/results.json and docs/performance.md (bench/templates/performance.md.j2, filled by
``render``). Every figure is measured in this run on this machine; docs/performance.md explains each
one, says which miss their aim and why.

    .venv/bin/python bench/run.py            # everything (about 6-8 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # smaller repeats (and a 50-case full chase), for trying it out

Phases, in order (each in isolation, nothing else running):
1. generate the synthetic files (bench/gen.py) under bench/data/;
2. ingest throughput: the domain path (read, filter, validate, resolve, build case messages) on the
   100k CSV and XLSX against a bare csv.reader pass over the same bytes, rounds interleaved;
3. cold imports: each functions/<name>/app.py in a fresh interpreter, against a bare
   boto3 + pydantic + Powertools baseline;
4. ingest peak RSS: the real ingest use case (``Services.ingest``) in a fresh subprocess per file size;
5. the offline workflow: 1,000 cases from upload to the first email (OfflineEnv, moto), with every
   AWS request, Lambda invocation and state transition counted for the cost model;
6. the full chase (issue 9): 200 cases that nobody answers (800 emails) through the twin's Runner, every
   email checked, wall time against the CPU spent (by layer, and the handlers' own).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bench import gen  # noqa: E402

DATA = PROJECT / "bench" / "data"
RESULTS = PROJECT / "bench" / "results.json"
DOC = PROJECT / "docs" / "performance.md"
REGION = "eu-west-2"
T = TypeVar("T")

# Aims from the issue
AIM_INGEST_RATIO = 0.25
AIM_RSS_GROWTH = 1.3
AIM_SQS_CALLS_PER_CASE = 0.1
AIM_COLD_IMPORT_RATIO = 1.5

# Lambda memory from template.yaml (Globals: 512 MB; IngestFunction: 1024 MB)
LAMBDA_MEMORY_MB = {"ingest": 1024}
LAMBDA_MEMORY_DEFAULT_MB = 512

# Published on-demand prices, eu-west-2 (London), USD, as assumed on 2026-11-24 (see docs/performance.md)
PRICES = {
    "stepfunctions_standard_per_transition": 0.025 / 1000,
    "lambda_arm64_per_gb_s": 0.0000133334,
    "lambda_per_request": 0.20 / 1_000_000,
    "sqs_fifo_per_request": 0.50 / 1_000_000,
    "ses_per_email": 0.10 / 1000,  # per recipient
    # DynamoDB on-demand London before the 1 Nov 2024 cut was $1.4135/M WRU and $0.283/M RRU;
    # on-demand throughput was halved in every region then.
    "dynamodb_per_wru": 1.4135 / 2 / 1_000_000,
    "dynamodb_per_rru": 0.283 / 2 / 1_000_000,
}
PRICE_DATE = "2026-11-24"

LAMBDA_ENV = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "advocacy-bench",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "AdvocacyNotify",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "RETENTION_DAYS": "400",
    "CASES_TABLE": "bench-cases",
    "LINKS_TABLE": "bench-links",
    "ANSWERS_TABLE": "bench-answers",
    "DIRECTORY_TABLE": "bench-directory",
    "WORK_TABLE": "bench-work",
    "IDEMPOTENCY_TABLE": "bench-idempotency",
    "CASE_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/bench-cases.fifo",
    "STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:123456789012:stateMachine:bench",
    "ALERT_TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:bench-alerts",
    "LINK_SECRET_ID": "bench-link-secret",
    "SENDER_EMAIL": "advocacy@notify.example",
    # what every function of the template gets besides (each settings class checks its own at cold start)
    "RATINGS_TABLE": "bench-ratings",
    "SEND_RATE_TABLE": "bench-send-rate",
    "CASE_DEAD_LETTER_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/bench-cases-dlq.fifo",
    "DROP_BUCKET": "bench-drop",
    "HELP_AT_HAND_EMAIL": "help.at.hand@childrenscommissioner.gov.uk",
    "HELP_AT_HAND_PHONE": "0800 528 0731",
    "REMINDER_WORKING_DAYS": "5,10",
    "ESCALATION_WORKING_DAYS": "15",
    "FINAL_WORKING_DAYS": "20",
    "SES_CONFIGURATION_SET": "bench-config-set",
    "PUBLIC_BASE_URL": "https://respond.example",
    "MAX_SEND_RATE": "14",
}


_OUT = sys.stdout  # bound at import: the offline functions' stdout is redirected while they run


def log(msg: str) -> None:
    _OUT.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    _OUT.flush()


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def _proc_status_mb(field: str) -> float:
    """One kB figure of /proc/self/status (``VmRSS``, ``VmHWM``), in MB; 0 where there is none."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_now_mb() -> float:
    return _proc_status_mb("VmRSS")


def peak_rss_mb() -> float:
    """This process's peak RSS: ``getrusage(RUSAGE_SELF).ru_maxrss`` (kB on Linux).

    Linux carries the parent's high-water mark into a child started with vfork/posix_spawn + exec (as
    subprocess does), so the measuring processes are started by a small runner process that was
    itself started before this bench grew (see RssRunner). VmHWM (the high-water mark of the
    process's own address space) is recorded too, as a check."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def vm_hwm_mb() -> float:
    return _proc_status_mb("VmHWM")


# ================================================================================== machine


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kb = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    import boto3
    import moto
    import pydantic
    import python_calamine  # noqa: F401
    from aws_lambda_powertools import __version__ as powertools_version

    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "boto3": boto3.__version__,
        "moto": moto.__version__,
        "pydantic": pydantic.VERSION,
        "aws_lambda_powertools": powertools_version,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ================================================================================== throughput


def _baseline_csv(data: bytes) -> int:
    """The floor: decode the bytes and split them into rows with csv.reader, nothing else."""
    n = 0
    for _row in csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")):
        n += 1
    return n


def _baseline_xlsx(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    n = 0
    for _row in CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).iter_rows():
        n += 1
    return n


def _ingest_domain(data: bytes | Path, filename: str, *, full: bool = False) -> dict[str, int]:
    """What ingest does with a file before any AWS call: parse, filter, validate and resolve
    (open_ofsted + process with the default directory), consume every outcome, and build one
    CaseMessage per case as the Ingest use case does. With ``full``, also what ingest then does per case
    and per outcome on the CPU: the DynamoDB document and SQS body of each case, and the report lines."""
    from advocacy_notify.domain.authorities import AuthorityDirectory
    from advocacy_notify.domain.ofsted import open_ofsted
    from advocacy_notify.domain.pipeline import Counts, HomeOut, case_message, process

    directory = AuthorityDirectory.default()
    counts = Counts()
    messages = 0
    writer = None
    if full:
        from advocacy_notify.logic.ingest_report import ReportWriter

        writer = ReportWriter()
    try:
        source = data if isinstance(data, Path) else io.BytesIO(data)
        with open_ofsted(source, filename) as file:
            for outcome in process(file, directory):
                counts.add(outcome)
                if writer is not None:
                    writer.add(outcome)
                if isinstance(outcome, HomeOut):
                    for case in outcome.cases:
                        la = directory.by_gss(case.gss_code)
                        msg = case_message(outcome.home, case, la.name if la else case.gss_code, "bucket", filename)
                        messages += 1
                        if full:
                            msg.model_dump(mode="json")
                            msg.model_dump_json()
        if writer is not None:
            for _chunk in writer.chunks({"file": filename}):
                pass
    finally:
        if writer is not None:
            writer.close()
    return {
        "rows_read": counts.rows_read,
        "homes": counts.homes,
        "cases": counts.cases,
        "skipped": counts.skipped,
        "rejected": counts.rejected,
        "messages": messages,
    }


def throughput(files: dict[str, Any], rounds: int) -> dict[str, Any]:
    csv_path = DATA / "provisional_100k.csv"
    xlsx_path = DATA / "provisional_100k.xlsx"
    csv_bytes = csv_path.read_bytes()
    xlsx_bytes = xlsx_path.read_bytes()
    expected = files["provisional_100k.csv"]
    rows = expected["rows"]

    kinds = {
        "csv_baseline": lambda: _baseline_csv(csv_bytes),
        "ingest_csv": lambda: _ingest_domain(csv_bytes, csv_path.name),
        "ingest_xlsx": lambda: _ingest_domain(xlsx_bytes, xlsx_path.name),
        "xlsx_baseline": lambda: _baseline_xlsx(xlsx_bytes),
        "ingest_csv_full": lambda: _ingest_domain(csv_bytes, csv_path.name, full=True),
    }
    times: dict[str, list[float]] = defaultdict(list)
    outputs: dict[str, Any] = {}
    for r in range(rounds):
        for kind, fn in kinds.items():
            started = time.perf_counter()
            out = fn()
            times[kind].append(time.perf_counter() - started)
            outputs[kind] = out
        log(f"throughput round {r + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()))

    for kind in ("ingest_csv", "ingest_xlsx", "ingest_csv_full"):  # the benchmark did the real work
        out = outputs[kind]
        assert out["rows_read"] == rows, (kind, out)
        assert out["cases"] == out["messages"] == expected["expected_cases"], (kind, out, expected)
        assert out["rejected"] == expected["rejected"], (kind, out)
    assert outputs["csv_baseline"] == rows + 3  # title rows and header
    rate = {k: rows / median(v) for k, v in times.items()}
    return {
        "file_rows": rows,
        "file_cases": expected["expected_cases"],
        "csv_bytes": len(csv_bytes),
        "xlsx_bytes": len(xlsx_bytes),
        "rounds": rounds,
        "seconds": {k: [round(x, 4) for x in v] for k, v in times.items()},
        "ingest_rows_per_s": round(rate["ingest_csv"]),
        "csv_baseline_rows_per_s": round(rate["csv_baseline"]),
        "ingest_vs_baseline_ratio": round(rate["ingest_csv"] / rate["csv_baseline"], 4),
        "ingest_xlsx_rows_per_s": round(rate["ingest_xlsx"]),
        "xlsx_baseline_rows_per_s": round(rate["xlsx_baseline"]),
        "ingest_full_cpu_rows_per_s": round(rate["ingest_csv_full"]),
        "ingest_cases_per_s": round(expected["expected_cases"] / median(times["ingest_csv"])),
    }


PROFILE_STAGES = (
    # (label, file suffix, function, "cum" or "own")
    (
        "reading rows into outcomes: OfstedFile._rows_csv (decoding, csv, per-row checks)",
        "domain/ofsted/reader.py",
        "_rows_csv",
        "cum",
    ),
    ("  of which per-row checks: RowRules.evaluate", "domain/ofsted/rules.py", "evaluate", "cum"),
    ("grouping rows into homes: pipeline.process (own time)", "domain/pipeline.py", "process", "own"),
    ("homes and cases: pipeline._merge", "domain/pipeline.py", "_merge", "cum"),
    ("  of which resolving names: AuthorityDirectory.resolve", "domain/authorities.py", "resolve", "cum"),
    ("  of which case ids: case.case_id_for", "domain/case.py", "case_id_for", "cum"),
    ("  of which the Home model: Home.model_construct", "pydantic/main.py", "model_construct", "cum"),
    ("case messages: pipeline.case_message (CaseMessage validation)", "domain/pipeline.py", "case_message", "cum"),
    ("authority lookup for messages: AuthorityDirectory.by_gss", "domain/authorities.py", "by_gss", "cum"),
    ("counting outcomes: pipeline.Counts.add", "domain/pipeline.py", "add", "cum"),
)


def profile_ingest() -> dict[str, Any]:
    """Where the ingest path spends its time on the 100k CSV (cProfile: about 2x slower, but the
    shares hold). Stages are cumulative times of the functions named; "own" excludes callees."""
    import cProfile
    import pstats

    data = (DATA / "provisional_100k.csv").read_bytes()
    prof = cProfile.Profile()
    prof.enable()
    _ingest_domain(data, "provisional_100k.csv")
    prof.disable()
    raw: dict[Any, Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    stages = []
    for label, suffix, func, kind in PROFILE_STAGES:
        seconds = sum(
            (v[2] if kind == "own" else v[3])
            for (filename, _line, name), v in raw.items()
            if name == func and filename.endswith(suffix)
        )
        stages.append({"stage": label, "share": round(seconds / total, 3)})
    top = sorted(((v[2], f"{_short(k[0])}:{k[1]}({k[2]})") for k, v in raw.items()), reverse=True)[:12]
    return {
        "total_s": round(total, 3),
        "stages": stages,
        "top_functions": [{"function": f, "share": round(t / total, 3)} for t, f in top],
    }


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/shared/", "/lib/python3.11/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# ================================================================================== cold imports

IMPORT_HANDLER = """
import importlib.util, sys, time
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
print((time.perf_counter() - t) * 1000)
"""
IMPORT_BASELINE = """
import time
t = time.perf_counter()
import boto3, pydantic
from aws_lambda_powertools import Logger, Metrics, Tracer
Logger(); Metrics(namespace='x'); Tracer()
print((time.perf_counter() - t) * 1000)
"""


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "MOTO_"))}
    env.update(LAMBDA_ENV)
    env.update(extra or {})
    return env


def cold_imports(processes: int) -> dict[str, Any]:
    handlers = sorted(p.parent.name for p in (PROJECT / "functions").glob("*/app.py"))
    targets = {"baseline": IMPORT_BASELINE} | {
        h: IMPORT_HANDLER.format(path=str(PROJECT / "functions" / h / "app.py")) for h in handlers
    }
    samples: dict[str, list[float]] = defaultdict(list)
    # one discarded round first (every target alike: page cache, bytecode), then round-robin rounds,
    # so drift affects every target alike
    for i in range(processes + 1):
        for name, code in targets.items():
            ms = _import_ms(code, name)
            if i:
                samples[name].append(ms)
        log(f"cold imports round {i}/{processes}" + (" (warm-up, discarded)" if not i else ""))
    base = median(samples["baseline"])
    per = {h: round(median(samples[h]), 1) for h in handlers}
    ratio = {h: round(per[h] / base, 3) for h in handlers}
    misses = [h for h in handlers if ratio[h] > AIM_COLD_IMPORT_RATIO]
    slowest = max(handlers, key=lambda h: per[h])
    # The handlers import boto3 lazily (adapters/aws.py), so the import above leaves it out; the
    # first AWS call of the first invocation pays it. For context: the slowest handler plus boto3.
    with_boto3 = IMPORT_HANDLER.format(path=str(PROJECT / "functions" / slowest / "app.py")).replace(
        "spec.loader.exec_module(module)\n", "spec.loader.exec_module(module)\nimport boto3\n"
    )
    plus_boto3 = [_import_ms(with_boto3, slowest) for _ in range(processes)]
    importtime = {h: _importtime(targets[h], h) for h in dict.fromkeys([*misses, slowest])}
    importtime["baseline"] = _importtime(IMPORT_BASELINE, "baseline")
    return {
        "processes": processes,
        "cold_import_ms": per,
        "cold_import_baseline_ms": round(base, 1),
        "cold_import_ratio": ratio,
        "samples_ms": {k: [round(x, 1) for x in v] for k, v in samples.items()},
        "misses": misses,
        "slowest": slowest,
        "slowest_with_boto3_ms": round(median(plus_boto3), 1),
        "slowest_with_boto3_ratio": round(median(plus_boto3) / base, 3),
        "importtime": importtime,
    }


def _import_ms(code: str, name: str) -> float:
    """Run one IMPORT_* snippet in a fresh interpreter (Powertools service ``name``); the ms it printed."""
    env = _child_env({"POWERTOOLS_SERVICE_NAME": name})
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _importtime(code: str, name: str) -> dict[str, Any]:
    """python -X importtime for one handler: the modules that cost most (cumulative and self)."""
    env = _child_env({"POWERTOOLS_SERVICE_NAME": name})
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    entries = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, rest = line.split(":", 1)
        self_us, cum_us, raw = rest.split("|", 2)
        depth = (len(raw) - len(raw.lstrip()) - 1) // 2  # two spaces per level of nesting
        entries.append((int(self_us), int(cum_us), raw.strip(), depth))
    top_level: Counter[str] = Counter()  # what the handler file (or the baseline) imports itself
    for _self, cum, module, depth in entries:
        if depth == 0:
            top_level[module] += cum
    project = [(cum, m) for _s, cum, m, _d in entries if m.startswith("advocacy_notify")]
    return {
        "total_ms": round(sum(e[0] for e in entries) / 1000, 1),
        "top_packages_ms": {k: round(v / 1000, 1) for k, v in top_level.most_common(8)},
        "top_self_ms": {m: round(s / 1000, 1) for s, _c, m, _d in sorted(entries, reverse=True)[:8]},
        "project_modules_ms": {m: round(c / 1000, 1) for c, m in sorted(project, reverse=True)[:8]},
    }


# ================================================================================== peak RSS (child)


class _Body:
    """What botocore reads a response body from (urllib3's stream() and read())."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, amt: int | None = None) -> bytes:
        data: bytes = self._stream.read(-1 if amt is None else amt)
        return data

    def stream(self, amt: int = 65536, decode_content: bool | None = None) -> Any:
        while chunk := self.read(amt):
            yield chunk

    def close(self) -> None:
        self._stream.close()


def install_null_aws(events: Any, source: Path) -> dict[str, int]:
    """Answer ingest's AWS requests in-process at botocore's transport layer (the ``before-send``
    hook, the same one moto uses), keeping nothing: GetObject streams the file from disk as S3's
    socket would, PutObject reads the report body and drops it, PutItem, UpdateItem, TransactWriteItems,
    SendMessageBatch and Publish succeed. The whole botocore client path runs (validation,
    serialisation, signing, parsing); only the service is absent, so the process's memory is the
    ingest path's own."""
    from botocore.awsrequest import AWSResponse

    dropped = {"report_bytes": 0}

    def respond(request: Any, status: int, body: bytes, headers: dict[str, str]) -> Any:
        return AWSResponse(request.url, status, {"x-amzn-RequestId": "bench", **headers}, _Body(io.BytesIO(body)))

    def get_object(request: Any, **_: Any) -> Any:
        size = source.stat().st_size
        headers = {"Content-Length": str(size), "ETag": '"bench"', "Content-Type": "application/octet-stream"}
        return AWSResponse(request.url, 200, headers, _Body(source.open("rb")))

    def put_object(request: Any, **_: Any) -> Any:
        body = request.body
        if hasattr(body, "read"):
            while chunk := body.read(1 << 20):
                dropped["report_bytes"] += len(chunk)
        elif body:
            dropped["report_bytes"] += len(body)
        return respond(request, 200, b"", {"ETag": '"bench"'})

    json_headers = {"Content-Type": "application/x-amz-json-1.0"}

    def put_item(request: Any, **_: Any) -> Any:
        return respond(request, 200, b"{}", json_headers)

    def transact_write_items(request: Any, **_: Any) -> Any:
        return respond(request, 200, b"{}", json_headers)

    def update_item(request: Any, **_: Any) -> Any:
        key = json.loads(request.body)["Key"]
        return respond(request, 200, json.dumps({"Attributes": key}).encode(), json_headers)

    def send_message_batch(request: Any, **_: Any) -> Any:
        entries = json.loads(request.body)["Entries"]
        ok = [
            {
                "Id": e["Id"],
                "MessageId": str(uuid.uuid4()),
                "MD5OfMessageBody": hashlib.md5(e["MessageBody"].encode()).hexdigest(),
                "SequenceNumber": "1",
            }
            for e in entries
        ]
        return respond(request, 200, json.dumps({"Successful": ok, "Failed": []}).encode(), json_headers)

    def publish(request: Any, **_: Any) -> Any:
        xml = (
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>'
            "<MessageId>bench</MessageId></PublishResult><ResponseMetadata><RequestId>bench</RequestId>"
            "</ResponseMetadata></PublishResponse>"
        )
        return respond(request, 200, xml.encode(), {"Content-Type": "text/xml"})

    routes = {
        ("s3", "GetObject"): get_object,
        ("s3", "PutObject"): put_object,
        ("dynamodb", "PutItem"): put_item,
        ("dynamodb", "UpdateItem"): update_item,
        ("dynamodb", "TransactWriteItems"): transact_write_items,
        ("sqs", "SendMessageBatch"): send_message_batch,
        ("sns", "Publish"): publish,
    }

    def dispatch(request: Any, event_name: str, **kwargs: Any) -> Any:
        _, service, op = event_name.split(".", 2)
        handler = routes.get((service, op))
        if handler is None:
            raise RuntimeError(f"the null AWS double does not answer {service}.{op}")
        return handler(request, **kwargs)

    for service in ("s3", "dynamodb", "sqs", "sns"):
        events.register(f"before-send.{service}", dispatch)
    return dropped


def child_ingest_rss(path: Path, transport: str) -> dict[str, Any]:
    """One ingest of one file in this (fresh) process; prints JSON with the peak RSS."""
    for k, v in LAMBDA_ENV.items():
        os.environ[k] = v
    os.environ.pop("AWS_ENDPOINT_URL", None)
    started_mock = None
    if transport == "moto":
        from moto import mock_aws

        started_mock = mock_aws()
        started_mock.start()
    from advocacy_notify.adapters.aws import Clients
    from advocacy_notify.settings import IngestSettings
    from advocacy_notify.wiring import Services

    bucket, key = "advocacy-bench-drop", f"incoming/{path.name}"
    aws = Clients(region=REGION)
    # hooks on the session, before any client exists: every client made from it has them (the project makes
    # more than one client per service)
    events = aws.session.events
    settings = IngestSettings.from_mapping(LAMBDA_ENV)
    if transport == "domain":
        return _child_domain_rss(path)
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}.{model.name}"] += 1

    for service in ("s3", "dynamodb", "sqs", "sns"):
        events.register(f"before-call.{service}", count)
    dropped: dict[str, int] = {}
    if transport == "moto":
        settings = _moto_resources(
            {s: aws.client(s) for s in ("s3", "dynamodb", "sqs", "sns")}, settings, bucket, key, path
        )
        calls.clear()  # the set-up's requests are not ingest's
    else:
        dropped = install_null_aws(events, path)

    ingest = Services(settings, aws).ingest  # the ingest function's use case, on the project's adapters
    result, measured = _measure_rss(lambda: ingest(bucket, key, None))
    if started_mock is not None:
        started_mock.stop()
    sqs_calls = sum(v for k, v in calls.items() if k.startswith("sqs."))
    return {
        "file": path.name,
        "transport": transport,
        "status": result.status,
        "rows_read": result.counts.rows_read,
        "cases": result.counts.cases,
        "queued": result.queued,
        **measured,
        "aws_calls": dict(sorted(calls.items())),
        "sqs_calls": sqs_calls,
        "sqs_calls_per_case": round(sqs_calls / result.queued, 4) if result.queued else None,
        "report_bytes": dropped.get("report_bytes"),
    }


def _child_domain_rss(path: Path) -> dict[str, Any]:
    """The same file through the domain path only (no AWS, no boto3): open_ofsted streaming from
    disk, process, case messages and their serialisation, the report lines."""
    from advocacy_notify.domain.authorities import AuthorityDirectory

    AuthorityDirectory.default()
    out, measured = _measure_rss(lambda: _ingest_domain(path, path.name, full=True))
    return {
        "file": path.name,
        "transport": "domain",
        "status": "processed",
        "rows_read": out["rows_read"],
        "cases": out["cases"],
        "queued": out["messages"],
        **measured,
    }


def _measure_rss(work: Callable[[], T]) -> tuple[T, dict[str, float]]:
    """Run ``work`` once in this process: its time, and this process's RSS before it (after a
    collection: the *baseline*) and at its peak, in MB."""
    import gc

    gc.collect()
    baseline_peak, baseline_now = peak_rss_mb(), rss_now_mb()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    return result, {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak, 1),
        "baseline_peak_rss_mb": round(baseline_peak, 1),
        "baseline_rss_mb": round(baseline_now, 1),
        "growth_mb": round(peak - baseline_now, 1),
        "rss_after_mb": round(rss_now_mb(), 1),
        "vm_hwm_mb": round(vm_hwm_mb(), 1),
    }


def _moto_resources(clients: dict[str, Any], settings: Any, bucket: str, key: str, path: Path) -> Any:
    """moto in-process: the minimal bucket, FIFO queue, tables and topic ingest needs."""
    ddb = clients["dynamodb"]
    for table, keys in (
        (settings.cases_table, (("case_id", "HASH"), ("sk", "RANGE"))),
        (settings.work_table, (("item_id", "HASH"),)),
    ):
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
            BillingMode="PAY_PER_REQUEST",
        )
    sqs = clients["sqs"]
    queue_url = sqs.create_queue(QueueName="bench-cases.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    topic = clients["sns"].create_topic(Name="bench-alerts")["TopicArn"]
    s3 = clients["s3"]
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    with path.open("rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f)

    # moto's FIFO queue rescans every stored message on each send (quadratic); in production the
    # notify function drains the queue as ingest fills it. Do the same here, as a consumer would.
    from moto.sqs.models import sqs_backends

    def drain(**_: Any) -> None:
        for backend in sqs_backends.values():
            for regional in backend.values():
                for queue in regional.queues.values():
                    queue._messages.clear()

    sqs.meta.events.register("after-call.sqs.SendMessageBatch", drain)
    return settings.model_copy(update={"case_queue_url": queue_url, "alert_topic_arn": topic})


class RssRunner:
    """Starts the measuring processes. It is started first thing, while this bench process is small,
    because a child inherits its parent's peak RSS into ``ru_maxrss`` on Linux (see peak_rss_mb)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--rss-runner"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_child_env(),
            cwd=PROJECT,
            text=True,
        )

    def run(self, path: Path, transport: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps([str(path), transport]) + "\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"RSS child failed for {path.name}/{transport}:\n{reply['error']}")
        return reply

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def rss_runner_loop() -> None:
    """--rss-runner: for each request line [path, transport], run one fresh measuring process."""
    for line in sys.stdin:
        path, transport = json.loads(line)
        out = subprocess.run(
            [sys.executable, __file__, "--child-rss", path, transport], cwd=PROJECT, capture_output=True, text=True
        )
        if out.returncode != 0:
            reply: dict[str, Any] = {"error": out.stderr[-3000:]}
        else:
            reply = json.loads(out.stdout.strip().splitlines()[-1])
            reply["runner_peak_rss_mb"] = round(peak_rss_mb(), 1)
        print(json.dumps(reply), flush=True)


def ingest_rss(files: dict[str, Any], moto_10k: bool, runner: RssRunner) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    plan = [
        ("provisional_10k.csv", "null"),
        ("provisional_100k.csv", "null"),
        ("provisional_10k.csv", "domain"),
        ("provisional_100k.csv", "domain"),
    ]
    if moto_10k:
        plan.append(("provisional_10k.csv", "moto"))
    for name, transport in plan:
        started = time.perf_counter()
        doc = runner.run(DATA / name, transport)
        assert doc["cases"] == doc["queued"] == files[name]["expected_cases"], doc
        # the inherited high-water mark is below what the child itself reached
        assert doc["runner_peak_rss_mb"] < doc["baseline_rss_mb"], doc
        doc["wall_s"] = round(time.perf_counter() - started, 1)
        runs[f"{name}:{transport}"] = doc
        log(
            f"ingest RSS {name} ({transport}): peak {doc['peak_rss_mb']} MB, baseline {doc['baseline_rss_mb']} MB, "
            f"ingest {doc['seconds']}s"
        )
    small, big = runs["provisional_10k.csv:null"], runs["provisional_100k.csv:null"]
    return {
        "ingest_peak_rss_mb_10k": small["peak_rss_mb"],
        "ingest_peak_rss_mb_100k": big["peak_rss_mb"],
        "ingest_baseline_rss_mb_10k": small["baseline_rss_mb"],
        "ingest_baseline_rss_mb_100k": big["baseline_rss_mb"],
        "ingest_rss_ratio_100k_vs_10k": round(big["peak_rss_mb"] / small["peak_rss_mb"], 3),
        "ingest_rss_growth_ratio_100k_vs_10k": round(big["growth_mb"] / max(small["growth_mb"], 0.1), 2),
        "growth_bytes_per_case": round(
            (big["growth_mb"] - small["growth_mb"]) * 1024 * 1024 / max(big["cases"] - small["cases"], 1)
        ),
        "ingest_ms_per_case_without_network": round(big["seconds"] * 1000 / big["cases"], 3),
        "aws_requests_per_case": round(sum(big["aws_calls"].values()) / big["cases"], 3),
        "runs": runs,
    }


# ================================================================================== offline workflow


def _dynamo_size(value: Any) -> int:
    """Approximate DynamoDB item/attribute size (names + values, per the published rules)."""
    if isinstance(value, dict) and len(value) == 1:
        ((kind, v),) = value.items()
        if kind == "S":
            return len(v.encode())
        if kind == "N":
            return len(str(v).lstrip("-").replace(".", "")) // 2 + 1
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "B":
            return len(v)
        if kind == "M":
            return 3 + sum(len(k.encode()) + 1 + _dynamo_size(x) for k, x in v.items())
        if kind == "L":
            return 3 + sum(1 + _dynamo_size(x) for x in v)
        if kind in ("SS", "NS", "BS"):
            return sum(len(str(x)) for x in v)
    return 0


def _item_size(item: dict[str, Any]) -> int:
    return sum(len(k.encode()) + _dynamo_size(v) for k, v in item.items())


class CallCounter:
    """Counts every AWS request the twin's clients make (every botocore client: ``installed`` patches
    ``BaseClient._make_api_call``), by the function (functions/<name>/app.py on the call stack) that made it,
    with DynamoDB capacity units worked out from the items written and read (1 KB per write unit, 4 KB per read
    unit, half for an eventually consistent read, double for a transaction; the cases table's status-index,
    projection ALL, costs another write for each write of a CASE item and two when its status changes). A
    write refused by its condition is charged as AWS charges it. Requests from outside every function (the
    twin's SQS poller, as Lambda's would be; the bench's own reads) are counted under ``offline-runtime``, with
    no capacity units."""

    RUNTIME = "offline-runtime"

    def __init__(self, cases_table: str) -> None:
        self.cases_table = cases_table
        self.calls: Counter[tuple[str, str, str]] = Counter()  # (function, service, operation)
        self.wru: Counter[str] = Counter()
        self.rru: Counter[str] = Counter()
        self._lock = threading.Lock()

    @classmethod
    def _function(cls) -> str:
        frame: Any = sys._getframe(2)
        while frame is not None:
            path = frame.f_code.co_filename
            if path.endswith("app.py") and "/functions/" in path:
                return Path(path).parent.name
            frame = frame.f_back
        return cls.RUNTIME

    @contextlib.contextmanager
    def installed(self) -> Iterator[CallCounter]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        counter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            fn = counter._function()
            with counter._lock:
                counter.calls[(fn, service, operation)] += 1
            parsed: dict[str, Any] = {}
            try:
                parsed = original(client, operation, params)
                return parsed
            finally:
                if service == "dynamodb" and fn != counter.RUNTIME:
                    with counter._lock:
                        counter._units(fn, operation, params, parsed)

        with mock.patch.object(BaseClient, "_make_api_call", counted):
            yield self

    def _write_units(self, table: str, op: str, item: dict[str, Any], params: dict[str, Any]) -> int:
        size_units = max(1, math.ceil(_item_size(item) / 1024))
        units = size_units
        sk = (item.get("sk") or {}).get("S")
        if table == self.cases_table and sk == "CASE":
            units += size_units
            if op == "Update" and "status" in params.get("ExpressionAttributeNames", {}).values():
                units += size_units
        return units

    def _units(self, fn: str, op: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if op == "PutItem":
            self.wru[fn] += self._write_units(params["TableName"], "Put", params.get("Item", {}), params)
        elif op in ("UpdateItem", "DeleteItem"):
            item = {**params.get("Key", {}), **(parsed.get("Attributes") or {})}
            self.wru[fn] += self._write_units(params["TableName"], op[:-4], item, params)
        elif op == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                ((kind, body),) = entry.items()
                item = body.get("Item") or body.get("Key", {})
                self.wru[fn] += 2 * self._write_units(body.get("TableName", ""), kind, item, body)
        elif op in ("GetItem", "Query", "Scan"):
            items = [parsed["Item"]] if parsed.get("Item") else parsed.get("Items", [])
            units = max(1, math.ceil(sum(_item_size(i) for i in items) / 4096))
            self.rru[fn] += units * (1.0 if params.get("ConsistentRead") else 0.5)


def offline(
    files: dict[str, Any], start: dt.date, answers: int, name: str = "provisional_1000_cases.csv"
) -> dict[str, Any]:
    """1,000 cases through the offline twin, from the upload to the 1,000th first email; then a sample of
    answers through the respond function. The twin runs on simulated time (SES's pacing costs no real time),
    so the wall time is what the twin's CPU work takes on this machine."""
    from advocacy_notify.domain.case import execution_name
    from advocacy_offline.env import OfflineEnv
    from advocacy_offline.run import Runner, RunOptions, ScriptedResponse

    path = DATA / name
    expected = files[path.name]["expected_cases"]
    setup_started = time.perf_counter()
    with OfflineEnv(start=start, log_path=DATA / "offline-lambda.log") as env:
        setup_s = time.perf_counter() - setup_started
        counter = CallCounter(env.stack.outputs["CasesTableName"])
        with counter.installed():
            log_size_before = env.log_path.stat().st_size if env.log_path.exists() else 0
            started = time.perf_counter()
            env.upload(path)  # ingest runs inside the upload, through the bucket notification
            ingest_done = time.perf_counter() - started
            log(f"offline: ingest of {expected} cases done in {ingest_done:.1f}s; running to the first emails")
            env.settle(done=lambda: len(env.sent_emails()) >= expected)
            total_s = time.perf_counter() - started
            simulated_s = (env.clock.now() - env.start).total_seconds()
            log(f"offline: {expected} first emails after {total_s:.1f}s ({simulated_s:.0f} simulated s)")
            to_first_email = _snapshot(env, counter)
            emails = env.sent_emails()
            if len(emails) != expected:
                raise RuntimeError(f"offline: {len(emails)} first emails for {expected} cases")
            recipients = sum(_recipients(m) for m in emails)
            log_bytes = (env.log_path.stat().st_size if env.log_path.exists() else 0) - log_size_before
            transitions = _transitions(env, sample=25)

            # Then answer a sample of cases through the real respond function (GET the form, POST the
            # answer) to measure what an answer costs; the workflow then ends at Ended.
            runner = Runner(env, {}, RunOptions(start=start))
            with env.reading() as services:
                cases = sorted(services.cases.all(), key=lambda c: c.case_id)[:answers]
            before = _snapshot(env, counter)
            answered = sum(runner.answer(case, ScriptedResponse(respond_on_day=0)) == 200 for case in cases)
            names = {execution_name(c.case_id) for c in cases}

            def answered_ended() -> bool:
                done = [e for n, e in env.executions().items() if n in names and e["status"] == "SUCCEEDED"]
                return len(done) >= answered

            env.settle(done=answered_ended, until=env.clock.now() + dt.timedelta(hours=1))
            if not answered_ended():
                raise RuntimeError(f"offline: {answered} answers, but their workflows did not end")
            answer_delta = _diff(_snapshot(env, counter), before)
            answer_transitions = _transitions(env, sample=answers, names=names)
    return {
        "cases": expected,
        "setup_s": round(setup_s, 1),
        "ingest_s": round(ingest_done, 2),
        "seconds_to_last_first_email": round(total_s, 2),
        "simulated_seconds_to_last_first_email": round(simulated_s),
        "offline_cases_per_s": round(expected / total_s, 2),
        "first_email_phase_cases_per_s": round(expected / (total_s - ingest_done), 2),
        "to_first_email": to_first_email,
        "ses_emails": len(emails),
        "ses_recipients": recipients,
        "log_bytes": log_bytes,
        "transitions_at_first_email": transitions,
        "answers": {"answered": answered, **answer_delta, "transitions": answer_transitions},
    }


def _recipients(message: Any) -> int:
    """Distinct recipients of one sent email (SES bills per recipient). moto's list repeats the
    Destination addresses with those of the raw message's To header."""
    from email.utils import getaddresses

    return len({addr.lower() for _name, addr in getaddresses(getattr(message, "destinations", []) or []) if addr})


def _snapshot(env: Any, counter: CallCounter) -> dict[str, Any]:
    by_fn: dict[str, list[float]] = defaultdict(list)
    for inv in list(env.calls):
        by_fn[inv.function].append(inv.seconds)
    return {
        "invocations": {k: len(v) for k, v in sorted(by_fn.items())},
        "lambda_seconds": {k: round(sum(v), 4) for k, v in sorted(by_fn.items())},
        "lambda_billed_gb_s": {
            k: round(
                sum(math.ceil(s * 1000) / 1000 for s in v) * LAMBDA_MEMORY_MB.get(k, LAMBDA_MEMORY_DEFAULT_MB) / 1024,
                4,
            )
            for k, v in sorted(by_fn.items())
        },
        "lambda_median_ms": {k: round(median(v) * 1000, 1) for k, v in sorted(by_fn.items()) if v},
        "lambda_max_ms": {k: round(max(v) * 1000, 1) for k, v in sorted(by_fn.items()) if v},
        "aws_calls": {f"{fn} {svc}.{op}": n for (fn, svc, op), n in sorted(counter.calls.items())},
        "dynamodb_wru": dict(sorted(counter.wru.items())),
        "dynamodb_rru": {k: round(v, 1) for k, v in sorted(counter.rru.items())},
        "ses_recipients": sum(_recipients(m) for m in env.sent_emails()),
    }


def _diff(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, dict):
            prev = before.get(key, {})
            if key in ("lambda_median_ms", "lambda_max_ms"):
                continue
            out[key] = {k: round(v - prev.get(k, 0), 4) for k, v in value.items() if v != prev.get(k, 0)}
        else:
            out[key] = value - before.get(key, 0)
    return out


def _transitions(env: Any, sample: int, names: set[str] | None = None) -> dict[str, Any]:
    """State transitions billed so far, from the execution histories of a sample of executions."""
    sfn = env.client("stepfunctions")
    executions = sorted(env.executions().values(), key=lambda e: e["name"])
    if names is not None:
        executions = [e for e in executions if e["name"] in names]
    counts: list[int] = []
    states: Counter[str] = Counter()
    for e in executions[:sample]:
        events = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=e["executionArn"]):
            events.extend(page["events"])
        entered = [ev for ev in events if ev["type"].endswith("StateEntered")]
        counts.append(len(entered))
        for ev in entered:
            states[ev.get("stateEnteredEventDetails", {}).get("name", "?")] += 1
    return {
        "sampled": len(counts),
        "per_execution_median": median([float(c) for c in counts]) if counts else 0,
        "per_execution_max": max(counts) if counts else 0,
        "states": dict(states),
    }


# ================================================================================== the full chase (issue 9)

AIM_FULL_CHASE_CASES_PER_S = 5.0


def load() -> dict[str, Any]:
    """How busy the machine is: its load averages, and the wall/CPU ratio of a 1-second busy loop (what a
    single CPU-bound thread of this process gets; 1.0 on an idle machine)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while time.process_time() - cpu0 < 1.0:
        pass
    one, five, fifteen = os.getloadavg()
    return {
        "loadavg": [round(one, 2), round(five, 2), round(fifteen, 2)],
        "busy_loop_wall_per_cpu": round((time.perf_counter() - wall0) / (time.process_time() - cpu0), 2),
    }


def full_chase_phase(homes: int) -> dict[str, Any]:
    """A provisional file of ``homes`` homes x 2 placing authorities through the twin's Runner, nobody
    answering: every case must get its 4 emails in order and on time and close unresolved (bench/full_chase.py
    checks it, email by email). Wall time against the CPU spent: the process's, by layer, and the handlers' own."""
    from bench import full_chase

    path = DATA / f"full_chase_{homes * full_chase.PER_HOME}_cases.csv"
    expected = full_chase.write_file(path, homes)["expected_cases"]
    before = load()
    chase = full_chase.run(path, log_path=DATA / "full-chase-lambda.log")
    after = load()
    problems = full_chase.check(chase.result, expected, chase.timers)
    if problems:
        raise RuntimeError(f"full chase: {len(problems)} problems, the first: {problems[:5]}")
    n = len(chase.result["cases"])
    emails = chase.result["totals"]["emails"]["total"]
    return {
        "homes": homes,
        "cases": n,
        "emails": emails,
        "stages": chase.timers.stages,
        "simulated": chase.result["simulated"],
        "setup_s": round(chase.setup_s, 1),
        "wall_s": round(chase.wall_s, 2),
        "cpu_s": round(chase.cpu_s, 2),
        "offline_full_chase_cases_per_s": round(n / chase.wall_s, 3),
        "cases_per_cpu_s": round(n / chase.cpu_s, 3),
        "handler_cpu_s": round(chase.handler_cpu_s, 2),
        "handler_cpu_with_aws_s": round(chase.handler_cpu_with_aws_s, 2),
        "wall_vs_handler_cpu_ratio": round(chase.wall_s / chase.handler_cpu_s, 2),
        "cpu_vs_handler_cpu_ratio": round(chase.cpu_s / chase.handler_cpu_s, 2),
        "cpu_ms_per_case": round(chase.cpu_s * 1000 / n, 1),
        "layers_s": chase.layers_s,
        "handler_cpu_by_function": chase.handler_cpu_by_function,
        "invocations": chase.invocations,
        "aws_calls": chase.aws_calls,
        "aws_calls_per_case": round(chase.aws_calls / n, 1),
        "load_before": before,
        "load_after": after,
    }


# ================================================================================== cost

ASL_TRANSITIONS = {
    # state entries (what Step Functions Standard bills) along the common paths of statemachine/case.asl.json
    # when no stage waits for a sending slot (each wait adds WaitForSendingSlot, SendInItsSlot, SendStageEmail and
    # StillChasing again)
    "to_first_email": 3,  # SendStageEmail, StillChasing, AwaitAnswer
    "answered_after_first_email": 4,  # + Ended
    # 3 x (SendStageEmail, StillChasing, AwaitAnswer, IsFinalStage, NextStage), then the escalation's
    # SendStageEmail, StillChasing, AwaitAnswer, IsFinalStage, CloseUnresolved, ClosedUnresolved
    "silent_to_unresolved": 21,
}
CLOSE_CASE_WRU = 5  # close_case: case update (item + status-index delete and put), an event, a work item
CLOSE_CASE_RRU = 0


def _usd(q: dict[str, float]) -> dict[str, Any]:
    p = PRICES
    usd = {
        "lambda_requests": q["lambda_requests"] * p["lambda_per_request"],
        "lambda_gb_s": q["lambda_gb_s"] * p["lambda_arm64_per_gb_s"],
        "state_transitions": q["state_transitions"] * p["stepfunctions_standard_per_transition"],
        "sqs_requests": q["sqs_requests"] * p["sqs_fifo_per_request"],
        "ses_emails": q["ses_emails"] * p["ses_per_email"],
        "dynamodb_wru": q["dynamodb_wru"] * p["dynamodb_per_wru"],
        "dynamodb_rru": q["dynamodb_rru"] * p["dynamodb_per_rru"],
    }
    return {
        "quantities_per_1000_cases": {k: round(v, 2) for k, v in q.items()},
        "usd_per_1000_cases": {k: round(v, 6) for k, v in usd.items()},
        "total_usd": round(sum(usd.values()), 5),
    }


def cost(off: dict[str, Any]) -> dict[str, Any]:
    """USD per 1,000 cases, from what the offline run counted: through the first email (measured),
    an answer (measured on a sample), and the rest of a case that stays silent (projected from the
    ASL path with the measured per-stage figures)."""
    from advocacy_notify.domain.contacts import example_contacts

    n = off["cases"]
    m = off["to_first_email"]
    inv = m["invocations"]
    per_k = 1000 / n
    transitions_first = off["transitions_at_first_email"]["per_execution_median"]
    notify_batches = inv.get("notify", 0)
    sqs_sends = sum(v for k, v in m["aws_calls"].items() if k.endswith("sqs.SendMessageBatch"))
    first = {
        "lambda_requests": sum(inv.values()) * per_k,
        "lambda_gb_s": sum(m["lambda_billed_gb_s"].values()) * per_k,
        "state_transitions": transitions_first * n * per_k,
        # ingest's SendMessageBatch; Lambda's poller: one ReceiveMessage and one DeleteMessageBatch per batch
        "sqs_requests": (sqs_sends + 2 * notify_batches) * per_k,
        "ses_emails": off["ses_recipients"] * per_k,
        "dynamodb_wru": sum(m["dynamodb_wru"].values()) * per_k,
        "dynamodb_rru": sum(m["dynamodb_rru"].values()) * per_k,
    }

    a = off["answers"]
    k = max(a["answered"], 1)
    per_k_answers = 1000 / k
    answer = {
        "lambda_requests": sum(a["invocations"].values()) * per_k_answers,
        "lambda_gb_s": sum(a["lambda_billed_gb_s"].values()) * per_k_answers,
        "state_transitions": max(a["transitions"]["per_execution_median"] - transitions_first, 0) * 1000,
        "sqs_requests": 0.0,
        "ses_emails": a.get("ses_recipients", 0) * per_k_answers,
        "dynamodb_wru": sum(a["dynamodb_wru"].values()) * per_k_answers,
        "dynamodb_rru": sum(a["dynamodb_rru"].values()) * per_k_answers,
    }

    # The rest of a silent case: 2 reminders and the escalation (each send_email + await_answer, as the
    # measured first stage), then close_case (duration assumed equal to one send_email's).
    contacts = example_contacts("E08000025", "Birmingham")
    first_rcpt = len(contacts.first_contact())
    esc_rcpt = len(contacts.escalation("help.at.hand@example"))
    gb = m["lambda_billed_gb_s"]
    stage_fns = ("send_email", "await_answer")
    stage_requests = sum(inv.get(f, 0) for f in stage_fns) / n
    stage_gb_s = sum(gb.get(f, 0) for f in stage_fns) / n
    send_gb_s = gb.get("send_email", 0) / max(inv.get("send_email", 1), 1)
    stage_wru = sum(m["dynamodb_wru"].get(f, 0) for f in stage_fns) / n
    stage_rru = sum(m["dynamodb_rru"].get(f, 0) for f in stage_fns) / n
    silent = {
        "lambda_requests": (3 * stage_requests + 1) * 1000.0,
        "lambda_gb_s": (3 * stage_gb_s + send_gb_s) * 1000,
        # each later stage enters the states the first did (its waits for a sending slot included), then
        # IsFinalStage + NextStage after each of the first 3, IsFinalStage, CloseUnresolved, ClosedUnresolved
        "state_transitions": (3 * transitions_first + 3 * 2 + 3) * 1000.0,
        "sqs_requests": 0.0,
        "ses_emails": (2 * first_rcpt + esc_rcpt) * 1000.0,
        "dynamodb_wru": (3 * stage_wru + CLOSE_CASE_WRU) * 1000,
        "dynamodb_rru": (3 * stage_rru + CLOSE_CASE_RRU) * 1000,
    }
    first_usd, answer_usd, silent_usd = _usd(first), _usd(answer), _usd(silent)
    answered_total = {key: first[key] + answer[key] for key in first}
    silent_total = {key: first[key] + silent[key] for key in first}
    return {
        "prices_usd": PRICES,
        "price_date": PRICE_DATE,
        "through_first_email": first_usd,
        "answer": answer_usd,
        "silent_rest": silent_usd,
        "answered_after_first_email": _usd(answered_total),
        "silent_to_unresolved": _usd(silent_total),
        "aws_cost_per_1000_cases_usd": _usd(answered_total)["total_usd"],
        "aws_cost_per_1000_cases_through_first_email_usd": first_usd["total_usd"],
        "aws_cost_per_1000_cases_silent_to_unresolved_usd": _usd(silent_total)["total_usd"],
        "recipients_per_email": {"initial_and_reminders": first_rcpt, "escalation": esc_rcpt},
        "asl_transitions": ASL_TRANSITIONS,
        "log_bytes_per_1000_cases_to_first_email": round(off["log_bytes"] * per_k),
    }


# ================================================================================== docs


TEMPLATES = PROJECT / "bench" / "templates"


def doc_context(r: dict[str, Any]) -> dict[str, Any]:
    """The values bench/templates/performance.md.j2 shows, from one run's results: the results
    themselves, whether each aim is met, and the figures worked out from them."""
    from advocacy_notify.domain.authorities import AuthorityDirectory

    directory = AuthorityDirectory.default()

    def la(code: str) -> str:
        found = directory.by_gss(code)
        return found.name if found else code

    thr, imp, rss, off, c = r["throughput"], r["cold_imports"], r["ingest_rss"], r["offline"], r["cost"]
    runs = rss["runs"]
    big, small = runs["provisional_100k.csv:null"], runs["provisional_10k.csv:null"]
    met = {
        "ingest_ratio": r["ingest_vs_baseline_ratio"] >= AIM_INGEST_RATIO,
        "rss": r["ingest_rss_ratio_100k_vs_10k"] <= AIM_RSS_GROWTH,
        "sqs": r["sqs_calls_per_case"] <= AIM_SQS_CALLS_PER_CASE + 0.0005,
    }
    met["all"] = all(met.values()) and not imp["misses"]
    fc = r.get("full_chase")
    if fc:  # results from before the full chase was measured have no such aim
        met["full_chase"] = fc["offline_full_chase_cases_per_s"] >= AIM_FULL_CHASE_CASES_PER_S
        met["all"] = met["all"] and met["full_chase"]
    base_us = 1e6 / r["csv_baseline_rows_per_s"]
    ms_per_case_on_aws = rss["aws_requests_per_case"] * 4 + rss["ingest_ms_per_case_without_network"]
    base_it = imp["importtime"]["baseline"]
    slowest_it = imp["importtime"].get(imp["slowest"], {})
    return {
        "r": r,
        "m": r["machine"],
        "data": r["data"],
        "thr": thr,
        "prof": r["profile"],
        "imp": imp,
        "rss": rss,
        "off": off,
        "c": c,
        "p": c["prices_usd"],
        "big": big,
        "small": small,
        "dbig": runs["provisional_100k.csv:domain"],
        "dsmall": runs["provisional_10k.csv:domain"],
        "aim": {
            "ingest_ratio": AIM_INGEST_RATIO,
            "rss_growth": AIM_RSS_GROWTH,
            "sqs_calls_per_case": AIM_SQS_CALLS_PER_CASE,
            "cold_import_ratio": AIM_COLD_IMPORT_RATIO,
            "full_chase_cases_per_s": AIM_FULL_CHASE_CASES_PER_S,
        },
        "met": met,
        "fc": fc,
        "cold": {
            "misses": imp["misses"],
            "worst": max(r["cold_import_ratio"].values()),
            "fastest_ms": min(r["cold_import_ms"].values()),
            "slowest_ms": max(r["cold_import_ms"].values()),
            "by_ratio": sorted(r["cold_import_ratio"].items(), key=lambda x: -x[1]),
        },
        "cla_year": r["data"].get("cla_year", ""),
        "data_files": (
            "provisional_100k.csv",
            "provisional_100k.xlsx",
            "provisional_10k.csv",
            "provisional_1000_cases.csv",
        ),
        "top_placing": [(la(k), v) for k, v in r["data"]["provisional_100k.csv"]["top_placing_authorities"].items()],
        "per_row": {
            "baseline_us": base_us,
            "aim_us": base_us / AIM_INGEST_RATIO,
            "ingest_us": 1e6 / r["ingest_rows_per_s"],
        },
        "rss_runs": [(*key.split(":"), run) for key, run in runs.items()],
        "what_runs": {
            "null": "ingest, AWS double",
            "domain": "domain path only",
            "moto": "ingest, moto in-process",
        },
        "memory_for_1m_rows_mb": rss["growth_bytes_per_case"] * 1.9 * 1e6 / 1024 / 1024,
        "on_aws": {
            "minutes_for_100k": big["cases"] * ms_per_case_on_aws / 1000 / 60,
            "cases_per_invocation": 300_000 / ms_per_case_on_aws,
        },
        "ingest_calls": {
            k.split(" ", 1)[1]: v for k, v in off["to_first_email"]["aws_calls"].items() if k.startswith("ingest ")
        },
        "importtime": [
            {
                "handler": h,
                "total_ms": it["total_ms"],
                "project_modules_ms": it["project_modules_ms"],
                "rows": [
                    [*(a or ("", "")), *(b or ("", ""))]
                    for a, b in itertools.zip_longest(
                        list(it["top_packages_ms"].items()), list(base_it["top_packages_ms"].items())
                    )
                ],
            }
            for h, it in imp["importtime"].items()
            if h != "baseline"
        ],
        "boto3_caveat": not any(k.split(".")[0] == "boto3" for k in slowest_it.get("top_packages_ms", {})),
        "close_case_wru": CLOSE_CASE_WRU,
        "cost_parts": [
            ("through the first email (measured)", c["through_first_email"]),
            ("an answer (measured, 20 answers scaled to 1,000)", c["answer"]),
            ("rest of a silent case (projected)", c["silent_rest"]),
        ],
        "cost_items": [(key, COST_LABELS[key]) for key in c["through_first_email"]["quantities_per_1000_cases"]],
    }


COST_LABELS = {
    "lambda_requests": "Lambda requests",
    "lambda_gb_s": "Lambda GB-s",
    "state_transitions": "state transitions",
    "sqs_requests": "SQS requests",
    "ses_emails": "SES emails (recipients)",
    "dynamodb_wru": "DynamoDB write units",
    "dynamodb_rru": "DynamoDB read units",
}


def render(r: dict[str, Any]) -> str:
    """docs/performance.md for one run's results (bench/results.json)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,  # a figure missing from the results fails, never prints blank
        autoescape=False,  # Markdown, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["n"] = lambda x, digits=0: f"{x:,.{digits}f}"  # 12,345 (or 12,345.6 with n(1))
    env.filters["fmt"] = format  # any format spec: fmt(".1%"), fmt(".2f")
    env.filters["ok"] = lambda met: "met" if met else "**missed**"
    return env.get_template("performance.md.j2").render(doc_context(r))


# ================================================================================== main


def only_full_chase(homes: int) -> int:
    """The full chase alone, its figures replacing those of results.json (dated: the rest keep theirs)."""
    results = json.loads(RESULTS.read_text())
    started = time.perf_counter()
    chase = full_chase_phase(homes)
    chase["measured"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    chase["machine"] = machine()
    chase["phase_s"] = round(time.perf_counter() - started, 1)
    results["full_chase"] = chase
    results["offline_full_chase_cases_per_s"] = chase["offline_full_chase_cases_per_s"]
    results["offline_full_chase_wall_vs_handler_cpu_ratio"] = chase["wall_vs_handler_cpu_ratio"]
    results.setdefault("aims", {})["offline_full_chase_cases_per_s"] = f">= {AIM_FULL_CHASE_CASES_PER_S} on 2 cores"
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    DOC.write_text(render(results))
    log(f"full chase: {json.dumps({k: v for k, v in chase.items() if k != 'machine'})}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1 round, 3 import processes: for trying the script")
    parser.add_argument("--with-moto-rss", action="store_true", help="also ingest the 10k file against moto (+90 s)")
    parser.add_argument("--docs-only", action="store_true", help="rewrite docs/performance.md from results.json")
    parser.add_argument(
        "--only-full-chase",
        action="store_true",
        help="run the full chase alone (section 7) into results.json, keeping the other figures and their date",
    )
    args = parser.parse_args(argv)
    if args.only_full_chase:
        return only_full_chase(homes=25 if args.quick else 100)
    if args.docs_only:
        DOC.write_text(render(json.loads(RESULTS.read_text())))
        log(f"wrote {DOC.relative_to(PROJECT)}")
        return 0

    runner = RssRunner()  # first, while this process is small
    started = time.perf_counter()
    load_at_start = load()
    phases: dict[str, float] = {}

    def phase(name: str, t0: float) -> None:
        phases[name] = round(time.perf_counter() - t0, 1)

    t = time.perf_counter()
    info = machine()
    log(f"{info['nproc']} x {info['cpu_model']}, Python {info['python']}")
    anchor = dt.date.today()
    files = gen.generate(DATA, anchor=anchor)
    phase("generate", t)
    log(f"generated {', '.join(k for k in files if k.endswith(('.csv', '.xlsx')))} in {phases['generate']}s")

    t = time.perf_counter()
    thr = throughput(files, rounds=1 if args.quick else 3)
    prof = profile_ingest()
    phase("throughput", t)
    log(f"ingest {thr['ingest_rows_per_s']} rows/s vs csv.reader {thr['csv_baseline_rows_per_s']} rows/s")

    t = time.perf_counter()
    imports = cold_imports(3 if args.quick else 7)
    phase("cold_imports", t)

    t = time.perf_counter()
    rss = ingest_rss(files, moto_10k=args.with_moto_rss, runner=runner)
    runner.close()
    phase("ingest_rss", t)

    t = time.perf_counter()
    off = offline(files, start=anchor, answers=20)
    phase("offline", t)
    costs = cost(off)

    t = time.perf_counter()
    chase = full_chase_phase(homes=25 if args.quick else 100)
    chase["measured"] = info["date"]
    phase("full_chase", t)
    log(
        f"full chase: {chase['cases']} cases, {chase['emails']} emails in {chase['wall_s']}s "
        f"({chase['offline_full_chase_cases_per_s']} cases/s; CPU {chase['cpu_s']}s, "
        f"handlers {chase['handler_cpu_s']}s)"
    )

    ingest_sqs = sum(v for k, v in off["to_first_email"]["aws_calls"].items() if k.startswith("ingest sqs."))
    results: dict[str, Any] = {
        "generated_by": "bench/run.py (make bench)",
        "machine": info,
        # the headline figures
        "ingest_rows_per_s": thr["ingest_rows_per_s"],
        "csv_baseline_rows_per_s": thr["csv_baseline_rows_per_s"],
        "ingest_vs_baseline_ratio": thr["ingest_vs_baseline_ratio"],
        "ingest_xlsx_rows_per_s": thr["ingest_xlsx_rows_per_s"],
        "ingest_peak_rss_mb_10k": rss["ingest_peak_rss_mb_10k"],
        "ingest_peak_rss_mb_100k": rss["ingest_peak_rss_mb_100k"],
        "ingest_baseline_rss_mb_10k": rss["ingest_baseline_rss_mb_10k"],
        "ingest_baseline_rss_mb_100k": rss["ingest_baseline_rss_mb_100k"],
        "ingest_rss_ratio_100k_vs_10k": rss["ingest_rss_ratio_100k_vs_10k"],
        "sqs_calls_per_case": round(ingest_sqs / off["cases"], 4),
        "cold_import_ms": imports["cold_import_ms"],
        "cold_import_baseline_ms": imports["cold_import_baseline_ms"],
        "cold_import_ratio": imports["cold_import_ratio"],
        "offline_cases_per_s": off["offline_cases_per_s"],
        "offline_full_chase_cases_per_s": chase["offline_full_chase_cases_per_s"],
        "offline_full_chase_wall_vs_handler_cpu_ratio": chase["wall_vs_handler_cpu_ratio"],
        "aws_cost_per_1000_cases_usd": costs["aws_cost_per_1000_cases_usd"],
        "aws_cost_per_1000_cases_silent_to_unresolved_usd": costs["aws_cost_per_1000_cases_silent_to_unresolved_usd"],
        "aims": {
            "ingest_vs_baseline_ratio": f">= {AIM_INGEST_RATIO}",
            "ingest_rss_ratio_100k_vs_10k": f"<= {AIM_RSS_GROWTH}",
            "sqs_calls_per_case": f"floor {AIM_SQS_CALLS_PER_CASE}",
            "cold_import_ratio": f"<= {AIM_COLD_IMPORT_RATIO} per handler",
            "offline_full_chase_cases_per_s": f">= {AIM_FULL_CHASE_CASES_PER_S} on 2 cores",
        },
        # the detail behind them
        "data": files,
        "throughput": thr,
        "profile": prof,
        "cold_imports": imports,
        "ingest_rss": rss,
        "offline": off,
        "full_chase": chase,
        "cost": costs,
        "phases_s": phases,
        "load": {"at_start": load_at_start, "at_end": load()},
        "total_s": round(time.perf_counter() - started, 1),
    }
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(render(results))
    log(f"wrote {RESULTS.relative_to(PROJECT)} and {DOC.relative_to(PROJECT)} in {results['total_s']}s")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-rss":
        print(json.dumps(child_ingest_rss(Path(sys.argv[2]), sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--rss-runner":
        rss_runner_loop()
    else:
        sys.exit(main())
