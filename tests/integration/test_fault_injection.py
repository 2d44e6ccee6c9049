"""Fault injection at the botocore level (advocacy_offline/faults.py), with real boto3 clients under moto.

Faults are answered at `before-send` with AWS's own HTTP error (or a valid success for "drop"), so
the tests check what a caller of a real client sees: the error code and status, botocore's retries,
and what reached moto.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline import faults
from advocacy_offline.faults import FaultSpecError, inject_faults, instant_retry_sleeps, load_faults, parse_faults
from botocore.exceptions import ClientError

from tests.integration.conftest import REGION, aws_client, client_error, execute, make_table, put_item_machine

# moto warns when an injected code (AWS's common ThrottlingException, Throttling, ...) is not in the
# service's model; faults.py filters it, but pytest resets warning filters for each test
pytestmark = pytest.mark.filterwarnings(r"ignore:Exception\(AwsError\) with code:UserWarning")

SENDER = "advocacy@notify.example"


def error_of(call: Any) -> dict[str, Any]:
    error = client_error(call)
    return {key: error[key] for key in ("code", "status", "retries")}


def _queue(fifo: bool = False) -> str:
    attributes = {"FifoQueue": "true"} if fifo else {}
    name = "cases.fifo" if fifo else "cases"
    return str(aws_client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def _depth(url: str) -> int:
    attrs = aws_client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def _email(ses: Any, to: str = "lead@leeds.example") -> Any:
    return ses.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "Advocacy"}, "Body": {"Text": {"Data": "Please confirm."}}}},
    )


def _sent_emails() -> int:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def test_every_moto_and_botocore_patch_target_is_where_faults_expects_it() -> None:
    assert faults.patch_target_problems() == [], "moto or botocore moved: see faults.py and awswire.py"


# ------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"faults": []}, "expected a JSON list"),
        ([42], "faults[0]: expected an object"),
        ([{"service": "sesv3", "operation": "SendEmail", "error": "drop"}], "unknown service 'sesv3' (did you mean"),
        (
            [{"service": "sesv2", "operation": "SendEmails", "error": "drop"}],
            "service 'sesv2' has no operation 'SendEmails' (did you mean 'SendEmail'?)",
        ),
        (
            [{"service": "sesv2", "operation": "SendEmail", "error": "Throttled"}],
            "'sesv2' has no error 'Throttled'",
        ),
        ([{"service": "sesv2", "operation": "SendEmail"}], "'error' is required"),
        (
            [{"service": "sesv2", "operation": "SendEmail", "error": "drop", "times": 0}],
            "'times' must be an integer >=",
        ),
        ([{"service": "sesv2", "operation": "SendEmail", "error": "drop", "after": -1}], "'after' must be an integer"),
        ([{"service": "sesv2", "operation": "SendEmail", "error": "drop", "times": True}], "'times' must be"),
        ([{"service": "sesv2", "operation": "SendEmail", "error": "drop", "time": 3}], "unknown key 'time'"),
        ([{"service": "sqs", "operation": "SendMessage", "error": "Weird", "status": 99}], "'status' must be"),
        ([{"poison": {"authority": ""}}], "'poison.authority' must name an authority"),
        ([{"poison": {"la": "Leeds"}}], "'poison' must be"),
        ([{"poison": {"authority": "Leeds"}, "times": 2}], "a poison fault takes only 'poison'"),
        (
            [{"service": "sqs", "operation": "SendMessage", "error": "drop"}, {"service": "sqs"}],
            "faults[1]: 'operation' is required",
        ),
    ],
)
def test_invalid_faults_are_refused_with_one_line(spec: Any, message: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        parse_faults(spec)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_faults_file_that_is_not_json_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text('[{"service": "sqs",\n')
    with pytest.raises(FaultSpecError, match=r"faults\.json: not JSON") as info:
        load_faults(path)
    assert "\n" not in str(info.value)
    with pytest.raises(FaultSpecError, match="cannot read"):
        load_faults(tmp_path / "missing.json")


def test_statuses_come_from_the_model_then_the_common_errors() -> None:
    plan = parse_faults(
        [
            {"service": "sesv2", "operation": "SendEmail", "error": "TooManyRequestsException"},  # modelled 429
            {"service": "dynamodb", "operation": "PutItem", "error": "InternalServerError"},  # modelled fault
            {"service": "dynamodb", "operation": "PutItem", "error": "ProvisionedThroughputExceededException"},
            {"service": "sns", "operation": "Publish", "error": "InvalidParameter"},  # query error code
            {"service": "s3", "operation": "PutObject", "error": "SlowDown"},  # common: 503
            {"service": "sqs", "operation": "SendMessage", "error": "ServiceUnavailable"},
            {"service": "sqs", "operation": "SendMessage", "error": "MadeUp", "status": 502},
            {"service": "sqs", "operation": "SendMessage", "error": "drop"},
        ]
    )
    assert [f.status for f in plan.api_faults] == [429, 500, 400, 400, 503, 503, 502, None]


# ----------------------------------------------------------------------------- API errors


def test_an_error_reaches_a_client_created_before_the_faults(aws: None) -> None:
    ses = aws_client("sesv2")
    ses.create_email_identity(EmailIdentity=SENDER)
    plan = parse_faults([{"service": "sesv2", "operation": "SendEmail", "error": "TooManyRequestsException"}])
    with inject_faults(plan):
        error = error_of(lambda: _email(ses))
        _email(ses)  # times defaults to 1
    assert error == {"code": "TooManyRequestsException", "status": 429, "retries": 0}
    assert plan.report() == [
        {"service": "sesv2", "operation": "SendEmail", "error": "TooManyRequestsException", "fired": 1}
    ]
    assert _sent_emails() == 1


def test_after_skips_matching_calls_and_times_counts_failures(aws: None) -> None:
    url = _queue()
    sqs = aws_client("sqs")
    spec = {"service": "sqs", "operation": "SendMessage", "error": "InvalidSecurity", "after": 2, "times": 2}
    plan = parse_faults([spec, {"service": "sqs", "operation": "DeleteQueue", "error": "drop"}])
    outcomes = []
    with inject_faults(plan):
        for i in range(6):
            try:
                sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
                outcomes.append("sent")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])
    assert outcomes == ["sent", "sent", "InvalidSecurity", "InvalidSecurity", "sent", "sent"]
    assert _depth(url) == 4
    never = {"service": "sqs", "operation": "DeleteQueue", "error": "drop", "fired": 0}
    assert plan.report() == [{**spec, "fired": 2}, never]


def test_a_throttle_is_absorbed_by_botocore_retries(aws: None) -> None:
    make_table()
    ddb = aws_client("dynamodb", retries=3)
    plan = parse_faults([{"service": "dynamodb", "operation": "PutItem", "error": "ThrottlingException", "times": 2}])
    started = time.monotonic()
    with inject_faults(plan), instant_retry_sleeps() as sleeps:
        response = ddb.put_item(TableName="t", Item={"pk": {"S": "a"}})
    assert response["ResponseMetadata"]["RetryAttempts"] == 2  # each attempt was a matching call
    assert plan.report()[0]["fired"] == 2
    assert "Item" in ddb.get_item(TableName="t", Key={"pk": {"S": "a"}})
    assert sleeps.count == 2
    assert sleeps.seconds > 0
    assert time.monotonic() - started < 2  # the back-off was recorded, not slept


def test_a_throttle_that_outlasts_the_retries_reaches_the_caller(aws: None) -> None:
    make_table()
    ddb = aws_client("dynamodb", retries=2)
    plan = parse_faults([{"service": "dynamodb", "operation": "PutItem", "error": "ThrottlingException", "times": 10}])
    with inject_faults(plan), instant_retry_sleeps():
        first = error_of(lambda: ddb.put_item(TableName="t", Item={"pk": {"S": "a"}}))
        assert plan.report()[0]["fired"] == 3  # the first attempt and two retries
        error_of(lambda: ddb.put_item(TableName="t", Item={"pk": {"S": "a"}}))
    assert first == {"code": "ThrottlingException", "status": 400, "retries": 2}
    assert plan.report()[0]["fired"] == 6
    assert "Item" not in ddb.get_item(TableName="t", Key={"pk": {"S": "a"}})


def test_errors_in_every_protocol_parse_as_aws_errors(aws: None) -> None:
    plan = parse_faults(
        [
            {"service": "s3", "operation": "PutObject", "error": "SlowDown"},  # rest-xml
            {"service": "sns", "operation": "Publish", "error": "Throttling"},  # query
            {"service": "secretsmanager", "operation": "GetSecretValue", "error": "ResourceNotFoundException"},  # json
            {"service": "stepfunctions", "operation": "SendTaskSuccess", "error": "TaskTimedOut"},  # json 1.0
            {"service": "lambda", "operation": "Invoke", "error": "ServiceException"},  # rest-json, modelled 500
        ]
    )
    topic = "arn:aws:sns:eu-west-2:123456789012:alerts"
    with inject_faults(plan):
        s3 = error_of(lambda: aws_client("s3").put_object(Bucket="drop", Key="incoming/a.csv", Body=b"x"))
        sns = error_of(lambda: aws_client("sns").publish(TopicArn=topic, Message="m"))
        secret = error_of(lambda: aws_client("secretsmanager").get_secret_value(SecretId="link-key"))
        sfn = error_of(lambda: aws_client("stepfunctions").send_task_success(taskToken="t", output="{}"))
        lam = error_of(lambda: aws_client("lambda").invoke(FunctionName="f", Payload=b"{}"))
    assert s3 == {"code": "SlowDown", "status": 503, "retries": 0}
    assert sns == {"code": "Throttling", "status": 400, "retries": 0}
    assert secret == {"code": "ResourceNotFoundException", "status": 400, "retries": 0}
    assert sfn == {"code": "TaskTimedOut", "status": 400, "retries": 0}
    assert lam == {"code": "ServiceException", "status": 500, "retries": 0}
    assert [f["fired"] for f in plan.report()] == [1, 1, 1, 1, 1]


def test_match_limits_a_fault_to_calls_that_carry_the_text(aws: None) -> None:
    ses = aws_client("sesv2")
    ses.create_email_identity(EmailIdentity=SENDER)
    spec = {"service": "sesv2", "operation": "SendEmail", "error": "MessageRejected", "match": "@leeds.example"}
    plan = parse_faults([spec])
    with inject_faults(plan):
        _email(ses, "lead@bradford.example")
        assert error_of(lambda: _email(ses, "lead@leeds.example"))["code"] == "MessageRejected"
        _email(ses, "lead@wakefield.example")
    assert plan.report()[0]["fired"] == 1
    assert _sent_emails() == 2


def test_faults_reach_the_clients_moto_step_functions_creates(aws: None) -> None:
    """moto's ASL interpreter calls DynamoDB through a boto3 client of its own (boto_client_for)."""
    make_table()
    arn = put_item_machine()
    plan = parse_faults([{"service": "dynamodb", "operation": "PutItem", "error": "ConditionalCheckFailedException"}])
    with inject_faults(plan):
        described = execute(arn, name="case-1")
    assert described["status"] == "FAILED"
    assert described["error"] == "DynamoDB.ConditionalCheckFailedException"
    assert plan.report()[0]["fired"] == 1


