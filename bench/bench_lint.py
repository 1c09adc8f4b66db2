"""`flowgen lint` speed, side by side with its baselines in one run.

Three comparisons (goals from issue 3):

1. 200 distinct flows (the examples with step ids, prompts, templates, name and SLA varied
   per copy, so no cache serves a second file; each copy's finding codes are checked equal
   to its original's) linted with schema + every rule, `flowgen lint DIR --format json`,
   against `check-jsonschema --schemafile copilot/flow/flow.schema.json` on the same files.
   Goal: lint <= 2x check-jsonschema. Beside it, the old bench's 200 copies (only name and
   SLA varied), to show what the caches made of it.
2. One 1,000-step flow (a chain of model/validate/retrieve/http steps with parallel
   branches, every step templated) linted in-process, and by the CLI. Goal: <= 1.5 s.
3. `flowgen lint one.yaml` against `python -c "import typer, rich, pydantic, ruamel.yaml"`.
   Goal: <= 1.5x.

Each round runs every command of a comparison once, interleaved, so machine load hits them
alike; every ratio is taken within a round (paired) and reported as the median of the
rounds with their spread (min-max).

    .venv/bin/python bench/bench_lint.py            # N=5
    .venv/bin/python bench/bench_lint.py -n 9 --json

Exit status 0 when every goal is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "flows"
SCHEMA = ROOT / "copilot" / "flow" / "flow.schema.json"


def _write_copy(folder: Path, source: Path, text: str, i: int) -> Path:
    """Copy `i` of `source`: its own name and an SLA 0-60 ms apart, written under `folder`."""
    text = re.sub(r"^name: (\S+)", rf"name: \g<1>-{i}", text, count=1, flags=re.M)
    extra = 10 * (i % 7)
    text = re.sub(r"latency_p95: (\d+)ms", lambda m: f"latency_p95: {int(m.group(1)) + extra}ms", text)
    path = folder / f"{source.stem}-{i:03d}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _bin(name: str) -> list[str]:
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "copilot"] if name == "flowgen" else [name]


# Bytecode as an installed package has it: with PYTHONDONTWRITEBYTECODE set (some sandboxes
# and CI images set it) every run would recompile flowgen's own modules while the baselines'
# site-packages keep their .pyc files. Every command gets the same private bytecode cache.
PYCACHE = tempfile.mkdtemp(prefix="flowgen-bench-pyc-")
atexit.register(shutil.rmtree, PYCACHE, ignore_errors=True)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = PYCACHE


def _paired(commands: list[list[str]], runs: int) -> list[list[float]]:
    """Wall seconds of every command in every round; the commands interleave within a round."""
    for command in commands:  # warm the file cache and the bytecode cache
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    rounds = []
    for _ in range(runs):
        row = []
        for command in commands:
            start = time.perf_counter()
            subprocess.run(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV, check=False
            )
            row.append(time.perf_counter() - start)
        rounds.append(row)
    return rounds


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def write_copied_flows(folder: Path, count: int = 200) -> list[Path]:
    """`count` copies of the examples with only the name and SLA varied (the bench before
    issue 16 called them typical; caches serve every copy after the first of each example)."""
    examples = sorted(EXAMPLES.glob("*.yaml"))
    if (EXAMPLES / "docs").is_dir():
        shutil.copytree(EXAMPLES / "docs", folder / "docs")
    out = []
    for i in range(count):
        source = examples[i % len(examples)]
        text = source.read_text(encoding="utf-8")
        out.append(_write_copy(folder, source, text, i))
    return out


def write_distinct_flows(folder: Path, count: int = 200) -> list[Path]:
    """`count` distinct flows: each example with its name, SLA, step ids and prompts varied.

    Step ids get a suffix everywhere they are named (`id:`, `needs:`, `steps.<id>`,
    `{step:<id>}` in thresholds), and every prompt's text gets a sentence of its own, so
    every template string differs and no cache keyed on a text serves a second file. The
    finding codes of every copy are checked equal to its original's before timing
    (`same_kinds`).
    """
    examples = sorted(EXAMPLES.glob("*.yaml"))
    if (EXAMPLES / "docs").is_dir():
        shutil.copytree(EXAMPLES / "docs", folder / "docs", dirs_exist_ok=True)
    out = []
    for i in range(count):
        source = examples[i % len(examples)]
        text = source.read_text(encoding="utf-8")
        ids = re.findall(r"^  - id: ([A-Za-z_][\w-]*)", text, flags=re.M)
        suffix = f"_v{i}"
        for step_id in sorted(ids, key=len, reverse=True):
            word = re.escape(step_id)
            text = re.sub(rf"^(  - id: ){word}\b", rf"\g<1>{step_id}{suffix}", text, flags=re.M)
            text = re.sub(rf"\bsteps\.{word}\b", f"steps.{step_id}{suffix}", text)
            text = re.sub(rf"(\{{step:){word}\}}", rf"\g<1>{step_id}{suffix}}}", text)
            text = re.sub(
                r"(needs: \[)([^\]]*)\]",
                lambda m, w=word, s=step_id + suffix: (
                    m.group(1) + re.sub(rf"(?<![\w-]){w}(?![\w-])", s, m.group(2)) + "]"
                ),
                text,
            )
        text = re.sub(r'((?:system|user): )"', rf'\g<1>"Batch {i}. ', text)
        text = re.sub(r"((?:system|user): )(?![\"'>|])(\S)", rf"\g<1>Batch {i}. \g<2>", text)
        text = re.sub(r"((?:system|user): [>|][-+]?\n +)", rf"\g<1>Batch {i}. ", text)
        out.append(_write_copy(folder, source, text, i))
    return out


def same_kinds(files: list[Path]) -> None:
    """Stop the bench if a varied copy's finding codes differ from its original's."""
    from collections import Counter

    from copilot.lint.engine import lint_text

    kinds: dict[str, Counter[str]] = {}
    for path in files:
        source = EXAMPLES / f"{path.stem.rsplit('-', 1)[0]}.yaml"
        if source.name not in kinds:
            kinds[source.name] = Counter(f.code for f in lint_text(source.read_text(), str(source)))
        copy = Counter(f.code for f in lint_text(path.read_text(), str(path)))
        if copy != kinds[source.name]:
            raise SystemExit(f"{path.name}: findings {dict(copy)} differ from {source.name}'s")


def big_flow(steps: int = 1000) -> str:
    """A realistic-looking flow with `steps` steps: chained stages, parallel branches."""
    lines = [
        "apiVersion: flowgen/v1",
        "kind: Flow",
        "name: big-flow",
        "sla: {latency_p95: 60s, max_cost_per_event: 5.0}",
        "trigger:",
        "  type: webhook",
        "  path: /hooks/big",
        '  auth: {scheme: standard-webhooks, secret: "${env:SECRET}"}',
        "  event_schema:",
        "    type: object",
        "    properties: {id: {type: string}, body: {type: string}, email: {type: string}}",
        '  idempotency_key: "{{ event.id }}"',
        "  rate_limit: {limit: 10, period: 1s}",
        "  concurrency: 10",
        "models:",
        "  fast: {use: openai/gpt-4o-mini-2024-07-18}",
        "  backup: {use: anthropic/claude-haiku-4-5-20251001}",
        "steps:",
    ]
    schema = "{type: object, required: [label], properties: {label: {type: string}, score: {type: number}}}"
    for i in range(steps):
        needs = f"[s{i - 1}]" if i and i % 4 else (f"[s{i - 4}]" if i >= 4 else "[]")
        prev = (f"steps.s{i - 1}.output" if i % 4 else f"steps.s{i - 4}.output") if i else "event.id"
        kind = ("model", "validate", "retrieve", "http")[i % 4]
        lines.append(f"  - id: s{i}")
        lines.append(f"    type: {kind}")
        lines.append(f"    needs: {needs}")
        if kind == "model":
            lines += [
                "    model: fast",
                "    fallback: [backup]",
                f'    prompt: {{system: "Label the text.", user: "{{{{ event.body }}}} {{{{ {prev} }}}}"}}',
                "    max_tokens: 50",
                f"    output_schema: {schema}",
                "    timeout: 900ms",
                "    retry: {attempts: 1, backoff: exponential, initial: 100ms, max: 400ms, jitter: true}",
                f'    idempotency_key: "{{{{ event.id }}}}:s{i}"',
            ]
        elif kind == "validate":
            lines += [
                f'    input: "{{{{ steps.s{i - 1}.output }}}}"',
                "    rules: [{expr: \"input.label != ''\"}]",
                "    on_fail: {action: default, value: {label: none}}",
            ]
        elif kind == "retrieve":
            lines += [
                f"    if: \"{{{{ steps.s{i - 1}.output.label == 'faq' }}}}\"",
                '    query: "{{ event.body }}"',
                "    sources: [{path: docs/*.md, version: '2026-01-01'}]",
                "    freshness: 24h",
                "    top_k: 3",
                "    on_empty: {action: default, value: []}",
                "    timeout: 150ms",
            ]
        else:
            lines += [
                '    request: {method: POST, url: "${env:HOOK_URL}", json: {id: "{{ event.id }}"}}',
                "    timeout: 1s",
                f'    idempotency_key: "{{{{ event.id }}}}:s{i}"',
            ]
    lines += [
        "respond:",
        f"  needs: [s{steps - 1}]",
        '  on_deadline: {status: 202, body: {id: "{{ event.id }}"}}',
        "on_error: {dead_letter: {path: .flowgen/dl.jsonl}}",
    ]
    return "\n".join(lines) + "\n"


def in_process_big(text: str, runs: int) -> float:
    from copilot.lint.engine import lint_text

    lint_text(text, "big.yaml")  # imports and caches warmed once; the CLI row pays them
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        lint_text(text, "big.yaml")
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = parser.parse_args()
    flowgen = _bin("flowgen")
    results: dict[str, dict] = {}

    with tempfile.TemporaryDirectory(prefix="flowgen-bench-") as tmp:
        distinct_dir, copies_dir = Path(tmp) / "distinct", Path(tmp) / "copies"
        distinct_dir.mkdir()
        copies_dir.mkdir()
        distinct = write_distinct_flows(distinct_dir)
        write_copied_flows(copies_dir)
        same_kinds(distinct)
        rounds = _paired(
            [
                [*flowgen, "lint", str(distinct_dir), "--format", "json"],
                [*_bin("check-jsonschema"), "--schemafile", str(SCHEMA), *map(str, distinct)],
                [*flowgen, "lint", str(copies_dir), "--format", "json"],
            ],
            args.runs,
        )
        results["200 flows"] = {
            "distinct_lint_s": _spread([r[0] for r in rounds]),
            "check_jsonschema_s": _spread([r[1] for r in rounds]),
            "copies_lint_s": _spread([r[2] for r in rounds]),
            "ratio": _spread([r[0] / r[1] for r in rounds]),
            "copies_ratio": _spread([r[2] / r[1] for r in rounds]),
        }
        results["200 flows"]["met"] = results["200 flows"]["ratio"]["median"] <= 2.0

        big = Path(tmp) / "big.yaml"
        big.write_text(big_flow(), encoding="utf-8")
        cli_rounds = _paired([[*flowgen, "lint", str(big), "--format", "json"]], max(1, args.runs // 2))
        inproc = in_process_big(big.read_text(), max(1, args.runs // 2))
        cli = _spread([r[0] for r in cli_rounds])
        results["1000 steps"] = {"in_process_s": inproc, "cli_s": cli, "met": cli["median"] <= 1.5}

        one = EXAMPLES / "support-triage.yaml"
        base = [sys.executable, "-c", "import typer, rich, pydantic, ruamel.yaml"]
        rounds = _paired([[*flowgen, "lint", str(one)], base], args.runs * 2)
        results["startup"] = {
            "lint_s": _spread([r[0] for r in rounds]),
            "imports_s": _spread([r[1] for r in rounds]),
            "ratio": _spread([r[0] / r[1] for r in rounds]),
        }
        results["startup"]["met"] = results["startup"]["ratio"]["median"] <= 1.5

    def fmt(x: dict[str, float], unit: float = 1.0, digits: int = 2) -> str:
        return f"{x['median'] * unit:.{digits}f} ({x['min'] * unit:.{digits}f}-{x['max'] * unit:.{digits}f})"

    r = results
    print(f"median (min-max) of {args.runs} paired rounds, wall time, commands interleaved in each round")
    f200 = r["200 flows"]
    print(
        f"  200 distinct flows     lint {fmt(f200['distinct_lint_s'])} s   check-jsonschema "
        f"{fmt(f200['check_jsonschema_s'])} s   ratio {fmt(f200['ratio'])}x (goal <= 2x) "
        + ("met" if f200["met"] else "MISSED")
    )
    print(
        f"  200 copies (old bench) lint {fmt(f200['copies_lint_s'])} s   ratio {fmt(f200['copies_ratio'])}x"
        " against check-jsonschema on the distinct files"
    )
    print(
        f"  1,000-step flow        CLI {fmt(r['1000 steps']['cli_s'])} s   in-process (best) "
        f"{r['1000 steps']['in_process_s']:.2f} s   (goal <= 1.5 s) "
        + ("met" if r["1000 steps"]["met"] else "MISSED")
    )
    print(
        f"  flowgen lint one.yaml  {fmt(r['startup']['lint_s'], 1000, 0)} ms   imports "
        f"{fmt(r['startup']['imports_s'], 1000, 0)} ms   ratio {fmt(r['startup']['ratio'])}x (goal <= 1.5x) "
        + ("met" if r["startup"]["met"] else "MISSED")
    )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(v["met"] for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
