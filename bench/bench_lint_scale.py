"""Does `flowgen lint` (and `validate`) grow linearly with the flow? Chains, fans and the big flow.

Three shapes of flow, each at 1,000, 5,000 and 10,000 steps, built as text:

- chain: model steps, each `needs` the one before and reads its output in its prompt (the
  worst case for the critical path and for the token estimate of `steps.X.output`);
- fan: one model step, then n-2 model steps that each read it, and a last one that needs
  every one of them (the widest `needs` list and the most edges into one step);
- big: `bench_lint.big_flow` (model, validate, retrieve and http steps in chains of four with
  parallel branches, every step templated).

Each is linted in-process (`copilot.lint.engine.lint_text`: read, validate, analyse, every
rule; the file cap of `flowgen lint`, 1 MB, is not applied, and the 10,000-step files are
over it) and validated (`analyse_document` + `problems` + `summary`, what `flowgen validate`
prints). Times are the process's CPU time (`time.process_time`): on the shared machine the
wall time of one size moved up to 2.6x between rounds, and CPU time does not count the time
other jobs take. Every size runs in one interleaved round per repeat (1k, 5k, 10k, 1k, 5k,
10k, …) so machine load hits all sizes alike; the median and the spread (min-max) are
printed, and
the growth exponent k of time ~ n^k from the medians, between 1k and 10k. Goal: k <= 1.1,
and a 5,000-step chain linted in under 1.5 s. Peak memory (tracemalloc) of one lint at each
size is printed too.

Each lint and validate runs as `flowgen lint` and `flowgen validate` run it: under the CLI's
collector thresholds (`copilot.cli.app.batch_gc`). `--default-gc` keeps CPython's defaults
(700, 10, 10), for the figures of the library called from another program.

    .venv/bin/python bench/bench_lint_scale.py                # 3 repeats, 1k/5k/10k
    .venv/bin/python bench/bench_lint_scale.py -r 5 --sizes 1000 5000
    .venv/bin/python bench/bench_lint_scale.py --json
    .venv/bin/python bench/bench_lint_scale.py --default-gc   # CPython's collector thresholds
    .venv/bin/python bench/bench_lint_scale.py --against /tmp/before -r 3   # paired with another tree

`--against TREE` compares this tree with another checkout (e.g. `git archive HEAD | tar -x
-C /tmp/before`): every round runs, in rotating order, a fresh process per side (TREE's own
copy of this script, this tree's, and this tree's with `--default-gc`), one round each, from
a directory outside both trees so each imports its own `copilot`, and prints the medians
and spreads of the rounds.

Exit status 0 when every goal is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_lint import big_flow  # noqa: E402

HEAD = """\
apiVersion: flowgen/v1
kind: Flow
name: {name}
sla: {{latency_p95: 3600s, max_cost_per_event: 1000.0}}
trigger:
  type: webhook
  path: /hooks/scale
  event_schema:
    type: object
    properties: {{id: {{type: string}}, body: {{type: string}}}}
  idempotency_key: "{{{{ event.id }}}}"
models:
  fast: {{use: openai/gpt-4o-mini-2024-07-18}}
  backup: {{use: anthropic/claude-haiku-4-5-20251001}}
