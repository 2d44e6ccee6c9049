"""Fault injection for the offline twin: what `advocacy run ... --faults FAULTS.json` injects.

FAULTS.json is a JSON list; docs/reliability.md describes it for staff. Each object is one of:

- an API fault, `{"service": "sesv2", "operation": "SendEmail", "error": "TooManyRequestsException",
  "times": 3, "after": 0}`. `service` and `operation` are botocore's names, checked against its
  service models. Every request botocore sends for that operation is a *matching call* - each retry
  attempt too, as on AWS, where every attempt reaches the service. `after` matching calls go through
  first (default 0), then `times` of them fail (default 1). Optional: `match`, text the request must
  contain (an address, a case id) for it to count; `status`, the HTTP status for an error code that
  neither the service model nor the table below knows; `message`, the error message.
  `error` is an AWS error code, answered at the HTTP level in the service's own protocol, so botocore
  parses it and retries it exactly as it would AWS's answer; or `"drop"`: the call seems to succeed
  (a minimal valid success response, e.g. SendMessageBatch with every entry in `Successful` and
  correct MD5s) but never reaches the service - a message lost in transit.
- a poison message, `{"poison": {"authority": "Leeds"}}`: the run layer queues one unparseable
  message in that authority's message group and reports it with `PoisonFault.fire()`.

The HTTP status of an error comes from the service model when the model gives one (SES v2's
`TooManyRequestsException` is 429), else from `COMMON_ERRORS` (AWS's common errors, cited there),
else 500 for an error the model marks as a server fault and 400 for any other modelled error.
Faults are checked in file order; every fault counts every call it matches, and the first whose turn
it is answers. Each fault reports back, as given, with `fired`: how many times it took effect.

Use: `plan = load_faults(path)`, then `with inject_faults(plan): ...`, then `plan.report()`.
`instant_retry_sleeps()` makes botocore's retry back-off cost no real time (see its docstring).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import difflib
import functools
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from botocore.awsrequest import AWSResponse

from . import awswire

DROP = "drop"

# AWS's common errors (https://docs.aws.amazon.com/emr/latest/APIReference/CommonErrors.html, the same
# table in every service's API reference), with the throttling and availability codes services use
# that their models do not list (SNS `Throttling`, S3 `SlowDown` 503:
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
COMMON_ERRORS: dict[str, int] = {
    "AccessDeniedException": 400,
    "IncompleteSignature": 400,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "InternalError": 500,
    "InvalidAction": 400,
    "InvalidClientTokenId": 403,
    "InvalidParameterCombination": 400,
    "InvalidParameterValue": 400,
    "MissingParameter": 400,
    "NotAuthorized": 400,
    "OptInRequired": 403,
    "RequestExpired": 400,
    "RequestEntityTooLargeException": 413,
    "RequestLimitExceeded": 400,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "SlowDown": 503,
    "Throttling": 400,
    "ThrottlingException": 400,
    "TooManyRequestsException": 429,
    "ValidationError": 400,
    "ValidationException": 400,
}

_API_KEYS = {"service", "operation", "error", "times", "after", "match", "status", "message"}


class FaultSpecError(ValueError):
    """A FAULTS.json that cannot be used; the message is one line, naming the entry."""


@dataclass
class ApiFault:
    index: int
    spec: dict[str, Any]  # as given
    service: str
    operation: str
    error: str
    times: int
    after: int
    status: int | None  # None for "drop"
    match: str | None
    message: str
    service_id: str
    seen: int = 0
    fired: int = 0

    def matches(self, call: awswire.WireCall) -> bool:
        if call.service_id != self.service_id or call.operation != self.operation:
            return False
        return self.match is None or self.match in call.body().decode("utf-8", "replace")

    def answer(self, call: awswire.WireCall) -> AWSResponse:
        if self.error == DROP:
            return awswire.success_response(self.service, self.operation, dropped_result(self, call))
        assert self.status is not None
        return awswire.error_response(self.service, self.operation, self.error, self.message, self.status)


@dataclass
class PoisonFault:
    index: int
    spec: dict[str, Any]
    authority: str
    _plan: FaultPlan | None = field(default=None, repr=False)
    fired: int = 0

    def fire(self) -> None:
        """The run layer calls this when it has queued the poison message."""
        lock = self._plan.lock if self._plan else threading.Lock()
        with lock:
            self.fired += 1


Fault = ApiFault | PoisonFault


class FaultPlan:
    """The faults of one run, with their counts (thread-safe)."""

    def __init__(self, faults: list[Fault]) -> None:
        self.faults = faults
        self.lock = threading.Lock()
        for f in faults:
            if isinstance(f, PoisonFault):
                f._plan = self

    @property
    def api_faults(self) -> list[ApiFault]:
        return [f for f in self.faults if isinstance(f, ApiFault)]

    @property
    def poisons(self) -> list[PoisonFault]:
        return [f for f in self.faults if isinstance(f, PoisonFault)]

    def report(self) -> list[dict[str, Any]]:
        """Each fault as given, with `fired`: how many times it took effect."""
        with self.lock:
            return [{**copy.deepcopy(f.spec), "fired": f.fired} for f in self.faults]

    def take(self, call: awswire.WireCall) -> ApiFault | None:
        """Count `call` against every fault it matches; return the fault that answers it, if any."""
        chosen = None
        with self.lock:
            for f in self.api_faults:
                if not f.matches(call):
                    continue
                f.seen += 1
                if chosen is None and f.seen > f.after and f.fired < f.times:
                    f.fired += 1
                    chosen = f
        return chosen


@contextlib.contextmanager
def inject_faults(plan: FaultPlan) -> Iterator[FaultPlan]:
    """Inject `plan`'s API faults into every boto3 call in this process until the block ends."""

    def on_request(call: awswire.WireCall) -> AWSResponse | None:
        fault = plan.take(call)
        return fault.answer(call) if fault else None

    with awswire.intercept(on_request):
        yield plan