def test_faults_are_removed_when_the_block_ends(aws: None) -> None:
    url = _queue()
    plan = parse_faults([{"service": "sqs", "operation": "SendMessage", "error": "InvalidSecurity", "times": 5}])
    with inject_faults(plan):
        error_of(lambda: aws_client("sqs").send_message(QueueUrl=url, MessageBody="m"))
    aws_client("sqs").send_message(QueueUrl=url, MessageBody="m")
    assert plan.report()[0]["fired"] == 1
    assert _depth(url) == 1


def test_counting_is_thread_safe(aws: None) -> None:
    url = _queue()
    plan = parse_faults([{"service": "sqs", "operation": "SendMessage", "error": "drop", "times": 100, "after": 10}])
    sqs = aws_client("sqs")

    def send() -> None:
        for _ in range(40):
            sqs.send_message(QueueUrl=url, MessageBody="m")

    with inject_faults(plan):
        threads = [threading.Thread(target=send) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert plan.report()[0]["fired"] == 100
    assert _depth(url) == 240 - 100


# ---------------------------------------------------------------------------------------- drop


def test_drop_on_send_message_batch_seems_to_succeed(aws: None) -> None:
    url = _queue()
    entries = [
        {"Id": "c1", "MessageBody": json.dumps({"case_id": "SC1-E08000035-20261102"})},
        {
            "Id": "c2",
            "MessageBody": "é body",
            "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "case"}},
        },
    ]
    plan = parse_faults([{"service": "sqs", "operation": "SendMessageBatch", "error": "drop"}])
    with inject_faults(plan):
        response = aws_client("sqs").send_message_batch(QueueUrl=url, Entries=entries)
    assert [e["Id"] for e in response["Successful"]] == ["c1", "c2"]
    assert response.get("Failed", []) == []
    for entry, sent in zip(entries, response["Successful"], strict=True):
        assert sent["MD5OfMessageBody"] == hashlib.md5(entry["MessageBody"].encode()).hexdigest()
        assert sent["MessageId"]
    assert "MD5OfMessageAttributes" in response["Successful"][1]
    assert _depth(url) == 0  # lost in transit
    aws_client("sqs").send_message_batch(QueueUrl=url, Entries=entries)  # the next batch goes through
    assert _depth(url) == 2


def test_drop_on_send_message_to_a_fifo_queue(aws: None) -> None:
    url = _queue(fifo=True)
    plan = parse_faults([{"service": "sqs", "operation": "SendMessage", "error": "drop"}])
    with inject_faults(plan):
        response = aws_client("sqs").send_message(
            QueueUrl=url, MessageBody="{}", MessageGroupId="E08000035", MessageDeduplicationId="SC1"
        )
    assert response["MD5OfMessageBody"] == hashlib.md5(b"{}").hexdigest()
    assert response["SequenceNumber"].isdigit()
    assert _depth(url) == 0
    assert plan.report()[0]["fired"] == 1


def test_drop_on_send_email_returns_a_message_id_and_sends_nothing(aws: None) -> None:
    ses = aws_client("sesv2")
    ses.create_email_identity(EmailIdentity=SENDER)
    plan = parse_faults([{"service": "sesv2", "operation": "SendEmail", "error": "drop", "times": 2}])
    with inject_faults(plan):
        ids = {_email(ses)["MessageId"] for _ in range(3)}
    assert len(ids) == 3
    assert _sent_emails() == 1  # two lost, the third reached SES
    assert plan.report()[0]["fired"] == 2


def test_drop_on_other_operations_parses(aws: None) -> None:
    plan = parse_faults(
        [
            {"service": "stepfunctions", "operation": "SendTaskSuccess", "error": "drop"},
            {"service": "dynamodb", "operation": "PutItem", "error": "drop"},
            {"service": "sns", "operation": "Publish", "error": "drop"},
            {"service": "s3", "operation": "PutObject", "error": "drop"},
            {"service": "lambda", "operation": "Invoke", "error": "drop"},
        ]
    )
    with inject_faults(plan):
        aws_client("stepfunctions").send_task_success(taskToken="no-such-token", output="{}")
        aws_client("dynamodb").put_item(TableName="no-such-table", Item={"pk": {"S": "a"}})
        assert aws_client("sns").publish(TopicArn="arn:aws:sns:eu-west-2:123456789012:t", Message="m")["MessageId"]
        assert aws_client("s3").put_object(Bucket="no-such-bucket", Key="k", Body=b"x")["ETag"]
        assert aws_client("lambda").invoke(FunctionName="f", InvocationType="Event")["StatusCode"] == 202
    assert [f["fired"] for f in plan.report()] == [1, 1, 1, 1, 1]


# -------------------------------------------------------------------------------------- poison


def test_poison_faults_are_parsed_and_count_when_the_run_reports_them() -> None:
    plan = parse_faults([{"poison": {"authority": " Leeds "}}, {"poison": {"authority": "E08000032"}}])
    leeds, bradford = plan.poisons
    assert (leeds.authority, bradford.authority) == ("Leeds", "E08000032")
    assert plan.api_faults == []
    leeds.fire()
    assert plan.report() == [
        {"poison": {"authority": " Leeds "}, "fired": 1},
        {"poison": {"authority": "E08000032"}, "fired": 0},
    ]
