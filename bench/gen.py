"""Synthetic provisional Ofsted files for the benchmark (``make bench``).

A provisional file as Ofsted shares it with Help at Hand: two title rows, then the header, then one
row per home in the wide layout (``Placing authorities`` holds 1-4 names separated by ``;``, and
sometimes ``|`` or a line break). Everything is invented except the authorities, which are real:

- each home's placing authorities are drawn without replacement, weighted by the number of
  children looked after by each authority on 31 March of the latest year in
  ``cla_number_and_rate_per_10k_children.csv`` (DfE), so Birmingham, Kent and Lancashire appear
  far more often than Rutland or the Isles of Scilly;
- each authority is written the way real files write them: mostly the canonical name, often a real
  variant from ``la_name_variants.csv`` ("Leeds City Council", "Bristol, City of", "Tameside Mbc"),
  sometimes its GSS or DfE code or a shouted spelling; and a few names that must *not* resolve
  (the abolished "Cumbria" and "Northamptonshire" are ambiguous, Welsh councils are unknown);
- a few % of rows are out of scope (another provision type, or another grade), a small share are
  broken (bad URN, impossible or unreadable date, unrecognised judgement, blank provision type),
  and a very few homes have no placing authority at all.

The generator knows what every row should become (a home with N cases, skipped, or rejected), so
``GenStats`` gives the expected counts that the real reader must reproduce (see
tests/unit/test_bench_gen.py).

Files: CSV (UTF-8 with BOM, CRLF, dates as dd/mm/yyyy text), written with the standard library, and
XLSX (inline strings, typed dates, 7-digit URNs stored as numbers for most of the rows that have
one), written with XlsxWriter (bench/xlsx.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.xlsx import write_workbook

PROJECT = Path(__file__).resolve().parents[1]

HEADER = [
    "URN",
    "Setting name",
    "Provision type",
    "Registration status",
    "Local authority",
    "Provisional judgement",
    "Provisional judgement date",
    "Placing authorities",
]
TITLE_ROWS = [
    "Ofsted - children's homes and residential special schools provisionally judged inadequate: "
    "placing local authorities (SYNTHETIC BENCHMARK DATA)",
    "Shared with the Children's Commissioner's Help at Hand team. Every home, name and URN in this file "
    "is invented; the local authorities are real.",
]
SHEET_NAME = "Provisional inadequate"
CLA_POPULATION = "Children looked after on 31 March each year"

# --- the mix (shares of rows, or of placing-authority names) ----------------------------------

SHARE_OUT_OF_SCOPE = 0.03  # another provision type: skipped
SHARE_OTHER_GRADE = 0.03  # in scope, another grade: skipped
SHARE_BROKEN = 0.005  # rejected, with a reason
SHARE_NO_PLACING = 0.001  # a home with no placing authority: a staff work item
NAMES_PER_HOME = ((1, 0.35), (2, 0.35), (3, 0.20), (4, 0.10))  # mean 2.05
SHARE_AMBIGUOUS_NAME = 0.006  # per name: "Cumbria", "Northamptonshire", ...
SHARE_UNKNOWN_NAME = 0.003  # per name: a Welsh council
SHARE_HOME_LA_PLACES = 0.4  # the home's own authority is one of its placing authorities
NAME_FORMS = (("canonical", 0.70), ("variant", 0.17), ("gss", 0.08), ("dfe", 0.02), ("shouted", 0.03))
SEPARATORS = (("; ", 0.85), (";", 0.07), (" | ", 0.04), ("\n", 0.04))

IN_SCOPE_TYPES = (
    ("Children's home", 0.84),
    ("Children's Home", 0.03),  # the same workbook spells it both ways
    ("Residential special school", 0.05),
    ("Residential special school (registered as a children's home)", 0.03),
    ("Secure children's home", 0.01),
    ("Short-break-only children's home", 0.04),
)
OUT_OF_SCOPE_TYPES = (
    "Independent fostering agency",
    "Boarding school",
    "Residential family centre",
    "Supported accommodation",
    "Secure training centre",
    "Voluntary adoption agency",
)
OTHER_GRADES = (("Requires improvement to be good", 0.6), ("Good", 0.35), ("Outstanding", 0.05))
INADEQUATE = (("Inadequate", 0.98), ("Provisionally inadequate", 0.02))
AMBIGUOUS_NAMES = ("Cumbria", "Northamptonshire", "Kingston upon Thames / Richmond upon Thames")
UNKNOWN_NAMES = ("Cardiff", "Swansea", "Wrexham", "Powys", "Rhondda Cynon Taf")
BROKEN_KINDS = ("bad_urn", "impossible_date", "unreadable_date", "unknown_judgement", "blank_provision_type")

_HOME_WORDS = (
    "Maple", "Oak", "Willow", "Cedar", "Rowan", "Birch", "Elm", "Hazel", "Ash", "Holly",
    "Beech", "Larch", "Heather", "Bramble", "Meadow", "River", "Hill", "Brook", "Orchard", "Fern",
)  # fmt: skip
_HOME_KINDS = ("House", "View", "Lodge", "Court", "Cottage", "Grange", "Farm", "Place", "Close", "Gardens")


def data_dir() -> Path:
    """The real public data beside the repo (../shared/data), found as the tests find it."""
    from advocacy_offline.shared_data import shared_data_dir

    return shared_data_dir()


@dataclass(frozen=True)
class Authority:
    gss_code: str
    name: str
    dfe_code: str
    children_looked_after: int
    variants: tuple[str, ...]


def load_authorities(folder: Path | None = None) -> tuple[list[Authority], int]:
    """The 153 authorities with their children looked after (latest year) and real name variants.

    Returns (authorities with a positive count, latest year). Authorities whose count is suppressed
    in the DfE file ('z', 'c': Isles of Scilly, City of London) get no weight, as in reality they
    place almost no children; predecessors (Cumbria, Northamptonshire) are not among the 153."""
    folder = folder or data_dir()
    with (folder / "local_authorities.csv").open(encoding="utf-8-sig", newline="") as f:
        las = list(csv.DictReader(f))
    with (folder / "la_name_variants.csv").open(encoding="utf-8-sig", newline="") as f:
        variants = list(csv.DictReader(f))
    with (folder / "cla_number_and_rate_per_10k_children.csv").open(encoding="utf-8-sig", newline="") as f:
        cla = [
            r
            for r in csv.DictReader(f)
            if r["geographic_level"] == "Local authority" and r["population_type"] == CLA_POPULATION
        ]
    latest = max(int(r["time_period"]) for r in cla)
    counts: dict[str, int] = {}
    for r in cla:
        if int(r["time_period"]) == latest and r["children_count"].strip().isdigit():
            counts[r["new_la_code"]] = int(r["children_count"])
    by_name: dict[str, list[str]] = {}
    for v in variants:
        if "|" in v["canonical_name"]:
            continue  # covers several authorities: ambiguous by design
        text = v["variant"]
        if any(sep in text for sep in (";", "|", "\n", "\r")):
            continue
        by_name.setdefault(v["canonical_name"], []).append(text)
    out = [
        Authority(
            gss_code=la["gss_code"],
            name=la["name"],
            dfe_code=la["dfe_code"],
            children_looked_after=counts.get(la["gss_code"], 0),
            variants=tuple(sorted(set(by_name.get(la["name"], [])) - {la["name"]})),
        )
        for la in las
    ]
    return [a for a in out if a.children_looked_after > 0], latest


# --- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Name:
    text: str  # as written in the file
    form: str  # canonical | variant | gss | dfe | shouted | ambiguous | unknown
    gss_code: str | None  # what it should resolve to; None when it must not resolve


@dataclass
class Row:
    urn: str | int  # "SC123456", or 1234567 (a 7-digit URN; stored as a number in XLSX)
    name: str
    provision_type: str
    registration_status: str
    local_authority: str
    judgement: str
    date: dt.date | str  # a date, or the broken text of a broken row
    names: list[Name]  # the placing authorities
    separator: str
    kind: str  # case | out_of_scope | other_grade | broken:<why>
    urn_as_text: bool = False  # a 7-digit URN stored as text in XLSX

    @property
    def placing(self) -> str:
        return self.separator.join(n.text for n in self.names)

    @property
    def cases(self) -> list[str]:
        """GSS codes of the cases this row should open (empty unless the row is a case row)."""
        return [n.gss_code for n in self.names if n.gss_code] if self.kind == "case" else []

    def cells(self) -> list[Any]:
        return [
            self.urn,
            self.name,
            self.provision_type,
            self.registration_status,
            self.local_authority,
            self.judgement,
            self.date,
            self.placing,
        ]


@dataclass
class GenStats:
    rows: int = 0
    homes: int = 0  # rows the reader should parse (in scope, Inadequate, valid)
    skipped: int = 0
    rejected: int = 0
    out_of_scope: int = 0
    other_grade: int = 0
    no_placing_authority: int = 0
    expected_cases: int = 0
    unresolved_names: int = 0  # placing names that must stay ambiguous or unknown (staff work items)
    # the counters below describe the case rows (the homes) only
    names_per_home: Counter[int] = field(default_factory=Counter)
    name_forms: Counter[str] = field(default_factory=Counter)
    placing_by_gss: Counter[str] = field(default_factory=Counter)
    broken: Counter[str] = field(default_factory=Counter)

    def add(self, row: Row) -> None:
        self.rows += 1
        if row.kind == "case":
            self.homes += 1
            self.expected_cases += len(row.cases)
            self.names_per_home[len(row.names)] += 1
            if not row.names:
                self.no_placing_authority += 1
            for n in row.names:
                self.name_forms[n.form] += 1
                if n.gss_code:
                    self.placing_by_gss[n.gss_code] += 1
                else:
                    self.unresolved_names += 1
        elif row.kind == "out_of_scope":
            self.skipped += 1
            self.out_of_scope += 1
        elif row.kind == "other_grade":
            self.skipped += 1
            self.other_grade += 1
        else:
            self.rejected += 1
            self.broken[row.kind.split(":", 1)[1]] += 1

    def remove(self, row: Row) -> None:
        """Undo add() (used when a row is cut short)."""
        before = GenStats()
        before.add(row)
        for name in ("rows", "homes", "skipped", "rejected", "out_of_scope", "other_grade"):
            setattr(self, name, getattr(self, name) - getattr(before, name))
        for name in ("no_placing_authority", "expected_cases", "unresolved_names"):
            setattr(self, name, getattr(self, name) - getattr(before, name))
        for name in ("names_per_home", "name_forms", "placing_by_gss", "broken"):
            counter: Counter[Any] = getattr(self, name)
            counter.subtract(getattr(before, name))
            setattr(self, name, +counter)

    def summary(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["names_per_home"] = {str(k): v for k, v in sorted(self.names_per_home.items())}
        doc["name_forms"] = dict(sorted(self.name_forms.items()))
        doc["broken"] = dict(sorted(self.broken.items()))
        doc["distinct_placing_authorities"] = len(self.placing_by_gss)
        doc["top_placing_authorities"] = dict(self.placing_by_gss.most_common(5))
        del doc["placing_by_gss"]
        return doc


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    x = rng.random()
    for value, share in weighted:
        x -= share
        if x < 0:
            return value
    return weighted[-1][0]


class Generator:
    """Deterministic for a given seed and anchor date (the day the file is "shared")."""

    def __init__(self, seed: int = 20261124, anchor: dt.date | None = None, folder: Path | None = None) -> None:
        self.rng = random.Random(seed)
        self.anchor = anchor or dt.date.today()
        self.authorities, self.cla_year = load_authorities(folder)
        self.weights = [a.children_looked_after for a in self.authorities]
        self._cum_weights = list(itertools.accumulate(self.weights))
        self.stats = GenStats()
        self._n = 0
        self._sc_start = self.rng.randrange(900_000)
        self._num_start = self.rng.randrange(9_000_000)

    # -- pieces -------------------------------------------------------------------------------
    def _urn(self, seven_digits: bool) -> str | int:
        i = self._n
        if seven_digits:  # a permutation of 1000000..9999999: unique for 9 million rows
            return 1_000_000 + (self._num_start + i * 104_729) % 9_000_000
        return f"SC{100_000 + (self._sc_start + i * 7_919) % 900_000:06d}"

    def _authority(self) -> Authority:
        return self.rng.choices(self.authorities, cum_weights=self._cum_weights)[0]

    def _name_for(self, la: Authority) -> tuple[str, str]:
        """(how a file writes this authority, which form that is)."""
        form = _pick(self.rng, NAME_FORMS)
        if form == "variant" and not la.variants:
            form = "canonical"
        if form == "variant":
            return self.rng.choice(la.variants), form
        if form == "gss":
            return la.gss_code, form
        if form == "dfe":
            return la.dfe_code, form
        if form == "shouted":
            return la.name.upper(), form
        return la.name, form

    def _placing(self, home_la: Authority) -> tuple[list[Name], str]:
        """The placing authorities of one home (each as written, with the GSS code it should
        resolve to, or None) and the separator of the cell."""
        if self.rng.random() < SHARE_NO_PLACING:
            return [], "; "
        k = _pick(self.rng, NAMES_PER_HOME)
        chosen: list[Authority] = [home_la] if self.rng.random() < SHARE_HOME_LA_PLACES else []
        while len(chosen) < k:
            la = self._authority()
            if la not in chosen:
                chosen.append(la)
        self.rng.shuffle(chosen)
        names: list[Name] = []
        for la in chosen:
            x = self.rng.random()
            if x < SHARE_AMBIGUOUS_NAME:
                text, form, gss = self.rng.choice(AMBIGUOUS_NAMES), "ambiguous", None
            elif x < SHARE_AMBIGUOUS_NAME + SHARE_UNKNOWN_NAME:
                text, form, gss = self.rng.choice(UNKNOWN_NAMES), "unknown", None
            else:
                (text, form), gss = self._name_for(la), la.gss_code
            if all(text != n.text for n in names):  # the reader drops exact repeats in a cell
                names.append(Name(text, form, gss))
        return names, _pick(self.rng, SEPARATORS)

    def _home_name(self, provision: str) -> str:
        if "school" in provision.lower():
            return f"{self.rng.choice(_HOME_WORDS)} {self.rng.choice(('Park', 'Hall', 'Bank', 'Field'))} School"
        if self.rng.random() < 0.3:
            return "REDACTED"  # as in Ofsted's public files
        return f"{self.rng.choice(_HOME_WORDS)} {self.rng.choice(_HOME_KINDS)}"

    # -- one row ------------------------------------------------------------------------------
    def row(self) -> Row:
        rng = self.rng
        x = rng.random()
        home_la = self._authority()
        provision = _pick(rng, IN_SCOPE_TYPES)
        seven = "school" in provision.lower() or rng.random() < 0.05
        urn = self._urn(seven)
        date: dt.date | str = self.anchor - dt.timedelta(days=rng.randrange(1, 120))
        judgement = _pick(rng, INADEQUATE)
        status = "Suspended" if rng.random() < 0.03 else "Active"
        kind = "case"
        names, separator = self._placing(home_la)
        if x < SHARE_OUT_OF_SCOPE:
            kind = "out_of_scope"
            provision = rng.choice(OUT_OF_SCOPE_TYPES)
            judgement = _pick(rng, INADEQUATE) if rng.random() < 0.5 else _pick(rng, OTHER_GRADES)
        elif x < SHARE_OUT_OF_SCOPE + SHARE_OTHER_GRADE:
            kind = "other_grade"
            judgement = _pick(rng, OTHER_GRADES)
        elif x < SHARE_OUT_OF_SCOPE + SHARE_OTHER_GRADE + SHARE_BROKEN:
            why = rng.choice(BROKEN_KINDS)
            kind = f"broken:{why}"
            if why == "bad_urn":
                urn = rng.choice(("SC12345", "S C 1234", "URN?", "12345678"))
            elif why == "impossible_date":
                date = f"31/02/{self.anchor.year}"
            elif why == "unreadable_date":
                date = rng.choice(("TBC", "week of inspection", "13/13/2026"))
            elif why == "unknown_judgement":
                judgement = rng.choice(("Inadequat", "Grade 4", "Inadequate?"))
            else:
                provision = ""
        self._n += 1
        row = Row(
            urn=urn,
            name=self._home_name(provision),
            provision_type=provision,
            registration_status=status,
            local_authority=home_la.name,
            judgement=judgement,
            date=date,
            names=names,
            separator=separator,
            kind=kind,
            urn_as_text=isinstance(urn, int) and rng.random() < 0.2,
        )
        self.stats.add(row)
        return row

    def rows(self, n: int) -> Iterator[Row]:
        for _ in range(n):
            yield self.row()

    def chase_rows(self, homes: int, per_home: int) -> Iterator[Row]:
        """``homes`` in-scope homes rated Inadequate, each with ``per_home`` distinct placing authorities
        written by their canonical names: every name resolves, so the file opens exactly
        ``homes * per_home`` cases (the full-chase benchmark's file)."""
        for _ in range(homes):
            home_la = self._authority()
            chosen: list[Authority] = []
            while len(chosen) < per_home:
                la = self._authority()
                if la not in chosen:
                    chosen.append(la)
            self._n += 1
            row = Row(
                urn=self._urn(seven_digits=False),
                name=self._home_name("Children's home"),
                provision_type="Children's home",
                registration_status="Active",
                local_authority=home_la.name,
                judgement="Inadequate",
                date=self.anchor - dt.timedelta(days=self.rng.randrange(1, 14)),
                names=[Name(la.name, "canonical", la.gss_code) for la in chosen],
                separator="; ",
                kind="case",
            )
            self.stats.add(row)
            yield row

    def rows_for_cases(self, n_cases: int) -> Iterator[Row]:
        """Realistic rows until exactly ``n_cases`` cases (the last home's list is cut short)."""
        total = 0
        while total < n_cases:
            row = self.row()
            if total + len(row.cases) > n_cases:
                self.stats.remove(row)
                keep: list[Name] = []
                for n in row.names:
                    if len([k for k in keep if k.gss_code]) == n_cases - total:
                        break
                    keep.append(n)
                row.names = keep
                self.stats.add(row)
            total += len(row.cases)
            yield row


# --- writers ----------------------------------------------------------------------------------


def _csv_cell(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def write_csv(path: Path, rows: Iterator[Row]) -> int:
    """UTF-8 with BOM, CRLF, two title rows then the header on row 3 (as Ofsted's exports)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        for title in TITLE_ROWS:
            w.writerow([title] + [""] * (len(HEADER) - 1))
        w.writerow(HEADER)
        n = 0
        for row in rows:
            w.writerow([_csv_cell(v) for v in row.cells()])
            n += 1
    return n


def _xlsx_rows(rows: Iterator[Row]) -> Iterator[list[Any]]:
    """The sheet's rows: the title rows, the header, then each row's cells (a 7-digit URN stays a
    number unless the row says it was stored as text)."""
    for title in TITLE_ROWS:
        yield [title]
    yield list(HEADER)
    for row in rows:
        cells = row.cells()
        if row.urn_as_text:
            cells[0] = str(row.urn)
        yield cells


def write_xlsx(path: Path, rows: Iterator[Row]) -> int:
    """One sheet, streamed to disk row by row (XlsxWriter's constant-memory mode, which writes text
    as inline strings): typed dates (a serial with a date format), and most 7-digit URNs as numbers,
    as Excel stores them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    (written,) = write_workbook(path, [(SHEET_NAME, _xlsx_rows(rows))], constant_memory=True)
    return written - len(TITLE_ROWS) - 1


# --- the benchmark's files --------------------------------------------------------------------


def generate(out: Path, *, seed: int = 20261124, anchor: dt.date | None = None) -> dict[str, Any]:
    """bench/data: provisional_100k.csv, provisional_100k.xlsx (the same rows), provisional_10k.csv
    and provisional_1000_cases.csv (for the offline workflow). Returns each file's expected counts."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}

    def one(name: str, file_seed: int, *, n: int = 0, cases: int = 0, xlsx: bool = False) -> None:
        g = Generator(seed=file_seed, anchor=anchor)
        rows = list(g.rows_for_cases(cases)) if cases else list(g.rows(n))
        path = out / name
        write_csv(path, iter(rows))
        files[name] = {"path": str(path), "bytes": path.stat().st_size, **g.stats.summary()}
        if xlsx:
            book = path.with_suffix(".xlsx")
            write_xlsx(book, iter(rows))
            files[book.name] = {"path": str(book), "bytes": book.stat().st_size, **g.stats.summary()}
        files["cla_year"] = g.cla_year

    one("provisional_100k.csv", seed, n=100_000, xlsx=True)
    one("provisional_10k.csv", seed + 1, n=10_000)
    one("provisional_1000_cases.csv", seed + 2, cases=1000)
    return files


if __name__ == "__main__":  # python -m bench.gen [OUT]
    import json
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT / "bench" / "data"
    print(json.dumps(generate(target), indent=1))
