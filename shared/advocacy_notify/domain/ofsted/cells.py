"""Cell parsing: provision-type scope, grades, URNs, dates and placing-authority lists."""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from .outcomes import one_line

# straight quotes for curly ones and a BOM as a space (header and grade text)
QUOTES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\ufeff": " "})

_SCOPE_PUNCT: Final = str.maketrans({"'": None, "\u2019": None, "\u2018": None, "`": None, "-": " "})


def classify_provision_type(value: str) -> tuple[str, bool]:
    """(whitespace-normalised text, in scope?) for a provision type cell.

    In scope: children's homes (secure, short-break, "Children's Home", ...) and residential
    special schools, including "Residential special school (registered as a children's home)".
    """
    display = " ".join(value.split())
    key = " ".join(display.lower().translate(_SCOPE_PUNCT).split())
    in_scope = (
        "childrens home" in key
        or "children home" in key
        or "residential special school" in key
        or ("short break" in key and "home" in key)
    )
    return display, in_scope


_OTHER_GRADES: Final = (
    "Outstanding",
    "Good",
    "Requires improvement to be good",
    "Requires improvement",
    "Adequate",
    "Satisfactory",
    "Met",
    "Not met",
    "Sufficient",
    "Insufficient",
    "Improved effectiveness",
    "Sustained effectiveness",
    "Declined in effectiveness",
)
_INADEQUATE_SPELLINGS: Final = (
    "inadequate",
    "provisionally inadequate",
    "inadequate (provisional)",
    "provisional inadequate",
)
J_INADEQUATE: Final = 0
J_OTHER: Final = 1
J_BLANK: Final = 2
J_UNKNOWN: Final = 3
_GRADES: Final[dict[str, tuple[int, str]]] = {g.lower(): (J_OTHER, g) for g in _OTHER_GRADES}
_GRADES.update({s: (J_INADEQUATE, "Inadequate") for s in _INADEQUATE_SPELLINGS})


def classify_judgement(value: str) -> tuple[int, str]:
    key = " ".join(value.translate(QUOTES).split()).lower().rstrip(".")
    if not key:
        return J_BLANK, ""
    return _GRADES.get(key, (J_UNKNOWN, one_line(value, 60)))


# --- cell values ----------------------------------------------------------------------

_URN_RE: Final = re.compile(r"SC\d{6}|\d{7}", re.ASCII)
URN_FULLMATCH: Final = _URN_RE.fullmatch
_URN_FLOAT_TEXT_RE: Final = re.compile(r"(\d{7})\.0+", re.ASCII)
_PLACING_SPLIT_RE: Final = re.compile(r"[;|\r\n\u2028\u2029\x0b\x0c\x85]+")
_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)
_SERIAL_MIN: Final = 20000
_SERIAL_MAX: Final = 80000
MIN_DATE: Final = dt.date(2000, 1, 1)
_DMY_RE: Final = re.compile(
    r"(\d{1,2})\s*([/\-.])\s*(\d{1,2})\s*\2\s*(\d{4})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII
)
_ISO_RE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII)
_WORDY_RE: Final = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})", re.ASCII)
_SERIAL_TEXT_RE: Final = re.compile(r"\d{5}(?:\.\d+)?", re.ASCII)
_MONTHS: Final[dict[str, int]] = {}
_MONTH_NAMES: Final = "january february march april may june july august september october november december"
for _number, _month in enumerate(_MONTH_NAMES.split(), start=1):
    _MONTHS[_month] = _number
    _MONTHS[_month[:3]] = _number
_MONTHS["sept"] = 9


def cell_text(value: object) -> str:
    """A workbook cell as text (CSV cells are already text)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value or value.isspace()
    return value is None


def split_placing_authorities(value: str) -> tuple[str, ...]:
    """Names from a placing-authorities cell: split on ';', '|' and line breaks (never on
    commas: "Bristol, City of" is one name); trimmed; empties dropped; order kept; exact
    repeats removed."""
    if not value or value.isspace():
        return ()
    names: dict[str, None] = {}
    for part in _PLACING_SPLIT_RE.split(value):
        part = part.strip()
        if part:
            names[part] = None
    return tuple(names)


def serial_to_date(serial: float) -> dt.date | None:
    if _SERIAL_MIN <= serial <= _SERIAL_MAX:
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    return None


def parse_date_text(text: str) -> dt.date | str:
    """A date, or an error message, for a text cell."""
    s = text.strip()
    shown = one_line(s, 40)
    m = _DMY_RE.fullmatch(s)
    if m:
        day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    elif m := _ISO_RE.fullmatch(s):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _WORDY_RE.fullmatch(s.lower()):
        month_no = _MONTHS.get(m.group(2))
        if month_no is None:
            return f"inspection date '{shown}' is not a date (expected dd/mm/yyyy)"
        day, month, year = int(m.group(1)), month_no, int(m.group(3))
    elif _SERIAL_TEXT_RE.fullmatch(s):
        serial = serial_to_date(float(s))
        if serial is None:
            return f"inspection date '{shown}' is not a date (expected dd/mm/yyyy)"
        return serial
    else:
        return f"inspection date '{shown}' is not a date (expected dd/mm/yyyy)"
    try:
        return dt.date(year, month, day)
    except ValueError:
        return f"inspection date '{shown}' is not a real date"


def parse_urn(raw: object, errors: list[str]) -> str:
    """A URN cell as SC + 6 digits or 7 digits; what is wrong with it goes to ``errors``."""
    if isinstance(raw, str):
        urn = "".join(raw.split()).upper()
    elif isinstance(raw, float) and raw.is_integer():
        urn = str(int(raw))
    elif isinstance(raw, bool):
        urn = ""
        errors.append(f"URN '{raw}' is not SC + 6 digits or 7 digits")
        return urn
    else:
        urn = cell_text(raw).strip().upper()
    if _URN_RE.fullmatch(urn):
        return urn
    if not urn:
        errors.append("URN is missing")
        return urn
    as_float = _URN_FLOAT_TEXT_RE.fullmatch(urn)
    if as_float:
        return as_float.group(1)
    errors.append(f"URN '{one_line(urn, 40)}' is not SC + 6 digits or 7 digits")
    return urn
