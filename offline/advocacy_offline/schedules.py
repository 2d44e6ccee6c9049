"""EventBridge Scheduler, offline: the template's `ScheduleV2` events run their functions on the twin's clock.

moto does not run schedules. The twin reads each function's `ScheduleV2` event from template.yaml (its
expression may be a parameter) and invokes the function as the scheduler would, at each due time in
virtual time. Only the expressions the template uses are understood - `rate(N minute[s]|hour[s]|day[s])`
and a daily `cron(M H * * ? *)` in the schedule's time zone - and anything else fails loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
DAILY_CRON = re.compile(r"^cron\((\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+\?\s+\*\)$")
UNITS = {"minute": 60, "hour": 3600, "day": 86400}


class UnsupportedSchedule(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    function: str  # logical id
    name: str
    expression: str
    timezone: str = "UTC"

    def next_after(self, moment: datetime) -> datetime:
        """The first run strictly after `moment`."""
        if m := RATE.match(self.expression):
            step = timedelta(seconds=int(m.group(1)) * UNITS[m.group(2).rstrip("s")])
            if step <= timedelta(0):
                raise UnsupportedSchedule(f"{self.name}: a rate must be positive")
            return moment + step
        if m := DAILY_CRON.match(self.expression):
            zone = ZoneInfo(self.timezone)
            local = moment.astimezone(zone)
            run = local.replace(hour=int(m.group(2)), minute=int(m.group(1)), second=0, microsecond=0)
            if run <= local:
                run = (local + timedelta(days=1)).replace(
                    hour=int(m.group(2)), minute=int(m.group(1)), second=0, microsecond=0
                )
            return run.astimezone(moment.tzinfo)
        raise UnsupportedSchedule(f"{self.name}: the twin cannot run the schedule {self.expression!r}")

    def event(self, at: datetime) -> dict[str, Any]:
        """What EventBridge Scheduler sends a Lambda target with no input: the scheduled event."""
        return {
            "version": "0",
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resources": [self.name],
            "detail": {},
        }


def _value(value: Any, parameters: dict[str, str]) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return str(parameters[value["Ref"]])
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = str(value["Fn::Sub"])
        for k, v in parameters.items():
            text = text.replace("${" + k + "}", v)
        return text
    return str(value)


def schedules(sam: dict[str, Any], parameters: dict[str, str]) -> list[Schedule]:
    """Every ScheduleV2 event of every function in a SAM template, with parameters applied."""
    defaults = {k: str(v.get("Default", "")) for k, v in sam.get("Parameters", {}).items()}
    values = {**defaults, **parameters, "AWS::StackName": parameters.get("AWS::StackName", "advocacy-local")}
    out = []
    for lid, resource in sam["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") != "ScheduleV2":
                continue
            props = event["Properties"]
            schedule = Schedule(
                function=lid,
                name=_value(props.get("Name", lid), values),
                expression=_value(props["ScheduleExpression"], values),
                timezone=_value(props.get("ScheduleExpressionTimezone", "UTC"), values),
            )
            schedule.next_after(datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")))  # refuses what it cannot run, now
            out.append(schedule)
    return out
