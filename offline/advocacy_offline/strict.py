"""An AWS-strict twin: where moto accepts what AWS refuses, refuse it the way AWS does.

`with aws_strict(): ...` installs every rule below and removes them on exit; `aws_strict(skip=...)`
leaves named rules out. A refused API call reaches its caller as botocore's `ClientError`, with
AWS's error code, HTTP status and message: the refusal is an HTTP error response given at botocore's
`before-send` (see awswire.py for why that one point reaches every client in the process), so the
caller cannot tell it from AWS's. Rules that live inside moto's Step Functions interpreter and
DynamoDB model patch moto there. Each limit cites the AWS page it comes from.

Rules (name: what AWS refuses; what moto alone does):
- `sfn.execution_name`: StartExecution names over 80 characters or outside `[0-9A-Za-z_-]`
  (moto refuses > 80 and a few characters, but accepts `.`, `@`, non-ASCII).
- `sfn.payload_size`: execution input, SendTaskSuccess output and a state's input after Parameters
  over 256 KiB (moto checks state and task output only).
- `sfn.positive_integer_seconds`: `TimeoutSecondsPath`/`HeartbeatSecondsPath` values that are not
  positive integers, such as `2579004.0`; a `SecondsPath` of `true` (moto accepts floats, zero,
  negatives, booleans).
- `sfn.uncatchable_errors`: `Catch`/`Retry` on `States.ALL` catching `States.Runtime` or
  `States.DataLimitExceeded` (moto catches both). With any Step Functions rule on, those errors also
  keep their name in every task type (moto's DynamoDB and SNS tasks rename them
  `DynamoDB.AmazonDynamoDBException`, ...).
- `sqs.message_size`: messages over the queue's MaximumMessageSize in UTF-8 bytes, attributes
  included; batches over 1 MiB in bytes (moto counts characters and ignores attributes).
- `sqs.fifo_ids`: `MessageGroupId`/`MessageDeduplicationId` over 128 characters or outside
  alphanumerics and punctuation (moto accepts any).
- `dynamodb.item_size`: items over 400 KB by AWS's size formula, for PutItem, UpdateItem's result,
  TransactWriteItems and BatchWriteItem (moto refuses over 405,000 bytes by a formula without the
  list and map overheads, so it accepts some items AWS refuses and refuses some AWS accepts).
- `sesv2.message_size`: SendEmail messages over 40 MB (moto accepts any size; it already refuses
  more than 50 recipients, as AWS does).
- `lambda.payload_size`: Invoke requests over 6 MB (synchronous) or 1 MB (asynchronous), responses
  over 6 MB (moto never checks requests).

The Lambda rule also covers invocations that never pass botocore (S3 and SNS notifications, which
moto delivers in-process): the in-process hook in `lambdas.py` runs every invocation through
`checked_invocation`, which applies `check_invoke_request` and `check_invoke_response` while a
strict block is active.

Two limits differ from the figures in older documents: AWS raised the SQS message size to 1 MiB
(the queue default is now 1 MiB) and the asynchronous Lambda payload to 1 MB in 2025. A queue
created with `MaximumMessageSize: 262144` is held to 256 KiB here too, as on AWS.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlparse

from botocore.awsrequest import AWSResponse

from . import awswire

# Step Functions quotas: "Maximum input or output size for a task, state, or execution: 256 KiB of
# data as a UTF-8 encoded string" - https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
SFN_PAYLOAD_BYTES = 256 * 1024
# StartExecution `name`: length 1-80; "To enable logging with CloudWatch Logs, the name should only
# contain 0-9, A-Z, a-z, - and _" - https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
# AWS refuses whitespace, brackets, wildcards, `"#%\^|~`$&,;:/` and control characters outright;
# the twin holds names to the set that also works with logging, as the issue asks.
SFN_NAME_MAX = 80
SFN_NAME_CHARS = re.compile(r"[0-9A-Za-z_-]+")
# SQS: "The minimum message size is 1 byte (1 character). The maximum is 1,048,576 bytes (1 MiB)";
# the message size includes its attributes; a batch's messages together at most 1 MiB; MessageGroupId
# and MessageDeduplicationId up to 128 characters, alphanumerics and punctuation
# - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
# MaximumMessageSize "Default: 1,048,576 bytes (1 MiB)" - API_SetQueueAttributes.html
SQS_MAX_MESSAGE_BYTES = 1_048_576
SQS_MAX_BATCH_BYTES = 1_048_576
SQS_ID_MAX = 128
SQS_ID_CHARS = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]+")
# DynamoDB: "The maximum item size in DynamoDB is 400 KB, which includes both attribute name binary
# length (UTF-8 length) and attribute value lengths" - .../amazondynamodb/latest/developerguide/ServiceQuotas.html
# Sizes per type - .../amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
DYNAMODB_MAX_ITEM_BYTES = 400 * 1024
# SES: "Using the SES v2 API or SMTP - Maximum message size (including attachments): 40 MB per
# message (after base64 encoding)" - https://docs.aws.amazon.com/ses/latest/dg/quotas.html
SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024
# Lambda: "For synchronous invocations, the maximum payload size is 6 MB. For asynchronous
# invocations, the maximum payload size is 1 MB." - https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html
# and https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html. A too-large response
# is the function error AWS reports as "Response payload size exceeded maximum allowed payload size
# (6291556 bytes)." with errorType Function.ResponseSizeTooLarge.
LAMBDA_MAX_SYNC_REQUEST_BYTES = 6 * 1024 * 1024
LAMBDA_MAX_ASYNC_REQUEST_BYTES = 1024 * 1024
LAMBDA_MAX_RESPONSE_BYTES = 6_291_556

RULES = frozenset(
    {
        "sfn.execution_name",
        "sfn.payload_size",
        "sfn.positive_integer_seconds",
        "sfn.uncatchable_errors",
        "sqs.message_size",
        "sqs.fifo_ids",
        "dynamodb.item_size",
        "sesv2.message_size",
        "lambda.payload_size",
    }
)


class Refusal(NamedTuple):
    code: str
    message: str
    status: int = 400


_active: list[frozenset[str]] = []
_active_lock = threading.Lock()


def enabled(rule: str) -> bool:
    """Whether a strict block is active with `rule` in force."""
    with _active_lock:
        return any(rule in rules for rules in _active)


@contextlib.contextmanager
def aws_strict(skip: Collection[str] = ()) -> Iterator[None]:
    """Refuse what AWS refuses until the block ends (every rule in RULES, less `skip`)."""
    unknown = set(skip) - RULES
    if unknown:
        raise ValueError(f"unknown strict rule {sorted(unknown)[0]!r}; rules: {', '.join(sorted(RULES))}")
    rules = RULES - set(skip)
    with contextlib.ExitStack() as stack:
        stack.enter_context(awswire.intercept(_wire_checks(rules)))
        for patch in _moto_patches(rules):
            stack.enter_context(patch)
        with _active_lock:
            _active.append(rules)
        stack.callback(_deactivate, rules)
        yield


def _deactivate(rules: frozenset[str]) -> None:
    with _active_lock:
        _active.remove(rules)


# ------------------------------------------------------------------------------- on the wire

WireCheck = Callable[[awswire.WireCall], Refusal | None]


def _wire_checks(rules: frozenset[str]) -> Callable[[awswire.WireCall], AWSResponse | None]:
    table: dict[tuple[str, str], tuple[str, list[WireCheck]]] = {}
    for (service, operation, rule), check in _WIRE_RULES.items():
        if rule in rules:
            key = (awswire.service_id(service), operation)
            table.setdefault(key, (service, []))[1].append(check)

    def on_request(call: awswire.WireCall) -> AWSResponse | None:
        entry = table.get((call.service_id, call.operation))
        if entry is None:
            return None
        service, checks = entry
        for check in checks:
            refusal = check(call)
            if refusal is not None:
                return awswire.error_response(service, call.operation, *refusal)
        return None

    return on_request


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _too_long(field: str, limit: int) -> Refusal:
    # the constraint message AWS's API front end sends for a modelled length limit
    return Refusal(
        "ValidationException",
        f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}",
    )


def _sfn_execution_name(call: awswire.WireCall) -> Refusal | None:
    name = call.json().get("name")
    if name is None:
        return None
    if len(name) > SFN_NAME_MAX:
        return Refusal(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
            f"Member must have length less than or equal to {SFN_NAME_MAX}",
        )
    if not SFN_NAME_CHARS.fullmatch(name):
        return Refusal("InvalidName", f"Invalid Name: '{name}'")
    return None


def _sfn_payload(field: str) -> WireCheck:
    """StartExecution's `input`, SendTaskSuccess's `output`: at most 256 KiB."""

    def check(call: awswire.WireCall) -> Refusal | None:
        text = call.json().get(field)
        if isinstance(text, str) and _utf8_len(text) > SFN_PAYLOAD_BYTES:
            return _too_long(field, SFN_PAYLOAD_BYTES)
        return None

    return check


def _sqs_message_bytes(entry: Mapping[str, Any]) -> int:
    size = _utf8_len(entry.get("MessageBody", ""))
    for name, value in (entry.get("MessageAttributes") or {}).items():
        size += _utf8_len(name) + _utf8_len(value.get("DataType", ""))
        if "StringValue" in value:
            size += _utf8_len(value["StringValue"])
        if "BinaryValue" in value:
            size += len(base64.b64decode(value["BinaryValue"]))
    return size


def _queue_max_message_bytes(queue_url: str) -> int:
    """The queue's MaximumMessageSize, as moto holds it (AWS's default when it cannot be found)."""
    from moto.sqs.models import sqs_backends

    parsed = urlparse(queue_url)
    parts = parsed.path.strip("/").split("/")
    host = parsed.hostname or ""
    region = host.split(".")[1] if host.startswith("sqs.") else ""
    try:
        queue = sqs_backends[parts[0]][region].queues[parts[1]]
        return int(getattr(queue, "maximum_message_size", SQS_MAX_MESSAGE_BYTES))
    except (KeyError, IndexError, TypeError, ValueError):
        return SQS_MAX_MESSAGE_BYTES


def _sqs_too_big(limit: int) -> Refusal:
    return Refusal(
        "InvalidParameterValue",
        f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.",
    )


def _sqs_send_message_size(call: awswire.WireCall) -> Refusal | None:
    params = call.json()
    limit = _queue_max_message_bytes(params.get("QueueUrl", ""))
    return _sqs_too_big(limit) if _sqs_message_bytes(params) > limit else None


def _sqs_batch_size(call: awswire.WireCall) -> Refusal | None:
    params = call.json()
    entries = params.get("Entries") or []
    limit = _queue_max_message_bytes(params.get("QueueUrl", ""))
    sizes = [_sqs_message_bytes(e) for e in entries]
    if any(size > limit for size in sizes):
        return _sqs_too_big(limit)
    if sum(sizes) > SQS_MAX_BATCH_BYTES:
        return Refusal(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {SQS_MAX_BATCH_BYTES} bytes. You have sent {sum(sizes)} bytes.",
        )
    return None


def _sqs_id_refusal(entry: Mapping[str, Any]) -> Refusal | None:
    for field in ("MessageGroupId", "MessageDeduplicationId"):
        value = entry.get(field)
        if value is None:
            continue
        if len(value) > SQS_ID_MAX or not SQS_ID_CHARS.fullmatch(value):
            return Refusal(
                "InvalidParameterValue",
                f"Value {value} for parameter {field} is invalid. Reason: {field} can only include "
                f"alphanumeric and punctuation characters. 1 to {SQS_ID_MAX} in length.",
            )
    return None


def _sqs_send_message_ids(call: awswire.WireCall) -> Refusal | None:
    return _sqs_id_refusal(call.json())


def _sqs_batch_ids(call: awswire.WireCall) -> Refusal | None:
    for entry in call.json().get("Entries") or []:
        refusal = _sqs_id_refusal(entry)
        if refusal is not None:
            return refusal
    return None


def _base64_len(n: int) -> int:
    return 4 * ((n + 2) // 3)


def ses_message_bytes(content: Mapping[str, Any]) -> int:
    """The size SES counts for SendEmail content: the raw MIME message, or for simple content a lower
    bound on the MIME message SES builds (subject, bodies and base64-encoded attachments)."""
    if "Raw" in content:
        return len(base64.b64decode(content["Raw"].get("Data", "")))
    simple = content.get("Simple") or {}
    size = _utf8_len((simple.get("Subject") or {}).get("Data", ""))
    for part in (simple.get("Body") or {}).values():
        size += _utf8_len(part.get("Data", ""))
    for attachment in simple.get("Attachments") or []:
        size += _base64_len(len(base64.b64decode(attachment.get("RawContent", ""))))
    return size


def _ses_message_size(call: awswire.WireCall) -> Refusal | None:
    size = ses_message_bytes(call.json().get("Content") or {})
    if size > SES_MAX_MESSAGE_BYTES:
        return Refusal("MessageRejected", f"Message length is more than {SES_MAX_MESSAGE_BYTES} bytes long: '{size}'.")
    return None


def _lambda_invoke_request(call: awswire.WireCall) -> Refusal | None:
    asynchronous = (call.header("X-Amz-Invocation-Type") or "RequestResponse") == "Event"
    try:
        check_invoke_request(call.body(), asynchronous)
    except RequestTooLarge as exc:
        return Refusal("RequestTooLargeException", exc.message, 413)
    return None


_WIRE_RULES: dict[tuple[str, str, str], WireCheck] = {
    ("stepfunctions", "StartExecution", "sfn.execution_name"): _sfn_execution_name,
    ("stepfunctions", "StartExecution", "sfn.payload_size"): _sfn_payload("input"),
    ("stepfunctions", "SendTaskSuccess", "sfn.payload_size"): _sfn_payload("output"),
    ("sqs", "SendMessage", "sqs.fifo_ids"): _sqs_send_message_ids,
    ("sqs", "SendMessage", "sqs.message_size"): _sqs_send_message_size,
    ("sqs", "SendMessageBatch", "sqs.fifo_ids"): _sqs_batch_ids,
    ("sqs", "SendMessageBatch", "sqs.message_size"): _sqs_batch_size,
    ("sesv2", "SendEmail", "sesv2.message_size"): _ses_message_size,
    ("lambda", "Invoke", "lambda.payload_size"): _lambda_invoke_request,
}


# ------------------------------------------------------------------------------------ Lambda


def _lambda_error_class() -> type[Exception]:
    from moto.awslambda.exceptions import LambdaClientError

    return LambdaClientError


class RequestTooLarge(Exception):
    """Lambda's 413 RequestTooLargeException; `as_moto_error()` is what to raise inside moto."""

    def __init__(self, limit: int, size: int) -> None:
        self.message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        super().__init__(self.message)
        self.size = size

    def as_moto_error(self) -> Exception:
        error = _lambda_error_class()("RequestTooLargeException", self.message)
        error.code = 413  # type: ignore[attr-defined]
        return error


