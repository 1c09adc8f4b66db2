"""`flowgen lint` speed, side by side with its baselines in one run.

Three comparisons (goals from issue 3):

1. 200 typical flows (copies and variants of examples/flows, written to a temporary
   folder) linted with schema + every rule, `flowgen lint DIR --format json`, against
   `check-jsonschema --schemafile copilot/flow/flow.schema.json` on the same files.
   Goal: lint <= 2x check-jsonschema.
2. One 1,000-step flow (a chain of model/validate/retrieve/http steps with parallel
   branches, every step templated) linted in-process, and by the CLI. Goal: <= 1.5 s.
3. `flowgen lint one.yaml` against `python -c "import typer, rich, pydantic, ruamel.yaml"`.
   Goal: <= 1.5x.

Each subprocess pair runs N times interleaved, so machine load hits both alike; the best
(minimum) wall time is compared, because noise only ever adds time.

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "flows"
SCHEMA = ROOT / "copilot" / "flow" / "flow.schema.json"


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


def _best(commands: list[list[str]], runs: int) -> list[float]:
    best = [float("inf")] * len(commands)
    for command in commands:  # warm the file cache and the bytecode cache
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    for _ in range(runs):
        for i, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV, check=False
            )
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def write_typical_flows(folder: Path, count: int = 200) -> list[Path]:
    """`count` flows: the examples, renamed, with the SLA and step ids varied."""
    examples = sorted(EXAMPLES.glob("*.yaml"))
    if (EXAMPLES / "docs").is_dir():
        shutil.copytree(EXAMPLES / "docs", folder / "docs")
    out = []
    for i in range(count):
        source = examples[i % len(examples)]
        text = source.read_text(encoding="utf-8")
        text = re.sub(r"^name: (\S+)", rf"name: \g<1>-{i}", text, count=1, flags=re.M)
        extra = 10 * (i % 7)
        text = re.sub(
            r"latency_p95: (\d+)ms", lambda m, extra=extra: f"latency_p95: {int(m.group(1)) + extra}ms", text
        )
        path = folder / f"{source.stem}-{i:03d}.yaml"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


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
    results: dict[str, dict[str, float | bool]] = {}

    with tempfile.TemporaryDirectory(prefix="flowgen-bench-") as tmp:
        folder = Path(tmp)
        files = write_typical_flows(folder)
        lint_cmd = [*flowgen, "lint", str(folder), "--format", "json"]
        check_cmd = [*_bin("check-jsonschema"), "--schemafile", str(SCHEMA), *map(str, files)]
        lint_s, check_s = _best([lint_cmd, check_cmd], args.runs)
        results["200 flows"] = {"lint_s": lint_s, "check_jsonschema_s": check_s, "ratio": lint_s / check_s}
        results["200 flows"]["met"] = lint_s / check_s <= 2.0

        big = folder / "big.yaml"
        big.write_text(big_flow(), encoding="utf-8")
        (cli_big,) = _best([[*flowgen, "lint", str(big), "--format", "json"]], max(1, args.runs // 2))
        inproc = in_process_big(big.read_text(), max(1, args.runs // 2))
        results["1000 steps"] = {"in_process_s": inproc, "cli_s": cli_big, "met": cli_big <= 1.5}

        one = EXAMPLES / "support-triage.yaml"
        base = [sys.executable, "-c", "import typer, rich, pydantic, ruamel.yaml"]
        lint_one, base_s = _best([[*flowgen, "lint", str(one)], base], args.runs * 2)
        results["startup"] = {"lint_s": lint_one, "imports_s": base_s, "ratio": lint_one / base_s}
        results["startup"]["met"] = lint_one / base_s <= 1.5

    r = results
    print(f"best of {args.runs} runs (wall time, interleaved)")
    print(
        f"  200 typical flows      lint {r['200 flows']['lint_s']:.2f} s   check-jsonschema "
        f"{r['200 flows']['check_jsonschema_s']:.2f} s   {r['200 flows']['ratio']:.2f}x (goal <= 2x) "
        + ("met" if r["200 flows"]["met"] else "MISSED")
    )
    print(
        f"  1,000-step flow        CLI {r['1000 steps']['cli_s']:.2f} s   in-process "
        f"{r['1000 steps']['in_process_s']:.2f} s   (goal <= 1.5 s) "
        + ("met" if r["1000 steps"]["met"] else "MISSED")
    )
    print(
        f"  flowgen lint one.yaml  {r['startup']['lint_s'] * 1000:.0f} ms   imports "
        f"{r['startup']['imports_s'] * 1000:.0f} ms   {r['startup']['ratio']:.2f}x (goal <= 1.5x) "
        + ("met" if r["startup"]["met"] else "MISSED")
    )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(v["met"] for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
