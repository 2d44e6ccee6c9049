"""Step Functions: start one named execution per case; resume or fail a waiting task."""

from __future__ import annotations

import json
from typing import Any

from .aws import client, error_code

# A token that timed out, or whose task already ended. AWS says TaskTimedOut; moto says InvalidToken.
TOKEN_GONE = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


def start(state_machine_arn: str, name: str, payload: dict[str, Any]) -> bool:
    """Start the execution. Returns False when one with this name already exists (nothing opened)."""
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload, default=str)
        )
    except Exception as exc:
        if error_code(exc) == "ExecutionAlreadyExists":
            return False
        raise
    return True


def succeed(token: str, output: dict[str, Any]) -> bool:
    """Resume a waiting task. Returns False if the token has expired or was already used."""
    try:
        client("stepfunctions").send_task_success(taskToken=token, output=json.dumps(output, default=str))
    except Exception as exc:
        if error_code(exc) in TOKEN_GONE:
            return False
        raise
    return True


def fail(token: str, error: str, cause: str) -> bool:
    try:
        client("stepfunctions").send_task_failure(taskToken=token, error=error, cause=cause[:250])
    except Exception as exc:
        if error_code(exc) in TOKEN_GONE:
            return False
        raise
    return True
