"""`make test` installs Debian's chromium and chromium-driver when they are missing - checked with stand-in
apt-get, sudo and id on a PATH of their own, so nothing is installed on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
MISSING = "/nonexistent/chromium"
LOGGER = '#!/bin/sh\necho "{name} DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> "$CALLS"\n'
SUDO = '#!/bin/sh\necho "sudo $*" >> "$CALLS"\nexec "$@"\n'
ID = '#!/bin/sh\necho "$FAKE_UID"\n'


def _tool(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)


def _make(
    tmp_path: Path, *, uid: str, sudo: bool, apt: bool = True, present: bool = False
) -> tuple[int, str, list[str]]:
    """Run `make browser-deps` with a PATH of stand-ins only; returns (exit code, stderr, calls made)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "env").symlink_to(shutil.which("env") or "/usr/bin/env")
    _tool(bin_dir, "id", ID)
    if apt:
        _tool(bin_dir, "apt-get", LOGGER.format(name="apt-get"))
    if sudo:
        _tool(bin_dir, "sudo", SUDO)
    calls = tmp_path / "calls.log"
    browser = "/bin/sh" if present else MISSING  # an executable that exists, or a path that does not
    result = subprocess.run(
        [
            shutil.which("make") or "make",
            "-s",
            "-C",
            str(PROJECT),
            "browser-deps",
            f"CHROMIUM={browser}",
            f"CHROMEDRIVER={browser}",
        ],
        env={"PATH": str(bin_dir), "CALLS": str(calls), "FAKE_UID": uid, "HOME": os.environ.get("HOME", "/")},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stderr, calls.read_text().splitlines() if calls.exists() else []


def test_nothing_is_installed_when_both_are_there(tmp_path: Path) -> None:
    code, _, calls = _make(tmp_path, uid="0", sudo=False, present=True)
    assert (code, calls) == (0, [])


def test_root_installs_them_with_apt_get_noninteractively(tmp_path: Path) -> None:
    code, stderr, calls = _make(tmp_path, uid="0", sudo=False)
    assert code == 0, stderr
    assert calls == [
        "apt-get DEBIAN_FRONTEND=noninteractive update -qq",
        "apt-get DEBIAN_FRONTEND=noninteractive install -y -qq chromium chromium-driver",
    ]


def test_another_user_installs_them_through_sudo(tmp_path: Path) -> None:
    code, stderr, calls = _make(tmp_path, uid="1000", sudo=True)
    assert code == 0, stderr
    assert [c for c in calls if c.startswith("sudo")] == [
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver",
    ]
    assert "apt-get DEBIAN_FRONTEND=noninteractive install -y -qq chromium chromium-driver" in calls


@pytest.mark.parametrize(
    ("uid", "sudo", "apt", "reason"),
    [("1000", False, True, "no sudo"), ("0", False, False, "no apt-get")],
)
def test_it_fails_with_the_reason_when_it_cannot_install(
    tmp_path: Path, uid: str, sudo: bool, apt: bool, reason: str
) -> None:
    code, stderr, calls = _make(tmp_path, uid=uid, sudo=sudo, apt=apt)
    assert code != 0
    assert reason in stderr
    assert "chromium" in stderr
    assert calls == []


def test_make_test_and_ci_rely_on_it() -> None:
    dry = subprocess.run(
        [shutil.which("make") or "make", "-n", "-C", str(PROJECT), "test", f"CHROMIUM={MISSING}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "apt-get install -y -qq chromium chromium-driver" in dry.stdout
    ci = (PROJECT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "apt-get" not in ci  # one place installs Chromium: make test
