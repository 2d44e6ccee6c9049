"""The AWS-strict twin refuses what AWS refuses, as AWS does (advocacy_offline/strict.py).

Each rule has a test that shows the refusal through a real boto3 client under moto (so the caller
sees a ClientError with AWS's code and status), and where moto alone accepts the call, that too:
that is what the rule adds.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from advocacy_offline import strict
from advocacy_offline.strict import aws_strict
from botocore.exceptions import ClientError

from tests.integration.conftest import (
    REGION,
    STATES_ROLE,
    aws_client,
    client_error,
    execute,
    make_table,
    put_item_machine,
)

ROLE = STATES_ROLE
KIB = 1024
CAUGHT = {"caught": True}


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    error = client_error(call)
    return {key: error[key] for key in ("code", "message", "status")}


def test_every_moto_and_botocore_patch_target_is_where_strict_expects_it() -> None:
    assert strict.patch_target_problems() == [], "moto or botocore moved: see strict.py and awswire.py"


def test_unknown_rule_names_are_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown strict rule 'sqs\.size'"), aws_strict(skip={"sqs.size"}):
        pass


# ------------------------------------------------------------------------------ Step Functions


def _state_machine(definition: dict[str, Any]) -> str:
    sfn = aws_client("stepfunctions")
    return str(sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"])


def _caught_by_all(name: str = "m", **fields: Any) -> str:
    """A DynamoDB task whose every error is caught by States.ALL, as SendEmailAndWait's is."""
    return put_item_machine(name, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], **fields)


def test_execution_names_are_at_most_80_characters_from_the_safe_set(aws: None) -> None:
    arn = _state_machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    sfn = aws_client("stepfunctions")
    with aws_strict():
        sfn.start_execution(stateMachineArn=arn, name="SC123456-E08000035-20261102_x")  # a case id
        too_long = refused(lambda: sfn.start_execution(stateMachineArn=arn, name="a" * 81))
        dotted = refused(lambda: sfn.start_execution(stateMachineArn=arn, name="case.1"))
        accented = refused(lambda: sfn.start_execution(stateMachineArn=arn, name="café"))
    assert too_long["code"] == "ValidationException"
    assert "length less than or equal to 80" in too_long["message"]
    assert dotted == {"code": "InvalidName", "message": "Invalid Name: 'case.1'", "status": 400}
    assert accented["code"] == "InvalidName"
    sfn.start_execution(stateMachineArn=arn, name="case.2")  # moto alone accepts it


def test_execution_input_is_at_most_256_kib(aws: None) -> None:
    arn = _state_machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    sfn = aws_client("stepfunctions")
    fits = json.dumps("x" * (256 * KIB - 2))  # a JSON string of exactly 256 KiB
    with aws_strict():
        sfn.start_execution(stateMachineArn=arn, name="fits", input=fits)
        over = refused(lambda: sfn.start_execution(stateMachineArn=arn, name="over", input=json.dumps("é" * 131073)))
    assert over["code"] == "ValidationException"
    assert "262144" in over["message"]


def test_task_output_sent_back_is_at_most_256_kib(aws: None) -> None:
    sfn = aws_client("stepfunctions")
    with aws_strict():
        over = refused(lambda: sfn.send_task_success(taskToken="token", output=json.dumps("x" * 256 * KIB)))
        small = refused(lambda: sfn.send_task_success(taskToken="token", output="{}"))
    assert over["code"] == "ValidationException"
    assert small["code"] != "ValidationException"  # passed the check and reached moto (no such token)


def test_a_float_timeout_seconds_path_fails_the_execution_uncaught(aws: None) -> None:
    """The bug of issue 9: 2579004.0 through TimeoutSecondsPath. AWS fails the execution with
    States.Runtime, which the state's Catch on States.ALL does not catch."""
    make_table()
    arn = _caught_by_all(TimeoutSecondsPath="$.timeout")
    assert execute(arn, {"timeout": 2579004.0}, "lax")["status"] == "SUCCEEDED"  # moto alone takes the float
    with aws_strict():
        failed = execute(arn, {"timeout": 2579004.0}, "float")
        zero = execute(arn, {"timeout": 0}, "zero")
        text = execute(arn, {"timeout": "60"}, "text")
        good = execute(arn, {"timeout": 2579004}, "integer")
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.Runtime"
    assert "TimeoutSecondsPath" in failed["cause"]
    assert "2579004.0" in failed["cause"]
    assert (zero["status"], zero["error"]) == ("FAILED", "States.Runtime")
    assert (text["status"], text["error"]) == ("FAILED", "States.Runtime")
    assert good["status"] == "SUCCEEDED"
    assert json.loads(good["output"]) != CAUGHT


