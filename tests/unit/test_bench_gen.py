"""The benchmark's synthetic data (bench/gen.py): sizes, columns, a realistic authority mix, and files
that the real reader reads exactly as the generator says it should."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from advocacy_notify.domain.authorities import AuthorityDirectory
from advocacy_notify.domain.ofsted import ParsedRow, RowRejected, RowSkipped, open_ofsted
from advocacy_notify.domain.pipeline import Counts, HomeOut, process
from python_calamine import CalamineWorkbook

from bench import gen

ANCHOR = dt.date(2026, 11, 24)
ROWS = 3000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[gen.Generator, list[gen.Row], Path, Path]:
    g = gen.Generator(seed=7, anchor=ANCHOR)
    rows = list(g.rows(ROWS))
    folder = tmp_path_factory.mktemp("bench")
    csv_path, xlsx_path = folder / "p.csv", folder / "p.xlsx"
    assert gen.write_csv(csv_path, iter(rows)) == ROWS
    assert gen.write_xlsx(xlsx_path, iter(rows)) == ROWS
    return g, rows, csv_path, xlsx_path


def test_csv_layout_title_rows_then_header(generated: tuple[gen.Generator, list[gen.Row], Path, Path]) -> None:
    _, _, csv_path, _ = generated
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, as Ofsted's exports
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert len(table) == 3 + ROWS
    assert "SYNTHETIC" in table[0][0]
    assert table[2] == gen.HEADER
    assert {len(r) for r in table} == {len(gen.HEADER)}
    _, rows, _, _ = generated
    for row, cells in zip(rows, table[3:], strict=True):
        if row.kind == "case":  # a home: a real date in the last few months, as dd/mm/yyyy
            assert ANCHOR - dt.timedelta(days=120) <= row.date < ANCHOR  # type: ignore[operator]
            assert dt.datetime.strptime(cells[6], "%d/%m/%Y").date() == row.date
    urns = [r[0] for r in table[3:]]
    assert any(u.startswith("SC") and len(u) == 8 for u in urns)
    assert any(u.isdigit() and len(u) == 7 for u in urns)
    assert len(set(urns)) > ROWS * 0.99  # unique, bar a few broken URNs


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_real_reader_reads_what_the_generator_says(
    generated: tuple[gen.Generator, list[gen.Row], Path, Path], kind: str
) -> None:
    g, rows, csv_path, xlsx_path = generated
    path = csv_path if kind == "csv" else xlsx_path
    stats = g.stats
    assert stats.rows == ROWS
    directory = AuthorityDirectory.default()
    with open_ofsted(path) as f:
        assert f.format == kind
        assert f.header_row == 3
        assert f.has_placing_column
        assert f.has_judgement_column
        outcomes = list(f.rows())
    kinds = Counter(type(o) for o in outcomes)
    assert kinds[ParsedRow] == stats.homes
    assert kinds[RowSkipped] == stats.skipped == stats.out_of_scope + stats.other_grade
    assert kinds[RowRejected] == stats.rejected == sum(stats.broken.values())
    # every rejected row is one the generator broke, and vice versa
    broken_rows = {4 + i for i, r in enumerate(rows) if r.kind.startswith("broken:")}
    assert {o.row for o in outcomes if isinstance(o, RowRejected)} == broken_rows

    with open_ofsted(path) as f:
        counts = Counts()
        by_urn: dict[str, set[str]] = {}
        for o in process(f, directory):
            counts.add(o)
            if isinstance(o, HomeOut):
                by_urn[o.home.urn] = {c.gss_code for c in o.cases}
    assert counts.rows_read == ROWS
    assert counts.cases == stats.expected_cases
    assert counts.unresolved_authorities == stats.unresolved_names
    assert counts.homes_without_placing_authority == stats.no_placing_authority
    expected = {str(r.urn): set(r.cases) for r in rows if r.kind == "case"}
    assert by_urn == expected  # each placing name resolved to the authority it was generated from


def test_the_xlsx_holds_the_csv_rows_typed_as_excel_stores_them(
    generated: tuple[gen.Generator, list[gen.Row], Path, Path],
) -> None:
    _, rows, csv_path, xlsx_path = generated
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    sheet = CalamineWorkbook.from_path(str(xlsx_path)).get_sheet_by_index(0).to_python()
    assert len(sheet) == len(table) == 3 + ROWS

    def as_csv_text(cell: object) -> str:
        if isinstance(cell, dt.date):
            return cell.strftime("%d/%m/%Y")
        if isinstance(cell, float) and cell.is_integer():
            return str(int(cell))
        return str(cell)

    assert [[as_csv_text(c) for c in cells] for cells in sheet] == [
        cells + [""] * (len(gen.HEADER) - len(cells)) for cells in table
    ]
    numeric_urns = text_urns = 0
    for row, cells in zip(rows, sheet[3:], strict=True):
        if isinstance(row.date, dt.date):
            assert type(cells[6]) is dt.date  # a typed date, not text
        if isinstance(row.urn, int):
            assert isinstance(cells[0], str if row.urn_as_text else float)
            numeric_urns += not row.urn_as_text
            text_urns += row.urn_as_text
    assert numeric_urns > 0
    assert text_urns > 0


def test_the_xlsx_reads_the_same_as_its_csv_twin(generated: tuple[gen.Generator, list[gen.Row], Path, Path]) -> None:
    _, _, csv_path, xlsx_path = generated
    with open_ofsted(csv_path) as f:
        from_csv = list(f.rows())
    with open_ofsted(xlsx_path) as f:
        from_xlsx = list(f.rows())
    assert len(from_csv) == ROWS
    assert from_xlsx == from_csv


def test_mix_shares(generated: tuple[gen.Generator, list[gen.Row], Path, Path]) -> None:
    g, _, _, _ = generated
    s = g.stats
    assert 0.01 <= s.out_of_scope / s.rows <= 0.06
    assert 0.01 <= s.other_grade / s.rows <= 0.06
    assert 0 < s.rejected / s.rows <= 0.015
    assert set(s.names_per_home) >= {1, 2, 3, 4}
    assert max(s.names_per_home) == 4
    forms = s.name_forms
    total = sum(forms.values())
    assert forms["canonical"] / total > 0.5
    assert forms["variant"] / total > 0.08  # real spellings from la_name_variants.csv
    assert forms["gss"] / total > 0.03
    assert forms["ambiguous"] + forms["unknown"] > 0


def test_placing_authorities_follow_children_looked_after() -> None:
    authorities, year = gen.load_authorities()
    assert year >= 2024
    assert 145 <= len(authorities) <= 153  # the 153 less those with a suppressed count
    directory = AuthorityDirectory.default()
    assert all(directory.by_gss(a.gss_code) for a in authorities)
    assert all(a.children_looked_after > 0 for a in authorities)
    weights = {a.gss_code: a.children_looked_after for a in authorities}
    g = gen.Generator(seed=11, anchor=ANCHOR)
    for _ in g.rows(6000):
        pass
    seen = g.stats.placing_by_gss
    total_seen, total_weight = sum(seen.values()), sum(weights.values())
    biggest = max(weights, key=weights.__getitem__)  # Birmingham in recent years
    smallest = sorted(weights, key=weights.__getitem__)[:10]
    share = seen[biggest] / total_seen
    expected = weights[biggest] / total_weight
    assert 0.6 * expected <= share <= 1.6 * expected
    assert seen[biggest] > 5 * max(seen[c] for c in smallest)


def test_rows_for_cases_gives_exactly_that_many_cases(tmp_path: Path) -> None:
    g = gen.Generator(seed=3, anchor=ANCHOR)
    path = tmp_path / "c.csv"
    gen.write_csv(path, g.rows_for_cases(250))
    assert g.stats.expected_cases == 250
    with open_ofsted(path) as f:
        counts = Counts()
        for o in process(f, AuthorityDirectory.default()):
            counts.add(o)
    assert counts.cases == 250


def test_deterministic_for_a_seed_and_anchor() -> None:
    a = [r.cells() for r in gen.Generator(seed=5, anchor=ANCHOR).rows(200)]
    b = [r.cells() for r in gen.Generator(seed=5, anchor=ANCHOR).rows(200)]
    c = [r.cells() for r in gen.Generator(seed=6, anchor=ANCHOR).rows(200)]
    assert a == b
    assert a != c
