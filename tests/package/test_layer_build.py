"""`make package`: what `sam deploy` would deploy - the built template, the functions, and a layer that is
reproducible, consistent, for arm64, and that every handler imports on Python 3.13 with nothing else."""

from __future__ import annotations

import copy
import filecmp
import glob
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline.package import (
    FIXED_MTIME,
    SDK,
    canonical,
    layer_problems,
    load_template,
    lock_pins,
    tree_digest,
)
from lambda_env import function_environment, function_setting, runtime_environment

pytestmark = pytest.mark.package

PROJECT = Path(__file__).resolve().parents[2]
SHARED = PROJECT / "shared"
SAM = load_template()
FUNCTIONS = sorted(lid for lid, r in SAM["Resources"].items() if r["Type"] == "AWS::Serverless::Function")
LAYERS = sorted(lid for lid, r in SAM["Resources"].items() if r["Type"] == "AWS::Serverless::LayerVersion")
ELF_MACHINE = {"aarch64": 183, "x86_64": 62}  # e_machine of an ELF header
BUILT_PATHS = {"CodeUri", "ContentUri", "DefinitionUri"}


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")


def _without_built_paths(template: dict[str, Any]) -> dict[str, Any]:
    """The template less what sam build rewrites: artefact paths, and the SamResourceId it adds to Metadata."""
    out = copy.deepcopy(template)
    for resource in out["Resources"].values():
        for key in BUILT_PATHS:
            resource.get("Properties", {}).pop(key, None)
        resource.get("Metadata", {}).pop("SamResourceId", None)
        if resource.get("Metadata") == {}:
            del resource["Metadata"]
    return out


def python313() -> str:
    """A CPython 3.13: on PATH, or under ~/.pyenv/versions/*/bin (this machine has 3.13.0 there)."""
    candidates = [
        shutil.which("python3.13"),
        *sorted(glob.glob("/root/.pyenv/versions/*/bin/python3.13")),
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3.13"))),
    ]
    for candidate in dict.fromkeys(c for c in candidates if c):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.implementation.name, *sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.split() == ["cpython", "3", "13"]:
            return candidate
    pytest.fail(
        "no CPython 3.13 on PATH or under ~/.pyenv/versions/*/bin: the handlers must be imported by the "
        "runtime's Python version (install one, e.g. `pyenv install 3.13`)"
    )


# ---------------------------------------------------------------------------------------------- the built template


def test_the_built_template_is_the_template_pointing_at_the_built_folders(built: Path) -> None:
    out = built.parent
    doc = load_template(built)
    # nothing changed but the paths sam build rewrites
    assert _without_built_paths(doc) == _without_built_paths(SAM)
    for lid in FUNCTIONS:
        props = doc["Resources"][lid]["Properties"]
        assert props["CodeUri"] == lid, "sam build's layout: .aws-sam/build/<LogicalId>/"
        folder = out / props["CodeUri"]
        source = PROJECT / SAM["Resources"][lid]["Properties"]["CodeUri"]
        assert sorted(p.name for p in folder.iterdir()) == ["app.py"]
        assert filecmp.cmp(folder / "app.py", source / "app.py", shallow=False)
        assert doc["Resources"][lid]["Metadata"]["SamResourceId"] == lid
    for lid in LAYERS:
        assert doc["Resources"][lid]["Properties"]["ContentUri"] == lid
        assert (out / lid / "python").is_dir()
    # other local paths still lead to their files, from the built template's folder
    for lid, resource in doc["Resources"].items():
        definition = resource.get("Properties", {}).get("DefinitionUri")
        if isinstance(definition, str):
            original = PROJECT / SAM["Resources"][lid]["Properties"]["DefinitionUri"]
            assert (out / definition).resolve() == original.resolve()


