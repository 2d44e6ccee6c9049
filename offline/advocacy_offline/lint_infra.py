"""Infrastructure checks that cfn-lint alone does not make (run by `make test`).

1. cfn-lint on template.yaml (SAM).
2. cfn-lint on the SAM-translated CloudFormation, which is what is deployed.
3. The state machine's ASL, which cfn-lint skips for SAM state machines: the schema (wrapped in
   a plain AWS::StepFunctions::StateMachine), moto's ASL parser (the interpreter the tests run), and
   that every Next/Default/Catch target and StartAt names a state.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import PROJECT_ROOT
from .template import TEMPLATE, translate

ASL_FILES = sorted((PROJECT_ROOT / "statemachine").glob("*.asl.json"))


def _targets(states: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, state in states.items():
        for key in ("Next", "Default"):
            if key in state:
                yield name, state[key]
        for branch in state.get("Choices", []) + state.get("Catch", []):
            if "Next" in branch:
                yield name, branch["Next"]


def _nested(states: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in states.values():
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield state[key]
        yield from state.get("Branches", [])


def check_asl_graph(asl: dict[str, Any], where: str = "") -> list[str]:
    """Transitions point at real states, every state is reachable, and there is a way out."""
    errors: list[str] = []
    states: dict[str, Any] = asl.get("States", {})
    if asl.get("StartAt") not in states:
        errors.append(f"{where}StartAt {asl.get('StartAt')!r} is not a state")
    reachable = {asl.get("StartAt")}
    for src, dst in _targets(states):
        reachable.add(dst)
        if dst not in states:
            errors.append(f"{where}{src} -> {dst!r}: no such state")
    for name, state in states.items():
        if name not in reachable:
            errors.append(f"{where}{name} is never reached")
        ends = state.get("End") or state["Type"] in {"Succeed", "Fail", "Choice"}
        if not ends and "Next" not in state:
            errors.append(f"{where}{name} has neither Next nor End")
    for sub in _nested(states):
        errors.extend(check_asl_graph(sub, where=f"{where}(nested) "))
    return errors


def _cfn_lint(path: Path, *extra: str) -> list[str]:
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own files
        [str(Path(sys.executable).with_name("cfn-lint")), *extra, "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return []
    return [f"cfn-lint {path.name}: {result.stdout.strip() or result.stderr}"]


def check_asl_file(path: Path) -> list[str]:
    raw = path.read_text()
    asl = json.loads(raw)
    errors = check_asl_graph(asl)
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = Path(tmp) / "asl_wrapper.json"
        wrapper.write_text(
            json.dumps(
                {
                    "Resources": {
                        "StateMachine": {
                            "Type": "AWS::StepFunctions::StateMachine",
                            "Properties": {"RoleArn": "arn:aws:iam::123456789012:role/x", "Definition": asl},
                        }
                    }
                }
            )
        )
        errors += [e.replace(str(wrapper), str(path)) for e in _cfn_lint(wrapper, "--ignore-checks", "W")]
    try:
        from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

        AmazonStateLanguageParser.parse(raw)
    except Exception as exc:
        errors.append(f"moto ASL parser: {type(exc).__name__}: {str(exc)[:200]}")
    return errors


def main() -> int:
    # the serverless rules (package cfn-lint-serverless) run with the standard ones
    errors = _cfn_lint(TEMPLATE, "--append-rules", "cfn_lint_serverless.rules")
    with tempfile.TemporaryDirectory() as tmp:
        translated = Path(tmp) / "translated.json"
        translated.write_text(json.dumps(translate(), indent=1))
        errors += _cfn_lint(translated)
    for path in ASL_FILES:
        errors += [f"{path.name}: {e}" for e in check_asl_file(path)]
    for e in errors:
        print(e)
    print(
        f"infrastructure lint: {len(errors)} problem(s) in template.yaml, its translation and "
        f"{len(ASL_FILES)} state machine(s)"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
