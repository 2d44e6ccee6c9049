"""Schemas shared by ingestion, the case workflow and the command line (pydantic v2)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Candidate(Frozen):
    gss_code: str
    name: str


class AuthorityMatch(Frozen):
    """The outcome of resolving one authority name or code against the directory."""

    input: str
    status: Literal["resolved", "ambiguous", "unknown"]
    gss_code: str | None = None
    name: str | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    # how it was matched: gss, dfe, name, variant, normalised, alias, predecessor, trust, fuzzy
    method: str | None = None


class Home(Frozen):
    """One in-scope home provisionally rated Inadequate, as read from an Ofsted file."""

    urn: str
    name: str | None = None  # None when the file says REDACTED or leaves it blank
    provision_type: str
    judgement: str
    inspection_date: date
    local_authority: str | None = None  # the LA the home is in (not a placing authority)
    registration_status: str | None = None
    placing_authorities: list[AuthorityMatch] = Field(default_factory=list)


class Rejected(Frozen):
    row: int  # 1-based row number in the sheet, as a spreadsheet shows it
    errors: list[str]


class Skipped(Frozen):
    row: int
    reason: str


class CaseRef(Frozen):
    """One home x one resolved placing LA: the unit of work that is queued."""

    case_id: str
    urn: str
    gss_code: str


class CaseMessage(Frozen):
    """The SQS message body for one case (what notify consumes)."""

    case_id: str
    urn: str
    gss_code: str
    la_name: str
    home_name: str | None
    provision_type: str
    home_local_authority: str | None
    judgement: str
    rating_date: date
    source_bucket: str
    source_key: str


class CaseFacts(BaseModel):
    """What every email and answer page says about a case: the authority asked and the home."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    la_name: str
    urn: str
    home_name: str | None
    provision_type: str
    home_local_authority: str | None
    rating_date: date


CASE_FACTS = frozenset(CaseFacts.model_fields)


class AnswerKind(StrEnum):
    CONFIRMED = "confirmed"
    REFERRALS_IN_PROGRESS = "referrals_in_progress"
    NO_CHILDREN_PLACED = "no_children_placed"
    NEED_HELP = "need_help"


class EmailKind(StrEnum):
    INITIAL = "initial"
    REMINDER = "reminder"
    ESCALATION = "escalation"