steps:
"""


def model_step(sid: str, needs: list[str], reads: list[str]) -> list[str]:
    user = " ".join(f"{{{{ steps.{r}.output }}}}" for r in reads) or "{{ event.body }}"
    return [
        f"  - id: {sid}",
        "    type: model",
        f"    needs: [{', '.join(needs)}]",
        "    model: fast",
        "    fallback: [backup]",
        f'    prompt: {{system: "Summarise.", user: "{user}"}}',
        "    max_tokens: 20",
        "    timeout: 2s",
        "    retry: {attempts: 1, backoff: exponential, initial: 100ms, max: 400ms, jitter: true}",
    ]


def tail(last: str) -> list[str]:
    return [
        "respond:",
        f"  needs: [{last}]",
        '  on_deadline: {status: 202, body: {id: "{{ event.id }}"}}',
    ]


def chain_flow(steps: int) -> str:
    lines = HEAD.format(name=f"chain-{steps}").splitlines()
    for i in range(steps):
        prev = [f"s{i - 1}"] if i else []
        lines += model_step(f"s{i}", prev, prev)
    return "\n".join(lines + tail(f"s{steps - 1}")) + "\n"


def fan_flow(steps: int) -> str:
    lines = HEAD.format(name=f"fan-{steps}").splitlines()
    lines += model_step("root", [], [])
    middle = [f"s{i}" for i in range(steps - 2)]
    for sid in middle:
        lines += model_step(sid, ["root"], ["root"])
    lines += model_step("join", middle, [])
    return "\n".join(lines + tail("join")) + "\n"


SHAPES: dict[str, Callable[[int], str]] = {"chain": chain_flow, "fan": fan_flow, "big": big_flow}


def lift_caps() -> None:
    """Let this process read flows past `flowgen lint`'s caps (1 MB; 200,000 YAML nodes).

    The 10,000-step flows are 2-3 MB and 300,000-500,000 nodes; the caps guard the CLI
    against hostile files and stay as they are. `lint_text` skips the byte cap already.
    """
    from copilot.flow import document

    document.MAX_EXPANDED_NODES = 10_000_000
    document.MAX_EXPANDED_BYTES = 100_000_000


CLI_GC = True
"""Run each lint and validate under the CLI's collector thresholds (`--default-gc`: False)."""


def collector() -> contextlib.AbstractContextManager[None]:
    """The collector's settings of `flowgen lint` / `validate` (`batch_gc`), or CPython's."""
    if not CLI_GC:
        return contextlib.nullcontext()
    from copilot.cli.app import batch_gc

    return batch_gc()


def lint_once(text: str) -> tuple[float, int]:
    """CPU seconds of one lint (the process's own: other jobs on a shared machine do not count)."""
    from copilot.lint.engine import lint_text

    gc.collect()
    with collector():
        start = time.process_time()
        findings = lint_text(text, "scale.yaml")
        elapsed = time.process_time() - start
    return elapsed, len(findings)


def validate_once(text: str) -> float:
    from copilot.flow.load import analyse_document, parse_yaml

    gc.collect()
    with collector():
        start = time.process_time()
        loaded, errors = analyse_document(parse_yaml(text, "scale.yaml"))
        assert loaded is not None, errors
        loaded.problems  # noqa: B018 - computed on first use: what validate prints
        loaded.summary  # noqa: B018
        elapsed = time.process_time() - start
    return elapsed


def peak_mib(text: str) -> float:
    from copilot.lint.engine import lint_text

    gc.collect()
    tracemalloc.start()
    lint_text(text, "scale.yaml")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def exponent(sizes: list[int], medians: list[float]) -> float:
    """k of time ~ n^k between the first and the last size; NaN for one size (no growth to tell)."""
    if len(sizes) < 2:
        return math.nan
    return math.log(medians[-1] / medians[0]) / math.log(sizes[-1] / sizes[0])


