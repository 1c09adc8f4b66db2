"""Loading a 500-step flow: read, parse with positions, validate (goal: at most 0.5 s).

The flow is generated: a webhook trigger, three model aliases and 500 steps cycling
through the five step types, each needing one or two earlier steps, with templates,
retries and comments, as a large real flow would have. It is written to a temporary
file and loaded with `copilot.flow.load.load_flow` (what every command does), in a
fresh process per run so no cache carries over; the best of N runs counts. The graph
analysis (`analyze`: hot path, critical path, estimates) is timed too, in the same
process, as the next thing every command does.

    .venv/bin/python bench/bench_load.py           # 500 steps, N=5
    .venv/bin/python bench/bench_load.py --steps 2000 -n 3 --json

Exit status 0 when the goal is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

GOAL_S = 0.5
STEP_TYPES = ("model", "transform", "validate", "http", "retrieve")

_MEASURE = """
import json, sys, time
start = time.perf_counter()
from copilot.flow.load import load_flow
loaded = load_flow(sys.argv[1])
loaded_at = time.perf_counter()
from copilot.flow.graph import analyze
analysis = analyze(loaded.flow)
done = time.perf_counter()
print(json.dumps({"load_s": loaded_at - start, "analyze_s": done - loaded_at,
                  "steps": len(loaded.flow.steps), "hot_path": len(analysis.hot_path)}))
"""


def step_yaml(i: int) -> str:
    """One step in the style of the examples: flow mappings, templates, a comment."""
    kind = STEP_TYPES[i % len(STEP_TYPES)]
    needs = [f"s{i - 1}"] if i else []
    if i >= 7 and i % 3 == 0:
        needs.append(f"s{i - 7}")
    lines = [f"  - id: s{i}", f"    type: {kind}"]
    if needs:
        lines.append(f"    needs: [{', '.join(needs)}]")
    if kind == "model":
        lines += [
            "    model: fast",
            "    fallback: [backup]",
            "    hedge: {after: 600ms}",
            "    prompt:",
            "      system: Classify the ticket. Answer only with the JSON object.",
            '      user: "{{ event.subject }}\\n\\n{{ event.body }}"',
            "    max_tokens: 60",
            "    output_schema: {type: object, required: [label], properties: {label: {type: string}}}",
            "    timeout: 900ms   # under the SLA, above the model's p95",
            "    retry: {attempts: 2, backoff: exponential, initial: 100ms, max: 400ms, jitter: true}",
            f'    idempotency_key: "{{{{ event.id }}}}:s{i}"',
        ]
    elif kind == "transform":
        lines.append(f'    output: {{n: {i}, subject: "{{{{ event.subject }}}}"}}')
    elif kind == "validate":
        lines += [
            f'    input: "{{{{ steps.s{i - 1}.output }}}}"',
            "    rules:",
            "      - {expr: 'input is not none', message: empty output}",
            "    on_fail: {action: default, value: {}}",
        ]
    elif kind == "http":
        lines += [
            '    request: {method: POST, url: "${env:API_URL}", json: {id: "{{ event.id }}"}}',
            "    timeout: 1s",
            "    retry: {attempts: 3, backoff: exponential, initial: 200ms, max: 2s, jitter: true}",
            f'    idempotency_key: "{{{{ event.id }}}}:s{i}"',
        ]
    else:
        lines += [
            '    query: "{{ event.body }}"',
            "    sources: [{path: docs/*.md, version: '2026-11-01'}]",
            "    freshness: 30d",
            "    top_k: 4",
            "    on_empty: {action: default, value: []}",
            "    timeout: 150ms",
        ]
    return "\n".join(lines)


def flow_text(steps: int) -> str:
    head = """\
# yaml-language-server: $schema=./flow.schema.json
apiVersion: flowgen/v1
kind: Flow
name: big-flow
sla: {latency_p95: 1500ms, max_cost_per_event: 0.5}
trigger:
  type: webhook
  path: /hooks/big
  auth: {scheme: standard-webhooks, secret: "${env:SECRET}"}
  event_schema:
    type: object
    properties: {id: {type: string}, subject: {type: string}, body: {type: string}}
  example: {id: "T-1", subject: "Reset password", body: "How do I reset my password?"}
models:
  fast: {use: openai/gpt-4o-mini-2024-07-18}
  backup: {use: anthropic/claude-haiku-4-5-20251001}
steps:
"""
    body = "\n".join(step_yaml(i) for i in range(steps))
    return f"{head}{body}\nrespond:\n  needs: [s{steps - 1}]\n  body: {{ok: true}}\n"


def measure(path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"loading failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("-n", "--runs", type=int, default=5, help="fresh processes (best counts)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big-flow.yaml"
        text = flow_text(args.steps)
        path.write_text(text, encoding="utf-8")
        runs = [measure(path) for _ in range(args.runs)]
    best_load = min(r["load_s"] for r in runs)
    best_analyze = min(r["analyze_s"] for r in runs)
    result = {
        "steps": runs[0]["steps"],
        "file_bytes": len(text.encode()),
        "file_lines": text.count("\n"),
        "runs": args.runs,
        "load_best_s": round(best_load, 4),
        "analyze_best_s": round(best_analyze, 4),
        "goal_s": GOAL_S,
        "met": best_load <= GOAL_S,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        verdict = "ok" if result["met"] else "MISSED"
        print(
            f"{result['steps']}-step flow ({result['file_bytes']:,} bytes, {result['file_lines']:,} lines), "
            f"best of {args.runs} fresh processes:\n"
            f"  load_flow (read + parse with positions + validate, imports included) "
            f"{best_load * 1000:7.1f} ms  (goal <= {GOAL_S * 1000:.0f} ms) {verdict}\n"
            f"  analyze (graph, hot/critical path, estimates)                         "
            f"{best_analyze * 1000:7.1f} ms"
        )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
