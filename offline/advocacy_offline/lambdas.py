"""Run the real handlers in-process under moto, without Docker.

moto runs Lambda code only through Docker. Every moto path that runs a function - direct invoke,
Step Functions Lambda tasks, S3 notifications, SNS subscriptions - ends in one private method,
`moto.awslambda.models.LambdaFunction._invoke_lambda(self, event) -> (payload_json, errored, logs)`.
We patch that one place (tests/integration/test_moto_hook.py fails loudly if an upgrade moves it).

Invocations are serialised by one re-entrant lock: the functions share this process's environment
variables and Powertools' module-level Logger and Metrics, as they would not on AWS.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from . import PROJECT_ROOT, strict

Handler = Callable[[Any, Any], Any]


@dataclass
class FakeLambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    timeout_s: int = 60
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "offline"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_s * 1000


@dataclass
class Invocation:
    function: str  # the folder name under functions/, e.g. "send_email"
    event: Any
    result: Any = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the invoking thread's CPU (time.thread_time) in the handler, its AWS calls included
    at: float = field(default_factory=time.time)
    attempt: int = 0  # an asynchronous event's retries count from 1


class LogSink:
    """Where the functions' stdout goes offline: a log file, with EMF metric lines collected."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._file: TextIO | None = None
        self._buffer = ""
        self.metrics: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def open(self, path: Path) -> None:
        with self.lock:
            self.close_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            self.path = path
            self._file = path.open("w", encoding="utf-8")  # one run, one log
            self.metrics = []

    def close_file(self) -> None:
        if self._file:
            self._file.close()
        self._file = None

    def write(self, text: str) -> int:
        with self.lock:
            if self._file:
                self._file.write(text)
                self._file.flush()
            self._buffer += text
            *lines, self._buffer = self._buffer.split("\n")
            for line in lines:
                if '"_aws"' in line and line.lstrip().startswith("{"):
                    with contextlib.suppress(ValueError):
                        self.metrics.append(json.loads(line))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


SINK = LogSink()


def _function_folder(function_name: str, folders: dict[str, str]) -> str:
    for logical_id, folder in folders.items():
        if f"-{logical_id}-" in function_name or function_name == logical_id:
            return folder
    raise LookupError(f"no handler folder for {function_name}")


_modules: dict[str, ModuleType] = {}
_modules_lock = threading.Lock()


def load_handler(folder: str) -> Handler:
    """Import functions/<folder>/app.py under a unique module name (every function's file is app.py)."""
    with _modules_lock:
        if folder not in _modules:
            path = PROJECT_ROOT / "functions" / folder / "app.py"
            spec = importlib.util.spec_from_file_location(f"advocacy_fn_{folder}", path)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            _modules[folder] = module
            _route_logger_to_sink()
        handler: Handler = _modules[folder].handler
        return handler


def _route_logger_to_sink() -> None:
    from advocacy_notify.observability import logger

    for h in logger.handlers if hasattr(logger, "handlers") else []:
        if hasattr(h, "setStream"):
            h.setStream(SINK)
    for h in getattr(logger, "_logger").handlers:  # noqa: B009 - Powertools keeps its logger here
        if hasattr(h, "setStream"):
            h.setStream(SINK)


def _name_the_service(service: str) -> None:
    """On AWS each function has its own process, so Powertools reads its service name once. Here the
    functions share one process: name the service for each invocation, as its own process would."""
    from advocacy_notify.observability import logger, metrics

    metrics.service = service
    defaults = getattr(logger, "_default_log_keys", None)  # what clear_state restores each invocation
    if isinstance(defaults, dict):
        defaults["service"] = service
    logger.append_keys(service=service)


# One invocation at a time: the functions share this process and Powertools' module-level Logger and Metrics,
# as they would not on AWS. (Under the virtual clock one activity runs at a time anyway; `advocacy serve`
# also answers web requests on other threads.)
INVOKE_LOCK = threading.RLock()

# What a function is given on this machine: its settings, from its own configuration in moto, with clients
# pointed at moto and the twin's clock. Maps (function name, environment) -> a wiring provider.
ServicesFor = Callable[[str, dict[str, str]], Any]