# ------------------------------------------------------------------------------------- parsing


def load_faults(path: Path) -> FaultPlan:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaultSpecError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise FaultSpecError(f"{path}: not JSON: {exc}") from None
    return parse_faults(data)


def parse_faults(data: Any) -> FaultPlan:
    if not isinstance(data, list):
        raise FaultSpecError("faults: expected a JSON list of fault objects")
    return FaultPlan([_parse_one(i, item) for i, item in enumerate(data)])


def _parse_one(index: int, item: Any) -> Fault:
    where = f"faults[{index}]"
    if not isinstance(item, dict):
        raise FaultSpecError(f"{where}: expected an object, got {type(item).__name__}")
    spec = copy.deepcopy(item)
    if "poison" in item:
        return _parse_poison(index, where, spec)
    unknown = sorted(set(item) - _API_KEYS)
    if unknown:
        raise FaultSpecError(f"{where}: unknown key {unknown[0]!r}{_suggest(unknown[0], _API_KEYS | {'poison'})}")
    for key in ("service", "operation", "error"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise FaultSpecError(f"{where}: {key!r} is required and must be a non-empty string")
    service, operation, error = item["service"], item["operation"], item["error"]
    if service not in awswire.available_services():
        raise FaultSpecError(f"{where}: unknown service {service!r}{_suggest(service, awswire.available_services())}")
    model = awswire.service_model(service)
    if operation not in model.operation_names:
        raise FaultSpecError(
            f"{where}: service {service!r} has no operation {operation!r}{_suggest(operation, model.operation_names)}"
        )
    if awswire.protocol(service) not in awswire.SUPPORTED_PROTOCOLS:
        raise FaultSpecError(f"{where}: cannot answer for {service!r}: its protocol {awswire.protocol(service)!r}")
    times = _count(where, item, "times", 1, minimum=1)
    after = _count(where, item, "after", 0, minimum=0)
    match = item.get("match")
    if match is not None and (not isinstance(match, str) or not match):
        raise FaultSpecError(f"{where}: 'match' must be a non-empty string")
    message = item.get("message", f"injected fault: {error}")
    if not isinstance(message, str):
        raise FaultSpecError(f"{where}: 'message' must be a string")
    status = None if error == DROP else _status(where, service, error, item.get("status"))
    return ApiFault(
        index, spec, service, operation, error, times, after, status, match, message, awswire.service_id(service)
    )


def _parse_poison(index: int, where: str, spec: dict[str, Any]) -> PoisonFault:
    if set(spec) != {"poison"}:
        extra = sorted(set(spec) - {"poison"})[0]
        raise FaultSpecError(f"{where}: a poison fault takes only 'poison', not {extra!r}")
    poison = spec["poison"]
    if not isinstance(poison, dict) or set(poison) != {"authority"}:
        raise FaultSpecError(f"{where}: 'poison' must be {{\"authority\": NAME}}")
    authority = poison["authority"]
    if not isinstance(authority, str) or not authority.strip():
        raise FaultSpecError(f"{where}: 'poison.authority' must name an authority (name or GSS code)")
    return PoisonFault(index, spec, authority.strip())


def _count(where: str, item: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultSpecError(f"{where}: {key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def _status(where: str, service: str, error: str, given: Any) -> int:
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int) or not 400 <= given <= 599:
            raise FaultSpecError(f"{where}: 'status' must be an HTTP error status (400-599), got {given!r}")
        return given
    status = modelled_status(service, error)
    if status is None:
        known = sorted(_modelled_codes(service)) + sorted(COMMON_ERRORS)
        raise FaultSpecError(
            f"{where}: {service!r} has no error {error!r}{_suggest(error, known)}; "
            "give 'status' to inject it anyway, or use \"drop\""
        )
    return status


def modelled_status(service: str, error: str) -> int | None:
    """The HTTP status AWS sends with `error` for `service`, or None when nothing documents the code."""
    shape = _modelled_codes(service).get(error)
    if shape is not None:
        meta = shape.metadata.get("error", {})
        if "httpStatusCode" in meta:
            return int(meta["httpStatusCode"])
        if error in COMMON_ERRORS:
            return COMMON_ERRORS[error]
        return 500 if getattr(shape, "_shape_model", {}).get("fault") else 400  # modelled server faults
    return COMMON_ERRORS.get(error)


@functools.cache
def _modelled_codes(service: str) -> dict[str, Any]:
    codes = {}
    for shape in awswire.service_model(service).error_shapes:
        codes[shape.name] = shape
        codes[shape.error_code] = shape
    return codes


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------------------- drops


def dropped_result(fault: ApiFault, call: awswire.WireCall) -> dict[str, Any]:
    """A minimal valid success result for the call: every member the model requires, plus what a
    caller checks (SQS message ids and MD5s per entry, an SES message id, an S3 ETag)."""
    build = _DROP_RESULTS.get((fault.service, fault.operation))
    if build is not None:
        return build(call)
    model = awswire.service_model(fault.service).operation_model(fault.operation)
    return _required(model.output_shape) if model.output_shape is not None else {}


def _required(shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return {name: _required(shape.members[name]) for name in shape.required_members}
    if kind == "list":
        return []
    if kind == "map":
        return {}
    if kind in ("integer", "long", "float", "double"):
        return 0
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return datetime.now(UTC)
    if kind == "blob":
        return b""
    return str(uuid.uuid4())


def _sqs_entry(entry: dict[str, Any], fifo: bool) -> dict[str, Any]:
    from moto.sqs.models import Message

    message = Message("dropped", entry.get("MessageBody", ""))
    attributes = entry.get("MessageAttributes") or {}
    result = {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": message.body_md5}
    if attributes:
        message.message_attributes = {
            name: {**value, "BinaryValue": base64.b64decode(value["BinaryValue"])} if "BinaryValue" in value else value
            for name, value in attributes.items()
        }
        result["MD5OfMessageAttributes"] = message.attribute_md5
    if fifo:
        result["SequenceNumber"] = str(int(time.time() * 1e6)).rjust(20, "1")
    return result


def _drop_send_message(call: awswire.WireCall) -> dict[str, Any]:
    params = call.json()
    return _sqs_entry(params, str(params.get("QueueUrl", "")).endswith(".fifo"))


def _drop_send_message_batch(call: awswire.WireCall) -> dict[str, Any]:
    params = call.json()
    fifo = str(params.get("QueueUrl", "")).endswith(".fifo")
    return {"Successful": [{"Id": e["Id"], **_sqs_entry(e, fifo)} for e in params.get("Entries", [])], "Failed": []}


def _drop_invoke(call: awswire.WireCall) -> dict[str, Any]:
    kind = call.header("X-Amz-Invocation-Type") or "RequestResponse"
    status = {"Event": 202, "DryRun": 204}.get(kind, 200)
    return {"StatusCode": status, "Payload": b"null" if status == 200 else b""}


def _drop_put_object(call: awswire.WireCall) -> dict[str, Any]:
    return {"ETag": f'"{hashlib.md5(call.body(), usedforsecurity=False).hexdigest()}"'}


def _message_id(call: awswire.WireCall) -> dict[str, Any]:
    return {"MessageId": str(uuid.uuid4())}


_DROP_RESULTS: dict[tuple[str, str], Callable[[awswire.WireCall], dict[str, Any]]] = {
    ("sqs", "SendMessage"): _drop_send_message,
    ("sqs", "SendMessageBatch"): _drop_send_message_batch,
    ("lambda", "Invoke"): _drop_invoke,
    ("s3", "PutObject"): _drop_put_object,
    ("sesv2", "SendEmail"): _message_id,
    ("sns", "Publish"): _message_id,
}


# ------------------------------------------------------------------------------------ retries


@dataclass
class RetrySleeps:
    """What botocore asked to sleep for while `instant_retry_sleeps` was on."""

    count: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class _InstantSleepTime:
    """botocore.endpoint's view of the `time` module, with `sleep` recorded instead of slept."""

    def __init__(self, real: ModuleType, sleeps: RetrySleeps, on_sleep: Callable[[float], None] | None) -> None:
        self._real = real
        self._sleeps = sleeps
        self._on_sleep = on_sleep

    def sleep(self, seconds: float) -> None:
        with self._sleeps.lock:
            self._sleeps.count += 1
            self._sleeps.seconds += seconds
        if self._on_sleep is not None:
            self._on_sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@contextlib.contextmanager
def instant_retry_sleeps(on_sleep: Callable[[float], None] | None = None) -> Iterator[RetrySleeps]:
    """Make botocore's retry back-off sleeps immediate while the block runs (every client in this
    process: the twin owns the process). `on_sleep(seconds)` hears each skipped sleep, so a virtual
    clock can add it to simulated time.

    Why this is faithful enough: botocore sleeps between the attempts of one API call (standard
    mode: random jitter up to 2**attempt seconds, capped at 20 s). The attempts, their number and
    their order are unchanged - only the waiting goes - so a fault is absorbed or outlasts the
    retries exactly as on AWS. What the twin no longer shows is the seconds themselves: a Lambda
    that would time out because of long back-offs will not here. Against working-day timers those
    seconds are noise, and they would make `times: 1000` cost an hour of real time.
    Only botocore's endpoint sleep is replaced (`botocore.endpoint.time`), not `time.sleep` itself.
    """
    import botocore.endpoint

    sleeps = RetrySleeps()
    real = botocore.endpoint.time
    from unittest import mock

    with mock.patch.object(botocore.endpoint, "time", _InstantSleepTime(real, sleeps, on_sleep)):
        yield sleeps


def patch_target_problems() -> list[str]:
    """What this module needs from moto and botocore; empty when all is where it should be."""
    import inspect

    import botocore.endpoint
    from moto.sqs.models import Message

    problems = list(awswire.patch_target_problems())
    if getattr(botocore.endpoint, "time", None) is not time:
        problems.append("botocore.endpoint no longer imports the time module (instant_retry_sleeps patches it)")
    elif "time.sleep(" not in inspect.getsource(botocore.endpoint.Endpoint._needs_retry):
        problems.append("botocore.endpoint.Endpoint._needs_retry no longer sleeps with time.sleep")
    for attr in ("body_md5", "attribute_md5"):
        if not isinstance(getattr(Message, attr, None), property):
            problems.append(f"moto.sqs.models.Message.{attr} is gone (used for dropped SQS MD5s)")
    return problems
