"""Start-up time of `flowgen` next to the bare imports it cannot avoid, measured in one run.

Two pairs, each compared side by side (goal: flowgen at most 1.5x its baseline):

- `flowgen --version`  vs  `python -c "import typer, rich"`
- `flowgen validate examples/flows/support-triage.yaml`
                        vs  `python -c "import typer, rich, pydantic, ruamel.yaml"`

For context, a floor in one interleaved run: an *empty* typer command declaring the same
parameters as `validate` (typer coerces every parameter through a pydantic TypeAdapter, so
this is what any typer command with arguments pays before flowgen's own code runs), and the
same command building the flow models (the least any pydantic-validated flow pays).

All commands share a private bytecode cache (PYTHONPYCACHEPREFIX), as an installed package
has compiled bytecode even where PYTHONDONTWRITEBYTECODE is set.

Each command runs N times, the two commands of a pair interleaved so that machine load
hits both alike; the best (minimum) wall time is the figure compared, because noise
only ever adds time.

    .venv/bin/python bench/bench_startup.py            # N=15
    .venv/bin/python bench/bench_startup.py -n 30 --json

Exit status 0 when both goals are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.5


def _flowgen() -> list[str]:
    """The installed console script next to this interpreter (what a user runs)."""
    script = Path(sys.executable).with_name("flowgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "copilot"]


# A typer app with validate's parameters and an empty body: the framework's own cost.
EMPTY_TYPER_COMMAND = """
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()


class Format(str, Enum):
    text = "text"
    json = "json"


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument()],
    format: Annotated[Format, typer.Option()] = Format.text,
    summary: bool = True,
) -> None:
    pass


@app.command()
def other() -> None:
    pass


app()
"""


# Bytecode as an installed package has it: with PYTHONDONTWRITEBYTECODE set (some sandboxes
# and CI images set it) every run would recompile flowgen's own modules (~30 ms) while the
# baseline's site-packages keep their .pyc files. Both sides get a private bytecode cache.
PYCACHE = tempfile.mkdtemp(prefix="flowgen-bench-pyc-")
atexit.register(shutil.rmtree, PYCACHE, ignore_errors=True)


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": PYCACHE}


def wall_time(cmd: list[str]) -> float:
    env = bench_env()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def best_of_pair(subject: list[str], baseline: list[str], runs: int) -> tuple[float, float]:
    wall_time(subject), wall_time(baseline)  # warm the file cache and .pyc files
    best_subject = best_baseline = float("inf")
    for _ in range(runs):
        best_subject = min(best_subject, wall_time(subject))
        best_baseline = min(best_baseline, wall_time(baseline))
    return best_subject, best_baseline


def best_of_many(commands: list[list[str]], runs: int) -> list[float]:
    for cmd in commands:
        wall_time(cmd)  # warm the file cache and .pyc files
    best = [float("inf")] * len(commands)
    for _ in range(runs):
        for i, cmd in enumerate(commands):
            best[i] = min(best[i], wall_time(cmd))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=15, help="runs per command (best counts)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    py = sys.executable
    pairs = [
        (
            "flowgen --version",
            [*_flowgen(), "--version"],
            "import typer, rich",
            [py, "-c", "import typer, rich"],
        ),
        (
            "flowgen validate support-triage.yaml",
            [*_flowgen(), "validate", "examples/flows/support-triage.yaml"],
            "import typer, rich, pydantic, ruamel.yaml",
            [py, "-c", "import typer, rich, pydantic, ruamel.yaml"],
        ),
    ]
    results = []
    for name, cmd, base_name, base_cmd in pairs:
        subject, baseline = best_of_pair(cmd, base_cmd, args.runs)
        results.append(
            {
                "command": name,
                "best_s": round(subject, 4),
                "baseline": base_name,
                "baseline_best_s": round(baseline, 4),
                "ratio": round(subject / baseline, 2),
                "goal": GOAL,
                "met": subject / baseline <= GOAL,
            }
        )
    # The floor under `validate`, in one interleaved run: the framework's own cost (an empty
    # typer command with validate's parameters), then that plus building the flow models.
    base_cmd = [py, "-c", "import typer, rich, pydantic, ruamel.yaml"]
    target = ["validate", "examples/flows/support-triage.yaml"]
    with_models = EMPTY_TYPER_COMMAND.replace("    pass\n", "    import copilot.flow.models\n", 1)
    rows = [
        ("baseline: import typer, rich, pydantic, ruamel.yaml", base_cmd),
        ("empty typer command with validate's parameters", [py, "-c", EMPTY_TYPER_COMMAND, *target]),
        (
            "the same + building the flow models (copilot.flow.models)",
            [py, "-c", with_models, *target],
        ),
        ("flowgen validate support-triage.yaml", [*_flowgen(), *target]),
    ]
    best = best_of_many([cmd for _, cmd in rows], args.runs)
    context = [
        {"command": name, "best_s": round(b, 4), "ratio_to_baseline": round(b / best[0], 2)}
        for (name, _), b in zip(rows, best, strict=True)
    ]
    if args.json:
        print(json.dumps({"runs": args.runs, "results": results, "context": context}, indent=2))
    else:
        print(f"best of {args.runs} runs (wall time, interleaved pairs)")
        for r in results:
            verdict = "ok" if r["met"] else "MISSED"
            print(
                f"  {r['command']:<38} {r['best_s'] * 1000:7.1f} ms   "
                f"{r['baseline']:<44} {r['baseline_best_s'] * 1000:7.1f} ms   "
                f"{r['ratio']:.2f}x (goal <= {GOAL}x) {verdict}"
            )
        print("floor (one interleaved run):")
        for c in context:
            print(f"  {c['command']:<58} {c['best_s'] * 1000:7.1f} ms   {c['ratio_to_baseline']:.2f}x")
    return 0 if all(r["met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
