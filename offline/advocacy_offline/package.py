"""`make package`: the deployable artefacts as `sam build` lays them out, with no Docker and no python3.13.

    .aws-sam/build/template.yaml    template.yaml, each CodeUri/ContentUri pointing at a folder below and every
                                    other local path (the state machine's DefinitionUri) made relative to it
    .aws-sam/build/<FunctionId>/    the function's folder as it is (functions/<name>/: app.py)
    .aws-sam/build/SharedLayer/python/
                                    the packages of the layer's ContentUri (shared/advocacy_notify) and every
                                    dependency in its requirements.lock, installed by pip for Lambda
                                    (manylinux2014_aarch64, CPython 3.13) from wheels whose hashes the lock pins

`sam deploy` reads .aws-sam/build/template.yaml when it exists, so it deploys exactly this. Wheels are downloaded
once into .cache/wheels/<platform>/. Two builds from the same lock give the same files (`tree_digest`): no .pyc,
no console scripts (pip writes this machine's interpreter into them), fixed modes and timestamps.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import PROJECT_ROOT
from .template import TEMPLATE

BUILD_DIR = PROJECT_ROOT / ".aws-sam" / "build"
WHEEL_CACHE = PROJECT_ROOT / ".cache" / "wheels"
LAMBDA_PLATFORM = "manylinux2014_aarch64"  # template.yaml: Architectures [arm64]
LAMBDA_PYTHON = "3.13"  # template.yaml: Runtime python3.13
LOCK_NAME = "requirements.lock"
REQUIREMENTS_NAME = "requirements.txt"
# The AWS SDK comes whole or not at all: a lone botocore in the layer would shadow the runtime's, under the
# runtime's boto3 and s3transfer. This layer ships all three, at the versions the tests run with (docs/deploy.md).
SDK = ("boto3", "botocore", "s3transfer")
FIXED_MTIME = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold
NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
# Local paths sam build rewrites relative to the built template (besides the artefacts it builds itself)
LOCAL_PATH_PROPERTIES = {
    "AWS::Serverless::StateMachine": "DefinitionUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


class BuildError(Exception):
    """The artefacts cannot be built; the message says why."""


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(lock: Path) -> dict[str, str]:
    """Each distribution pinned in a hashed lock file (`name==version \\`) -> its version."""
    return {
        canonical(m.group(1)): m.group(2) for line in lock.read_text().splitlines() if (m := _PIN.match(line.strip()))
    }


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    template: dict[str, Any] = yaml_parse(path.read_text())
    return template


# ---------------------------------------------------------------------------------------------- pip


def _pip(*args: str) -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter's pip, with our own arguments
        [sys.executable, "-m", "pip", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "is ignored: it is neither" not in line]
        raise BuildError(f"pip {args[0]} failed (exit {result.returncode}):\n" + "\n".join(errors[-20:]))


def _target_flags(platform: str) -> list[str]:
    return [
        "--platform",
        platform,
        "--python-version",
        LAMBDA_PYTHON,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--no-deps",
        "--require-hashes",
    ]


def download_wheels(lock: Path, platform: str = LAMBDA_PLATFORM, cache: Path = WHEEL_CACHE) -> Path:
    """Every wheel of the lock for `platform` in cache/<platform>/, checked against the lock's hashes.
    Offline when the cache already holds them all."""
    folder = cache / platform
    folder.mkdir(parents=True, exist_ok=True)
    args = ["download", "--dest", str(folder), *_target_flags(platform), "-r", str(lock)]
    try:
        _pip(*args, "--no-index", "--find-links", str(folder))
    except BuildError:
        _pip(*args)  # some wheel is not cached yet: from the index
    return folder


def install_dependencies(target: Path, lock: Path, platform: str = LAMBDA_PLATFORM, cache: Path = WHEEL_CACHE) -> None:
    """pip install --target, from the cached wheels only, every hash checked; then drop what varies by machine."""
    wheels = download_wheels(lock, platform, cache)
    _pip(
        "install",
        "--target",
        str(target),
        "--no-index",
        "--find-links",
        str(wheels),
        "--no-compile",
        *_target_flags(platform),
        "-r",
        str(lock),
    )
    # Console scripts: no use in a layer, and pip writes this machine's interpreter path into them (and RECORD)
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("../")))


# ---------------------------------------------------------------------------------------------- artefacts


def build_layer(dest: Path, source: Path, platform: str = LAMBDA_PLATFORM, cache: Path = WHEEL_CACHE) -> Path:
    """dest/python/: the Python packages found in `source` (folders with __init__.py) and the dependencies of
    source/requirements.lock, for `platform`. Returns dest."""
    lock = source / LOCK_NAME
    if not lock.is_file():
        raise BuildError(f"{lock} is missing: run `make lock`")
    python = dest / "python"
    python.mkdir(parents=True)
    install_dependencies(python, lock, platform, cache)
    packages = sorted(p for p in source.iterdir() if (p / "__init__.py").is_file())
    if not packages:
        raise BuildError(f"{source} holds no Python package")
    for package in packages:
        if (python / package.name).exists():
            raise BuildError(f"{package.name} is both in {source} and among the locked dependencies")
        shutil.copytree(package, python / package.name, ignore=NOT_SHIPPED)
    normalise(dest)
    return dest


def copy_function(source: Path, dest: Path) -> Path:
    if not (source / "app.py").is_file():
        raise BuildError(f"{source} has no app.py")
    if (source / REQUIREMENTS_NAME).exists():
        raise BuildError(f"{source}/{REQUIREMENTS_NAME}: functions take their dependencies from the layer only")
    shutil.copytree(source, dest, ignore=NOT_SHIPPED)
    return dest


def built_template(sam: dict[str, Any], source_dir: Path, out: Path, artifacts: dict[str, Path]) -> dict[str, Any]:
    """What sam build writes to out/template.yaml: each built resource's CodeUri/ContentUri is its folder,
    relative to `out`, with Metadata.SamResourceId; other local paths are made relative to `out`."""
    for logical_id, resource in sam.get("Resources", {}).items():
        props = resource.setdefault("Properties", {})
        kind = resource["Type"]
        if logical_id in artifacts:
            key = "ContentUri" if kind == "AWS::Serverless::LayerVersion" else "CodeUri"
            props[key] = os.path.relpath(artifacts[logical_id], out)
            resource.setdefault("Metadata", {}).setdefault("SamResourceId", logical_id)
        elif kind in LOCAL_PATH_PROPERTIES and isinstance(props.get(LOCAL_PATH_PROPERTIES[kind]), str):
            path = props[LOCAL_PATH_PROPERTIES[kind]]
            if not path.startswith(("s3://", "http://", "https://")) and not os.path.isabs(path):
                props[LOCAL_PATH_PROPERTIES[kind]] = os.path.relpath(source_dir / path, out)
    return sam


def build(
    out: Path = BUILD_DIR, template: Path = TEMPLATE, platform: str = LAMBDA_PLATFORM, cache: Path = WHEEL_CACHE
) -> Path:
    """Build every function and layer of `template` into `out` (emptied first); returns out/template.yaml."""
    import yaml

    sam = load_template(template)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    artifacts: dict[str, Path] = {}
    for logical_id, resource in sam.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            artifacts[logical_id] = copy_function(template.parent / str(props["CodeUri"]), out / logical_id)
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            layer = build_layer(out / logical_id, template.parent / str(props["ContentUri"]), platform, cache)
            if problems := layer_problems(layer / "python", template.parent / str(props["ContentUri"]), platform):
                raise BuildError(f"{logical_id} is inconsistent:\n" + "\n".join(problems))
            artifacts[logical_id] = layer
    built = out / "template.yaml"
    built.write_text(yaml.safe_dump(built_template(sam, template.parent, out, artifacts), sort_keys=False, width=120))
    normalise(out)
    return built


# ---------------------------------------------------------------------------------------------- checks


def normalise(root: Path) -> None:
    """Modes 0755 (folders, executables) or 0644, and one fixed timestamp: the tree depends on its inputs only."""
    for path in [root, *sorted(root.rglob("*"))]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))


def _files(root: Path) -> Iterator[Path]:
    yield from sorted((p for p in root.rglob("*") if not p.is_dir()), key=lambda p: p.relative_to(root).as_posix())


def tree_digest(root: Path) -> str:
    """sha256 over every file's path, executable bit and content (and each symlink's target)."""
    digest = hashlib.sha256()
    for path in _files(root):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            entry = f"{rel}\0link\0{os.readlink(path)}"
        else:
            mode = "x" if path.stat().st_mode & 0o111 else "-"
            entry = f"{rel}\0{mode}\0{hashlib.sha256(path.read_bytes()).hexdigest()}"
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def tree_size(root: Path) -> tuple[int, int]:
    """(files, bytes) under root."""
    files = [p for p in _files(root) if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _marker_environment(platform: str, extra: str) -> dict[str, str]:
    machine = "aarch64" if "aarch64" in platform else "x86_64"
    return {
        "python_version": LAMBDA_PYTHON,
        "python_full_version": f"{LAMBDA_PYTHON}.0",
        "implementation_name": "cpython",
        "implementation_version": f"{LAMBDA_PYTHON}.0",
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "platform_machine": machine,
        "sys_platform": "linux",
        "os_name": "posix",
        "extra": extra,
    }


def layer_problems(site: Path, source: Path, platform: str = LAMBDA_PLATFORM) -> list[str]:
    """What is wrong with the distributions installed in `site` (a layer's python/ folder) for Lambda:
    - the AWS SDK is partial (see SDK);
    - a distribution is missing from the lock, or at another version than the lock's;
    - a requirement (Requires-Dist, for CPython 3.13 on Linux, with the extras asked for) of what
      source/requirements.txt asks for is missing or at a version it excludes;
    - a distribution nothing asks for."""
    from packaging.requirements import Requirement

    dists = {canonical(d.metadata["Name"]): d for d in importlib.metadata.distributions(path=[str(site)])}
    problems: list[str] = []
    present = [name for name in SDK if name in dists]
    if present and len(present) != len(SDK):
        missing = sorted(set(SDK) - set(present))
        problems.append(f"the layer has {', '.join(present)} without {', '.join(missing)}: a partial AWS SDK")
    pins = lock_pins(source / LOCK_NAME)
    for name, version in sorted(pins.items()):
        if name not in dists:
            problems.append(f"{name}=={version} is locked but not in the layer")
        elif dists[name].version != version:
            problems.append(f"{name} is {dists[name].version} in the layer, {version} in the lock")
    problems.extend(f"{name} is in the layer but not in the lock" for name in sorted(set(dists) - set(pins)))
    roots = [
        Requirement(line)
        for raw in (source / REQUIREMENTS_NAME).read_text().splitlines()
        if (line := raw.split("#", 1)[0].strip())
    ]
    queue: list[tuple[str, Requirement]] = [(REQUIREMENTS_NAME, r) for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        parent, req = queue.pop()
        name = canonical(req.name)
        if name not in dists:
            problems.append(f"{parent} requires {req}, which the layer lacks")
            continue
        if not req.specifier.contains(dists[name].version, prereleases=True):
            problems.append(f"{parent} requires {req}, the layer has {name} {dists[name].version}")
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        for spec in dists[name].requires or []:
            child = Requirement(spec)
            wanted = child.marker is None or any(
                child.marker.evaluate(_marker_environment(platform, extra)) for extra in ["", *req.extras]
            )
            if wanted:
                queue.append((name, child))
    reached = {name for name, _ in seen}
    problems.extend(f"{name} is in the layer but nothing requires it" for name in sorted(set(dists) - reached))
    return problems


# ---------------------------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m advocacy_offline.package", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUILD_DIR, help="build folder (default: .aws-sam/build)")
    parser.add_argument("--platform", default=LAMBDA_PLATFORM, help=f"pip platform tag (default: {LAMBDA_PLATFORM})")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        built = build(args.out.resolve(), platform=args.platform)
    except BuildError as exc:
        print(f"make package: {exc}", file=sys.stderr)
        return 1
    out = built.parent
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        files, size = tree_size(folder)
        print(f"  {folder.name:<24} {files:>6} files {size / 1e6:>8.1f} MB")
    files, size = tree_size(out)
    print(f"built {os.path.relpath(built)} in {time.monotonic() - started:.1f} s: {files} files, {size / 1e6:.1f} MB")
    print(f"tree sha256 {tree_digest(out)}")
    print("next: sam deploy --guided (the first time), then sam deploy --config-env dev|prod")
    return 0


if __name__ == "__main__":
    sys.exit(main())
