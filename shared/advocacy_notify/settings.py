"""Typed environment settings. Every function reads the same variable names, set by template.yaml."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from .domain.cases import Timers
from .domain.clock import Clock
from .domain.emails import HelpAtHand


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    cases_table: str = ""
    links_table: str = ""
    answers_table: str = ""
    directory_table: str = ""
    work_table: str = ""
    idempotency_table: str = ""
    case_queue_url: str = ""
    state_machine_arn: str = ""
    alert_topic_arn: str = ""
    link_secret_id: str = ""
    sender_email: str = "advocacy@notify.example"
    ses_configuration_set: str = ""
    public_base_url: str = "https://respond.example"
    help_at_hand_email: str = "help.at.hand@childrenscommissioner.gov.uk"
    help_at_hand_phone: str = "0800 528 0731"
    day_seconds: float = Field(default=86400.0, gt=0)
    clock_epoch: str = ""
    reminder_working_days: str = "5,10"
    escalation_working_days: int = 15
    final_working_days: int = 20
    retention_days: int = 730

    @classmethod
    def from_env(cls) -> Settings:
        fields = cls.model_fields
        values = {name: os.environ[name.upper()] for name in fields if os.environ.get(name.upper())}
        return cls.model_validate(values)

    @property
    def clock(self) -> Clock:
        return Clock.from_settings(self.day_seconds, self.clock_epoch)

    @property
    def timers(self) -> Timers:
        return Timers.from_settings(self.reminder_working_days, self.escalation_working_days, self.final_working_days)

    @property
    def help_at_hand(self) -> HelpAtHand:
        return HelpAtHand(phone=self.help_at_hand_phone, email=self.help_at_hand_email)
