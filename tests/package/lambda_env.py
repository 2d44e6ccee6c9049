"""The environment AWS gives a function of template.yaml, with plausible stand-ins for what only a deployment knows.

Globals plus the function's own `Environment`, each value resolved: `!Ref`/`!GetAtt` become names, ARNs and queue
URLs shaped as AWS makes them, `!Sub` and `!Join` are filled in, `!If` follows its condition (evaluated with the
parameters' defaults), and the Lambda runtime's own variables are added.
"""

from __future__ import annotations

import re
from typing import Any

REGION = "eu-west-2"
ACCOUNT = "123456789012"
STACK = "advocacy-notify-dev"
SUFFIX = "1A2B3C4D5E6F"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::StackName": STACK,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
# Parameters with no default: what a real deployment would pass
REQUIRED_PARAMETERS = {"SenderEmail": "advocacy@notify.childrenscommissioner.gov.uk"}


class Unresolvable(Exception):
    """A value this stand-in resolver does not know how to fill in: extend it."""


class Resolver:
    def __init__(self, sam: dict[str, Any]) -> None:
        self.parameters: dict[str, Any] = sam.get("Parameters", {})
        self.conditions: dict[str, Any] = sam.get("Conditions", {})
        self.resources: dict[str, Any] = sam["Resources"]

    # ------------------------------------------------------------------ names AWS would give
    def _physical_name(self, lid: str) -> str:
        props = self.resources[lid].get("Properties", {})
        for key in ("QueueName", "TableName", "TopicName", "BucketName", "FunctionName", "Name"):
            if key in props:
                value = self.value(props[key])
                if value:
                    return value
        return f"{STACK}-{lid}-{SUFFIX}"

    def ref(self, name: str) -> str | None:
        if name == "AWS::NoValue":
            return None
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            parameter = self.parameters[name]
            if "Default" in parameter:
                return str(parameter["Default"])
            if name in REQUIRED_PARAMETERS:
                return REQUIRED_PARAMETERS[name]
            raise Unresolvable(f"parameter {name} has no default: add a stand-in to REQUIRED_PARAMETERS")
        if name not in self.resources:
            raise Unresolvable(f"!Ref {name}: no such parameter or resource")
        kind = self.resources[name]["Type"]
        physical = self._physical_name(name)
        refs = {
            "AWS::SQS::Queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{physical}",
            "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf",
            "AWS::Serverless::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{physical}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{physical}",
            "AWS::Serverless::HttpApi": "a1b2c3d4e5",
            "AWS::Serverless::Api": "a1b2c3d4e5",
            "AWS::KMS::Key": "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
            "AWS::Serverless::LayerVersion": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1",
        }
        return refs.get(kind, physical)

    def get_att(self, lid: str, attribute: str) -> str:
        if lid not in self.resources:
            raise Unresolvable(f"!GetAtt {lid}.{attribute}: no such resource")
        kind = self.resources[lid]["Type"]
        physical = self._physical_name(lid)
        if attribute == "Arn":
            arns = {
                "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical}",
                "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical}",
                "AWS::S3::Bucket": f"arn:aws:s3:::{physical}",
                "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{self.ref(lid)}",
                "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}",
            }
            if kind in arns:
                return arns[kind]
            ref = self.ref(lid)
            if ref and ref.startswith("arn:"):
                return ref
        if attribute == "QueueUrl" and kind == "AWS::SQS::Queue":
            return str(self.ref(lid))
        if attribute in {"QueueName", "Name", "TableName"}:
            return physical
        raise Unresolvable(f"!GetAtt {lid}.{attribute} ({kind})")

    # ------------------------------------------------------------------ intrinsics
    def condition(self, name: str) -> bool:
        return self._truth(self.conditions[name])

    def _truth(self, node: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            ((fn, args),) = node.items()
            if fn == "Fn::Equals":
                return self.value(args[0]) == self.value(args[1])
            if fn == "Fn::Not":
                return not self._truth(args[0])
            if fn == "Fn::And":
                return all(self._truth(a) for a in args)
            if fn == "Fn::Or":
                return any(self._truth(a) for a in args)
            if fn == "Condition":
                return self.condition(args)
        raise Unresolvable(f"condition {node!r}")

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.value(variables[name]))
            if "." in name and name.split(".", 1)[0] in self.resources:
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", fill, text)

    def value(self, node: Any) -> str | None:
        if isinstance(node, bool):
            return "true" if node else "false"
        if isinstance(node, str | int | float):
            return str(node)
        if isinstance(node, dict) and len(node) == 1:
            ((fn, args),) = node.items()
            if fn == "Ref":
                return self.ref(args)
            if fn == "Fn::GetAtt":
                lid, attribute = args if isinstance(args, list) else args.split(".", 1)
                return self.get_att(lid, attribute)
            if fn == "Fn::Sub":
                text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])
                return self._sub(text, variables)
            if fn == "Fn::If":
                return self.value(args[1] if self.condition(args[0]) else args[2])
            if fn == "Fn::Join":
                parts = [self.value(p) for p in args[1]]
                return str(args[0]).join(p for p in parts if p is not None)
            if fn == "Fn::Select":
                return self.value(args[1][int(str(self.value(args[0])))])
        raise Unresolvable(f"{node!r}")


def function_environment(sam: dict[str, Any], logical_id: str) -> dict[str, str]:
    """Globals' and the function's own environment variables, resolved to stand-ins (AWS::NoValue dropped)."""
    resolver = Resolver(sam)
    global_vars = sam.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own = sam["Resources"][logical_id].get("Properties", {}).get("Environment", {}).get("Variables", {})
    resolved = {name: resolver.value(value) for name, value in {**global_vars, **own}.items()}
    return {name: value for name, value in resolved.items() if value is not None}


def function_setting(sam: dict[str, Any], logical_id: str, key: str, default: Any) -> Any:
    """A function property, from the function or else from Globals (as SAM applies them)."""
    props = sam["Resources"][logical_id].get("Properties", {})
    return props.get(key, sam.get("Globals", {}).get("Function", {}).get(key, default))


def runtime_environment(sam: dict[str, Any], logical_id: str, task_root: str) -> dict[str, str]:
    """The variables the Lambda runtime itself sets (credentials are dummies: importing must call no AWS API)."""
    name = f"{STACK}-{logical_id}-{SUFFIX}"
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function_setting(sam, logical_id, "MemorySize", 128)),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/02/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE00",
        "AWS_SECRET_ACCESS_KEY": "stand-in-secret-access-key-000000000000000",
        "AWS_SESSION_TOKEN": "stand-in-session-token",
        "_HANDLER": str(function_setting(sam, logical_id, "Handler", "app.handler")),
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
