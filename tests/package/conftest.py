"""Builds shared by the packaging tests: each is made once per session; the wheels they download are kept in
.cache/wheels/ (git-ignored), so only the first run needs the package index."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from advocacy_offline.package import build, build_layer

PROJECT = Path(__file__).resolve().parents[2]
HOST_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package`'s output (for Lambda: arm64), built into a temporary folder: its template.yaml."""
    return build(tmp_path_factory.mktemp("first") / "build")


@pytest.fixture(scope="session")
def rebuilt(tmp_path_factory: pytest.TempPathFactory, built: Path) -> Path:
    """The same build again, from the same lock, in another folder at the same depth."""
    return build(tmp_path_factory.mktemp("again") / "build")


@pytest.fixture(scope="session")
def host_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same lock built for this machine's architecture (x86_64 here), so a local Python 3.13 can import it:
    the layer's python/ folder."""
    machine = platform.machine()
    if machine not in HOST_PLATFORMS:
        pytest.fail(f"no manylinux wheel platform known for this machine ({machine}): extend HOST_PLATFORMS")
    dest = build_layer(tmp_path_factory.mktemp("host") / "SharedLayer", PROJECT / "shared", HOST_PLATFORMS[machine])
    return dest / "python"
