"""The twin's speed-ups, measured: the same full chase with and without them, alternating, in one session.

Each round runs a fresh process per variant (``before``: the speed-ups named in SPEEDUPS switched off;
``after``: all on), so both see the same machine at nearly the same time. Every run must be a right chase
(`full_chase.check`) and every run's JSON must be byte for byte the same (it holds no real-time figure): a
speed-up changes nothing the twin answers. Writes ``twin_speedups`` into bench/results.json.

    .venv/bin/python -m bench.speedups [HOMES] [ROUNDS]      # default 10 homes (20 cases), 2 rounds
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

# the moto_speed context managers this branch added (each a no-op in the ``before`` variant)
SPEEDUPS = ("_one_parse_per_definition", "_one_method_listing_per_class", "_unhashed_signatures")


def child(variant: str, homes: int, out: Path) -> dict[str, Any]:
    """One run in this process (a fresh one): the full chase, timed, with the speed-ups on or off."""
    from advocacy_offline import moto_speed

    if variant == "before":
        for name in SPEEDUPS:
            setattr(moto_speed, name, contextlib.nullcontext)
    from bench import full_chase

    path = out.parent / f"speedups_{homes * full_chase.PER_HOME}_cases.csv"
    expected = full_chase.write_file(path, homes)["expected_cases"]
    chase = full_chase.run(path, log_path=out.parent / f"speedups-{variant}-lambda.log")
    problems = full_chase.check(chase.result, expected, chase.timers)
    if problems:
        raise RuntimeError(f"{variant}: {problems[:5]}")
    body = json.dumps(chase.result, indent=1, sort_keys=True).encode()
    out.write_bytes(body)
    return {
        "variant": variant,
        "cases": len(chase.result["cases"]),
        "wall_s": round(chase.wall_s, 2),
        "cpu_s": round(chase.cpu_s, 2),
        "layers_s": chase.layers_s,
        "result_sha256": hashlib.sha256(body).hexdigest(),
    }


def main(argv: list[str]) -> int:
    homes = int(argv[0]) if argv else 10
    rounds = int(argv[1]) if len(argv) > 1 else 2
    data = PROJECT / "bench" / "data"
    data.mkdir(parents=True, exist_ok=True)
    runs = []
    for r in range(rounds):
        for variant in ("before", "after"):
            out = data / f"speedups_{variant}_result.json"
            done = subprocess.run(
                [sys.executable, "-m", "bench.speedups", "--child", variant, str(homes), str(out)],
                cwd=PROJECT,
                capture_output=True,
                text=True,
                check=True,
            )
            run = json.loads(done.stdout.strip().splitlines()[-1])
            run["round"] = r + 1
            run["loadavg_1min"] = round(os.getloadavg()[0], 2)
            runs.append(run)
            print(json.dumps(run), flush=True)
    digests = {run["result_sha256"] for run in runs}
    if len(digests) != 1:
        raise RuntimeError(f"the run JSON differs between runs: {digests}")

    def mean(variant: str, key: str) -> float:
        values = [run[key] for run in runs if run["variant"] == variant]
        return round(sum(values) / len(values), 2)

    summary = {
        "speedups": list(SPEEDUPS),
        "cases": runs[0]["cases"],
        "rounds": rounds,
        "runs": runs,
        "cpu_s_before": mean("before", "cpu_s"),
        "cpu_s_after": mean("after", "cpu_s"),
        "cpu_after_vs_before": round(mean("after", "cpu_s") / mean("before", "cpu_s"), 3),
        "same_run_json": True,
    }
    results_path = PROJECT / "bench" / "results.json"
    results = json.loads(results_path.read_text())
    results["twin_speedups"] = summary
    results_path.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))))
    else:
        sys.exit(main(sys.argv[1:]))