def test_a_float_heartbeat_seconds_path_fails_the_execution(aws: None) -> None:
    make_table()
    arn = _caught_by_all(TimeoutSeconds=3600, HeartbeatSecondsPath="$.beat")
    with aws_strict():
        failed = execute(arn, {"beat": 1.5}, "float")
        good = execute(arn, {"beat": 60}, "integer")
    assert (failed["status"], failed["error"]) == ("FAILED", "States.Runtime")
    assert "HeartbeatSecondsPath" in failed["cause"]
    assert good["status"] == "SUCCEEDED"


def test_wait_seconds_path_must_be_an_integer(aws: None) -> None:
    arn = _state_machine(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}},
    )
    assert execute(arn, {"s": True}, "lax")["status"] == "SUCCEEDED"  # moto alone waits `true` seconds
    with aws_strict():
        boolean = execute(arn, {"s": True}, "bool")
        decimal = execute(arn, {"s": 0.5}, "float")  # moto already refuses this one, as AWS does
        good = execute(arn, {"s": 0}, "int")
    assert (boolean["status"], boolean["error"]) == ("FAILED", "States.Runtime")
    assert (decimal["status"], decimal["error"]) == ("FAILED", "States.Runtime")
    assert good["status"] == "SUCCEEDED"


def test_a_state_input_over_256_kib_is_a_data_limit_that_states_all_does_not_catch(aws: None) -> None:
    make_table()
    big = {"TableName": "t", "Item": {"pk": {"S": "a"}, "a": {"S.$": "$.half"}, "b": {"S.$": "$.half"}}}
    caught_by_all = _caught_by_all(Parameters=big)
    by_name = [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"}]
    caught_by_name = put_item_machine("named", Parameters=big, Catch=by_name)
    half = {"half": "x" * 150 * KIB}  # fits as input; twice over in the task's Parameters
    assert execute(caught_by_all, half, "lax")["status"] == "SUCCEEDED"  # moto alone never checks
    with aws_strict():
        uncaught = execute(caught_by_all, half, "strict")
        caught = execute(caught_by_name, half, "named")
    assert (uncaught["status"], uncaught["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert caught["status"] == "SUCCEEDED"
    assert json.loads(caught["output"]) == CAUGHT  # an explicit catch still works, as on AWS


def test_a_task_result_over_256_kib_is_not_caught_by_states_all(aws: None) -> None:
    """moto already checks a task's result size; strict stops States.ALL catching it."""
    make_table()
    aws_client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "big"}, "v": {"S": "x" * 300 * KIB}})
    get = {
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "t", "Key": {"pk": {"S": "big"}}},
    }
    arn = _caught_by_all(**get)
    assert json.loads(execute(arn, {}, "lax")["output"]) == CAUGHT  # moto alone: caught by States.ALL
    with aws_strict():
        failed = execute(arn, {}, "strict")
    assert (failed["status"], failed["error"]) == ("FAILED", "States.DataLimitExceeded")


# ---------------------------------------------------------------------------------------- SQS


def _queue(fifo: bool = False, **attributes: str) -> str:
    if fifo:
        attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "false", **attributes}
    name = "q.fifo" if fifo else "q"
    return str(aws_client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def test_sqs_message_size_counts_utf8_bytes_and_attributes(aws: None) -> None:
    url = _queue()
    sqs = aws_client("sqs")
    two_byte_chars = "é" * (512 * KIB + 1)  # 524,289 characters, 1,048,578 bytes
    sqs.send_message(QueueUrl=url, MessageBody=two_byte_chars)  # moto alone counts characters
    attribute = {"note": {"DataType": "String", "StringValue": "x" * 100}}
    with aws_strict():
        sqs.send_message(QueueUrl=url, MessageBody="x" * (1024 * KIB - 200), MessageAttributes=attribute)
        over = refused(lambda: sqs.send_message(QueueUrl=url, MessageBody=two_byte_chars))
        with_attribute = refused(
            lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * (1024 * KIB - 50), MessageAttributes=attribute)
        )
    assert over == {
        "code": "InvalidParameterValue",
        "message": "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
        "status": 400,
    }
    assert with_attribute["code"] == "InvalidParameterValue"


