"""What `make package` builds the layer from agrees with the project: the layer's requirements, its hashed lock,
pyproject.toml's pins, and the versions the tests run with."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from advocacy_offline.package import canonical, lock_pins

PROJECT = Path(__file__).resolve().parents[2]
REQUIREMENTS = PROJECT / "shared" / "requirements.txt"
LOCK = PROJECT / "shared" / "requirements.lock"
PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text())
OFFLINE_ONLY = {"moto", "aws-sam-translator"}


def _pins(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if match := re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)$", line):
            out[canonical(match.group(1))] = match.group(3)
    return out


def _hashes_per_pin(text: str) -> dict[str, int]:
    """Each pinned distribution of a hashed lock -> how many --hash options follow its pin."""
    counts: dict[str, int] = {}
    current = None
    for line in text.splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line):
            current = canonical(match.group(1))
            counts[current] = 0
        elif current and line.strip().startswith("--hash=sha256:"):
            counts[current] += 1
    return counts


def test_layer_requirements_match_pyproject() -> None:
    layer = _pins(REQUIREMENTS.read_text().splitlines())
    project = _pins(PYPROJECT["project"]["dependencies"])
    assert layer, "shared/requirements.txt pins nothing"
    # the runtime dependencies are exactly the layer's, at the same pins (boto3 included: the layer ships the SDK)
    assert layer == project


def test_offline_tools_are_an_extra_not_a_runtime_dependency() -> None:
    runtime = set(_pins(PYPROJECT["project"]["dependencies"]))
    offline = set(_pins(PYPROJECT["project"]["optional-dependencies"]["offline"]))
    assert not runtime & OFFLINE_ONLY
    assert offline >= OFFLINE_ONLY


def test_the_lock_pins_every_requirement_with_hashes() -> None:
    layer = _pins(REQUIREMENTS.read_text().splitlines())
    locked = lock_pins(LOCK)
    for name, version in layer.items():
        assert locked.get(name) == version, f"{name}: requirements.txt {version}, requirements.lock {locked.get(name)}"
    hashes = _hashes_per_pin(LOCK.read_text())
    assert set(hashes) == set(locked)
    assert all(hashes.values()), f"pins without a hash: {[n for n, c in hashes.items() if not c]}"
    # every line is a pin, a hash, or a comment: nothing unpinned slips in
    for line in LOCK.read_text().splitlines():
        stripped = line.strip()
        assert not stripped or stripped.startswith(("#", "--hash=")) or re.match(r"^\S+==\S+ \\$", stripped), line


def test_the_tests_run_on_the_locked_versions() -> None:
    # `make install` constrains the venv to the lock: what the tests exercise is what the layer deploys
    for name, version in lock_pins(LOCK).items():
        assert importlib.metadata.version(name) == version, f"{name}: installed {importlib.metadata.version(name)}"
