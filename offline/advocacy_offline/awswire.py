"""AWS on the wire for the offline twin: the one point every boto3 request passes, and AWS's answers.

**The interception point.** moto answers boto3 from one `BotocoreStubber` instance that it adds to
botocore's built-in `before-send` handlers (`moto.core.models.BUILTIN_HANDLERS`), so every botocore
session and every client made from it carries that same instance. botocore calls it as an object,
which Python resolves through its class: patching `BotocoreStubber.__call__` once reaches every
client in the process - clients created before the patch, the functions' cached clients, and the
clients moto's Step Functions interpreter makes for its tasks (`boto_client_for`). A `before-call`
handler, by contrast, would have to be registered client by client and would miss all of those.
`before-send` also comes after botocore has serialised and signed the request, so what a handler
sees is what AWS would see, and what it returns is an HTTP response that botocore parses and
retries exactly as it would AWS's own (a throttle is retried by the client's retry config).

`intercept(handler)` installs a handler for the duration of a `with` block; handlers run in the
order they were installed, the first to return a response answers the call, and a call no handler
answers goes on to moto. The patch is in place only while at least one handler is installed.

**AWS's answers.** `error_response` and `success_response` build the bytes AWS sends for an
operation, in the service's own protocol (json, rest-json, query, rest-xml, ec2), with moto's
response serialiser, which is driven by the same botocore service models the client parses with.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

Handler = Callable[["WireCall"], AWSResponse | None]

# protocols moto's serialiser can answer in (moto.core.serialize.SERIALIZERS)
SUPPORTED_PROTOCOLS = frozenset({"json", "rest-json", "query", "rest-xml", "ec2"})


@dataclass(frozen=True)
class WireCall:
    """One HTTP request as botocore is about to send it."""

    service_id: str  # botocore's hyphenised service id, as in event names: "sfn", "sesv2", "dynamodb"
    operation: str  # "StartExecution", "SendEmail", ...
    request: AWSPreparedRequest

    def body(self) -> bytes:
        """The request body (empty when it is a stream botocore has not read)."""
        body = self.request.body
        if isinstance(body, bytes):
            return body
        if isinstance(body, str):
            return body.encode("utf-8")
        return b""

    def json(self) -> Any:
        """The body of a json or rest-json request, decoded."""
        body = self.body()
        return json.loads(body) if body else {}

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name)
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)


_handlers: list[Handler] = []
_install_lock = threading.Lock()
_patch: Any = None


@contextlib.contextmanager
def intercept(handler: Handler) -> Iterator[None]:
    """Let `handler` see (and answer, by returning a response) every request botocore sends."""
    _add(handler)
    try:
        yield
    finally:
        _remove(handler)


def _add(handler: Handler) -> None:
    global _patch
    from unittest import mock

    from moto.core.botocore_stubber import BotocoreStubber

    with _install_lock:
        if not _handlers:
            _patch = mock.patch.object(BotocoreStubber, "__call__", _make_dispatch(BotocoreStubber.__call__))
            _patch.start()
        _handlers.append(handler)


def _remove(handler: Handler) -> None:
    global _patch
    with _install_lock:
        _handlers.remove(handler)
        if not _handlers and _patch is not None:
            _patch.stop()
            _patch = None


def _make_dispatch(moto_call: Callable[..., AWSResponse | None]) -> Callable[..., AWSResponse | None]:
    def __call__(stubber: Any, event_name: str, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
        parts = event_name.split(".")  # before-send.<service-id>.<Operation>
        if len(parts) == 3:
            call = WireCall(parts[1], parts[2], request)
            for handler in list(_handlers):
                response = handler(call)
                if response is not None:
                    return response
        return moto_call(stubber, event_name, request, **kwargs)

    return __call__


# ---------------------------------------------------------------------------------------- models


@functools.cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def service_model(service_name: str) -> Any:
    """botocore's model of a service, by botocore's service name ("stepfunctions", "sesv2")."""
    return _session().get_service_model(service_name)


@functools.cache
def available_services() -> tuple[str, ...]:
    return tuple(_session().get_available_services())


def service_id(service_name: str) -> str:
    """The id botocore puts in event names for a service: "stepfunctions" -> "sfn"."""
    return str(service_model(service_name).service_id.hyphenize())


def protocol(service_name: str) -> str:
    return str(service_model(service_name).resolved_protocol)


@functools.cache
def _moto_service_model(service_name: str) -> Any:
    from moto.core.utils import get_service_model

    return get_service_model(service_name)


# ---------------------------------------------------------------------------------------- answers


class AwsError(Exception):
    """An error as AWS names it; the serialiser writes `code` and `message` in the service's protocol."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# moto warns for an error code its service model lacks (ThrottlingException is common to all services
# but in few models); the code is deliberate here.
warnings.filterwarnings("ignore", message=r"Exception\(AwsError\) with code", category=UserWarning)


def error_response(service_name: str, operation: str, code: str, message: str, status: int) -> AWSResponse:
    """The HTTP response AWS sends for an error: botocore parses it into a `ClientError`."""
    return _serialise(service_name, operation, AwsError(code, message), status)


def success_response(service_name: str, operation: str, result: Mapping[str, Any]) -> AWSResponse:
    """The HTTP response AWS sends when `operation` succeeds with `result` (members by model name)."""
    return _serialise(service_name, operation, result, None)


def _serialise(service_name: str, operation: str, result: Any, status: int | None) -> AWSResponse:
    from moto.core.botocore_stubber import MockRawResponse
    from moto.core.serialize import get_serializer_class

    model = _moto_service_model(service_name)
    serializer = get_serializer_class(service_name, model.protocol)(model.operation_model(operation))
    response = serializer.serialize(result)
    if status is None and isinstance(result, Mapping):
        status = _status_member(model.operation_model(operation), result)
    headers = {str(k): str(v) for k, v in response["headers"].items()}
    headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
    body = response["body"]
    return AWSResponse(
        f"https://{service_name}.offline.invalid/",
        status if status is not None else int(response["status_code"]),
        headers,
        MockRawResponse(body if isinstance(body, bytes) else str(body)),
    )


def _status_member(operation: Any, result: Mapping[str, Any]) -> int | None:
    """A result member that is the HTTP status itself (Lambda Invoke's StatusCode)."""
    shape = operation.output_shape
    for name, member in shape.members.items() if shape is not None else []:
        if member.serialization.get("location") == "statusCode" and name in result:
            return int(result[name])
    return None


def patch_target_problems() -> list[str]:
    """What this module needs from moto and botocore; empty when all is where it should be."""
    import inspect

    from botocore.handlers import BUILTIN_HANDLERS
    from moto.core import serialize
    from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse
    from moto.core.models import botocore_stubber

    problems = []
    params = list(inspect.signature(BotocoreStubber.__call__).parameters)
    if params[:3] != ["self", "event_name", "request"]:
        problems.append(f"moto BotocoreStubber.__call__ signature changed: {params}")
    if ("before-send", botocore_stubber) not in BUILTIN_HANDLERS:
        problems.append("moto no longer registers its stubber as a built-in botocore before-send handler")
    if not callable(getattr(serialize, "get_serializer_class", None)):
        problems.append("moto.core.serialize.get_serializer_class is gone")
    if not callable(MockRawResponse):
        problems.append("moto.core.botocore_stubber.MockRawResponse is gone")
    return problems
