"""A world of in-memory fakes with every use case wired to them, for the unit tests of `logic/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes, policy

from advocacy_notify.domain.authorities import AuthorityDirectory
from advocacy_notify.domain.case import Case
from advocacy_notify.domain.contacts import Contacts, example_contacts
from advocacy_notify.domain.emails import HelpAtHand
from advocacy_notify.domain.models import CaseMessage
from advocacy_notify.domain.schedule import Timers
from advocacy_notify.logic.delivery import RecordDelivery
from advocacy_notify.logic.gauge import MeasureGauge
from advocacy_notify.logic.ingest import Ingest
from advocacy_notify.logic.monitoring import RecordSnapshot
from advocacy_notify.logic.notify import HandleCaseMessage, StartCase
from advocacy_notify.logic.outbox import DeliverEffects
from advocacy_notify.logic.reconcile import Reconcile
from advocacy_notify.logic.report import MonthlyReport
from advocacy_notify.logic.respond import Respond
from advocacy_notify.logic.staff import Staff
from advocacy_notify.logic.workflow import AwaitAnswer, MailConfig, MarkCase, SendStage

from tests.fakes import (
    FakeAlerts,
    FakeClock,
    FakeDeadLetters,
    FakeFiles,
    FakeLinkKey,
    FakeMailer,
    FakePacer,
    FakeQueue,
    FakeWorkflow,
    InMemoryAnswers,
    InMemoryCases,
    InMemoryDirectory,
    InMemoryLinks,
    InMemorySnapshots,
    InMemoryWork,
)

HELP = HelpAtHand(email="help.at.hand@childrenscommissioner.example", phone="0800 528 0731")
LEEDS = "E08000035"


def leeds_contacts() -> Contacts:
    return example_contacts(LEEDS, "Leeds")


@dataclass
class World:
    clock: FakeClock = field(default_factory=FakeClock)
    cases: InMemoryCases = field(default_factory=InMemoryCases)
    links: InMemoryLinks = field(default_factory=InMemoryLinks)
    answers: InMemoryAnswers = field(default_factory=InMemoryAnswers)
    directory: InMemoryDirectory = field(default_factory=lambda: InMemoryDirectory([leeds_contacts()]))
    work: InMemoryWork = field(default_factory=InMemoryWork)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    pacer: FakePacer = field(default_factory=FakePacer)
    link_key: FakeLinkKey = field(default_factory=FakeLinkKey)
    workflow: FakeWorkflow = field(default_factory=FakeWorkflow)
    alerts: FakeAlerts = field(default_factory=FakeAlerts)
    files: FakeFiles = field(default_factory=FakeFiles)
    queue: FakeQueue = field(default_factory=FakeQueue)
    snapshots: InMemorySnapshots = field(default_factory=InMemorySnapshots)
    dead_letters: FakeDeadLetters = field(default_factory=FakeDeadLetters)
    timers: Timers = field(default_factory=Timers)

    # ------------------------------------------------------------------ use cases
    def send_stage(self) -> SendStage:
        config = MailConfig(
            sender="advocacy@notify.childrenscommissioner.example",
            help_at_hand=HELP,
            public_base_url="https://respond.example",
            timers=self.timers,
        )
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
            config=config,
        )

    def await_answer(self) -> AwaitAnswer:
        return AwaitAnswer(cases=self.cases, tasks=self.workflow, clock=self.clock)

    def mark_case(self) -> MarkCase:
        return MarkCase(cases=self.cases, work=self.work, alerts=self.alerts, clock=self.clock)

    def effects(self) -> DeliverEffects:
        return DeliverEffects(cases=self.cases, tasks=self.workflow, alerts=self.alerts, clock=self.clock)

    def respond(self) -> Respond:
        return Respond(
            links=self.links,
            cases=self.cases,
            answers=self.answers,
            work=self.work,
            effects=self.effects(),
            clock=self.clock,
            help_at_hand=HELP,
        )

    def ingest(self) -> Ingest:
        return Ingest(
            files=self.files,
            cases=self.cases,
            queue=self.queue,
            work=self.work,
            alerts=self.alerts,
            clock=self.clock,
            retention_days=730,
            monitor=self.monitor(),
            directory=AuthorityDirectory.default(),
        )

    def monitor(self) -> RecordSnapshot:
        return RecordSnapshot(
            snapshots=self.snapshots, cases=self.cases, work=self.work, alerts=self.alerts, clock=self.clock
        )

    def report(self) -> MonthlyReport:
        return MonthlyReport(cases=self.cases, answers=self.answers, snapshots=self.snapshots)

    def start_case(self) -> StartCase:
        return StartCase(cases=self.cases, workflow=self.workflow, clock=self.clock, retention_days=730)

    def case_messages(self) -> HandleCaseMessage:
        return HandleCaseMessage(
            start=self.start_case(), dead_letters=self.dead_letters, work=self.work, clock=self.clock
        )

    def record_delivery(self) -> RecordDelivery:
        return RecordDelivery(
            cases=self.cases,
            directory=self.directory,
            work=self.work,
            alerts=self.alerts,
            tasks=self.workflow,
            clock=self.clock,
            help_at_hand_email=HELP.email,
        )

    def gauge(self) -> MeasureGauge:
        return MeasureGauge(cases=self.cases, work=self.work, clock=self.clock)

    def reconcile(self) -> Reconcile:
        return Reconcile(
            cases=self.cases,
            queue=self.queue,
            workflow=self.workflow,
            work=self.work,
            alerts=self.alerts,
            effects=self.effects(),
            clock=self.clock,
        )

    def staff(self) -> Staff:
        return Staff(
            cases=self.cases,
            answers=self.answers,
            workflow=self.workflow,
            work=self.work,
            directory=self.directory,
            dead_letters=self.dead_letters,
            clock=self.clock,
        )

    # ------------------------------------------------------------------ helpers
    def message(
        self, urn: str = "SC900101", gss_code: str = LEEDS, la_name: str = "Leeds", rating: date | None = None
    ) -> CaseMessage:
        return CaseMessage(
            case_id=f"{urn}-{gss_code}-{(rating or date(2026, 11, 3)).isoformat().replace('-', '')}",
            urn=urn,
            gss_code=gss_code,
            la_name=la_name,
            home_name="Maple View",
            provision_type="Children's home",
            home_local_authority="Leeds",
            judgement="Inadequate",
            rating_date=rating or date(2026, 11, 3),
            source_bucket="drop",
            source_key="incoming/prov.csv",
        )

    def open_case(self, **kwargs: object) -> Case:
        """A claimed, queued case whose workflow has started (what notify leaves)."""
        msg = self.message(**kwargs)  # type: ignore[arg-type]
        case = Case.opened(msg, self.clock.now(), 730)
        self.cases.claim(case)
        self.cases.mark_queued([case.case_id], self.clock.now())
        self.cases.workflow_started(case.case_id, case.case_id, self.clock.now())
        self.workflow.start(case.case_id, {})
        return case

    def sent_to(self, n: int = -1) -> tuple[str, ...]:
        return self.mailer.sent[n].to

    def sent_link(self, n: int = -1) -> str:
        message = message_from_bytes(self.mailer.sent[n].raw, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        text = str(body.get_content())
        start = text.index("/respond/") + len("/respond/")
        return text[start : start + 32]


def at(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=UTC)
