"""Where the staff commands act: a deployed stack, or the system `advocacy serve` runs on this machine.

A `Target` knows the stack's outputs and how to reach it; `services()` hands the staff use cases
(`advocacy_notify.logic.staff`) adapters with clients pointed there - an endpoint, never the environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from advocacy_notify.adapters.aws import Clients
from advocacy_notify.domain.clock import Clock, SystemClock
from advocacy_notify.settings import StaffSettings
from advocacy_notify.wiring import Services

DEFAULT_STATE_FILES = (Path(".advocacy") / "serve.json", Path(".advocacy") / "serve" / "serve.json")
DAY = 86400.0


class TargetError(Exception):
    """A one-line reason (exit status 2, no traceback)."""


@dataclass(frozen=True)
class FollowingClock:
    """The clock of a running `advocacy serve`: simulated time that follows real time from an anchor."""

    virtual: datetime
    real: float  # POSIX seconds when simulated time was `virtual`
    day_seconds: float = DAY

    def now(self) -> datetime:
        elapsed = datetime.now(UTC).timestamp() - self.real
        return self.virtual + timedelta(seconds=elapsed * DAY / self.day_seconds)

    def to_json(self) -> dict[str, Any]:
        return {"virtual": self.virtual.isoformat(), "real": self.real, "day_seconds": self.day_seconds}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FollowingClock:
        return cls(datetime.fromisoformat(doc["virtual"]), float(doc["real"]), float(doc.get("day_seconds", DAY)))


@dataclass
class Target:
    stack_name: str
    region: str
    outputs: dict[str, str]
    endpoint: str | None = None  # the moto server of `advocacy serve`; None for AWS
    parameters: dict[str, str] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)

    @property
    def local(self) -> bool:
        return self.endpoint is not None

    def output(self, key: str) -> str:
        try:
            return self.outputs[key]
        except KeyError:
            raise TargetError(f"stack {self.stack_name} has no output {key} (deploy the current template)") from None

    def clients(self) -> Clients:
        import boto3

        if self.endpoint:  # moto takes any credentials
            session = boto3.Session(
                region_name=self.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106
            )
            return Clients(session, endpoint_url=self.endpoint)
        return Clients(boto3.Session(region_name=self.region))

    def services(self) -> Services[StaffSettings]:
        try:
            settings = StaffSettings.from_outputs(self.outputs, self.parameters.get("RetentionDays"))
        except KeyError as missing:
            self.output(str(missing.args[0]))  # raises TargetError, naming the output the stack lacks
            raise
        return Services(settings, self.clients(), self.clock)


def _state_file(path: str | None) -> Path:
    if path:
        return Path(path)
    for candidate in DEFAULT_STATE_FILES:
        if candidate.is_file():
            return candidate
    return DEFAULT_STATE_FILES[0]


def local_target(state: str | None = None) -> Target:
    """The system a running `advocacy serve` holds: its endpoint, stack and clock, from its state file."""
    path = _state_file(state)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetError(f"{path}: not found - is `advocacy serve` running? (or give --stack-name)") from None
    except (OSError, ValueError) as exc:
        raise TargetError(f"{path}: cannot read it ({exc})") from None
    endpoint = doc.get("endpoint") or doc.get("aws_endpoint_url")
    stack = doc.get("stack") or {}
    if not endpoint or not stack.get("outputs"):
        raise TargetError(f"{path}: no endpoint or stack in it")
    return Target(
        stack_name=str(stack.get("name", "local")),
        region=str(stack.get("region") or doc.get("region") or "eu-west-2"),
        outputs=dict(stack["outputs"]),
        endpoint=str(endpoint),
        parameters={k: str(v) for k, v in (stack.get("parameters") or {}).items()},
        clock=FollowingClock.from_json(doc["clock"]) if doc.get("clock") else SystemClock(),
    )


def deployed_target(stack_name: str, region: str | None) -> Target:
    """A deployed stack: its CloudFormation outputs, AWS credentials from the usual chain."""
    import boto3

    session = boto3.Session(region_name=region) if region else boto3.Session()
    resolved = session.region_name or "eu-west-2"
    try:
        stacks = session.client("cloudformation", region_name=resolved).describe_stacks(StackName=stack_name)
    except Exception as exc:  # no credentials, no such stack, no access: one line, no traceback
        raise TargetError(f"stack {stack_name}: {type(exc).__name__}: {str(exc)[:200]}") from None
    described = stacks["Stacks"][0]
    return Target(
        stack_name=stack_name,
        region=resolved,
        outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])},
    )


def write_local_state(path: Path | str, endpoint: str, stack: Any, clock: FollowingClock | None = None) -> Path:
    """What `advocacy serve` leaves for the staff commands: the moto endpoint, the stack and its clock."""
    doc: dict[str, Any] = {"endpoint": endpoint, "stack": stack.to_json() if hasattr(stack, "to_json") else stack}
    if clock is not None:
        doc["clock"] = clock.to_json()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return target
