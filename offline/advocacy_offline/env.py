"""The offline environment: moto in-process, the stack from template.yaml, real handlers, an SQS poller."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3

from .lambdas import SINK, Invocation, in_process_lambdas
from .stack import ACCOUNT, REGION, Stack, deploy
from .template import code_locations

BASE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "offline",
    "AWS_SECRET_ACCESS_KEY": "offline",
    "AWS_SESSION_TOKEN": "offline",
    "VALIDATE_LAMBDA_S3": "false",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
    "MOTO_ALLOW_NONEXISTENT_REGION": "true",
}


def clock_epoch(start: date | None) -> tuple[float, float]:
    """Real and simulated epochs: simulated time starts at 09:00 UTC on `start` (or now)."""
    real = time.time()
    if start is None:
        return real, real
    sim = datetime(start.year, start.month, start.day, 9, tzinfo=UTC).timestamp()
    return real, sim


class OfflineEnv:
    """Everything the deployed system has, on this machine. Use as a context manager."""

    def __init__(
        self,
        *,
        day_seconds: float = 86400.0,
        start: date | None = None,
        public_base_url: str = "https://respond.example",
        log_path: Path | None = None,
        stack_name: str = "advocacy-local",
        extra_parameters: dict[str, str] | None = None,
        faults: dict[str, Callable[[Any], None]] | None = None,
        server_endpoint: str | None = None,
        poll: bool = True,
    ) -> None:
        self.day_seconds = day_seconds
        self.start = start
        self.public_base_url = public_base_url
        self.log_path = log_path or Path(".advocacy") / "lambda.log"
        self.stack_name = stack_name
        self.extra_parameters = extra_parameters or {}
        self.faults = faults or {}
        self.server_endpoint = server_endpoint
        self.poll = poll
        self.calls: list[Invocation] = []
        self._exit = ExitStack()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self.stack: Stack
        self.real_epoch = 0.0
        self.sim_epoch = 0.0
        self.poller_errors: list[str] = []
        self._clients: dict[str, Any] = {}

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> OfflineEnv:
        from moto import mock_aws

        # moto says, for each resource type its CloudFormation skips, that it skips it;
        # stack.post_deploy bridges those, so the messages are noise here.
        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
        warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

        for k, v in BASE_ENV.items():
            os.environ[k] = v
        if self.server_endpoint:
            os.environ["AWS_ENDPOINT_URL"] = self.server_endpoint
        else:
            os.environ.pop("AWS_ENDPOINT_URL", None)
            self._exit.enter_context(
                mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": True}})
            )
        SINK.open(self.log_path)
        folders = {lid: p.name for lid, p in code_locations().items()}
        self._exit.enter_context(in_process_lambdas(folders, self.calls, self.faults))
        self.real_epoch, self.sim_epoch = clock_epoch(self.start)
        params = {
            "DaySeconds": repr(self.day_seconds),
            "ClockEpoch": f"{self.real_epoch}@{self.sim_epoch}",
            "PublicBaseUrl": self.public_base_url,
            "SenderEmail": "advocacy@notify.example",
            "HelpAtHandEmail": "help.at.hand@childrenscommissioner.example",
            **self.extra_parameters,
        }
        self.stack = deploy(self.stack_name, params, boto3.Session(region_name=REGION))
        self._drop_event_source_mappings()
        os.environ.update(self.stack.env())
        os.environ["DAY_SECONDS"] = params["DaySeconds"]
        self.seed_directory()
        lam = self.client("lambda")
        for name in self.stack.function_names.values():  # the functions' shared settings (Globals)
            config = lam.get_function_configuration(FunctionName=name)
            os.environ.update(
                {
                    k: str(v)
                    for k, v in config.get("Environment", {}).get("Variables", {}).items()
                    if k != "POWERTOOLS_SERVICE_NAME"
                }
            )
        self.warm_up(folders.values())
        self.start_clock()  # again at the first upload (Runner.run), so set-up time is not simulated time
        if self.poll:
            self._poller = threading.Thread(target=self._poll_forever, name="sqs-poller", daemon=True)
            self._poller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._poller:
            self._poller.join(timeout=10)
        self.stop_executions()
        self._exit.close()
        SINK.close_file()

    def client(self, service: str) -> Any:
        """One client per service (creating a boto3 client costs tens of milliseconds)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)
        return self._clients[service]

    @property
    def clock(self) -> Any:
        from advocacy_notify.domain.clock import Clock

        return Clock(day_seconds=self.day_seconds, real_epoch=self.real_epoch, sim_epoch=self.sim_epoch)

    # ------------------------------------------------------------------ set-up
    def start_clock(self) -> None:
        """Start simulated time now (setting up the stack takes a few real seconds, which would
        otherwise be simulated weeks). Applied the way a deployment would: the functions' environment."""
        self.real_epoch, self.sim_epoch = clock_epoch(self.start)
        epoch = f"{self.real_epoch}@{self.sim_epoch}"
        lam = self.client("lambda")
        for name in self.stack.function_names.values():
            env = lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
            env["CLOCK_EPOCH"] = epoch
            lam.update_function_configuration(FunctionName=name, Environment={"Variables": env})
        os.environ["CLOCK_EPOCH"] = epoch
        self.stack.parameters["ClockEpoch"] = epoch

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

    @staticmethod
    def warm_up(folders: Any) -> None:
        """Import every handler and compile the templates now: cold starts cost real time, and real
        time is simulated days on a shrunk clock."""
        from datetime import date as _date

        import aws_lambda_powertools.utilities.idempotency  # noqa: F401 - imported lazily by notify
        from advocacy_notify.adapters.aws import client
        from advocacy_notify.domain.clock import add_working_days
        from advocacy_notify.domain.emails import EmailContext
        from advocacy_notify.domain.models import EmailKind
        from advocacy_notify.render.emails import render_email

        from .lambdas import load_handler

        for folder in folders:
            load_handler(folder)
        add_working_days(_date.today(), 120)  # loads the bank holidays
        for service in ("s3", "sqs", "dynamodb", "stepfunctions", "sesv2", "sns", "secretsmanager"):
            client(service)
        for kind in EmailKind:
            render_email(
                EmailContext(
                    kind=kind,
                    case_id="SC000000-E06000001-20260101",
                    la_name="Hartlepool",
                    urn="SC000000",
                    home_name=None,
                    provision_type="Children's home",
                    home_local_authority=None,
                    rating_date=_date(2026, 1, 1),
                    sent_on=_date(2026, 1, 2),
                    deadline=_date(2026, 1, 9),
                    link_url="https://respond.example/respond/x",
                    link_expires=_date(2026, 2, 1),
                )
            )

    def seed_directory(self, contacts: list[Any] | None = None) -> None:
        from advocacy_notify.adapters import repository as repo
        from advocacy_notify.domain.authorities import AuthorityDirectory
        from advocacy_notify.domain.contacts import example_contacts

        if contacts is None:
            contacts = [example_contacts(la.gss_code, la.name) for la in AuthorityDirectory.default().all()]
        now = self.clock.now()
        for c in contacts:
            repo.put_contacts(self.stack.outputs["DirectoryTableName"], c, by="seed", at=now)

    # ------------------------------------------------------------------ the SQS poller
    def _poll_forever(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.pump_queue(max_rounds=1)
            except Exception as exc:  # keep polling; a real poller would too
                self.poller_errors.append(type(exc).__name__)
                delivered = 0
            if not delivered:
                self._stop.wait(0.05)

    def pump_queue(self, max_rounds: int = 50) -> int:
        """Lambda's SQS poller: batches of up to 10, honouring batchItemFailures; moto moves a message
        to the DLQ once its receive count passes maxReceiveCount."""
        sqs, lam = self.client("sqs"), self.client("lambda")
        url = self.stack.queue_url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        delivered = 0
        for _ in range(max_rounds):
            msgs = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=30,
            ).get("Messages", [])
            if not msgs:
                break
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
            response = lam.invoke(FunctionName=self.stack.fn("NotifyFunction"), Payload=json.dumps(event).encode())
            payload = json.loads(response["Payload"].read() or b"null")
            if "FunctionError" in response:
                failed = {m["MessageId"] for m in msgs}
            else:
                failed = {f["itemIdentifier"] for f in (payload or {}).get("batchItemFailures", [])}
            for m in msgs:
                if m["MessageId"] in failed:
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
                else:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            delivered += len(msgs)
        return delivered

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

    def stop_executions(self) -> None:
        try:
            sfn = self.client("stepfunctions")
            for e in self.executions().values():
                if e["status"] == "RUNNING":
                    sfn.stop_execution(executionArn=e["executionArn"], cause="offline run ended")
        except Exception:  # noqa: S110 - best effort on shutdown
            pass

    def sent_emails(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return list(ses_backends[ACCOUNT][REGION].sent_messages)

    def publish_delivery_event(self, case_id: str, stage: int, event_type: str = "Bounce") -> None:
        """What SES publishes through the configuration set when a recipient's server refuses mail."""
        detail: dict[str, Any] = {
            "Bounce": {
                "bounce": {
                    "bounceType": "Permanent",
                    "bounceSubType": "General",
                    "bouncedRecipients": [{"emailAddress": "bounced@recipient.example"}],
                }
            },
            "Complaint": {
                "complaint": {
                    "complaintFeedbackType": "abuse",
                    "complainedRecipients": [{"emailAddress": "x@recipient.example"}],
                }
            },
        }[event_type]
        message = {
            "eventType": event_type,
            **detail,
            "mail": {
                "messageId": "offline",
                "source": "advocacy@notify.example",
                "tags": {"case_id": [case_id], "stage": [str(stage)]},
            },
        }
        topic = self.stack.physical["DeliveryEventsTopic"]
        self.client("sns").publish(TopicArn=topic, Message=json.dumps(message))

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        lam = self.client("lambda")
        response = lam.invoke(FunctionName=self.stack.fn(logical_id), Payload=json.dumps(event).encode())
        result: dict[str, Any] = json.loads(response["Payload"].read() or b"null")
        return result
