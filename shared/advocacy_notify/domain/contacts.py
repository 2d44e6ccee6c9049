"""The authority directory's contacts, kept by Help at Hand staff."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator

from .addresses import InvalidAddress, plain_address


class Contacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    gss_code: str
    la_name: str
    advocacy_lead: str | None = None
    childrens_services: str | None = None
    senior_contact: str | None = None

    @field_validator("advocacy_lead", "childrens_services", "senior_contact", mode="before")
    @classmethod
    def _email(cls, value: object) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise ValueError("not a single plain email address")
        try:
            return plain_address(value.strip())
        except InvalidAddress:
            raise ValueError("not a single plain email address") from None

    def first_contact(self) -> list[str]:
        """Initial emails and reminders go to the advocacy lead and the children's services inbox."""
        return _unique([self.advocacy_lead, self.childrens_services])

    def escalation(self, help_at_hand: str) -> list[str]:
        return _unique([self.senior_contact, help_at_hand])


def _unique(values: list[str | None]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v.lower() not in {o.lower() for o in out}:
            out.append(v)
    return out


def example_contacts(gss_code: str, la_name: str) -> Contacts:
    """Seed contacts for local runs: addresses under the reserved .example domain."""
    slug = re.sub(r"[^a-z0-9]+", "-", la_name.lower().replace(", city of", "").replace(", county of", ""))
    slug = slug.strip("-")
    return Contacts(
        gss_code=gss_code,
        la_name=la_name,
        advocacy_lead=f"advocacy.lead@{slug}.example",
        childrens_services=f"childrens.services@{slug}.example",
        senior_contact=f"director.childrens.services@{slug}.example",
    )