def test_sqs_message_size_follows_the_queues_maximum(aws: None) -> None:
    url = _queue(MaximumMessageSize=str(256 * KIB))
    sqs = aws_client("sqs")
    with aws_strict():
        sqs.send_message(QueueUrl=url, MessageBody="x" * 256 * KIB)
        over = refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="é" * (128 * KIB + 1)))
    assert over["message"].endswith("Message must be shorter than 262144 bytes.")


def test_sqs_batches_are_checked_per_entry_and_in_total(aws: None) -> None:
    url = _queue()
    sqs = aws_client("sqs")
    entries = [{"Id": str(i), "MessageBody": "é" * 200 * KIB} for i in range(3)]  # 400 KiB each, 1.2 MiB
    sqs.send_message_batch(QueueUrl=url, Entries=entries)  # moto alone: 600 K characters fit
    with aws_strict():
        total = refused(lambda: sqs.send_message_batch(QueueUrl=url, Entries=entries))
        one = refused(
            lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "big", "MessageBody": "é" * 600 * KIB}])
        )
        sqs.send_message_batch(QueueUrl=url, Entries=entries[:2])
    assert total["code"] == "AWS.SimpleQueueService.BatchRequestTooLong"  # SQS's query-compatible code
    assert "1048576" in total["message"]
    assert one["code"] == "InvalidParameterValue"


def test_fifo_group_and_deduplication_ids_are_checked(aws: None) -> None:
    url = _queue(fifo=True)
    sqs = aws_client("sqs")

    def send(group: str, dedup: str = "d") -> Any:
        return sqs.send_message(QueueUrl=url, MessageBody="{}", MessageGroupId=group, MessageDeduplicationId=dedup)

    send("a" * 129, "lax-1")  # moto alone accepts both
    send("E08000035", "with space")
    with aws_strict():
        send("a" * 128, "d1")
        send("E08000035", "SC123456-E08000035-20261102:#1!")  # punctuation is allowed
        long_group = refused(lambda: send("a" * 129, "d2"))
        spaced = refused(lambda: send("E08000035", "with space"))
        accented = refused(lambda: send("Sénart", "d3"))
        batch = refused(
            lambda: sqs.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": "1", "MessageBody": "{}", "MessageGroupId": "g", "MessageDeduplicationId": "x" * 129}],
            )
        )
    for refusal in (long_group, spaced, accented, batch):
        assert refusal["code"] == "InvalidParameterValue"
    assert "MessageGroupId" in long_group["message"]
    assert "MessageDeduplicationId" in spaced["message"]


# ----------------------------------------------------------------------------------- DynamoDB


