"""Typed settings: each function declares what it needs, and a missing variable fails at cold start.

Every setting comes from the function's environment (set by template.yaml). A function's settings class
combines the parts below; pydantic-settings reads them once per cold start (`wiring`), and a missing or
empty variable raises a `ValidationError` naming it before the first event is handled.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any, Self, cast

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .domain.emails import HelpAtHand
from .domain.schedule import Timers

Name = Annotated[str, Field(min_length=1)]


class FunctionSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    retention_days: int = Field(ge=30)

    @classmethod
    def from_mapping(cls, variables: Mapping[str, str]) -> Self:
        """The settings from these variables only (a function's configured environment, read by the offline
        twin or a staff command), validated exactly as at a cold start, never topped up from os.environ."""
        only = _mapping_only(cls)
        return cast(Self, only.model_validate({k.lower(): v for k, v in variables.items()}))

    @classmethod
    def from_environment(cls) -> Self:
        """The settings from this process's environment (a Lambda cold start). A missing or invalid variable
        raises `SettingsError`, naming each variable."""
        try:
            return cls()
        except ValidationError as exc:
            raise SettingsError(cls.__name__, exc) from None


class SettingsError(RuntimeError):
    def __init__(self, name: str, exc: ValidationError) -> None:
        problems = [f"{'.'.join(str(p) for p in e['loc']).upper()} ({e['msg'].lower()})" for e in exc.errors()]
        super().__init__(f"{name}: environment variables missing or invalid: {', '.join(problems)}")


@functools.cache
def _mapping_only(cls: type[FunctionSettings]) -> type[FunctionSettings]:
    """`cls`, reading nothing but what it is given (no environment, no .env file, no secrets directory)."""
    only: type[FunctionSettings] = type(cls.__name__, (cls,), {"settings_customise_sources": _init_only})
    return only


@classmethod  # type: ignore[misc]
def _init_only(
    cls: type[BaseSettings], settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, **_: Any
) -> tuple[PydanticBaseSettingsSource, ...]:
    return (init_settings,)


class CasesTable(FunctionSettings):
    cases_table: Name


class WorkTable(FunctionSettings):
    work_table: Name


class Alerts(FunctionSettings):
    alert_topic_arn: Name


class RatingsTable(FunctionSettings):
    ratings_table: Name


class LinksTable(FunctionSettings):
    links_table: Name


class AnswersTable(FunctionSettings):
    answers_table: Name


class DirectoryTable(FunctionSettings):
    directory_table: Name


class CaseQueue(FunctionSettings):
    case_queue_url: Name


class DeadLetters(FunctionSettings):
    case_dead_letter_queue_url: Name


class Workflow(FunctionSettings):
    state_machine_arn: Name


class Idempotency(FunctionSettings):
    idempotency_table: Name


class Files(FunctionSettings):
    drop_bucket: Name


class HelpAtHandContact(FunctionSettings):
    help_at_hand_email: Name
    help_at_hand_phone: Name

    @property
    def help_at_hand(self) -> HelpAtHand:
        return HelpAtHand(phone=self.help_at_hand_phone, email=self.help_at_hand_email)


class Chase(FunctionSettings):
    reminder_working_days: Name
    escalation_working_days: int = Field(ge=1)
    final_working_days: int = Field(ge=1)

    @property
    def timers(self) -> Timers:
        return Timers.from_settings(self.reminder_working_days, self.escalation_working_days, self.final_working_days)


class LinkSecret(FunctionSettings):
    link_secret_id: Name
    link_secret_max_age: int = Field(default=300, ge=0)  # seconds Powertools Parameters caches the key


class Mail(LinkSecret, HelpAtHandContact, Chase):
    sender_email: Name
    ses_configuration_set: Name
    public_base_url: Name
    max_send_rate: float = Field(gt=0)  # emails a second SES allows this account; sends are paced under it
    send_rate_table: Name


# ------------------------------------------------------------------ one class per function
class IngestSettings(CasesTable, WorkTable, Alerts, CaseQueue, RatingsTable):
    pass


class NotifySettings(CasesTable, WorkTable, Alerts, Workflow, Idempotency, DeadLetters):
    pass


class SendEmailSettings(CasesTable, LinksTable, DirectoryTable, WorkTable, Alerts, Mail):
    pass


class WorkflowTaskSettings(CasesTable, WorkTable, Alerts, Chase):
    """The workflow's small tasks: wait for the answer, record a technical failure, close a case."""


class RespondSettings(CasesTable, LinksTable, AnswersTable, WorkTable, Alerts, HelpAtHandContact):
    pass


class DeliveryEventsSettings(CasesTable, DirectoryTable, WorkTable, Alerts, HelpAtHandContact):
    pass


class GaugeSettings(CasesTable, WorkTable):
    pass


class ReconcileSettings(CasesTable, WorkTable, Alerts, CaseQueue, Workflow):
    pass


class StaffSettings(
    CasesTable, AnswersTable, WorkTable, DirectoryTable, CaseQueue, DeadLetters, Workflow, RatingsTable
):
    """What the staff commands act on (a deployed stack's outputs, or the offline twin's)."""

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, str], retention_days: str | None) -> StaffSettings:
        """From a stack's outputs (template.yaml `Outputs`) and its RetentionDays. Raises KeyError naming the
        output a stack deployed from an older template lacks."""
        return cls.from_mapping(
            {
                "retention_days": retention_days or "730",
                "cases_table": outputs["CasesTableName"],
                "answers_table": outputs["AnswersTableName"],
                "work_table": outputs["WorkTableName"],
                "directory_table": outputs["DirectoryTableName"],
                "ratings_table": outputs["RatingsTableName"],
                "case_queue_url": outputs["CaseQueueUrl"],
                "case_dead_letter_queue_url": outputs["CaseDeadLetterQueueUrl"],
                "state_machine_arn": outputs["CaseStateMachineArn"],
            }
        )
