"""Deploy safety: a failed first create can be retried, the sender must be real, queues outlast their consumers."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline.package import load_template
from advocacy_offline.template import translate

PROJECT = Path(__file__).resolve().parents[2]
# Domains reserved by RFC 2606 / RFC 6761: no one can own them, so SES can never verify an address there.
RESERVED_TLDS = {"example", "test", "invalid", "localhost"}
RESERVED_DOMAINS = {"example.com", "example.net", "example.org"}
SQS_DEFAULT_VISIBILITY = 30  # seconds, when a queue sets none
LAMBDA_DEFAULT_TIMEOUT = 3
# Where someone would copy a sender address from: the deploy config and the docs
COMMITTED_CONFIG = [PROJECT / "samconfig.toml", PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
SENDER_IN_TEXT = re.compile(r"SenderEmail[\"']?\s*[=:]\s*[\"']?([^\s\"'\\,;)`|]+@[^\s\"'\\,;)`|]+)")


def is_reserved(address: str) -> bool:
    domain = address.rsplit("@", 1)[-1].strip().rstrip(".").lower()
    return domain.rsplit(".", 1)[-1] in RESERVED_TLDS or any(
        domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS
    )


def senders_in_samconfig(text: str) -> list[str]:
    """Every SenderEmail that a samconfig.toml's parameter_overrides sets, in any environment and command."""
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "parameter_overrides":
                    items = value if isinstance(value, list) else shlex.split(str(value))
                    found.extend(i.split("=", 1)[1] for i in items if i.startswith("SenderEmail="))
                else:
                    walk(value)

    walk(tomllib.loads(text))
    return found


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translate()


@pytest.mark.parametrize(
    ("address", "reserved"),
    [
        ("advocacy@notify.example", True),
        ("a@EXAMPLE.COM", True),
        ("a@mail.example.org", True),
        ("a@host.test", True),
        ("a@box.invalid", True),
        ("a@localhost", True),
        ("a@dev.localhost", True),
        ("advocacy@notify.childrenscommissioner.gov.uk", False),
        ("a@examples.com", False),
        ("a@example.gov.uk", False),
    ],
)
def test_the_reserved_domain_rule(address: str, reserved: bool) -> None:
    assert is_reserved(address) is reserved


def test_every_retained_resource_can_be_retried_after_a_failed_first_create(sam: dict[str, Any]) -> None:
    # given every resource the stack keeps on deletion or replacement
    retained = {
        lid: r
        for lid, r in sam["Resources"].items()
        if str(r.get("DeletionPolicy", "")).startswith("Retain") or r.get("UpdateReplacePolicy") == "Retain"
    }
    # then a rolled-back first create deletes it (no "already exists" on the retry), later deletions keep it
    assert retained, "template.yaml retains nothing: where did the data stores go?"
    for lid, resource in retained.items():
        assert resource.get("DeletionPolicy") == "RetainExceptOnCreate", lid
        assert resource.get("UpdateReplacePolicy") == "Retain", lid
    # and the data stores are among them
    assert {"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::KMS::Key"} <= {r["Type"] for r in retained.values()}


def test_the_translation_keeps_the_deletion_policies(sam: dict[str, Any], cfn: dict[str, Any]) -> None:
    for lid, resource in sam["Resources"].items():
        if "DeletionPolicy" in resource and lid in cfn["Resources"]:
            assert cfn["Resources"][lid].get("DeletionPolicy") == resource["DeletionPolicy"], lid


def test_the_sender_is_required_and_never_a_reserved_domain(sam: dict[str, Any]) -> None:
    parameter = sam["Parameters"]["SenderEmail"]
    # no default: `sam deploy --guided` asks, and a deployment that names no sender fails before creating anything
    assert "Default" not in parameter
    # CloudFormation refuses a reserved domain (its AllowedPattern is a Java regex; these constructs read the same
    # in Python's re, and CloudFormation matches the whole value)
    pattern = parameter["AllowedPattern"]
    for address in ["advocacy@notify.example", "a@Example.com", "a@mail.example.net", "a@x.test", "a@y.invalid"]:
        assert not re.fullmatch(pattern, address), address
    for address in ["advocacy@notify.childrenscommissioner.gov.uk", "help@examples.com", "a@test-council.gov.uk"]:
        assert re.fullmatch(pattern, address), address
    assert not re.fullmatch(pattern, "not-an-address")


def test_the_config_scanner_finds_a_reserved_sender() -> None:
    bad = '[dev.deploy.parameters]\nparameter_overrides = "Environment=dev SenderEmail=advocacy@notify.example"\n'
    assert senders_in_samconfig(bad) == ["advocacy@notify.example"]
    assert SENDER_IN_TEXT.findall("sam deploy --parameter-overrides SenderEmail=a@b.example") == ["a@b.example"]
    assert SENDER_IN_TEXT.findall("| `SenderEmail` | `advocacy@notify.example` |") == []  # a table names no value


def test_no_committed_config_deploys_a_reserved_sender() -> None:
    samconfig = (PROJECT / "samconfig.toml").read_text()
    found = {"samconfig.toml": senders_in_samconfig(samconfig)}
    for path in COMMITTED_CONFIG:
        found.setdefault(path.name, []).extend(SENDER_IN_TEXT.findall(path.read_text()))
    reserved = {name: [a for a in addresses if is_reserved(a)] for name, addresses in found.items()}
    assert not any(reserved.values()), f"reserved sender addresses SES can never verify: {reserved}"


def test_each_queue_outlasts_its_consumer_six_times(cfn: dict[str, Any]) -> None:
    # given every SQS event source mapping of the deployed (translated) template
    resources = cfn["Resources"]
    pairs = []
    for lid, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        source = resource["Properties"]["EventSourceArn"]
        queue = source.get("Fn::GetAtt", [None])[0] if isinstance(source, dict) else None
        if queue in resources and resources[queue]["Type"] == "AWS::SQS::Queue":
            function = resource["Properties"]["FunctionName"]["Ref"]
            pairs.append((lid, queue, function))
    assert pairs, "no SQS event source mapping found: the check would pass vacuously"
    # then each queue hides a message for at least 6 x its consumer's timeout (AWS's recommendation)
    for mapping, queue, function in pairs:
        visibility = int(resources[queue]["Properties"].get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY))
        timeout = int(resources[function]["Properties"].get("Timeout", LAMBDA_DEFAULT_TIMEOUT))
        assert visibility >= 6 * timeout, f"{mapping}: {queue} {visibility} s < 6 x {function} {timeout} s"
