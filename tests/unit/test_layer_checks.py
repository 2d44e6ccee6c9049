"""`layer_problems` on small hand-made layers: what makes `make package` refuse a layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from advocacy_offline.package import layer_problems

SDK = {"boto3": ["botocore<1.2,>=1.1", "s3transfer<0.3,>=0.2"], "botocore": [], "s3transfer": ["botocore<2,>=1.1"]}


def make_layer(
    tmp_path: Path,
    dists: dict[str, tuple[str, list[str]]],
    requirements: list[str],
    lock: dict[str, str] | None = None,
) -> tuple[Path, Path]:
    """dists: name -> (version, Requires-Dist lines); returns (site, source)."""
    site, source = tmp_path / "python", tmp_path / "shared"
    site.mkdir()
    source.mkdir()
    for name, (version, requires) in dists.items():
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        lines += [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(lines) + "\n")
    (source / "requirements.txt").write_text("\n".join(["# the layer's direct dependencies", *requirements]) + "\n")
    pins = lock if lock is not None else {name: version for name, (version, _) in dists.items()}
    (source / "requirements.lock").write_text(
        "".join(f"{n}=={v} \\\n    --hash=sha256:{'0' * 64}\n" for n, v in pins.items())
    )
    return site, source


def full_sdk() -> dict[str, tuple[str, list[str]]]:
    return {"boto3": ("1.1.0", SDK["boto3"]), "botocore": ("1.1.5", []), "s3transfer": ("0.2.1", SDK["s3transfer"])}


def test_a_complete_consistent_layer_has_no_problem(tmp_path: Path) -> None:
    dists = {"app-lib": ("1.0", ["boto3>=1.1", "tracing-only; extra == 'tracer'"]), "tracing-only": ("2.0", [])}
    site, source = make_layer(tmp_path, dists | full_sdk(), ["app-lib[tracer]==1.0"])
    assert layer_problems(site, source) == []


def test_a_lone_botocore_is_refused(tmp_path: Path) -> None:
    # given the X-Ray SDK's case: botocore pulled in alone
    dists = {"xray": ("2.0", ["botocore>=1.1"]), "botocore": ("1.1.5", [])}
    site, source = make_layer(tmp_path, dists, ["xray==2.0"])
    problems = layer_problems(site, source)
    assert any("partial AWS SDK" in p and "boto3" in p and "s3transfer" in p for p in problems), problems


@pytest.mark.parametrize(
    ("dists_change", "lock_change", "expected"),
    [
        ({"botocore": ("1.2.0", [])}, {}, "the layer has botocore 1.2.0"),  # boto3 excludes it
        ({}, {"botocore": "1.1.4"}, "botocore is 1.1.5 in the layer, 1.1.4 in the lock"),
        ({"stray": ("0.1", [])}, {"stray": "0.1"}, "stray is in the layer but nothing requires it"),
        ({"stray": ("0.1", [])}, {}, "stray is in the layer but not in the lock"),
    ],
)
def test_an_inconsistent_layer_is_refused(
    tmp_path: Path, dists_change: dict[str, tuple[str, list[str]]], lock_change: dict[str, str], expected: str
) -> None:
    dists = {"app-lib": ("1.0", ["boto3>=1.1"]), **full_sdk()}
    lock = {name: version for name, (version, _) in dists.items()} | lock_change
    dists |= dists_change
    site, source = make_layer(tmp_path, dists, ["app-lib==1.0"], lock)
    problems = layer_problems(site, source)
    assert any(expected in p for p in problems), problems


def test_a_missing_requirement_is_refused(tmp_path: Path) -> None:
    dists = {"app-lib": ("1.0", ["helper>=2", "windows-only; sys_platform == 'win32'"])}
    site, source = make_layer(tmp_path, dists, ["app-lib==1.0"], {"app-lib": "1.0"})
    problems = layer_problems(site, source)
    # helper is needed on Lambda's Linux; windows-only is not
    assert problems == ["app-lib requires helper>=2, which the layer lacks"]