def test_the_layer_holds_the_domain_package_as_it_is(built: Path) -> None:
    python = built.parent / LAYERS[0] / "python"
    package = SHARED / "advocacy_notify"
    sources = sorted(p.relative_to(package) for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert sources
    for rel in sources:
        assert filecmp.cmp(python / "advocacy_notify" / rel, package / rel, shallow=False), rel


# ---------------------------------------------------------------------------------------------- the layer


def test_the_layer_is_consistent_and_ships_the_whole_sdk_at_the_tested_versions(built: Path) -> None:
    python = built.parent / LAYERS[0] / "python"
    assert layer_problems(python, SHARED) == []
    installed = {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions(path=[str(python)])}
    locked = lock_pins(SHARED / "requirements.lock")
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"]
    for name in SDK:
        assert installed.get(name) == locked[name], name  # boto3, botocore and s3transfer, together
    assert f"boto3=={installed['boto3']}" in project  # the SDK the tests run with


def test_the_layer_is_built_for_lambda_arm64(built: Path) -> None:
    python = built.parent / LAYERS[0] / "python"
    libraries = sorted(python.rglob("*.so"))
    assert libraries, "no compiled extension: pydantic_core at least should have one"
    wrong = [str(p.relative_to(python)) for p in libraries if _elf_machine(p) != ELF_MACHINE["aarch64"]]
    assert not wrong
    assert all(".cpython-313-" in p.name or ".abi3." in p.name or p.name.count(".") == 1 for p in libraries)


def test_two_builds_from_the_same_lock_give_the_same_files(built: Path, rebuilt: Path) -> None:
    first, second = built.parent, rebuilt.parent
    assert tree_digest(first) == tree_digest(second)
    files = [p for p in first.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in {".pyc", ".pyo"}], "bytecode depends on the build"
    assert not (first / LAYERS[0] / "python" / "bin").exists(), "console scripts name this machine's Python"
    assert {p.stat().st_mtime for p in files} == {FIXED_MTIME}
    # nothing in the artefacts names the machine or folder it was built on
    markers = [str(PROJECT).encode(), sys.executable.encode(), str(Path(sys.executable).parent.parent).encode()]
    leaks = [str(p) for p in files if p.name != "template.yaml" and any(m in p.read_bytes() for m in markers)]
    assert not leaks


# ---------------------------------------------------------------------------------------------- the handlers

IMPORT_HANDLER = """
import importlib, json, sys, sysconfig
task, layer, handler = sys.argv[1:4]
sys.path[:0] = [task, layer]
module_name, _, attribute = handler.rpartition(".")
function = getattr(importlib.import_module(module_name), attribute)
assert callable(function), handler
import boto3, botocore, pydantic
allowed = (task, layer, sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"))
outside = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None) and not module.__file__.startswith(allowed)
)
print(json.dumps({
    "python": sys.version.split()[0],
    "boto3": [boto3.__version__, boto3.__file__],
    "botocore": [botocore.__version__, botocore.__file__],
    "outside": outside,
}))
"""


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_handler_imports_against_the_built_layer_alone(host_layer: Path, logical_id: str) -> None:
    # given Python 3.13 with no site-packages, only the function's folder and the layer on sys.path (as on Lambda),
    # and the environment AWS gives the function
    python = python313()
    task = PROJECT / SAM["Resources"][logical_id]["Properties"]["CodeUri"]
    handler = str(function_setting(SAM, logical_id, "Handler", "app.handler"))
    env = {**function_environment(SAM, logical_id), **runtime_environment(SAM, logical_id, str(task))}
    # when the handler module is imported (a cold start)
    result = subprocess.run(
        [python, "-I", "-S", "-c", IMPORT_HANDLER, str(task), str(host_layer), handler],
        capture_output=True,
        text=True,
        env=env,
        cwd=task,
        timeout=120,
        check=False,
    )
    # then it imports, from the layer and the standard library only
    assert result.returncode == 0, f"{logical_id} failed to import:\n{result.stderr[-4000:]}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["python"].startswith("3.13.")
    locked = lock_pins(SHARED / "requirements.lock")
    for name in ("boto3", "botocore"):
        version, path = report[name]
        assert version == locked[name]
        assert Path(path).is_relative_to(host_layer), f"{name} came from {path}"
    assert report["outside"] == [], f"modules from outside the layer: {report['outside']}"
