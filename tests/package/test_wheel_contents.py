"""`pip install .` (not editable) gets every package and data file: the wheel that pip builds holds them all."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.package

PROJECT = Path(__file__).resolve().parents[2]
# import name -> its source folder, as pyproject.toml's package discovery finds them
ROOTS = {
    "advocacy_notify": PROJECT / "shared" / "advocacy_notify",
    "advocacy_offline": PROJECT / "offline" / "advocacy_offline",
}
DATA_FOLDERS = {"templates", "data", "demo", "static"}


def _expected(root_name: str, root: Path) -> tuple[set[str], set[str]]:
    """(packages, data files) under a source root, as wheel paths."""
    packages, data = set(), set()
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if "__pycache__" in rel.parts:
            continue
        if path.is_dir() and (path / "__init__.py").is_file():
            packages.add(f"{root_name}/{rel.as_posix()}")
        elif path.is_file() and DATA_FOLDERS & set(rel.parts[:-1]):
            data.add(f"{root_name}/{rel.as_posix()}")
    packages.add(root_name)
    return packages, data


def _source_copy(dest: Path) -> Path:
    """The project's files as a clone has them (tracked, or new and not ignored): no stale build/ folder, whose
    leftovers setuptools would put in the wheel."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.fail(f"git ls-files failed in {PROJECT}: {listed.stderr.decode()[-500:]}")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = PROJECT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    source = _source_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = out.glob("advocacy_notify-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_every_package_and_data_file(wheel: zipfile.ZipFile) -> None:
    assert "advocacy_notify/logic" in _expected("advocacy_notify", ROOTS["advocacy_notify"])[0]  # once left out
    names = set(wheel.namelist())
    folders = {name.rsplit("/", 1)[0] for name in names}
    for root_name, root in ROOTS.items():
        packages, data = _expected(root_name, root)
        assert packages <= folders, f"packages missing from the wheel: {sorted(packages - folders)}"
        for package in packages:
            assert f"{package}/__init__.py" in names, package
        assert data, f"no data file found under {root}"
        assert data <= names, f"data files missing from the wheel: {sorted(data - names)}"


def test_the_offline_tools_are_an_extra(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = [line for line in wheel.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    assert not [r for r in runtime if "moto" in r or "aws-sam-translator" in r], runtime
    assert any(r.startswith("Requires-Dist: moto") and 'extra == "offline"' in r for r in requires), requires