def test_dynamodb_item_size_uses_aws_formula(aws: None) -> None:
    make_table()
    ddb = aws_client("dynamodb")
    numbers = {"pk": {"S": "n"}, "v": {"L": [{"N": "1"}] * 140_000}}  # 3 bytes each on AWS: 420 KB
    ddb.put_item(TableName="t", Item=numbers)  # moto alone counts 1 byte each
    near = {"pk": {"S": "s"}, "v": {"S": "x" * 407_000}}  # under 400 KiB: AWS accepts
    with pytest.raises(ClientError):
        ddb.put_item(TableName="t", Item=near)  # moto alone refuses over 405,000 bytes
    with aws_strict():
        ddb.put_item(TableName="t", Item=near)
        put = refused(lambda: ddb.put_item(TableName="t", Item=numbers))
        put_numbers = {"Put": {"TableName": "t", "Item": numbers}}
        transact = refused(lambda: ddb.transact_write_items(TransactItems=[put_numbers]))
        batch = refused(lambda: ddb.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": numbers}}]}))
    for refusal in (put, transact, batch):
        assert refusal["code"] == "ValidationException"
        assert refusal["message"] == "Item size has exceeded the maximum allowed size"


def test_dynamodb_update_result_is_checked(aws: None) -> None:
    make_table()
    ddb = aws_client("dynamodb")
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"S": "x" * 300_000}})
    grow: dict[str, Any] = {
        "TableName": "t",
        "Key": {"pk": {"S": "a"}},
        "UpdateExpression": "SET w = :w",
        "ExpressionAttributeValues": {":w": {"L": [{"BOOL": True}] * 60_000}},  # 2 bytes each: 120 KB
    }
    with aws_strict():
        update = refused(lambda: ddb.update_item(**grow))
        transact = refused(lambda: ddb.transact_write_items(TransactItems=[{"Update": grow}]))
        ddb.update_item(**{**grow, "ExpressionAttributeValues": {":w": {"L": [{"BOOL": True}] * 1000}}})
    assert update == {
        "code": "ValidationException",
        "message": "Item size to update has exceeded the maximum allowed size",
        "status": 400,
    }
    assert transact["code"] == "ValidationException"


def test_dynamodb_sizes() -> None:
    assert strict.dynamodb_item_size({"name": {"S": "héllo"}}) == 4 + 6
    assert strict.dynamodb_value_size({"N": "123.4500"}) == 4  # 12345: 5 significant digits -> 3 + 1
    assert strict.dynamodb_value_size({"N": "-0.001"}) == 2
    assert strict.dynamodb_value_size({"B": base64.b64encode(b"abc").decode()}) == 3
    assert strict.dynamodb_value_size({"L": [{"S": "ab"}, {"NULL": True}]}) == 3 + (1 + 2) + (1 + 1)
    assert strict.dynamodb_value_size({"M": {"k": {"BOOL": False}}}) == 3 + 1 + 1 + 1
    assert strict.dynamodb_value_size({"SS": ["a", "bc"]}) == 3


# ---------------------------------------------------------------------------------------- SES


def _ses_ready() -> Any:
    ses = aws_client("sesv2")
    ses.create_email_identity(EmailIdentity="advocacy@notify.example")
    return ses


def _simple(text: str) -> dict[str, Any]:
    return {"Simple": {"Subject": {"Data": "Advocacy"}, "Body": {"Text": {"Data": text}}}}


def test_ses_refuses_more_than_50_recipients(aws: None) -> None:
    """moto already refuses this (MessageRejected); the strict twin keeps it."""
    ses = _ses_ready()
    to = [f"lead{i}@council.example" for i in range(20)]
    cc = [f"cc{i}@council.example" for i in range(20)]
    bcc = [f"bcc{i}@council.example" for i in range(11)]
    with aws_strict():
        ses.send_email(
            FromEmailAddress="advocacy@notify.example",
            Destination={"ToAddresses": to, "CcAddresses": cc, "BccAddresses": bcc[:10]},
            Content=_simple("hello"),
        )
        over = refused(
            lambda: ses.send_email(
                FromEmailAddress="advocacy@notify.example",
                Destination={"ToAddresses": to, "CcAddresses": cc, "BccAddresses": bcc},
                Content=_simple("hello"),
            )
        )
    assert over["code"] == "MessageRejected"


def test_ses_refuses_messages_over_40_mb(aws: None) -> None:
    ses = _ses_ready()
    too_big = "x" * (40 * 1024 * KIB + 1)
    destination = {"ToAddresses": ["lead@council.example"]}
    ses.send_email(FromEmailAddress="advocacy@notify.example", Destination=destination, Content=_simple(too_big))
    raw = {"Raw": {"Data": b"Subject: hi\r\nTo: lead@council.example\r\n\r\n" + too_big.encode()}}
    with aws_strict():
        simple = refused(
            lambda: ses.send_email(
                FromEmailAddress="advocacy@notify.example", Destination=destination, Content=_simple(too_big)
            )
        )
        raw_refusal = refused(
            lambda: ses.send_email(FromEmailAddress="advocacy@notify.example", Destination=destination, Content=raw)
        )
        ses.send_email(FromEmailAddress="advocacy@notify.example", Destination=destination, Content=_simple("ok"))
    assert simple["code"] == "MessageRejected"
    assert "41943040" in simple["message"]
    assert raw_refusal["code"] == "MessageRejected"


