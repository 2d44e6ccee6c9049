"""The answer form: its schema, labels, reading a posted body and validating raw form fields.

`read_form_body` turns a form post of any size (API Gateway accepts 10 MB) into fields without
decoding more than a bounded prefix of each value. `parse_answer_form` never raises on user input,
whatever its size or content: it returns either a valid `AnswerForm` and no errors, or None and a
dict of field name -> error message written in the GOV.UK error message style.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import unquote_plus

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from .addresses import InvalidAddress, plain_address
from .models import AnswerKind

__all__ = [
    "ANSWER_HINTS",
    "ANSWER_LABELS",
    "ASKS_BEFORE_CONTACT",
    "BEFORE_CONTACT_LABELS",
    "BEFORE_CONTACT_VALUES",
    "FIELD_ORDER",
    "MAX_CHILDREN",
    "MAX_EMAIL",
    "MAX_NOTES",
    "MAX_TEXT",
    "AnswerForm",
    "before_contact_form_value",
    "parse_answer_form",
    "read_form_body",
]

MAX_CHILDREN = 500
MAX_TEXT = 120
MAX_EMAIL = 254
MAX_NOTES = 2000

# Form fields in page order (the error summary lists errors in this order).
FIELD_ORDER: tuple[str, ...] = (
    "answer",
    "children_count",
    "advocacy_before_contact",
    "responder_name",
    "responder_role",
    "responder_email",
    "notes",
)

ANSWER_LABELS: dict[AnswerKind, str] = {
    AnswerKind.CONFIRMED: "Every child we placed there has an independent advocate or has been offered one",
    AnswerKind.REFERRALS_IN_PROGRESS: "We are making referrals to an advocate now",
    AnswerKind.NO_CHILDREN_PLACED: "We have no children placed there",
    AnswerKind.NEED_HELP: "We need help to arrange advocacy",
}

ANSWER_HINTS: dict[AnswerKind, str] = {
    AnswerKind.CONFIRMED: (
        "This includes non-instructed advocacy for any child who cannot instruct an advocate, "
        "and each child knows they can contact Help at Hand"
    ),
    AnswerKind.REFERRALS_IN_PROGRESS: "Some children do not have an advocate yet, but we are referring them",
    AnswerKind.NO_CHILDREN_PLACED: "None of the children living there were placed by us",
    AnswerKind.NEED_HELP: "Help at Hand will contact you within 2 working days",
}

# The habitual-referral question, asked when the council has children placed there: before Help at
# Hand contacted the council, did every child already have an advocate, or had been referred to one?
# Form value -> what is stored (`advocacy_before_contact`): true, false, or null for "do not know".
ASKS_BEFORE_CONTACT = frozenset({AnswerKind.CONFIRMED, AnswerKind.REFERRALS_IN_PROGRESS})
BEFORE_CONTACT_VALUES: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None}
BEFORE_CONTACT_LABELS: dict[str, str] = {"yes": "Yes", "no": "No", "unknown": "I do not know"}


def before_contact_form_value(value: bool | None) -> str:
    """The form value that stands for a stored `advocacy_before_contact` (None: "unknown")."""
    return next(form for form, stored in BEFORE_CONTACT_VALUES.items() if stored is value)


# Bidirectional overrides and isolates can make text display in a different order from
# how it is stored ("Trojan Source"); they have no place in a name or a note.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _has_control(value: str) -> bool:
    return any(ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs") for ch in value)


def _one_line(value: str) -> str:
    """Trim, and turn tabs, line breaks and runs of spaces into single spaces."""
    return " ".join(value.split())


def _clean_notes(value: str) -> str:
    """Keep line breaks and tabs; drop other control and bidi characters; trim."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = (ch for ch in value if ch in "\n\t" or not _has_control(ch))
    return "".join(kept).strip()


