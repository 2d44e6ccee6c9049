"""A bare moto world for tests that need AWS's API but not the whole offline stack."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

REGION = "eu-west-2"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, with Step Functions executing state machines."""
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "offline",
        "AWS_SECRET_ACCESS_KEY": "offline",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def aws_client(service: str, retries: int = 0) -> Any:
    """A client with `retries` retries after the first attempt (botocore standard mode)."""
    return boto3.client(
        service, region_name=REGION, config=Config(retries={"mode": "standard", "max_attempts": retries})
    )


def make_table(name: str = "t") -> None:
    aws_client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def client_error(call: Callable[[], Any]) -> dict[str, Any]:
    """Run `call`, which must raise botocore's ClientError; what the caller saw of it."""
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return {
        "code": response["Error"]["Code"],
        "message": response["Error"]["Message"],
        "status": response["ResponseMetadata"]["HTTPStatusCode"],
        "retries": response["ResponseMetadata"].get("RetryAttempts"),
    }


STATES_ROLE = "arn:aws:iam::123456789012:role/states"


def put_item_machine(name: str = "m", **fields: Any) -> str:
    """A state machine of one DynamoDB PutItem task into table "t" (`fields` add to or replace the
    task's); returns its ARN."""
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": "t", "Item": {"pk": {"S": "a"}}},
        "End": True,
        **fields,
    }
    states = {"Put": task, "Caught": {"Type": "Pass", "Result": {"caught": True}, "End": True}}
    definition = {"StartAt": "Put", "States": states}
    sfn = aws_client("stepfunctions")
    return str(
        sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=STATES_ROLE)["stateMachineArn"]
    )


def execute(state_machine_arn: str, data: Any = None, name: str = "run") -> dict[str, Any]:
    """Start an execution and wait (30 s at most) until it ends; DescribeExecution's answer."""
    sfn = aws_client("stepfunctions")
    start = sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(data or {}))
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=start["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still running after 30 s"
        time.sleep(0.05)
    return dict(described)
