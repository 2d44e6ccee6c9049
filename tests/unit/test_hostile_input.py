"""Hostile input: the parser answers with a clear rejection, bounded in time and memory; the answer
form never raises."""

from __future__ import annotations

import io
import time
import tracemalloc
from pathlib import Path

from advocacy_notify.domain.answers import ASKS_BEFORE_CONTACT, FIELD_ORDER, parse_answer_form
from advocacy_notify.domain.ofsted import FileUnreadable, open_ofsted
from hypothesis import given, settings
from hypothesis import strategies as st

try:
    from sheet_builders import make_zip_bomb
except ImportError:  # tests/unit became a package
    from .sheet_builders import make_zip_bomb  # type: ignore[no-redef]

FIELDS = list(FIELD_ORDER)


def _read_all(data: bytes, name: str) -> list[object]:
    with open_ofsted(io.BytesIO(data), name) as f:
        return list(f.rows())


def _measured(data: bytes, name: str) -> tuple[list[object] | FileUnreadable, float, float]:
    """Read the bytes twice: once for the CPU seconds it costs (this process's own time, so another process's
    load does not count, and without tracemalloc, whose tracing would multiply it), once for its peak memory.
    Returns (rows or the rejection, CPU seconds, peak MB)."""
    outcome: list[object] | FileUnreadable
    started = time.process_time()
    try:
        outcome = _read_all(data, name)
    except FileUnreadable as exc:
        outcome = exc
    seconds = time.process_time() - started
    tracemalloc.start()
    try:
        _read_all(data, name)
    except FileUnreadable:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return outcome, seconds, peak / 1e6


def _bounded(data: bytes, name: str, seconds: float = 10.0, megabytes: float = 300.0) -> str:
    """Read hostile bytes; return the rejection reason. Fails if it takes too long or too much memory."""
    outcome, spent, peak = _measured(data, name)
    assert isinstance(outcome, FileUnreadable), f"not rejected: {outcome!r:.200}"
    assert spent < seconds, f"{spent:.1f} s of CPU"
    assert peak < megabytes, f"peak {peak:.0f} MB"
    reason = outcome.reason
    assert reason
    assert "\n" not in reason
    return reason


def test_a_million_columns() -> None:
    header = b"URN,Provision type," + ",".join(f"c{i}" for i in range(1_000_000)).encode()
    reason = _bounded(header + b"\nSC123456,Children's home\n", "wide.csv")
    assert "column" in reason.lower()


def test_a_million_column_notes_row_above_the_header_is_passed_over() -> None:
    notes = ",".join(f"c{i}" for i in range(1_000_000)).encode()
    rows, spent, peak = _measured(notes + b"\nURN,Provision type\n", "wide.csv")
    assert rows == []
    assert spent < 10
    assert peak < 300


def test_a_huge_cell_is_rejected_clearly() -> None:
    data = b"URN,Provision type,Name\nSC123456,Children's home," + b"x" * (12 * 1024 * 1024) + b"\n"
    _bounded(data, "huge.csv", megabytes=600)


def test_deep_quoting_does_not_hang() -> None:
    """Two million quote characters: the row is rejected with a reason, quickly, in bounded memory."""
    data = b"URN,Provision type\n" + b'"' * 2_000_000 + b"\n"
    rows, spent, peak = _measured(data, "quotes.csv")
    assert spent < 10
    assert peak < 600
    assert isinstance(rows, list)
    assert len(rows) == 1
    assert type(rows[0]).__name__ == "RowRejected"


def test_zip_bomb_posing_as_xlsx() -> None:
    data = make_zip_bomb(300 * 1024 * 1024, fill=b"0")  # 300 MB of zeros, ~300 KB zipped
    reason = _bounded(data, "bomb.xlsx")
    assert "large" in reason.lower() or "uncompressed" in reason.lower()


def test_nul_bytes_and_wrong_encodings(tmp_path: Path) -> None:
    _bounded(b"URN,Provision type\nSC123456,Children\x00s home\n", "nul.csv")
    _bounded("URN,Provision type\n".encode("utf-16"), "utf16.csv")


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*FIELDS, "extra", ""]),
        st.one_of(
            st.text(max_size=3000),
            st.sampled_from(
                [
                    "<script>alert(1)</script>",
                    '=HYPERLINK("http://x")',
                    "a@b.example\r\nBcc: c@d.example",
                    "-1",
                    "1e9",
                    "٣",
                    "0",
                    "500",
                    "501",
                    "confirmed",
                    "need_help",
                    "yes",
                    "unknown",
                ]
            ),
        ),
        max_size=8,
    )
)
def test_answer_form_never_raises(fields: dict[str, str]) -> None:
    form, errors = parse_answer_form(fields)
    assert (form is None) == bool(errors)
    if form is not None:
        assert "\r" not in form.responder_email
        assert "\n" not in form.responder_email
        assert 0 <= form.children_count <= 500
        assert form.advocacy_before_contact is None or form.answer in ASKS_BEFORE_CONTACT


def test_header_injection_in_the_answer_email_is_refused() -> None:
    form, errors = parse_answer_form(
        {
            "answer": "confirmed",
            "children_count": "1",
            "responder_name": "A",
            "responder_role": "B",
            "responder_email": "a@b.example\r\nBcc: c@d.example",
        }
    )
    assert form is None
    assert "responder_email" in errors