class AnswerForm(BaseModel):
    """One authority's answer, as validated from the respond form."""

    answer: AnswerKind
    children_count: int = Field(default=0, ge=0, le=MAX_CHILDREN)
    responder_name: str = Field(min_length=1, max_length=MAX_TEXT)
    responder_role: str = Field(min_length=1, max_length=MAX_TEXT)
    responder_email: str = Field(min_length=3, max_length=MAX_EMAIL)
    notes: str = Field(default="", max_length=MAX_NOTES)
    # True/False when asked (ASKS_BEFORE_CONTACT) and answered yes/no; None for "do not know" or not asked
    advocacy_before_contact: bool | None = None

    @field_validator("responder_name", "responder_role", mode="before")
    @classmethod
    def _single_line(cls, value: object) -> object:
        if isinstance(value, str):
            if len(value) > MAX_TEXT * 4:
                raise ValueError("too long")
            value = _one_line(value)
            if _has_control(value):
                raise ValueError("must not contain control characters")
        return value

    @field_validator("responder_email", mode="before")
    @classmethod
    def _email(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return plain_address(value.strip())
            except InvalidAddress:
                raise ValueError("must be a plain email address, like name@example.com") from None
        return value

    @field_validator("notes", mode="before")
    @classmethod
    def _notes(cls, value: object) -> object:
        if isinstance(value, str):
            if len(value) > MAX_NOTES * 4:
                raise ValueError("too long")
            return _clean_notes(value)
        return value

    @model_validator(mode="after")
    def _count_matches_answer(self) -> AnswerForm:
        if self.answer is AnswerKind.NO_CHILDREN_PLACED:
            if self.children_count != 0:
                raise ValueError("children_count must be 0 when no children are placed")
        elif self.children_count < 1:
            raise ValueError("children_count must be at least 1 unless no children are placed")
        if self.answer not in ASKS_BEFORE_CONTACT and self.advocacy_before_contact is not None:
            raise ValueError("advocacy_before_contact is only asked when children are placed there")
        return self


# --------------------------------------------------------------------------- reading a post

MAX_FIELDS = 50
# Any value longer than this is an error whatever the field (notes allow MAX_NOTES), so a longer
# value is cut here: the rest of a 10 MB paste is never decoded or held twice.
MAX_FIELD_CHARS = MAX_NOTES * 4 + 1
_MAX_ENCODED = MAX_FIELD_CHARS * 12  # a character is at most 4 UTF-8 bytes, each "%XX"


def read_form_body(body: str) -> dict[str, str]:
    """An application/x-www-form-urlencoded body as {name: value}, for a body of any size.

    Only the first MAX_FIELDS fields are read; each value is cut to MAX_FIELD_CHARS characters,
    which `parse_answer_form` then reports as too long, so one oversize field costs only its own
    value and every other value is kept. A repeated name keeps its last value."""
    fields: dict[str, str] = {}
    for pair in body.split("&", MAX_FIELDS)[:MAX_FIELDS]:
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if len(name) > 64:
            continue  # not one of ours
        fields[unquote_plus(name)] = unquote_plus(value[:_MAX_ENCODED])[:MAX_FIELD_CHARS]
    return fields


# --------------------------------------------------------------------------- parsing

_WHOLE_NUMBER = re.compile(r"^[0-9]+$")
_NEGATIVE_NUMBER = re.compile(r"^[-−][0-9]+$")
_ZERO_CHILDREN = (
    "The number of children must be 1 or more. If your council has no children placed there, "
    "select ‘We have no children placed there’"
)


def _field(fields: Mapping[str, str], name: str) -> str:
    try:
        value = fields.get(name, "")
    except Exception:  # a hostile or broken mapping must not break the page
        return ""
    return value if isinstance(value, str) else ""


def _parse_count(raw: str, answer: AnswerKind | None) -> tuple[int | None, str | None]:
    """(count, error). Blank is 0 for 'no children placed' and an error otherwise."""
    value = raw.strip().replace(",", "") if len(raw) <= 64 else raw
    no_children = answer is AnswerKind.NO_CHILDREN_PLACED
    if value == "":
        if no_children:
            return 0, None
        return None, "Enter the number of children, like 2"
    if len(value) > 20:
        return None, "Enter the number of children as a whole number, like 2"
    if _NEGATIVE_NUMBER.match(value):
        return None, "The number of children must be 0 or more"
    if not _WHOLE_NUMBER.match(value):
        return None, "Enter the number of children as a whole number, like 2"
    if len(value) > 4 or int(value) > MAX_CHILDREN:
        return None, f"The number of children must be {MAX_CHILDREN} or fewer"
    count = int(value)
    if no_children and count != 0:
        return None, "The number of children must be 0 if your council has no children placed there"
    if not no_children and answer is not None and count == 0:
        return None, _ZERO_CHILDREN
    return count, None


_BEFORE_CONTACT_MISSING = (
    "Select whether every child had an advocate, or had been referred to one, before Help at Hand contacted you"
)


def _parse_before_contact(raw: str, answer: AnswerKind | None) -> tuple[bool | None, str | None]:
    """(stored value, error). Required for the answers in ASKS_BEFORE_CONTACT, ignored for the others
    (and not reported while the answer itself is missing: that error comes first)."""
    if answer not in ASKS_BEFORE_CONTACT:
        return None, None
    value = raw.strip() if len(raw) <= 64 else raw
    if value not in BEFORE_CONTACT_VALUES:
        return None, _BEFORE_CONTACT_MISSING
    return BEFORE_CONTACT_VALUES[value], None


def _parse_text(raw: str, *, empty: str, too_long: str, bad: str) -> tuple[str | None, str | None]:
    if len(raw) > MAX_TEXT * 4:
        return None, too_long
    value = _one_line(raw)
    if value == "":
        return None, empty
    if len(value) > MAX_TEXT:
        return None, too_long
    if _has_control(value):
        return None, bad
    return value, None


def parse_answer_form(fields: Mapping[str, str]) -> tuple[AnswerForm | None, dict[str, str]]:
    """Validate raw form fields. Returns (form, {}) or (None, {field: message}).

    Unknown fields are ignored. Never raises because of what a user typed.
    """
    errors: dict[str, str] = {}

    raw_answer = _field(fields, "answer").strip()
    answer: AnswerKind | None = None
    if len(raw_answer) <= 64:
        try:
            answer = AnswerKind(raw_answer)
        except ValueError:
            answer = None
    if answer is None:
        errors["answer"] = "Select what you can confirm"

    count, err = _parse_count(_field(fields, "children_count"), answer)
    if err:
        errors["children_count"] = err

    before_contact, err = _parse_before_contact(_field(fields, "advocacy_before_contact"), answer)
    if err:
        errors["advocacy_before_contact"] = err

    texts: dict[str, str | None] = {}
    for key, what in (("responder_name", "name"), ("responder_role", "role")):
        texts[key], err = _parse_text(
            _field(fields, key),
            empty=f"Enter your {what}",
            too_long=f"Your {what} must be {MAX_TEXT} characters or fewer",
            bad=f"Your {what} must not include special characters, such as line breaks",
        )
        if err:
            errors[key] = err
    name, role = texts["responder_name"], texts["responder_role"]

    raw_email = _field(fields, "responder_email")
    email = raw_email.strip() if len(raw_email) <= MAX_EMAIL * 2 else raw_email
    if email == "":
        errors["responder_email"] = "Enter your email address"
    elif len(email) > MAX_EMAIL:
        errors["responder_email"] = f"Your email address must be {MAX_EMAIL} characters or fewer"
    else:
        try:
            email = plain_address(email)
        except InvalidAddress:
            errors["responder_email"] = "Enter your email address in the correct format, like name@example.com"

    raw_notes = _field(fields, "notes")
    notes = _clean_notes(raw_notes) if len(raw_notes) <= MAX_NOTES * 4 else raw_notes
    if len(notes) > MAX_NOTES:
        errors["notes"] = f"Anything else you want to tell us must be {MAX_NOTES:,} characters or fewer"

    if errors or answer is None or count is None or name is None or role is None:
        return None, {k: errors[k] for k in FIELD_ORDER if k in errors}
    try:
        form = AnswerForm(
            answer=answer,
            children_count=count,
            responder_name=name,
            responder_role=role,
            responder_email=email,
            notes=notes,
            advocacy_before_contact=before_contact,
        )
    except ValidationError:  # pragma: no cover - the checks above mirror the model's
        return None, {"answer": "Select what you can confirm"}
    return form, {}