# ------------------------------------------------------------------------------------- Lambda


def test_lambda_invoke_requests_are_at_most_6_mb_sync_and_1_mb_async(aws: None) -> None:
    lam = aws_client("lambda")
    with aws_strict():
        sync = refused(lambda: lam.invoke(FunctionName="f", Payload=json.dumps("x" * 6 * 1024 * KIB)))
        event = refused(
            lambda: lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps("x" * 1024 * KIB))
        )
        small = refused(lambda: lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps("x" * 1000)))
    assert sync["code"] == "RequestTooLargeException"
    assert sync["status"] == 413
    assert "6291456" in sync["message"]
    assert event["code"] == "RequestTooLargeException"
    assert "1048576" in event["message"]
    assert small["code"] == "ResourceNotFoundException"  # passed the check, reached moto


def test_lambda_payload_checks() -> None:
    strict.check_invoke_request(b"x" * 6 * 1024 * KIB, asynchronous=False)
    strict.check_invoke_request(b"x" * 1024 * KIB, asynchronous=True)
    with pytest.raises(strict.RequestTooLarge):
        strict.check_invoke_request(b"x" * (6 * 1024 * KIB + 1), asynchronous=False)
    with pytest.raises(strict.RequestTooLarge) as info:
        strict.check_invoke_request(b"x" * (1024 * KIB + 1), asynchronous=True)
    moto_error = info.value.as_moto_error()
    assert getattr(moto_error, "code", None) == 413
    assert strict.check_invoke_response(b"x" * 6_291_556) is None
    error = strict.check_invoke_response(b"x" * 6_291_557)
    assert error is not None
    assert json.loads(error)["errorType"] == "Function.ResponseSizeTooLarge"


def test_which_events_lambda_delivers_asynchronously() -> None:
    assert strict.is_asynchronous_event({"Records": [{"eventSource": "aws:s3"}]})
    assert strict.is_asynchronous_event({"Records": [{"EventSource": "aws:sns"}]})
    assert strict.is_asynchronous_event({"source": "aws.ses", "detail-type": "Email Bounced", "detail": {}})
    assert not strict.is_asynchronous_event({"Records": [{"eventSource": "aws:sqs"}]})
    assert not strict.is_asynchronous_event({"case_id": "SC1-E1-20261102", "stage": 0})


def test_the_in_process_lambda_hook_applies_the_payload_limits(offline_env: Any) -> None:
    """lambdas.py runs every invocation through strict.checked_invocation: a request over the limit is
    refused before the handler runs; a response over the limit becomes Lambda's function error. The twin is
    strict by itself: no aws_strict() block here."""
    from unittest import mock

    from advocacy_offline import lambdas
    from moto.awslambda.models import lambda_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    with offline_env() as env:
        name = env.stack.function_names["SendEmailFunction"]  # a workflow task: invoked synchronously
        fn = lambda_backends[DEFAULT_ACCOUNT_ID][REGION].get_function(name)
        calls = len(env.calls)
        with pytest.raises(Exception) as info:
            fn._invoke_lambda(json.dumps({"pad": "x" * 6 * 1024 * KIB}))
        assert getattr(info.value, "code", None) == 413
        assert len(env.calls) == calls  # refused before the handler ran
        with mock.patch.object(lambdas, "load_handler", return_value=lambda event, ctx: "x" * 6_291_600):
            body, errored, _ = fn._invoke_lambda(json.dumps({"case_id": "SC1-E1-20261102", "stage": 0}))
        assert errored
        assert json.loads(body)["errorType"] == "Function.ResponseSizeTooLarge"
        assert len(env.calls) == calls + 1  # the handler ran; its answer was replaced
    body, errored, _ = strict.checked_invocation({"small": 1}, lambda: ("x" * 6_291_600, False, ""))
    assert not errored  # outside a strict block the hook changes nothing
