"""Start-up time of `flowgen` next to the bare imports it cannot avoid and next to yamllint.

Goals (issue 16): `flowgen validate one.yaml` at most 1.7x `python -c "import typer, rich,
pydantic, ruamel.yaml"` and at most 1.5x `yamllint` on the same file; `flowgen --version` at
most 1.5x `import typer, rich`.

Every command below runs once per round, the order rotating from round to round, so machine
load hits all of them alike; each ratio is taken within a round (paired) and reported as the
median of the rounds with the spread (min-max). Wall time is what a user waits; CPU time
(the child's user + system time, from `os.wait4`) does not count the time other jobs on a
shared machine take the CPU, and is the steadier of the two there.

The floor under `validate`, from the same rounds: the interpreter alone; the baseline
imports; the same plus `importlib.metadata`, which pydantic's plugin loader imports when the
first validator is built, even with plugins disabled (`PYDANTIC_DISABLE_PLUGINS`); pydantic
with its model machinery (`pydantic.main`, which imports the schema generator); the flow
models alone (`copilot.flow.models`: pydantic, its model machinery, the 42 model classes and
the `Flow` validator, the least any pydantic-validated flow pays; a plain `validate` runs
without Typer, see `copilot.cli.entry`); an *empty* typer command declaring `validate`'s
parameters (typer builds a pydantic TypeAdapter per parameter: pydantic's model machinery
and the plugin loader, before any flowgen code: what `lint` still pays); the same command
building the flow models.

All commands share a private bytecode cache (PYTHONPYCACHEPREFIX), as an installed package
has compiled bytecode even where PYTHONDONTWRITEBYTECODE is set. yamllint is looked for on
PATH, then beside this interpreter (`--yamllint PATH` to name it); it is not a dependency of
flowgen: `python -m venv /tmp/yamllint-venv && /tmp/yamllint-venv/bin/pip install yamllint`.

    .venv/bin/python bench/bench_startup.py                       # 15 rounds
    .venv/bin/python bench/bench_startup.py -n 30 --yamllint /tmp/yamllint-venv/bin/yamllint
    .venv/bin/python bench/bench_startup.py --json
    git archive HEAD | tar -x -C /tmp/before   # then, paired with the tree as it was:
    .venv/bin/python bench/bench_startup.py -n 20 --before /tmp/before

Exit status 0 when every goal is met (on the CPU-time medians), 1 otherwise (`--before` rows
are shown, not judged).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import typer, rich, pydantic, ruamel.yaml"


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


FINDINGS_EXIT = {"yamllint": 1}
"""A peer's exit code for "found problems" (yamllint flags flowgen's long lines): still a run."""


def run_once(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the child's user + system time) of one run of `cmd`."""
    env = bench_env()
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, FINDINGS_EXIT.get(Path(cmd[0]).name, 0)):
        raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode}): {err.decode()[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def interleaved(commands: dict[str, list[str]], rounds: int) -> dict[str, dict[str, list[float]]]:
    """Every command once per round, the order rotating; wall and CPU seconds per round."""
    names = list(commands)
    for name in names:
        run_once(commands[name])  # warm the file cache and the .pyc files
    times: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": []} for n in names}
    for i in range(rounds):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            wall, cpu = run_once(commands[name])
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
    return times


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def ratios(times: dict[str, dict[str, list[float]]], subject: str, base: str, kind: str) -> dict[str, float]:
    """`subject`'s time over `base`'s, round by round: median and spread."""
    pairs = zip(times[subject][kind], times[base][kind], strict=True)
    return spread([a / b for a, b in pairs])


def find_yamllint(given: str | None) -> str | None:
    if given:
        return given
    found = shutil.which("yamllint")
    if found:
        return found
    beside = Path(sys.executable).with_name("yamllint")
    return str(beside) if beside.exists() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rounds", type=int, default=15, help="interleaved rounds")
    parser.add_argument("--yamllint", help="the yamllint to compare with (default: PATH, then beside python)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--before",
        metavar="TREE",
        help="also run validate and lint with TREE (another checkout) first on PYTHONPATH, same rounds",
    )
    args = parser.parse_args()

    py = sys.executable
    flow = "examples/flows/support-triage.yaml"
    target = ["validate", flow]
    with_models = EMPTY_TYPER_COMMAND.replace("    pass\n", "    import copilot.flow.models\n", 1)
    commands: dict[str, list[str]] = {
        "python -c pass": [py, "-c", "pass"],
        "import typer, rich": [py, "-c", "import typer, rich"],
        "baseline: import typer, rich, pydantic, ruamel.yaml": [py, "-c", BASELINE],
        "baseline + importlib.metadata (pydantic's plugin loader)": [
            py,
            "-c",
            BASELINE + ", importlib.metadata",
        ],
        "pydantic's model machinery: import pydantic.main": [py, "-c", "import pydantic.main"],
        "the flow models alone: import copilot.flow.models": [py, "-c", "import copilot.flow.models"],
        "empty typer command with validate's parameters": [py, "-c", EMPTY_TYPER_COMMAND, *target],
        "the same + building the flow models": [py, "-c", with_models, *target],
        "flowgen --version": [*_flowgen(), "--version"],
        f"flowgen validate {Path(flow).name}": [*_flowgen(), *target],
        f"flowgen lint {Path(flow).name}": [*_flowgen(), "lint", flow],
    }
    if args.before:
        # `env` execs the console script: the same process, so its CPU time is the command's.
        before = ["env", f"PYTHONPATH={Path(args.before).resolve()}", *_flowgen()]
        commands[f"before: flowgen validate {Path(flow).name}"] = [*before, *target]
        commands[f"before: flowgen lint {Path(flow).name}"] = [*before, "lint", flow]
    yamllint = find_yamllint(args.yamllint)
    if yamllint is not None:
        commands[f"yamllint {Path(flow).name}"] = [yamllint, flow]
    times = interleaved(commands, args.rounds)
    validate = f"flowgen validate {Path(flow).name}"
    base = "baseline: import typer, rich, pydantic, ruamel.yaml"
    goals = [
        ("flowgen --version", "import typer, rich", 1.5),
        (validate, base, 1.7),
    ]
    if yamllint is not None:
        goals.append((validate, f"yamllint {Path(flow).name}", 1.5))
    if args.before:
        goals.append((f"before: {validate}", base, 1.7))
        if yamllint is not None:
            goals.append((f"before: {validate}", f"yamllint {Path(flow).name}", 1.5))
    results = []
    for subject, against, goal in goals:
        cpu, wall = ratios(times, subject, against, "cpu"), ratios(times, subject, against, "wall")
        results.append(
            {
                "command": subject,
                "baseline": against,
                "goal": goal,
                "cpu_ratio": cpu,
                "wall_ratio": wall,
                "met": cpu["median"] <= goal,
            }
        )
    floor = {
        name: {
            "cpu_s": spread(t["cpu"]),
            "wall_s": spread(t["wall"]),
            "cpu_ratio_to_baseline": ratios(times, name, base, "cpu"),
            "wall_ratio_to_baseline": ratios(times, name, base, "wall"),
        }
        for name, t in times.items()
    }
    if args.json:
        print(
            json.dumps(
                {"rounds": args.rounds, "yamllint": yamllint, "goals": results, "commands": floor}, indent=2
            )
        )
    else:
        print(f"{args.rounds} interleaved rounds; median (min-max); ratios per round, against the baseline")

        def ms(d: dict[str, float]) -> str:
            return f"{d['median'] * 1000:6.1f} ms ({d['min'] * 1000:.0f}-{d['max'] * 1000:.0f})"

        def x(d: dict[str, float]) -> str:
            return f"{d['median']:.2f}x ({d['min']:.2f}-{d['max']:.2f})"

        print(f"  {'command':<58} {'CPU':>20} {'':>16} {'wall':>20} {'':>16}")
        for name, row in floor.items():
            print(
                f"  {name:<58} {ms(row['cpu_s']):>20} {x(row['cpu_ratio_to_baseline']):>16} "
                f"{ms(row['wall_s']):>20} {x(row['wall_ratio_to_baseline']):>16}"
            )
        if yamllint is None:
            print("  (yamllint not found: pass --yamllint PATH for the yamllint goal)")
        print("goals (paired per round; met on the CPU median):")
        for r in results:
            verdict = "met" if r["met"] else "MISSED"
            print(
                f"  {r['command']} / {r['baseline']}: CPU {x(r['cpu_ratio'])}, wall {x(r['wall_ratio'])} "
                f"(goal <= {r['goal']}x) {verdict}"
            )
    return 0 if all(r["met"] for r in results if not r["command"].startswith("before: ")) else 1


if __name__ == "__main__":
    sys.exit(main())