def check_invoke_request(payload: bytes, asynchronous: bool) -> None:
    """Raise `RequestTooLarge` if Lambda would refuse to invoke a function with `payload`."""
    limit = LAMBDA_MAX_ASYNC_REQUEST_BYTES if asynchronous else LAMBDA_MAX_SYNC_REQUEST_BYTES
    if len(payload) > limit:
        raise RequestTooLarge(limit, len(payload))


def check_invoke_response(payload: bytes) -> bytes | None:
    """None if Lambda would return `payload`; else the function error payload Lambda returns instead
    (FunctionError "Unhandled", errorType Function.ResponseSizeTooLarge)."""
    if len(payload) <= LAMBDA_MAX_RESPONSE_BYTES:
        return None
    error = {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({LAMBDA_MAX_RESPONSE_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    return json.dumps(error).encode("utf-8")


def checked_invocation(event: Any, run: Callable[[], tuple[str, bool, str]]) -> tuple[str, bool, str]:
    """For the in-process Lambda hook (`lambdas.py`): `run()` the function unless Lambda would refuse
    `event` (raised as moto's 413 error, which reaches a boto3 caller as RequestTooLargeException);
    replace a synchronous response Lambda would not return by its function error. Inert unless a
    strict block with `lambda.payload_size` is active."""
    if not enabled("lambda.payload_size"):
        return run()
    asynchronous = is_asynchronous_event(event)
    raw = event if isinstance(event, bytes) else json.dumps(event, separators=(",", ":")).encode("utf-8")
    try:
        check_invoke_request(raw, asynchronous)
    except RequestTooLarge as exc:
        raise exc.as_moto_error() from None
    body, errored, logs = run()
    too_large = None if asynchronous else check_invoke_response(body.encode("utf-8"))
    if too_large is not None:
        return too_large.decode("utf-8"), True, logs
    return body, errored, logs


def is_asynchronous_event(event: Any) -> bool:
    """Whether AWS invokes a function asynchronously with this event: S3 and SNS notifications and
    EventBridge events are asynchronous; SQS batches, Step Functions tasks and API calls are not."""
    if not isinstance(event, dict):
        return False
    if "detail-type" in event and "source" in event:
        return True
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        source = records[0].get("eventSource") or records[0].get("EventSource")
        return source in ("aws:s3", "aws:sns")
    return False


# ------------------------------------------------------------------------------------ DynamoDB


def dynamodb_value_size(value: Any) -> int:
    """The size DynamoDB counts for one attribute value, in wire form ({"S": "..."}) or as moto holds
    it (DynamoType). Strings UTF-8 bytes; binary raw bytes; numbers 1 byte per two significant digits
    plus 1; booleans and nulls 1; lists and maps 3 + 1 per element + their elements (map keys count);
    sets the sum of their elements."""
    kind, raw = _dynamodb_kind_and_value(value)
    if kind == "S":
        return _utf8_len(raw)
    if kind == "B":
        return len(raw) if isinstance(raw, bytes) else len(base64.b64decode(raw))
    if kind == "N":
        return _number_size(str(raw))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(dynamodb_value_size({kind[0]: v}) for v in raw)
    if kind == "L":
        return 3 + sum(1 + dynamodb_value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + _utf8_len(k) + dynamodb_value_size(v) for k, v in raw.items())
    return _utf8_len(str(raw))


def dynamodb_item_size(item: Mapping[str, Any]) -> int:
    return sum(_utf8_len(name) + dynamodb_value_size(value) for name, value in item.items())


def _dynamodb_kind_and_value(value: Any) -> tuple[str, Any]:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        return str(kind), raw
    kind = getattr(value, "type", None)
    if isinstance(kind, str):
        return kind, value.value
    return "", value


def _number_size(text: str) -> int:
    mantissa = re.split(r"[eE]", text.strip().lstrip("+-"))[0]
    digits = mantissa.replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def _dynamodb_patches() -> list[contextlib.AbstractContextManager[Any]]:
    from unittest import mock

    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    def __setitem__(self: dict[str, Any], key: str, value: Any) -> None:
        if dynamodb_item_size({**self, key: value}) > DYNAMODB_MAX_ITEM_BYTES:
            raise ItemSizeTooLarge  # moto turns it into UpdateItem's own message where it applies
        dict.__setitem__(self, key, value)

    return [mock.patch.object(LimitedSizeDict, "__setitem__", __setitem__)]


# ------------------------------------------------------------------------------- Step Functions


def _asl_failure(env: Any, error: str, cause: str, execution_failed: bool) -> Exception:
    from moto.stepfunctions.parser.api import (
        ExecutionFailedEventDetails,
        HistoryEventType,
        TaskFailedEventDetails,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    typ = StatesErrorNameType.from_name(error)
    details: Any  # moto's EventDetails is a TypedDict of every event kind, all optional in practice
    if execution_failed:
        event_type = HistoryEventType.ExecutionFailed
        details = {"executionFailedEventDetails": ExecutionFailedEventDetails(error=error, cause=cause)}
    else:
        event_type = HistoryEventType.TaskFailed
        details = {"taskFailedEventDetails": TaskFailedEventDetails(error=error, cause=cause)}
    name = StatesErrorName(typ=typ)
    return FailureEventException(
        failure_event=FailureEvent(env=env, error_name=name, event_type=event_type, event_details=details)
    )


def _positive_integer_seconds(field: str, original: Callable[[Any, Any], int]) -> Callable[[Any, Any], int]:
    """TimeoutSecondsPath/HeartbeatSecondsPath: "When resolved, the reference path must select fields
    whose values are positive integers" (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html).
    AWS fails the execution with States.Runtime, as it does for the same path selecting nothing."""
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    def _eval_seconds(self: Any, env: Any) -> int:
        try:
            self.string_sampler.eval(env=env)
        except NoSuchJsonPathError:
            return original(self, env)  # moto's own States.Runtime for a path that selects nothing
        seconds = env.stack.pop()
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            reason = "cannot be parsed as a positive integer"
        elif seconds <= 0:
            reason = "references a value that is not a positive integer"
        else:
            return seconds
        literal = getattr(self.string_sampler, "literal_value", "?")
        raise _asl_failure(env, "States.Runtime", f"The {field} parameter {reason}: {literal} == {seconds}", True)

    return _eval_seconds


def _sfn_patches(rules: frozenset[str]) -> list[contextlib.AbstractContextManager[Any]]:
    from unittest import mock

    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
    from moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat import HeartbeatSecondsPath
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSecondsPath
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.seconds_path import SecondsPath
    from moto.stepfunctions.parser.quotas import is_within_size_quota

    patches: list[contextlib.AbstractContextManager[Any]] = []
    if "sfn.positive_integer_seconds" in rules:
        for cls, field in ((TimeoutSecondsPath, "TimeoutSecondsPath"), (HeartbeatSecondsPath, "HeartbeatSecondsPath")):
            patches.append(mock.patch.object(cls, "_eval_seconds", _positive_integer_seconds(field, cls._eval_seconds)))
        validate_wait = SecondsPath._validate_seconds_value

        def _validate_seconds_value(self: Any, env: Any, seconds: Any) -> None:
            if isinstance(seconds, bool):  # JSON true is not a number of seconds
                literal = self.string_sampler.literal_value
                cause = f"The SecondsPath parameter cannot be parsed as a long value: {literal} == {seconds}"
                raise _asl_failure(env, "States.Runtime", cause, True)
            validate_wait(self, env, seconds)

        patches.append(mock.patch.object(SecondsPath, "_validate_seconds_value", _validate_seconds_value))

    if "sfn.payload_size" in rules:
        eval_parameters = StateTask._eval_parameters

        def _eval_parameters(self: Any, env: Any) -> Any:
            parameters = eval_parameters(self, env)
            if not is_within_size_quota(parameters):
                cause = (
                    f"The state/task '{self.name}' has an input with a size exceeding "
                    "the maximum number of bytes service limit."
                )
                raise _asl_failure(env, "States.DataLimitExceeded", cause, False)
            return parameters

        patches.append(mock.patch.object(StateTask, "_eval_parameters", _eval_parameters))

    if "sfn.uncatchable_errors" in rules:
        patches.append(mock.patch.object(ErrorEqualsDecl, "_eval_body", _error_equals(ErrorEqualsDecl._eval_body)))
    if patches:
        patches += _failures_keep_their_name()
    return patches


def _failures_keep_their_name() -> list[contextlib.AbstractContextManager[Any]]:
    """Some of moto's service tasks (DynamoDB, SNS, ...) turn every exception into their own
    `<Service>.AmazonXxxException`, even a States.Runtime or States.DataLimitExceeded the interpreter
    raised for the state itself; on AWS those keep their name. Let FailureEventException through."""
    from unittest import mock

    import moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_factory  # noqa: F401
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask

    def keep(original: Callable[[Any, Any, Exception], Any]) -> Callable[[Any, Any, Exception], Any]:
        def _from_error(self: Any, env: Any, ex: Exception) -> Any:
            if isinstance(ex, FailureEventException):
                return ex.failure_event
            return original(self, env, ex)

        return _from_error

    patches: list[contextlib.AbstractContextManager[Any]] = []
    pending = list(StateTask.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if "_from_error" in vars(cls):
            patches.append(mock.patch.object(cls, "_from_error", keep(vars(cls)["_from_error"])))
    return patches


def _error_equals(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """States.ALL "can't catch the States.DataLimitExceeded terminal error or Runtime error types";
    "A States.Runtime error isn't retriable, and will always cause the execution to fail"
    - https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html"""

    def _eval_body(self: Any, env: Any) -> None:
        name = getattr(env.stack[-1], "error_name", None)
        if name == "States.Runtime":
            env.stack.pop()
            env.stack.append(False)
            return
        if name == "States.DataLimitExceeded":
            env.stack.pop()
            env.stack.append(any(getattr(n, "error_name", None) == name for n in self.error_names))
            return
        original(self, env)

    return _eval_body


def _moto_patches(rules: frozenset[str]) -> list[contextlib.AbstractContextManager[Any]]:
    patches = _sfn_patches(rules)
    if "dynamodb.item_size" in rules:
        patches += _dynamodb_patches()
    return patches


def patch_target_problems() -> list[str]:
    """What this module needs from moto and botocore; empty when all is where it should be."""
    import inspect

    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.sqs.models import Queue, sqs_backends
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
    from moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat import HeartbeatSecondsPath
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSecondsPath
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.seconds_path import SecondsPath

    problems = list(awswire.patch_target_problems())

    def params(fn: Any) -> list[str]:
        return list(inspect.signature(fn).parameters)

    expected = {
        "TimeoutSecondsPath._eval_seconds": (TimeoutSecondsPath._eval_seconds, ["self", "env"]),
        "HeartbeatSecondsPath._eval_seconds": (HeartbeatSecondsPath._eval_seconds, ["self", "env"]),
        "TimeoutSecondsPath.__init__": (TimeoutSecondsPath.__init__, ["self", "string_sampler"]),
        "HeartbeatSecondsPath.__init__": (HeartbeatSecondsPath.__init__, ["self", "string_sampler"]),
        "SecondsPath._validate_seconds_value": (SecondsPath._validate_seconds_value, ["self", "env", "seconds"]),
        "StateTask._eval_parameters": (StateTask._eval_parameters, ["self", "env"]),
        "ErrorEqualsDecl._eval_body": (ErrorEqualsDecl._eval_body, ["self", "env"]),
        "LimitedSizeDict.__setitem__": (LimitedSizeDict.__setitem__, ["self", "key", "value"]),
    }
    for name, (fn, want) in expected.items():
        if params(fn) != want:
            problems.append(f"moto {name} signature changed: {params(fn)} (strict.py patches it)")
    if "self.attrs[key] = DynamoType(value)" not in inspect.getsource(Item.__init__):
        problems.append("moto's DynamoDB Item no longer fills LimitedSizeDict item by item (strict.py counts there)")
    probe = DynamoType({"S": "x"})
    if (getattr(probe, "type", None), getattr(probe, "value", None)) != ("S", "x"):
        problems.append("moto DynamoType no longer holds .type and .value (strict.py sizes items with them)")
    if "Item size has exceeded" not in str(ItemSizeTooLarge()):
        problems.append("moto ItemSizeTooLarge no longer carries AWS's message")
    if not hasattr(Queue, "maximum_message_size") and "maximum_message_size" not in inspect.getsource(Queue):
        problems.append("moto SQS Queue no longer has maximum_message_size")
    if not isinstance(sqs_backends, Mapping):
        problems.append("moto.sqs.models.sqs_backends is no longer a mapping")
    return problems
