"""What every `advocacy` command prints through: lines, JSON, one table printer (rich), and the one error type.

- Output goes to the streams `bind` was given when the command line started. The functions that the offline
  twin runs redirect `sys.stdout` into their log while they run (on other threads too, in `advocacy serve`):
  a command's own lines must not follow it there.
- JSON is plain `json.dumps`: no markup and no colour, whatever the stream, so a script can read it.
- A table is drawn by rich: in colour only on a terminal (and never with `NO_COLOR` set); piped or redirected,
  as wide as its widest row (a value is never cut) and with no trailing spaces. Values are never read as
  rich markup: an authority's name comes from a file.
- `CliError` is the one failure a command reports: `advocacy: <reason>` on one line of stderr, no traceback,
  and its exit code.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

# exit codes
OK = 0
REFUSED_ROWS = 1  # the command ran, but some of its input was refused (directory import's invalid rows)
FAILED = 2  # a one-line reason on stderr: bad input, an unreadable file, an unreachable stack
INTERRUPTED = 130  # Ctrl-C

PIPED_WIDTH = 100_000  # columns for a table that is not going to a terminal: wide enough never to wrap


class CliError(Exception):
    """A command's failure, as a person should read it: one line, no traceback, and an exit code."""

    def __init__(self, reason: str, exit_code: int = FAILED) -> None:
        super().__init__(reason)
        self.reason = " ".join(reason.split())  # one line, whatever the reason's own text holds
        self.exit_code = exit_code


@dataclass
class _Streams:
    out: TextIO
    err: TextIO


_streams = _Streams(sys.stdout, sys.stderr)


def bind(out: TextIO, err: TextIO) -> None:
    """Where the command's output and errors go, from now on."""
    _streams.out, _streams.err = out, err


def stdout() -> TextIO:
    return _streams.out


def say(text: str = "") -> None:
    """One line (or several) on the command's standard output."""
    _streams.out.write(text + "\n")
    _streams.out.flush()


def write(text: str) -> None:
    """Text as it is (a CSV, a rendered page) on standard output."""
    _streams.out.write(text)
    _streams.out.flush()


def say_json(doc: Any) -> None:
    say(json.dumps(doc, indent=2, default=str, ensure_ascii=False))


def note(text: str) -> None:
    """A line on standard error: progress, or what went wrong."""
    _streams.err.write(text + "\n")
    _streams.err.flush()


def fail(error: CliError) -> int:
    note(f"advocacy: {error.reason}")
    return error.exit_code


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, indent: int = 2, empty: str = "none") -> None:
    """Rows under a header, in aligned columns. No rows: `empty`, indented."""
    pad = " " * indent
    if not rows:
        say(pad + empty)
        return
    from rich import box
    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table

    out = _streams.out
    terminal = out.isatty()
    drawn = Table(*header, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for row in rows:
        drawn.add_row(*(_cell(v) for v in row))
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=terminal,
        color_system="auto" if terminal else None,
        width=None if terminal else PIPED_WIDTH,
        markup=False,
        emoji=False,
        highlight=False,
    )
    console.print(Padding(drawn, (0, 0, 0, indent)) if indent else drawn)
    say("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))


def records(rows: Sequence[dict[str, Any]], columns: Sequence[str], noun: str) -> None:
    """Dicts as a table of the given columns, then how many there are."""
    table(columns, [[r.get(c) for c in columns] for r in rows])
    say(f"{len(rows)} {noun}")
