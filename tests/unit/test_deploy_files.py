"""What `sam build` needs: the Lambda layer's requirements agree with the project's pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def _pins(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if match := re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)$", line):
            out[match.group(1).lower()] = match.group(3)
    return out


def test_layer_requirements_match_pyproject() -> None:
    layer = _pins((PROJECT / "shared" / "requirements.txt").read_text().splitlines())
    project = _pins(tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"])
    assert layer, "shared/requirements.txt pins nothing"
    for name, version in layer.items():
        assert project.get(name) == version, f"{name}: layer {version}, pyproject {project.get(name)}"
    # everything the functions import at run time, except boto3 (the Lambda runtime has it) and the offline tools
    offline_only = {"boto3", "moto", "aws-sam-translator"}
    assert set(project) - offline_only <= set(layer)
