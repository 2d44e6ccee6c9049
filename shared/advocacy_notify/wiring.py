"""The one place that builds the real adapters and hands them to the use cases.

A handler declares its settings class and asks for its `Dependencies` at import time (the cold start):
the settings are read from the environment and validated then, so a missing variable fails before the first
event. Adapters and use cases are built on first use and kept for the life of the execution environment; their
modules are imported then too, so each function loads only the adapters and use cases it uses.

The offline twin and the staff commands build `Services` themselves, with clients pointed at moto or at a
stack and their own clock, and hand them in with `provide(...)`: nothing rewrites the environment.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import settings as s
from .adapters.aws import NO_RETRIES, Clients
from .domain.clock import Clock, SystemClock
from .domain.models import CaseMessage

if TYPE_CHECKING:
    from .adapters.answers_table import DynamoAnswers
    from .adapters.cases_table import DynamoCases
    from .adapters.directory_table import DynamoDirectory
    from .adapters.dynamo import Table
    from .adapters.links_table import DynamoLinks
    from .adapters.pacer import DynamoSendPacer
    from .adapters.ratings_table import DynamoSnapshots
    from .adapters.s3 import S3Files
    from .adapters.secrets import SecretsLinkKey
    from .adapters.ses import SesMailer
    from .adapters.sfn import SfnTasks, SfnWorkflow
    from .adapters.sns import SnsAlerts
    from .adapters.sqs import SqsCaseQueue, SqsDeadLetters
    from .adapters.work_table import DynamoWorkItems
    from .logic.delivery import RecordDelivery
    from .logic.gauge import MeasureGauge
    from .logic.ingest import Ingest
    from .logic.monitoring import RecordSnapshot
    from .logic.notify import HandleCaseMessage, StartCase
    from .logic.outbox import DeliverEffects
    from .logic.reconcile import Reconcile
    from .logic.report import MonthlyReport
    from .logic.respond import Respond
    from .logic.staff import Staff
    from .logic.workflow import AwaitAnswer, MarkCase, SendStage

SettingsT = TypeVar("SettingsT", bound=s.FunctionSettings)
T = TypeVar("T", bound=s.FunctionSettings)


class MissingSetting(RuntimeError):
    """A use case needs a setting its function does not declare (a programming error, caught by the tests)."""


class Services(Generic[SettingsT]):
    """The adapters and use cases of one function, over one set of clients and one clock."""

    def __init__(self, settings: SettingsT, clients: Clients | None = None, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clients = clients or Clients()
        self.clock: Clock = clock or SystemClock()

    def need(self, part: type[T]) -> T:
        if not isinstance(self.settings, part):
            raise MissingSetting(f"{type(self.settings).__name__} does not declare {part.__name__}")
        return self.settings

    def _table(self, name: str) -> Table:
        from .adapters.dynamo import Table

        return Table(self.clients.client("dynamodb"), name)

    # ------------------------------------------------------------------ adapters
    @cached_property
    def cases(self) -> DynamoCases:
        from .adapters.cases_table import DynamoCases

        return DynamoCases(self._table(self.need(s.CasesTable).cases_table), self.settings.retention_days)

    @cached_property
    def links(self) -> DynamoLinks:
        from .adapters.links_table import DynamoLinks

        return DynamoLinks(self._table(self.need(s.LinksTable).links_table))

    @cached_property
    def answers(self) -> DynamoAnswers:
        from .adapters.answers_table import DynamoAnswers

        return DynamoAnswers(self._table(self.need(s.AnswersTable).answers_table))

    @cached_property
    def directory(self) -> DynamoDirectory:
        from .adapters.directory_table import DynamoDirectory

        return DynamoDirectory(self._table(self.need(s.DirectoryTable).directory_table), self.settings.retention_days)

    @cached_property
    def work(self) -> DynamoWorkItems:
        from .adapters.work_table import DynamoWorkItems

        return DynamoWorkItems(self._table(self.need(s.WorkTable).work_table), self.settings.retention_days)

    @cached_property
    def snapshots(self) -> DynamoSnapshots:
        from .adapters.ratings_table import DynamoSnapshots

        return DynamoSnapshots(self._table(self.need(s.RatingsTable).ratings_table), self.settings.retention_days)

    @cached_property
    def alerts(self) -> SnsAlerts:
        from .adapters.sns import SnsAlerts

        return SnsAlerts(self.clients.client("sns"), self.need(s.Alerts).alert_topic_arn)

    @cached_property
    def tasks(self) -> SfnTasks:
        from .adapters.sfn import SfnTasks

        return SfnTasks(self.clients.client("stepfunctions"))

    @cached_property
    def workflow(self) -> SfnWorkflow:
        from .adapters.sfn import SfnWorkflow

        return SfnWorkflow(self.clients.client("stepfunctions"), self.need(s.Workflow).state_machine_arn)

    @cached_property
    def queue(self) -> SqsCaseQueue:
        from .adapters.sqs import SqsCaseQueue

        return SqsCaseQueue(self.clients.client("sqs"), self.need(s.CaseQueue).case_queue_url)

    @cached_property
    def dead_letters(self) -> SqsDeadLetters:
        from .adapters.sqs import SqsDeadLetters

        queue = self.settings.case_queue_url if isinstance(self.settings, s.CaseQueue) else None
        return SqsDeadLetters(self.clients.client("sqs"), self.need(s.DeadLetters).case_dead_letter_queue_url, queue)

    @cached_property
    def files(self) -> S3Files:
        from .adapters.s3 import S3Files

        return S3Files(self.clients.client("s3"))

    @cached_property
    def mailer(self) -> SesMailer:
        from .adapters.ses import SesMailer

        # no client retries: after a timeout or a 5xx the email may have gone (logic/workflow.py decides)
        mail = self.need(s.Mail)
        return SesMailer(self.clients.client("sesv2", retries=NO_RETRIES), mail.ses_configuration_set)

    @cached_property
    def pacer(self) -> DynamoSendPacer:
        from .adapters.pacer import DynamoSendPacer

        mail = self.need(s.Mail)
        return DynamoSendPacer(self._table(mail.send_rate_table), mail.max_send_rate)

    @cached_property
    def link_key(self) -> SecretsLinkKey:
        from .adapters.secrets import SecretsLinkKey

        key = self.need(s.LinkSecret)
        return SecretsLinkKey(self.clients.client("secretsmanager"), key.link_secret_id, key.link_secret_max_age)

    # ------------------------------------------------------------------ use cases
    @cached_property
    def ingest(self) -> Ingest:
        from .logic.ingest import Ingest

        return Ingest(
            files=self.files,
            cases=self.cases,
            queue=self.queue,
            work=self.work,
            alerts=self.alerts,
            clock=self.clock,
            retention_days=self.settings.retention_days,
            monitor=self.monitor,
        )

    @cached_property
    def monitor(self) -> RecordSnapshot:
        from .logic.monitoring import RecordSnapshot

        return RecordSnapshot(
            snapshots=self.snapshots, cases=self.cases, work=self.work, alerts=self.alerts, clock=self.clock
        )

    @cached_property
    def report(self) -> MonthlyReport:
        from .logic.report import MonthlyReport

        return MonthlyReport(cases=self.cases, answers=self.answers, snapshots=self.snapshots)

    @cached_property
    def start_case(self) -> StartCase:
        from .logic.notify import StartCase

        return StartCase(
            cases=self.cases, workflow=self.workflow, clock=self.clock, retention_days=self.settings.retention_days
        )

    @cached_property
    def idempotency_config(self) -> Any:
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        return IdempotencyConfig(event_key_jmespath="case_id", expires_after_seconds=7 * 86400)

    @cached_property
    def start_case_once(self) -> Callable[[CaseMessage], dict[str, Any]]:
        """start_case wrapped in Powertools idempotency, keyed on the case id (the business key): a message
        delivered again within 7 days returns the first result without starting anything."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

        persistence = DynamoDBPersistenceLayer(
            table_name=self.need(s.Idempotency).idempotency_table, boto3_client=self.clients.client("dynamodb")
        )
        start_case = self.start_case

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="case", persistence_store=persistence, config=self.idempotency_config
        )
        def start(case: dict[str, Any]) -> dict[str, Any]:
            return start_case(CaseMessage.model_validate(case))

        return lambda msg: start(case=msg.model_dump(mode="json"))

    def case_messages(self, start: Callable[[CaseMessage], dict[str, Any]]) -> HandleCaseMessage:
        from .logic.notify import HandleCaseMessage

        return HandleCaseMessage(start=start, dead_letters=self.dead_letters, work=self.work, clock=self.clock)

    @cached_property
    def send_stage(self) -> SendStage:
        from .logic.workflow import MailConfig, SendStage

        mail = self.need(s.Mail)
        return SendStage(
            cases=self.cases,
            links=self.links,
            directory=self.directory,
            work=self.work,
            alerts=self.alerts,
            mailer=self.mailer,
            pacer=self.pacer,
            link_key=self.link_key,
            clock=self.clock,
            config=MailConfig(
                sender=mail.sender_email,
                help_at_hand=mail.help_at_hand,
                public_base_url=mail.public_base_url,
                timers=mail.timers,
            ),
        )

    @cached_property
    def await_answer(self) -> AwaitAnswer:
        from .logic.workflow import AwaitAnswer

        return AwaitAnswer(cases=self.cases, tasks=self.tasks, clock=self.clock)

    @cached_property
    def mark_case(self) -> MarkCase:
        from .logic.workflow import MarkCase

        return MarkCase(cases=self.cases, work=self.work, alerts=self.alerts, clock=self.clock)

    @cached_property
    def deliver_effects(self) -> DeliverEffects:
        from .logic.outbox import DeliverEffects

        return DeliverEffects(cases=self.cases, tasks=self.tasks, alerts=self.alerts, clock=self.clock)

    @cached_property
    def respond(self) -> Respond:
        from .logic.respond import Respond

        return Respond(
            links=self.links,
            cases=self.cases,
            answers=self.answers,
            work=self.work,
            effects=self.deliver_effects,
            clock=self.clock,
            help_at_hand=self.need(s.HelpAtHandContact).help_at_hand,
        )

    @cached_property
    def record_delivery(self) -> RecordDelivery:
        from .logic.delivery import RecordDelivery

        return RecordDelivery(
            cases=self.cases,
            directory=self.directory,
            work=self.work,
            alerts=self.alerts,
            tasks=self.tasks,
            clock=self.clock,
            help_at_hand_email=self.need(s.HelpAtHandContact).help_at_hand_email,
        )

    @cached_property
    def gauge(self) -> MeasureGauge:
        from .logic.gauge import MeasureGauge

        return MeasureGauge(cases=self.cases, work=self.work, clock=self.clock)

    @cached_property
    def reconcile(self) -> Reconcile:
        from .logic.reconcile import Reconcile

        return Reconcile(
            cases=self.cases,
            queue=self.queue,
            workflow=self.workflow,
            work=self.work,
            alerts=self.alerts,
            effects=self.deliver_effects,
            clock=self.clock,
        )

    @cached_property
    def staff(self) -> Staff:
        from .logic.staff import Staff

        return Staff(
            cases=self.cases,
            answers=self.answers,
            workflow=self.workflow,
            work=self.work,
            directory=self.directory,
            dead_letters=self.dead_letters,
            clock=self.clock,
        )


# ---------------------------------------------------------------------- cold start, and handing services in
Provider = Callable[[type[s.FunctionSettings]], Services[Any]]
_provider: ContextVar[Provider | None] = ContextVar("advocacy_services_provider", default=None)


@contextlib.contextmanager
def provide(provider: Provider) -> Iterator[None]:
    """Within this block, handlers get their services from `provider` (given their settings class) instead of
    building them from the environment: how the offline twin runs the real handlers."""
    token = _provider.set(provider)
    try:
        yield
    finally:
        _provider.reset(token)


class Dependencies(Generic[SettingsT]):
    """A handler's services. Created at import: the settings are validated then (a missing variable fails
    the cold start with a ValidationError that names it)."""

    def __init__(self, settings_class: type[SettingsT]) -> None:
        self.settings_class = settings_class
        self._built: Services[SettingsT] | None = None
        self.get()

    def get(self) -> Services[SettingsT]:
        provider = _provider.get()
        if provider is not None:
            provided: Services[SettingsT] = provider(self.settings_class)
            return provided
        if self._built is None:
            self._built = Services(self.settings_class.from_environment())
        return self._built
