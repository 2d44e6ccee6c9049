"""The offline environment: moto in-process, the stack from template.yaml, the real handlers, on a virtual clock.

- **Time** is the twin's `VirtualClock`: moto's Step Functions engine waits on it (`sfn_time`), every handler
  reads "now" from it, scheduled functions (the gauge, the reconciler) run on it, and a scripted answer is a
  timer on it. Activities run one at a time; simulated time moves only when everything is idle. The same
  inputs give the same emails, dates and statuses whatever the machine's load and whatever the pace.
- **AWS** is moto, made as strict as AWS where moto is laxer (`strict`), with faults injected at the botocore
  level on request (`faults`).
- **The handlers** run in this process (`lambdas`), each given its services by `wiring.provide`: settings
  validated from its own configuration in moto, clients pointed at moto, and the twin's clock. Nothing
  rewrites this process's environment to redirect AWS.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import boto3
from advocacy_notify.adapters.aws import Clients
from advocacy_notify.settings import FunctionSettings, StaffSettings
from advocacy_notify.wiring import Provider, Services

from . import faults as fault_injection
from .lambdas import INVOKE_LOCK, SINK, AsyncPolicy, Invocation, in_process_lambdas
from .moto_speed import fast_moto
from .schedules import Schedule, schedules
from .ses_quota import SendRate, ses_sending_quota
from .stack import ACCOUNT, OFFLINE_SENDER, REGION, Stack, deploy
from .template import code_locations, load_sam
from .vclock import VirtualClock

SENDER = OFFLINE_SENDER
HELP_AT_HAND = "help.at.hand@childrenscommissioner.example"
# moto's own switches (not AWS): functions run in-process, so moto must not look for their code in S3
MOTO_SETTINGS = {"VALIDATE_LAMBDA_S3": "false", "MOTO_ALLOW_NONEXISTENT_REGION": "true"}


def start_moment(start: date | datetime | None) -> datetime:
    """Simulated time starts at 09:00 UTC on `start` (or today)."""
    if isinstance(start, datetime):
        return start.astimezone(UTC)
    day = start or datetime.now(UTC).date()
    return datetime.combine(day, time(9), tzinfo=UTC)


class OfflineEnv:
    """Everything the deployed system has, on this machine. Use as a context manager."""

    def __init__(
        self,
        *,
        start: date | datetime | None = None,
        pace_seconds_per_day: float = 0.0,
        public_base_url: str = "https://respond.example",
        log_path: Path | None = None,
        stack_name: str = "advocacy-local",
        extra_parameters: dict[str, str] | None = None,
        faults: fault_injection.FaultPlan | None = None,
        stall_timeout: float = 120.0,
    ) -> None:
        self.start = start_moment(start)
        self.pace_seconds_per_day = pace_seconds_per_day
        self.public_base_url = public_base_url
        self.log_path = log_path or Path(".advocacy") / "lambda.log"
        self.stack_name = stack_name
        self.extra_parameters = extra_parameters or {}
        self.fault_plan = faults or fault_injection.FaultPlan([])
        self.calls: list[Invocation] = []
        self.clock = VirtualClock(self.start, pace_seconds_per_day=pace_seconds_per_day, stall_timeout=stall_timeout)
        self.clients: Clients  # made inside the moto mock (a session made before it would reach AWS)
        self.poller_errors: list[str] = []
        self.failed_events: list[str] = []
        self.ses_rate = SendRate()
        self._async_policies: dict[str, AsyncPolicy] = {}  # asynchronous events that failed after Lambda's retries
        self.schedules: list[Schedule] = []
        self._exit = ExitStack()
        self._services: dict[tuple[str, type[FunctionSettings], str], Services[Any]] = {}
        self.stack: Stack

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> OfflineEnv:
        from unittest import mock

        from moto import mock_aws

        from . import strict
        from .sfn_time import drive_stepfunctions
        from .sqs_time import virtual_deduplication

        logging.getLogger("moto").setLevel(logging.ERROR)
        # moto's engine logs each failed execution at ERROR; the twin reports outcomes itself
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
        warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
        try:
            self._exit.enter_context(mock.patch.dict("os.environ", MOTO_SETTINGS))
            self._exit.enter_context(
                mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": True}})
            )
            self.clients = Clients(
                boto3.Session(region_name=REGION, aws_access_key_id="offline", aws_secret_access_key="offline")  # noqa: S106
            )
            self._exit.enter_context(strict.aws_strict())
            self._exit.enter_context(fast_moto())
            self._exit.enter_context(fault_injection.instant_retry_sleeps())
            SINK.open(self.log_path)
            self._exit.callback(SINK.close_file)
            self._exit.enter_context(drive_stepfunctions(self.clock))
            self._exit.enter_context(virtual_deduplication(self.clock))
            folders = {lid: p.name for lid, p in code_locations().items()}
            self._exit.enter_context(in_process_lambdas(folders, self.calls, self._provider, self._async_policy))
            params = {
                # the reconciler looks for stalled work every 6 simulated hours here (15 minutes on AWS): the
                # twin's repairs come later than AWS's would, never sooner
                "ReconcileSchedule": "rate(6 hours)",
                "PublicBaseUrl": self.public_base_url,
                "SenderEmail": SENDER,
                "HelpAtHandEmail": HELP_AT_HAND,
                **self.extra_parameters,
            }
            self.stack = deploy(self.stack_name, params, self.clients.session)
            self._drop_event_source_mappings()
            self.seed_directory()
            self.warm_up(folders)
            self.schedules = schedules(load_sam(), {**params, "AWS::StackName": self.stack_name})
            for schedule in self.schedules:
                self._schedule(schedule, self.clock.now())
            # faults apply from here: the stack itself is built faithfully
            self._exit.enter_context(fault_injection.inject_faults(self.fault_plan))
            # SES's quota, after the faults: a call a fault answers never reached SES
            self.ses_rate = self._exit.enter_context(
                ses_sending_quota(self.clock, float(self.parameter("MaxSendRate")))
            )
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    # ------------------------------------------------------------------ what the functions are given
    def _provider(self, function_name: str, env: dict[str, str]) -> Provider:
        env_key = json.dumps(env, sort_keys=True)

        def provide(settings_class: type[FunctionSettings]) -> Services[Any]:
            key = (function_name, settings_class, env_key)
            if key not in self._services:
                settings = settings_class.from_mapping(env)  # as the function's cold start validates it
                self._services[key] = Services(settings, self.clients, self.clock)
            return self._services[key]

        return provide

    def parameter(self, name: str) -> str:
        """A parameter of the stack as deployed: given, or the template's default."""
        return str(self.stack.parameters.get(name) or load_sam()["Parameters"][name].get("Default", ""))

    def _async_policy(self, function_name: str) -> AsyncPolicy:
        """The function's EventInvokeConfig in template.yaml: retries, then its on-failure destination (an SQS
        queue of the stack), where the event is kept for staff, as Lambda would."""
        if function_name not in self._async_policies:
            self._async_policies[function_name] = self._read_async_policy(function_name)
        return self._async_policies[function_name]

    def _read_async_policy(self, function_name: str) -> AsyncPolicy:
        logical = next((lid for lid, name in self.stack.function_names.items() if name == function_name), None)
        config = (load_sam()["Resources"].get(logical or "", {}).get("Properties") or {}).get("EventInvokeConfig") or {}
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        queue = destination["Fn::GetAtt"][0] if isinstance(destination, dict) and "Fn::GetAtt" in destination else None

        def on_failure(event: Any, error: str) -> None:
            self.failed_events.append(function_name)
            if queue is None:
                return  # no destination: Lambda drops the event (the function's Errors metric shows it)
            record = {
                "version": "1.0",
                "requestContext": {"functionArn": function_name, "condition": "RetriesExhausted"},
                "requestPayload": event,
                "responsePayload": json.loads(error) if error.startswith("{") else error,
            }
            self.client("sqs").send_message(QueueUrl=self.stack.physical[queue], MessageBody=json.dumps(record))

        return AsyncPolicy(retries=int(config.get("MaximumRetryAttempts", 2)), on_failure=on_failure)

    def services(self) -> Services[StaffSettings]:
        """Services over the stack for code beside it (the runner, the staff commands, tests)."""
        return stack_services(self.stack, self.clients, self.clock)

    def client(self, service: str) -> Any:
        return self.clients.client(service)

    # ------------------------------------------------------------------ set-up
    def _drop_event_source_mappings(self) -> None:
        """moto's SQS->Lambda mapping delivers one record at a time and ignores batchItemFailures:
        remove it and poll the queue ourselves, as Lambda's poller would."""
        from moto.sqs.models import sqs_backends

        lam = self.client("lambda")
        for m in lam.list_event_source_mappings().get("EventSourceMappings", []):
            lam.delete_event_source_mapping(UUID=m["UUID"])
        # moto's queue keeps its own copy of the mapping and would still invoke per message
        for queue in sqs_backends[ACCOUNT][REGION].queues.values():
            queue.lambda_event_source_mappings.clear()

    def warm_up(self, folders: dict[str, str]) -> None:
        """Import every handler now, as its cold start would (validating its settings from its configuration in
        moto), and load the bank holidays: set-up costs no simulated time, but it is cheaper done once."""
        import aws_lambda_powertools.utilities.idempotency  # noqa: F401 - imported lazily by notify
        from advocacy_notify.domain.clock import add_working_days
        from advocacy_notify.wiring import provide

        from .lambdas import load_handler

        lam = self.client("lambda")
        for logical_id, folder in folders.items():
            name = self.stack.fn(logical_id)
            env = lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
            with provide(self._provider(name, {k: str(v) for k, v in env.items()})):
                load_handler(folder)
        add_working_days(datetime.now(UTC).date(), 300)

    def seed_directory(self, contacts: list[Any] | None = None) -> None:
        from advocacy_notify.domain.authorities import AuthorityDirectory
        from advocacy_notify.domain.contacts import example_contacts

        if contacts is None:
            contacts = [example_contacts(la.gss_code, la.name) for la in AuthorityDirectory.default().all()]
        directory = self.services().directory
        now = self.clock.now()
        for c in contacts:
            directory.save(c, by="seed", at=now)

    def _schedule(self, schedule: Schedule, after: datetime) -> None:
        when = schedule.next_after(after)

        def run() -> None:
            self.invoke(schedule.function, schedule.event(when))
            self._schedule(schedule, when)

        self.clock.call_at(when, run)

    # ------------------------------------------------------------------ the SQS poller
    def pump_queue(self) -> int:
        """Lambda's SQS poller, one batch of up to 10, honouring batchItemFailures; moto moves a message to the
        DLQ once its receive count passes maxReceiveCount. Returns how many messages it delivered."""
        sqs, lam = self.client("sqs"), self.client("lambda")
        url = self.stack.queue_url
        msgs = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=30,
        ).get("Messages", [])
        if not msgs:
            return 0
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": m.get("MessageAttributes", {}),
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": REGION,
                }
                for m in msgs
            ]
        }
        try:
            response = lam.invoke(FunctionName=self.stack.fn("NotifyFunction"), Payload=json.dumps(event).encode())
            payload = json.loads(response["Payload"].read() or b"null")
        except Exception as exc:  # Lambda itself failed: the whole batch comes back, as on AWS
            self.poller_errors.append(type(exc).__name__)
            response, payload = {"FunctionError": "Unhandled"}, None
        if "FunctionError" in response:
            failed = {m["MessageId"] for m in msgs}
        else:
            failed = {f["itemIdentifier"] for f in (payload or {}).get("batchItemFailures", [])}
        for m in msgs:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(msgs)

    def queue_depths(self) -> tuple[int, int]:
        sqs = self.client("sqs")
        out = []
        for url in (self.stack.queue_url, self.stack.dlq_url):
            attrs = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            out.append(int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]))
        return out[0], out[1]

    # ------------------------------------------------------------------ driving the clock
    def settle(
        self,
        done: Callable[[], bool] = lambda: True,
        until: datetime | None = None,
        on_idle: Callable[[], bool] = lambda: False,
    ) -> datetime:
        """Run the system: due work one activity at a time, the queue polled whenever all else is idle, then
        simulated time moved to the next due item - until `done()` says so, or simulated time would pass
        `until`. `on_idle()` runs whenever all is idle, before time moves (True: it scheduled something).
        Returns the simulated time it stopped at."""
        while True:
            self.clock.run_until_idle()
            if self.pump_queue() or on_idle():
                continue
            if done():
                return self.clock.now()
            due = self.clock.next_due()
            if due is None:
                raise TwinStalledError(
                    "nothing is due, the queue is empty, and the run is not done: something waits on what the "
                    "twin cannot see"
                )
            if until is not None and due > until:
                return self.clock.now()
            self.clock.advance()

    # ------------------------------------------------------------------ actions
    def upload(self, path: Path, key: str | None = None) -> str:
        """Upload through the bucket notification, so ingest sees a real, URL-encoded S3 event."""
        object_key = f"incoming/{key or path.name}"
        self.client("s3").put_object(Bucket=self.stack.bucket, Key=object_key, Body=path.read_bytes())
        return object_key

    def executions(self) -> dict[str, dict[str, Any]]:
        sfn = self.client("stepfunctions")
        out: dict[str, dict[str, Any]] = {}
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=self.stack.state_machine_arn):
            for e in page["executions"]:
                out[e["name"]] = e
        return out

    def running(self) -> list[str]:
        return sorted(name for name, e in self.executions().items() if e["status"] == "RUNNING")

    def sent_emails(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return list(ses_backends[ACCOUNT][REGION].sent_messages)

    def publish_delivery_event(self, message: dict[str, Any]) -> None:
        """What SES publishes through the configuration set (a delivery, a bounce, a complaint)."""
        topic = self.stack.physical["DeliveryEventsTopic"]
        self.client("sns").publish(TopicArn=topic, Message=json.dumps(message))

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke a function as its trigger would (strict.checked_invocation applies the limits of its kind)."""
        lam = self.client("lambda")
        kwargs: dict[str, Any] = {"FunctionName": self.stack.fn(logical_id), "Payload": json.dumps(event).encode()}
        response = lam.invoke(**kwargs)  # strict: Lambda's limits for the event's kind (S3, SNS, schedules: async)
        return json.loads(response["Payload"].read() or b"null")

    @contextmanager
    def reading(self) -> Iterator[Services[StaffSettings]]:
        """Read the tables between activities (moto's DynamoDB is not thread-safe)."""
        with INVOKE_LOCK:
            yield self.services()


class TwinStalledError(RuntimeError):
    """The twin cannot keep its promise: it stops loudly rather than print a wrong run as a success."""


def stack_services(stack: Stack, clients: Clients, clock: Any) -> Services[StaffSettings]:
    settings = StaffSettings.from_outputs(stack.outputs, stack.parameters.get("RetentionDays"))
    return Services(settings, clients, clock)
