"""template.yaml -> CloudFormation (aws-sam-translator, offline) -> what moto's CloudFormation accepts.

The gaps between moto 5.2.5's CloudFormation and AWS, bridged here and in `stack.py`:
- `DefinitionSubstitutions` is ignored: substitute ourselves, with Fn::Join (moto's Fn::Sub would turn
  "$$.Task.Token" into "$.Task.Token").
- ApiGateway Deployment/Stage (none here: the HTTP API is ApiGatewayV2, which moto ignores).
- Bucket notifications, the executing Step Functions backend, Secrets Manager secrets and SES
  configuration sets are applied through the API after the stack is created (`stack.post_deploy`).
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import PROJECT_ROOT

REGION = "eu-west-2"  # the offline stack's region; CloudFormation's partition comes from it

TEMPLATE = PROJECT_ROOT / "template.yaml"
ARTIFACTS_BUCKET = "local-artifacts"
DROP_TYPES = {"AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage"}


class _OfflinePolicyLoader:
    """samtranslator only asks this for managed-policy names; this template uses none."""

    def load(self) -> dict[str, str]:
        return {}


def load_sam(path: Path = TEMPLATE) -> dict[str, Any]:
    """The SAM template as a dict (a fresh copy: callers may change it)."""
    return copy.deepcopy(_load_sam_cached(str(path), path.stat().st_mtime))


@lru_cache(maxsize=4)
def _load_sam_cached(path_text: str, mtime: float) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    path = Path(path_text)
    tpl: dict[str, Any] = copy.deepcopy(yaml_parse(path.read_text()))
    base = path.parent
    for resource in tpl["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = f"s3://{ARTIFACTS_BUCKET}/{props['CodeUri'].strip('/')}.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion" and isinstance(props.get("ContentUri"), str):
            props["ContentUri"] = f"s3://{ARTIFACTS_BUCKET}/{props['ContentUri'].strip('/')}.zip"
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = json.loads((base / props.pop("DefinitionUri")).read_text())
    return tpl


@lru_cache(maxsize=4)
def _translate_cached(path: str, mtime: float, params_json: str) -> str:
    """`samtranslator.translator.transform.transform`, with the region handed in (a session of its own) rather
    than read from this process's environment."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template

    fragment, params = load_sam(Path(path)), json.loads(params_json)
    to_py27_compatible_template(fragment, params)
    session = boto3.Session(region_name=REGION)
    translator = Translator(None, Parser(), boto_session=session)
    policies = _OfflinePolicyLoader().load()
    out = translator.translate(fragment, parameter_values=params, get_managed_policy_map=lambda: policies)
    return json.dumps(undo_mark_unicode_str_in_template(out))


def translate(path: Path = TEMPLATE, params: dict[str, str] | None = None) -> dict[str, Any]:
    """SAM -> CloudFormation, as `sam build`/`sam package` would give (code locations aside)."""
    raw = _translate_cached(str(path), path.stat().st_mtime, json.dumps(params or {}, sort_keys=True))
    result: dict[str, Any] = json.loads(raw)
    return result


def code_locations(path: Path = TEMPLATE) -> dict[str, Path]:
    """Logical id of each function -> its folder (the SAM CodeUri)."""
    from samtranslator.yaml_helper import yaml_parse

    tpl = yaml_parse(path.read_text())
    return {
        lid: path.parent / r["Properties"]["CodeUri"]
        for lid, r in tpl["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }


def _join_to_str(value: Any) -> Any:
    if isinstance(value, dict) and "Fn::Join" in value and all(isinstance(p, str) for p in value["Fn::Join"][1]):
        return value["Fn::Join"][0].join(value["Fn::Join"][1])
    return value


def for_moto(cfn: dict[str, Any]) -> dict[str, Any]:
    cfn = copy.deepcopy(cfn)
    resources = cfn["Resources"]
    for lid in [k for k, r in resources.items() if r["Type"] in DROP_TYPES]:
        del resources[lid]
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::StepFunctions::StateMachine" and "DefinitionSubstitutions" in props:
            subs = props.pop("DefinitionSubstitutions")
            definition = props.pop("Definition", None)
            text = json.dumps(definition) if definition is not None else _join_to_str(props["DefinitionString"])
            parts = re.split(r"\$\{([A-Za-z0-9_]+)\}", text)
            props["DefinitionString"] = {
                "Fn::Join": ["", [subs.get(x, f"${{{x}}}") if i % 2 else x for i, x in enumerate(parts)]]
            }
    return cfn
