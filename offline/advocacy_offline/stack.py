"""Create the stack from template.yaml in moto (in-process or a moto server), bridging moto's gaps."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3

from .template import ARTIFACTS_BUCKET, REGION, for_moto, translate

__all__ = ["ACCOUNT", "OFFLINE_SENDER", "REGION", "Stack", "deploy"]

ACCOUNT = "123456789012"
# template.yaml's SenderEmail has no default (a deployment must name its verified sender) and refuses the reserved
# domains SES can never verify; offline, SES is moto, and the sender is the one production would use.
OFFLINE_SENDER = "advocacy-notify@childrenscommissioner.gov.uk"


class ParameterRefused(ValueError):
    """CloudFormation would refuse the stack: a parameter breaks its AllowedPattern, AllowedValues or bounds."""


def check_parameters(template: dict[str, Any], given: dict[str, str]) -> None:
    """What CloudFormation checks of each parameter before it creates anything (moto checks none of it)."""
    for name, spec in template.get("Parameters", {}).items():
        value = given.get(name, spec.get("Default"))
        if value is None:
            raise ParameterRefused(f"Parameters: [{name}] must have values")
        text = str(value)
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, text):
            raise ParameterRefused(f"Parameter '{name}' must match pattern {pattern}")
        allowed = spec.get("AllowedValues")
        if allowed and text not in [str(a) for a in allowed]:
            raise ParameterRefused(f"Parameter '{name}' must be one of AllowedValues")
        if spec.get("Type") == "Number":
            number = float(text)
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise ParameterRefused(f"Parameter '{name}' must be a number not less than {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise ParameterRefused(f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}")


@dataclass
class Stack:
    name: str
    region: str
    physical: dict[str, str]  # logical id -> physical id (name, URL or ARN)
    outputs: dict[str, str]
    function_names: dict[str, str]  # logical id -> function name
    parameters: dict[str, str] = field(default_factory=dict)

    def fn(self, logical_id: str) -> str:
        return self.function_names[logical_id]

    @property
    def bucket(self) -> str:
        return self.outputs["DropBucketName"]

    @property
    def queue_url(self) -> str:
        return self.outputs["CaseQueueUrl"]

    @property
    def dlq_url(self) -> str:
        return self.outputs["CaseDeadLetterQueueUrl"]

    @property
    def state_machine_arn(self) -> str:
        return self.outputs["CaseStateMachineArn"]

    def table(self, output: str) -> str:
        return self.outputs[output]

    def env(self) -> dict[str, str]:
        """The environment every function gets (Globals), for code that runs beside the stack."""
        return {
            "CASES_TABLE": self.outputs["CasesTableName"],
            "LINKS_TABLE": self.outputs["LinksTableName"],
            "ANSWERS_TABLE": self.outputs["AnswersTableName"],
            "DIRECTORY_TABLE": self.outputs["DirectoryTableName"],
            "WORK_TABLE": self.outputs["WorkTableName"],
            "ALERT_TOPIC_ARN": self.outputs["AlertTopicArn"],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "physical": self.physical,
            "outputs": self.outputs,
            "function_names": self.function_names,
            "parameters": self.parameters,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Stack:
        return cls(**doc)


def _empty_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("README", "code runs in-process in the offline mode")
    return buf.getvalue()


def deploy(name: str, parameters: dict[str, str], session: boto3.Session | None = None) -> Stack:
    """Create the stack in moto and apply what moto's CloudFormation ignores."""
    session = session or boto3.Session(region_name=REGION)
    parameters = {"SenderEmail": OFFLINE_SENDER, **parameters}
    s3 = session.client("s3")
    cfn_client = session.client("cloudformation")
    s3.create_bucket(Bucket=ARTIFACTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    template = for_moto(translate(params=parameters))
    check_parameters(template, parameters)
    for resource in template["Resources"].values():
        code = resource.get("Properties", {}).get("Code") or resource.get("Properties", {}).get("Content")
        if isinstance(code, dict) and code.get("S3Bucket") == ARTIFACTS_BUCKET:
            s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=code["S3Key"], Body=_empty_zip())
    cfn_client.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    resources = cfn_client.describe_stack_resources(StackName=name)["StackResources"]
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources if "LogicalResourceId" in r}
    described = cfn_client.describe_stacks(StackName=name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    functions = {
        lid: physical[lid]
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and lid in physical
    }
    stack = Stack(
        name=name,
        region=session.region_name or REGION,
        physical=physical,
        outputs=outputs,
        function_names=functions,
        parameters=parameters,
    )
    post_deploy(stack, template, session, parameters)
    return stack


def post_deploy(stack: Stack, template: dict[str, Any], session: boto3.Session, parameters: dict[str, str]) -> None:
    s3, lam, sfn = (session.client(s) for s in ("s3", "lambda", "stepfunctions"))
    # 1) bucket notifications are accepted but ignored by moto's CloudFormation
    for lid, resource in template["Resources"].items():
        nc = resource["Type"] == "AWS::S3::Bucket" and resource.get("Properties", {}).get("NotificationConfiguration")
        if not nc:
            continue
        configs = []
        for c in nc.get("LambdaConfigurations", []):
            fn_lid = c["Function"]["Fn::GetAtt"][0]
            cfg: dict[str, Any] = {
                "LambdaFunctionArn": lam.get_function(FunctionName=stack.physical[fn_lid])["Configuration"][
                    "FunctionArn"
                ],
                "Events": [c["Event"]],
            }
            if "Filter" in c:
                cfg["Filter"] = {"Key": {"FilterRules": c["Filter"]["S3Key"]["Rules"]}}
            configs.append(cfg)
        s3.put_bucket_notification_configuration(
            Bucket=stack.physical[lid], NotificationConfiguration={"LambdaFunctionConfigurations": configs}
        )
    # 2) with execute_state_machine=True the Step Functions API reads another backend than the one
    #    CloudFormation writes to: register the same definition there, under the same ARN.
    _register_state_machines(stack, sfn)
    # 3) Secrets Manager secrets: not in moto's CloudFormation
    sm = session.client("secretsmanager")
    import secrets as _secrets

    for lid, resource in template["Resources"].items():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            arn = sm.create_secret(Name=f"{stack.name}-{lid}", SecretString=_secrets.token_urlsafe(48))["ARN"]
            stack.physical[lid] = arn
    # 4) SNS subscriptions (SES delivery events -> Lambda) are not in moto's CloudFormation
    sns = session.client("sns")
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::SNS::Subscription" and props.get("Protocol") == "lambda":
            topic = stack.physical[props["TopicArn"]["Ref"]]
            fn = lam.get_function(FunctionName=stack.physical[props["Endpoint"]["Fn::GetAtt"][0]])
            sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn["Configuration"]["FunctionArn"])
    # 5) SES: the configuration set and a verified sender identity
    ses = session.client("sesv2")
    sender = parameters.get("SenderEmail", OFFLINE_SENDER)
    ses.create_email_identity(EmailIdentity=sender)
    ses.create_email_identity(EmailIdentity=sender.split("@", 1)[1])
    v1 = session.client("ses")
    v1.verify_email_identity(EmailAddress=sender)
    v1.verify_domain_identity(Domain=sender.split("@", 1)[1])
    config_set = f"{stack.name}-EmailConfigurationSet"
    ses.create_configuration_set(ConfigurationSetName=config_set)
    stack.physical["EmailConfigurationSet"] = config_set
    # 6) environment variables whose Ref pointed at a resource moto skipped
    fixes = {"LINK_SECRET_ID": stack.physical.get("LinkSecret", ""), "SES_CONFIGURATION_SET": config_set}
    for function_name in stack.function_names.values():
        env = lam.get_function_configuration(FunctionName=function_name).get("Environment", {}).get("Variables", {})
        env.update({k: v for k, v in fixes.items() if v})
        if "PUBLIC_BASE_URL" in env and "${" in env["PUBLIC_BASE_URL"]:
            env["PUBLIC_BASE_URL"] = parameters.get("PublicBaseUrl") or "https://respond.example"
        lam.update_function_configuration(
            FunctionName=function_name, Environment={"Variables": {k: str(v) for k, v in env.items()}}
        )


def _register_state_machines(stack: Stack, sfn: Any) -> None:
    from moto.stepfunctions.models import stepfunctions_backends

    try:
        backend = stepfunctions_backends[ACCOUNT][stack.region]
    except KeyError:  # moto server in another process: nothing to copy from here
        return
    existing = {m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    for machine in list(backend.state_machines):
        if machine.arn not in existing:
            sfn.create_state_machine(
                name=machine.name, definition=machine.definition, roleArn=machine.roleArn, type="STANDARD"
            )
