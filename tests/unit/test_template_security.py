"""Least privilege and data protection, read from the SAM-translated template (what is deployed)."""

from __future__ import annotations

from typing import Any

import pytest
from advocacy_offline.template import translate

# AWS requires "*" for these actions: X-Ray trace segments have no resource-level permissions.
STAR_RESOURCE_ALLOWED = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translate()


def _resources(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in cfn["Resources"].items() if r["Type"] == kind}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_role_is_inline_and_least_privilege(cfn: dict[str, Any]) -> None:
    roles = _resources(cfn, "AWS::IAM::Role")
    assert len(roles) >= 8  # seven functions... and the state machine
    for name, role in roles.items():
        props = role["Properties"]
        assert not props.get("ManagedPolicyArns"), f"{name} uses managed policies, which grant '*' resources"
        for policy in props.get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                actions = _as_list(st["Action"])
                assert all("*" not in a for a in actions), f"{name}: wildcard action in {actions}"
                if "*" in _as_list(st["Resource"]):
                    assert set(actions) <= STAR_RESOURCE_ALLOWED, f"{name}: '*' resource for {actions}"


def test_tables_are_encrypted_recoverable_and_expire(cfn: dict[str, Any]) -> None:
    tables = _resources(cfn, "AWS::DynamoDB::Table")
    assert len(tables) == 8  # cases, links, answers, directory, work items, ratings snapshots, idempotency, send rate
    for name, table in tables.items():
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name
        assert props["SSESpecification"]["SSEType"] == "KMS", name
        if name != "DirectoryTable":  # contacts are kept until staff change them; changes are audited
            assert props["TimeToLiveSpecification"]["Enabled"] is True, name


def test_queues_and_topics_are_encrypted(cfn: dict[str, Any]) -> None:
    for kind in ("AWS::SQS::Queue", "AWS::SNS::Topic"):
        for name, r in _resources(cfn, kind).items():
            key = r["Properties"].get("KmsMasterKeyId")
            assert key, f"{name} is not encrypted with the data key"


def test_the_drop_bucket(cfn: dict[str, Any]) -> None:
    bucket = cfn["Resources"]["DropBucket"]["Properties"]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] == "aws:kms"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LifecycleConfiguration"]["Rules"][0]["Status"] == "Enabled"
    policy = cfn["Resources"]["DropBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    tls = [s for s in policy if isinstance(s, dict) and s.get("Sid") == "TlsOnly"]
    assert tls
    assert tls[0]["Effect"] == "Deny"
    assert tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_answer_api_is_throttled(cfn: dict[str, Any]) -> None:
    stages = _resources(cfn, "AWS::ApiGatewayV2::Stage")
    assert stages
    for stage in stages.values():
        route = stage["Properties"]["DefaultRouteSettings"]
        assert 0 < route["ThrottlingRateLimit"] <= 50
        assert 0 < route["ThrottlingBurstLimit"] <= 100