def paired(against: Path, rounds: int, sizes: list[int], shapes: list[str]) -> int:
    """Interleaved rounds of fresh processes: `against`'s tree, this tree, this tree with CPython's gc."""
    import subprocess
    import tempfile

    script = Path(__file__).resolve()
    sides = {
        "before": [sys.executable, str(against / "bench" / script.name)],
        "after": [sys.executable, str(script)],
        "after, default gc": [sys.executable, str(script), "--default-gc"],
    }
    names = list(sides)
    runs: dict[str, list[dict]] = {name: [] for name in names}
    sizes_args = ["--sizes", *map(str, sizes), "--shapes", *shapes]
    with tempfile.TemporaryDirectory() as outside:
        for i in range(rounds):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                done = subprocess.run(
                    [*sides[name], "-r", "1", "--no-memory", "--json", *sizes_args],
                    capture_output=True,
                    text=True,
                    cwd=outside,
                    check=False,
                )
                if "{" not in done.stdout:
                    raise SystemExit(f"{name} failed: {done.stderr[-800:]}")
                runs[name].append(json.loads(done.stdout[done.stdout.index("{") :]))
    print(f"CPU seconds, median (min-max) of {rounds} paired rounds, fresh processes; machine shared")
    for name in names:
        print(f"== {name}")
        for shape in shapes:
            for kind in ("lint", "validate"):
                medians, cells = [], []
                for n in sizes:
                    values = [run[shape]["sizes"][str(n)][f"{kind}_median_s"] for run in runs[name]]
                    medians.append(statistics.median(values))
                    cells.append(f"{n:,}: {medians[-1]:.2f} ({min(values):.2f}-{max(values):.2f})")
                growth = exponent(sizes, medians)
                print(f"  {shape:5} {kind:8} " + "  ".join(cells) + f"  n^{growth:.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run (slow)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--default-gc", action="store_true", help="CPython's collector thresholds, not the CLI's (batch_gc)"
    )
    parser.add_argument("--against", type=Path, help="another tree to compare with, in paired rounds")
    args = parser.parse_args()
    if args.against is not None:
        return paired(args.against.resolve(), args.repeats, args.sizes, args.shapes)
    global CLI_GC
    CLI_GC = not args.default_gc

    lift_caps()
    lint_once(chain_flow(50))  # imports and one-time set-up, paid outside every timing
    results: dict[str, dict] = {}
    ok = True
    for shape in args.shapes:
        texts = {n: SHAPES[shape](n) for n in args.sizes}
        lint_t: dict[int, list[float]] = {n: [] for n in args.sizes}
        valid_t: dict[int, list[float]] = {n: [] for n in args.sizes}
        counts: dict[int, int] = {}
        for _ in range(args.repeats):
            for n in args.sizes:  # one interleaved round: every size once
                seconds, counts[n] = lint_once(texts[n])
                lint_t[n].append(seconds)
                valid_t[n].append(validate_once(texts[n]))
        rows = {}
        for n in args.sizes:
            rows[n] = {
                "bytes": len(texts[n].encode()),
                "findings": counts[n],
                "lint_median_s": statistics.median(lint_t[n]),
                "lint_min_s": min(lint_t[n]),
                "lint_max_s": max(lint_t[n]),
                "validate_median_s": statistics.median(valid_t[n]),
                "validate_min_s": min(valid_t[n]),
                "validate_max_s": max(valid_t[n]),
            }
            if not args.no_memory:
                rows[n]["lint_peak_mib"] = peak_mib(texts[n])
        k_lint = exponent(args.sizes, [rows[n]["lint_median_s"] for n in args.sizes])
        k_valid = exponent(args.sizes, [rows[n]["validate_median_s"] for n in args.sizes])
        results[shape] = {"sizes": rows, "lint_exponent": k_lint, "validate_exponent": k_valid}
        ok &= len(args.sizes) < 2 or (k_lint <= 1.1 and k_valid <= 1.1)
        if shape == "chain" and 5000 in rows:
            ok &= rows[5000]["lint_median_s"] < 1.5

    gc_used = "CPython's default collector" if args.default_gc else "the CLI's collector (batch_gc)"
    print(
        f"CPU seconds, median of {args.repeats} interleaved rounds (min-max), in-process, {gc_used}; "
        "machine shared"
    )
    for shape, data in results.items():
        for n, row in data["sizes"].items():
            memory = f"   peak {row['lint_peak_mib']:.0f} MiB" if "lint_peak_mib" in row else ""
            print(
                f"  {shape:5} {n:>6,} steps ({row['bytes'] / 1e6:.1f} MB, {row['findings']} findings)  "
                f"lint {row['lint_median_s']:.2f} s ({row['lint_min_s']:.2f}-{row['lint_max_s']:.2f})  "
                f"validate {row['validate_median_s']:.2f} s ({row['validate_min_s']:.2f}-"
                f"{row['validate_max_s']:.2f}){memory}"
            )
        k_lint, k_valid = data["lint_exponent"], data["validate_exponent"]
        print(f"  {shape:5} growth: lint n^{k_lint:.2f}, validate n^{k_valid:.2f} (goal <= n^1.1)")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
