"""Step Functions: start one named execution per case; resume, fail, inspect or stop it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .aws import error_code

# A token that timed out, or whose task already ended. AWS says TaskTimedOut; moto says InvalidToken.
TOKEN_GONE = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})
NO_EXECUTION = frozenset({"ExecutionDoesNotExist", "ResourceNotFound"})


class SfnTasks:
    """`ports.TaskTokens` on Step Functions: needs no state machine, only the token."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def resume(self, token: str, output: Mapping[str, Any]) -> bool:
        """False if the token has expired or was already used."""
        try:
            self.client.send_task_success(taskToken=token, output=json.dumps(output, default=str))
        except Exception as exc:
            if error_code(exc) in TOKEN_GONE:
                return False
            raise
        return True

    def fail(self, token: str, error: str, cause: str) -> bool:
        try:
            self.client.send_task_failure(taskToken=token, error=error, cause=cause[:250])
        except Exception as exc:
            if error_code(exc) in TOKEN_GONE:
                return False
            raise
        return True


class SfnWorkflow(SfnTasks):
    """`ports.Workflow` on Step Functions."""

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        super().__init__(client)
        self.state_machine_arn = state_machine_arn

    def execution_arn(self, name: str) -> str:
        prefix, _, machine = self.state_machine_arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def start(self, name: str, payload: Mapping[str, Any]) -> bool:
        """False when an execution with this name already exists (nothing opened)."""
        try:
            self.client.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload, default=str)
            )
        except Exception as exc:
            if error_code(exc) == "ExecutionAlreadyExists":
                return False
            raise
        return True

    def status(self, name: str) -> str | None:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; None when there is no such execution."""
        try:
            return str(self.client.describe_execution(executionArn=self.execution_arn(name))["status"])
        except Exception as exc:
            if error_code(exc) in NO_EXECUTION:
                return None
            raise

    def stop(self, name: str, error: str, cause: str) -> bool:
        try:
            self.client.stop_execution(executionArn=self.execution_arn(name), error=error, cause=cause[:250])
        except Exception as exc:
            if error_code(exc) in NO_EXECUTION:
                return False
            raise
        return True

    def ended_without_success(self) -> list[tuple[str, str]]:
        """(execution name, status) of every execution that failed, timed out or was stopped."""
        out: list[tuple[str, str]] = []
        paginator = self.client.get_paginator("list_executions")
        for status in ("FAILED", "TIMED_OUT", "ABORTED"):
            for page in paginator.paginate(stateMachineArn=self.state_machine_arn, statusFilter=status):
                out.extend((str(e["name"]), status) for e in page.get("executions", []))
        return out