@dataclass(frozen=True)
class AsyncPolicy:
    """What Lambda does with an asynchronous event (S3, SNS, a schedule) whose function fails: retries it, then
    sends it to the function's on-failure destination (EventInvokeConfig), or drops it."""

    retries: int = 2  # Lambda's default MaximumRetryAttempts
    on_failure: Callable[[Any, str], None] | None = None  # (event, the function's error payload)


@contextlib.contextmanager
def in_process_lambdas(
    folders: dict[str, str],
    calls: list[Invocation] | None,
    services_for: ServicesFor,
    async_policy: Callable[[str], AsyncPolicy] = lambda _name: AsyncPolicy(),
) -> Iterator[list[Invocation]]:
    """Patch moto so functions run here. `folders`: logical id -> folder under functions/. Each handler gets its
    services through `wiring.provide` - its environment in moto is validated as its cold start would, and
    nothing is written to this process's environment. An asynchronous event that fails is retried and then
    sent to the function's on-failure destination, as Lambda does (`async_policy`)."""
    from unittest import mock

    from advocacy_notify import wiring
    from moto.awslambda.models import LambdaFunction

    record = calls if calls is not None else []

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        folder = _function_folder(self.function_name, folders)
        payload = json.loads(event) if isinstance(event, str | bytes) else event
        env = {k: str(v) for k, v in (self.environment_vars or {}).items()}
        policy = async_policy(self.function_name) if strict.is_asynchronous_event(payload) else None
        for attempt in range(1 + (policy.retries if policy else 0)):
            inv = Invocation(folder, payload, attempt=attempt)
            with INVOKE_LOCK, wiring.provide(services_for(self.function_name, env)):
                # with strict.aws_strict() active, Lambda's payload limits apply
                run = functools.partial(_run, inv, self, folder, payload)
                body, errored, logs = strict.checked_invocation(payload, run)
            if not errored:
                break
        if errored and policy and policy.on_failure:
            policy.on_failure(payload, body)
        return body, errored, logs

    def _run(inv: Invocation, fn: Any, folder: str, payload: Any) -> tuple[str, bool, str]:
        record.append(inv)
        ctx = FakeLambdaContext(fn.function_name, fn.function_arn, int(fn.memory_size or 512), int(fn.timeout or 60))
        with contextlib.redirect_stdout(SINK):  # type: ignore[type-var,unused-ignore]
            try:
                handler = load_handler(folder)
                _name_the_service((fn.environment_vars or {}).get("POWERTOOLS_SERVICE_NAME", folder))
                started, cpu_started = time.perf_counter(), time.thread_time()
                inv.result = handler(payload, ctx)
                inv.seconds = time.perf_counter() - started
                inv.cpu_seconds = time.thread_time() - cpu_started
                return json.dumps(inv.result, default=str), False, ""
            except Exception as exc:  # surfaces as FunctionError=Handled, as on Lambda
                inv.error = type(exc).__name__
                tb = traceback.format_exc()
                inv.traceback = tb
                SINK.write(json.dumps({"level": "ERROR", "function": folder, "errorType": inv.error}) + "\n")
                return (
                    json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)[:200], "stackTrace": []}),
                    True,
                    tb,
                )

    with contextlib.ExitStack() as patches:
        patches.enter_context(mock.patch.object(LambdaFunction, "_invoke_lambda", _invoke_lambda))
        for module in _sfn_client_modules():
            patches.enter_context(mock.patch.object(module, "boto_client_for", _cached_boto_client_for(module)))
        yield record


def _sfn_client_modules() -> list[ModuleType]:
    """moto's Step Functions interpreter builds a new boto3 client for every task it runs (~30 ms of
    CPU each); reusing one per service keeps a shrunk clock honest."""
    import importlib

    names = [
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    ]
    modules = []
    for name in names:
        module = importlib.import_module(name)
        if hasattr(module, "boto_client_for"):
            modules.append(module)
    return modules


def _cached_boto_client_for(module: ModuleType) -> Callable[..., Any]:
    original = module.boto_client_for
    cache: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        from moto.core.models import botocore_stubber

        key = (region, service, botocore_stubber.enabled)
        with lock:
            if key not in cache:
                cache[key] = original(region, service, state_credentials)
            return cache[key]

    return boto_client_for
