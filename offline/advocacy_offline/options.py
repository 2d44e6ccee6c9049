"""Command-line options that more than one command takes: where a staff command acts, `--json`, `--by`, and the
run JSON that `report` and `dashboard` read.

A command that reads or changes a running system (`cases`, `work`, `directory`, `dlq`, `report`) is written
as `def command(where: Where, ...)` and registered through `acts_on_a_system`, which adds the options that say
where, once for all of them:

    --stack-name NAME (or --stack NAME)   a deployed stack: names from its CloudFormation outputs, AWS
                                          credentials from the usual chain; --region REGION
    --local                               the system `advocacy serve` runs on this machine (the default);
                                          --state FILE: the state file it writes

`Where` reaches the system only when the command asks for it (`report --run-json` never does). What goes
wrong there - no state file, no such stack, no credentials, a refused staff action - becomes one `CliError`.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .console import CliError

if TYPE_CHECKING:
    from advocacy_notify.logic.staff import Staff
    from advocacy_notify.settings import StaffSettings
    from advocacy_notify.wiring import Services

    from .targets import Target

WHERE_PANEL = "Where: a deployed stack, or the local advocacy serve"

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts: no colour, no markup).")]
By = Annotated[str | None, typer.Option("--by", metavar="NAME", help="Who does it (default: your login name).")]


def run_result(path: Path) -> dict[str, Any]:
    """The JSON that `advocacy run --json` (or `demo`) wrote, for `report --run-json` and `dashboard`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise CliError(f"{path} is not the JSON of `advocacy run --json`")
    return doc


def staff_name(by: str | None) -> str:
    """Who acts: --by, else the login name."""
    if by and by.strip():
        return by.strip()
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "staff"


@dataclass(frozen=True)
class Where:
    """The system a staff command acts on, as its options named it."""

    stack_name: str | None = None
    region: str | None = None
    local: bool = False
    state: str | None = None

    def target(self) -> Target:
        from .targets import deployed_target, local_target

        if self.stack_name and self.local:
            raise CliError("give --stack-name NAME or --local, not both")
        with one_line_errors():
            if self.stack_name:
                return deployed_target(self.stack_name, self.region)
            return local_target(self.state)

    def services(self) -> Services[StaffSettings]:
        return self.target().services()

    def staff(self) -> Staff:
        return self.services().staff


_WHERE_OPTIONS: dict[str, tuple[Any, Any]] = {
    "stack_name": (
        Annotated[
            str | None,
            typer.Option(
                "--stack-name",
                "--stack",
                metavar="NAME",
                help="A deployed stack: names from its CloudFormation outputs, AWS credentials from the usual chain.",
                rich_help_panel=WHERE_PANEL,
            ),
        ],
        None,
    ),
    "region": (
        Annotated[
            str | None,
            typer.Option(help="The stack's region (default: from the AWS configuration).", rich_help_panel=WHERE_PANEL),
        ],
        None,
    ),
    "local": (
        Annotated[
            bool,
            typer.Option(
                "--local",
                help="The system advocacy serve runs on this machine (the default when no stack is named).",
                rich_help_panel=WHERE_PANEL,
            ),
        ],
        False,
    ),
    "state": (
        Annotated[
            str | None,
            typer.Option(
                metavar="FILE",
                help="The state file advocacy serve writes "
                "(default .advocacy/serve.json, else .advocacy/serve/serve.json).",
                rich_help_panel=WHERE_PANEL,
            ),
        ],
        None,
    ),
}


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """A refused staff action, an unreachable target or a failed AWS call, as one `CliError`."""
    from advocacy_notify.logic.staff import StaffError

    from .targets import TargetError

    try:
        yield
    except (StaffError, TargetError) as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:
        if not type(exc).__module__.startswith(("botocore", "boto3")):
            raise
        raise CliError(f"AWS: {type(exc).__name__}: {str(exc)[:300]}") from None


def acts_on_a_system(command: Callable[..., None]) -> Callable[..., None]:
    """`command(where, ...)` as a command-line function: its own parameters, then the options that say where.
    Errors of the system it acts on become one line (`one_line_errors`)."""
    signature = inspect.signature(command, eval_str=True)
    own = list(signature.parameters.values())
    if not own or own[0].name != "where":
        raise TypeError(f"{command.__name__}: the first parameter must be `where: Where`")
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        for name, (annotation, default) in _WHERE_OPTIONS.items()
    ]

    @functools.wraps(command)
    def run(**values: Any) -> None:
        where = Where(**{name: values.pop(name) for name in _WHERE_OPTIONS})
        with one_line_errors():
            command(where, **values)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own[1:]] + added
    run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    del run.__wrapped__  # typer reads the signature above, not the command's own
    return run
