"""The `flowgen` command line.

Thin by design: each command parses its options, calls one function, and renders the
result. Heavy libraries (pydantic models, openai, opentelemetry, temporalio, starlette)
are imported inside the commands that need them, so `flowgen lint` starts fast.

Every user-facing failure is a `FlowgenError`: one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from copilot import __version__
from copilot.errors import FlowgenError

app = typer.Typer(
    name="flowgen",
    help=(
        "Draft, lint and run production-ready realtime AI automation flows.\n\n"
        "A flow file (apiVersion: flowgen/v1) describes a trigger, model/retrieval/http steps, "
        "the response and its SLA. flowgen checks it for production readiness (timeouts, "
        "fallbacks, idempotency, rate limits, validation, pinned RAG, observability) and runs it."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class DataFormat(str, Enum):
    text = "text"
    json = "json"


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def fail(error: FlowgenError | str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line on stderr and exit (2 by default): the only way bad input ends."""
    text = str(error)
    sys.stderr.write(
        f"flowgen: error: {text}\n" if not isinstance(error, FlowgenError) or not error.path else f"{text}\n"
    )
    raise typer.Exit(code)


def console(stderr: bool = False):
    """A Rich console that honours NO_COLOR and a non-TTY output."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal (CI logs, pipes) Rich would wrap tables at 80 columns.
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flowgen {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """flowgen: production-ready realtime AI automations."""


# ---------------------------------------------------------------------------- validate


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Flow files to check ('-' for stdin).")],
    format: Annotated[DataFormat, typer.Option("--format", "-f", help="text or json.")] = DataFormat.text,
    summary: Annotated[
        bool, typer.Option(help="Show each flow's hot path, latency and cost estimate.")
    ] = True,
) -> None:
    """Check flow files against the schema and the graph rules (what the engine needs to load them).

    Exit 0 when every file is valid, 1 when a flow has a graph error (unknown reference,
    cycle, duplicate id, sync step needing an async one), 2 when a file cannot be read,
    parsed or does not match the schema.

    Examples:

      flowgen validate examples/flows/*.yaml

      flowgen validate flow.yaml --format json
    """
    from copilot.styled import wants_rich
    from copilot.validate import render_validation, validate_files

    results = validate_files([str(f) for f in files])
    # Off a terminal the report is plain text: Rich's console is not even imported.
    out = console() if wants_rich(sys.stdout) else None
    render_validation(results, format.value, summary=summary, out=out)
    raise typer.Exit(max((r.exit_code for r in results), default=0))


# ---------------------------------------------------------------------------- schema


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to a file instead of stdout.")
    ] = None,
) -> None:
    """Print the flow JSON Schema (generated from the models; every field documented).

    Point your editor at it with a modeline as the first line of a flow file:

      # yaml-language-server: $schema=./flow.schema.json
    """
    from copilot.flow.dump import write_atomic
    from copilot.flow.schema import schema_text

    text = schema_text()
    if out is None or str(out) == "-":
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)


# ---------------------------------------------------------------------------- models


@app.command()
def models(
    format: Annotated[DataFormat, typer.Option("--format", "-f", help="text or json.")] = DataFormat.text,
    tier: Annotated[str | None, typer.Option(help="Only this tier: fast, balanced or heavy.")] = None,
    models_file: Annotated[
        Path | None, typer.Option("--models", help="Extra catalog (JSON or YAML) that extends or overrides.")
    ] = None,
) -> None:
    """The model catalog: tier, latency p50/p95 (estimates), price, context window, limits.

    Use an id in a flow as `models: {fast: {use: openai/gpt-4o-mini-2024-07-18}}`, and
    override any figure per alias (latency, price, limits, context_window).
    """
    from copilot.catalog import load_catalog
    from copilot.catalog.render import render_catalog

    try:
        catalog = load_catalog(models_file)
    except FlowgenError as exc:
        fail(exc)
    if tier is not None and tier not in ("fast", "balanced", "heavy"):
        fail(f"--tier must be fast, balanced or heavy, not {tier!r}")
    render_catalog(catalog, format.value, tier=tier, out=console())


# ---------------------------------------------------------------------------- lint, rules, explain


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    junit = "junit"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


@app.command()
def lint(
    paths: Annotated[list[str], typer.Argument(help="Flow files or folders ('-' for stdin).")],
    format: Annotated[
        LintFormat, typer.Option("--format", "-f", help="text, json, sarif, github or junit.")
    ] = LintFormat.text,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Only these rules: codes, prefixes (FG1) or names; comma-separated."),
    ] = None,
    extend_select: Annotated[list[str] | None, typer.Option(help="Add rules to the selection.")] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(help="Skip these rules: codes, prefixes or names.")
    ] = None,
    fail_on: Annotated[
        FailOn | None, typer.Option(help="Exit 1 for findings at or above this level (default: error).")
    ] = None,
    fix: Annotated[
        bool, typer.Option("--fix", help="Apply safe autofixes (comments kept), then re-lint.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="pyproject.toml or .flowgen.toml to use instead of searching."),
    ] = None,
    summary: Annotated[
        bool, typer.Option(help="Show each flow's hot-path p95, worst case and cost vs the SLA (text).")
    ] = True,
    flows_only: Annotated[
        bool, typer.Option("--flows-only", help="Skip named files that are not flows (for pre-commit hooks).")
    ] = False,
) -> None:
    """Check flow files for production readiness (rules FG001-FG803; see `flowgen rules`).

    Exit 0 when clean, 1 when a finding is at or above --fail-on, 2 when a file cannot be
    read or parsed, or on a usage error. Settings come from the tool.flowgen.lint table of
    pyproject.toml or the lint table of .flowgen.toml (searched upwards from each file);
    flags win. Silence one line with `# flowgen: disable=FG201 reason="..."`.

    Examples:

      flowgen lint examples/flows/

      flowgen lint flow.yaml --fix

      flowgen lint flows/ --format sarif > flowgen.sarif
    """
    from copilot.lint.command import run_lint
    from copilot.styled import wants_rich

    # Rich only for a text report on a terminal: elsewhere it is plain text, Rich not imported.
    rich_out = console() if format is LintFormat.text and wants_rich(sys.stdout) else None
    try:
        code = run_lint(
            paths,
            fmt=format.value,
            select=select,
            extend_select=extend_select,
            ignore=ignore,
            fail_on=fail_on.value if fail_on else None,
            fix=fix,
            config_file=str(config) if config else None,
            summary=summary,
            console=rich_out,
            flows_only=flows_only,
        )
    except FlowgenError as exc:
        fail(exc)
    raise typer.Exit(code)


class RulesFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def rules(
    code: Annotated[str | None, typer.Argument(help="Show one rule's documentation (like explain).")] = None,
    format: Annotated[RulesFormat, typer.Option("--format", "-f", help="text or json.")] = RulesFormat.text,
) -> None:
    """The rule catalog: code, name, default severity, fixable, checklist item."""
    from copilot.lint.command import explain, show_rules

    try:
        if code is not None:
            sys.stdout.write(explain(code, format.value))
        else:
            show_rules(format.value, console())
    except FlowgenError as exc:
        fail(exc)


class ExplainFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def explain(
    code: Annotated[str, typer.Argument(help="A rule code (FG101) or name (call-without-timeout).")],
    format: Annotated[
        ExplainFormat, typer.Option("--format", "-f", help="text, markdown or json.")
    ] = ExplainFormat.text,
) -> None:
    """One rule's documentation: what it does, why it matters, an example, and the fix."""
    from copilot.lint.command import explain as explain_rule

    try:
        sys.stdout.write(explain_rule(code, format.value))
    except FlowgenError as exc:
        fail(exc)


# ---------------------------------------------------------------------------- checklist


class ChecklistFormat(str, Enum):
    markdown = "markdown"
    yaml = "yaml"
    json = "json"


@app.command()
def checklist(
    format: Annotated[
        ChecklistFormat, typer.Option("--format", "-f", help="markdown, yaml or json.")
    ] = ChecklistFormat.markdown,
) -> None:
    """The production-readiness checklist: each question, why it matters, what to do, which rules check it.

    The source of truth is checklists/production-readiness.yaml; `flowgen draft` puts each
    item's guidance into its prompt. Paste the Markdown into any copilot, or use the data:

      flowgen checklist > CHECKLIST.md

      flowgen checklist --format json
    """
    from copilot.checklist import render_checklist

    try:
        sys.stdout.write(render_checklist(format.value))
    except FlowgenError as exc:
        fail(exc)


# ---------------------------------------------------------------------------- run


def _refuse_overwrite(option: str, path: Path | str | None, force: bool) -> None:
    """An output file that exists is replaced only with --force: one line, exit 2."""
    if path is None or force or str(path) == "-":
        return
    target = Path(path)
    if target.is_dir():
        fail(f"{option} {path}: is a directory")
    if target.exists() or target.is_symlink():
        fail(f"{option} {path}: the file exists; pass --force to replace it")


class RunProvider(str, Enum):
    sim = "sim"
    openai = "openai"


@app.command()
def run(
    flow: Annotated[Path, typer.Argument(help="The flow file.")],
    event: Annotated[
        str | None,
        typer.Option("--event", "-e", help="Event JSON file, or '-' for stdin. Default: trigger.example."),
    ] = None,
    provider: Annotated[
        RunProvider, typer.Option(help="sim (offline, catalog latencies) or openai (any compatible server).")
    ] = RunProvider.sim,
    seed: Annotated[int, typer.Option(help="Seed of simulated latencies, answers and backoff jitter.")] = 0,
    trace: Annotated[
        Path | None, typer.Option("--trace", help="Write the OpenTelemetry spans as JSON lines to FILE.")
    ] = None,
    format: Annotated[DataFormat, typer.Option("--format", "-f", help="text or json.")] = DataFormat.text,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL).")
    ] = None,
    model_override: Annotated[
        str | None,
        typer.Option("--model-override", help="Send every model call to this model name (openai)."),
    ] = None,
    dead_letter: Annotated[
        Path | None,
        typer.Option("--dead-letter", help="Dead-letter file (default: on_error.dead_letter.path)."),
    ] = None,
    live_http: Annotated[
        bool | None,
        typer.Option(
            "--live-http/--sim-http",
            help="Send http steps for real (default with --provider openai) "
            "or simulate them (default with sim).",
        ),
    ] = None,
    instant: Annotated[
        bool, typer.Option("--instant", help="Sim provider: answer without simulated latency.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --trace file.")] = False,
) -> None:
    """Run one event through a flow on the local engine and show the timeline.

    Prints the response, then each step as a tree: start offset, duration, the model
    actually used (fallback or hedge), attempts, tokens, cost and status. Async steps
    run after the response; `run` waits for them before it exits. Exit 0 when the event
    was answered (the on_deadline answer included), 1 when a step failed, 2 on bad input.

    Examples:

      flowgen run examples/flows/support-triage.yaml

      echo '{"id": "T-1", "subject": "Refund", "body": "Refund my invoice"}' | flowgen run flow.yaml --event -

      flowgen run flow.yaml --provider openai --base-url http://127.0.0.1:8000/v1 --trace spans.jsonl
    """
    from copilot.run.command import run_flow
    from copilot.run.timeline import render_json, render_text

    _refuse_overwrite("--trace", trace, force)
    try:
        outcome = run_flow(
            str(flow),
            event_source=event,
            provider_name=provider.value,
            seed=seed,
            trace_path=str(trace) if trace is not None else None,
            base_url=base_url,
            model_override=model_override,
            dead_letter=str(dead_letter) if dead_letter is not None else None,
            live_http=live_http,
            latency_scale=0.0 if instant else 1.0,
        )
    except FlowgenError as exc:
        fail(exc)
    sla = outcome.flow.sla.latency_p95 if outcome.flow.sla is not None else None
    if format is DataFormat.json:
        text = render_json(outcome.result, flow=outcome.flow.name, sla=sla, scrub=outcome.scrub)
        sys.stdout.write(text + "\n")
    else:
        render_text(outcome.flow, outcome.result, console(), sla=sla, scrub=outcome.scrub)
    for note in outcome.notes:
        sys.stderr.write(f"flowgen: {note}\n")
    if trace is not None:
        sys.stderr.write(f"flowgen: wrote spans to {trace}\n")
    raise typer.Exit(outcome.exit_code)


# ---------------------------------------------------------------------------- test


def _chaos_help() -> str:
    from copilot.run.chaos import CHAOS_HELP

    return CHAOS_HELP


@app.command("test")
def test_command(
    flows: Annotated[list[Path], typer.Argument(help="The flow file (two with --compare).")],
    compare: Annotated[
        bool,
        typer.Option("--compare", help="Run two flows under the first one's load, chaos and thresholds."),
    ] = False,
    events: Annotated[
        int | None, typer.Option("--events", "-n", help="Send N events (overrides tests.load).")
    ] = None,
    rate: Annotated[
        str | None, typer.Option("--rate", help="Arrival rate, e.g. 50/s (overrides tests.load).")
    ] = None,
    duration: Annotated[
        str | None, typer.Option("--duration", help="Stop sending after this long, e.g. 30s.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of events, faults, simulated latencies and jitter.")] = 0,
    chaos: Annotated[list[str] | None, typer.Option("--chaos", help=_chaos_help())] = None,
    flow_chaos: Annotated[
        bool,
        typer.Option("--flow-chaos/--no-flow-chaos", help="Use the flow's tests.chaos (off: a baseline)."),
    ] = True,
    format: Annotated[DataFormat, typer.Option("--format", "-f", help="text or json.")] = DataFormat.text,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report with charts to FILE.")
    ] = None,
    virtual_time: Annotated[
        bool,
        typer.Option(
            "--virtual-time",
            help="Simulated time (sim provider): waits elapse at once and CPU time counts as zero, "
            "so a long test takes a fraction of a second.",
        ),
    ] = False,
    provider: Annotated[
        RunProvider, typer.Option(help="sim (offline, catalog latencies) or openai (any compatible server).")
    ] = RunProvider.sim,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL).")
    ] = None,
    dead_letter: Annotated[
        Path | None,
        typer.Option("--dead-letter", help="Keep the test's dead letters in FILE (default: discarded)."),
    ] = None,
    rate_limits: Annotated[
        bool,
        typer.Option(
            "--rate-limits/--no-rate-limits",
            help="Apply the models' rpm/tpm limits (off: test the flow, not the provider account).",
        ),
    ] = True,
    drain_limit: Annotated[
        str,
        typer.Option(
            "--drain-limit", help="Cancel what still runs this long after the last arrival (e.g. a hang)."
        ),
    ] = "2m",
) -> None:
    """Load-test a flow with chaos on the local engine: latency, SLA attainment, thresholds.

    Sends synthetic events on the open model (tests.load: constant-arrival-rate,
    ramping-arrival-rate or burst), varied from trigger.example within event_schema,
    injects tests.chaos faults (and --chaos ones) at the provider boundary, and reports
    p50/p95/p99/max per flow and per step, SLA attainment (responded within the SLA, and
    full answer within it: a deadline answer is not a full answer), error, retry,
    fallback, hedge and deadline-answer rates, cost per event and throughput. Latency is
    measured from each event's intended start. http steps are always simulated.

    Thresholds (tests.thresholds, k6 syntax) on latency, latency{step:ID}, errors,
    sla_attainment, full_answers, deadline_answers, retries, fallbacks, hedges_won,
    dead_letters, cost_per_event, throughput. Exit 0 when all pass, 1 when one fails,
    2 on bad input.

    Examples:

      flowgen test examples/flows/support-triage.yaml --report report.html

      flowgen test flow.yaml --events 50 --chaos "model:fast:timeout@0.1" --format json

      flowgen test --compare examples/flows/naive-support-triage.yaml examples/flows/support-triage.yaml
    """
    from copilot.flow.units import parse_duration, parse_rate
    from copilot.run.loadtest import exit_code, run_tests
    from copilot.run.report import live_progress, render_html, render_json, render_text

    try:
        rate_value = parse_rate(rate).per_second if rate is not None else None
    except ValueError as exc:
        fail(f"--rate: {exc}")
    try:
        duration_value = parse_duration(duration) if duration is not None else None
    except ValueError as exc:
        fail(f"--duration: {exc}")
    try:
        drain_value = parse_duration(drain_limit)
    except ValueError as exc:
        fail(f"--drain-limit: {exc}")
    if events is not None and events <= 0:
        fail("--events must be a positive number")
    if virtual_time and provider is not RunProvider.sim:
        fail("--virtual-time only makes sense with --provider sim (a real server takes real time)")
    try:
        with live_progress(console(stderr=True)) as progress:
            results = run_tests(
                [str(f) for f in flows],
                compare=compare,
                events=events,
                rate=rate_value,
                duration=duration_value,
                seed=seed,
                chaos=chaos or [],
                flow_chaos=flow_chaos,
                virtual_time=virtual_time,
                provider=provider.value,
                base_url=base_url,
                progress_factory=progress,
                dead_letter=str(dead_letter) if dead_letter is not None else None,
                rate_limits=rate_limits,
                drain_limit=drain_value,
            )
        if report is not None:
            from copilot.flow.dump import write_atomic

            write_atomic(report, render_html(results))
    except FlowgenError as exc:
        fail(exc)
    if format is DataFormat.json:
        sys.stdout.write(render_json(results))
    else:
        render_text(results, console())
    if report is not None:
        sys.stderr.write(f"flowgen: wrote {report}\n")
    raise typer.Exit(exit_code(results))


# ---------------------------------------------------------------------------- draft, prompt

_Brief = Annotated[str, typer.Argument(help="The brief: text, @FILE, or - for stdin.", show_default=False)]
_Event = Annotated[
    Path | None, typer.Option("--event", help="A sample event (JSON) or its JSON Schema.", show_default=False)
]
_Sla = Annotated[
    str | None, typer.Option("--sla", help="Hot-path p95 latency, e.g. 1500ms.", show_default=False)
]
_CostTier = Annotated[
    str | None,
    typer.Option("--cost-tier", help="economy, standard (default) or premium.", show_default=False),
]
_Budget = Annotated[
    float | None, typer.Option("--budget", help="USD per event, e.g. 0.004.", show_default=False)
]
_FallbackModel = Annotated[
    str | None,
    typer.Option(
        "--fallback-model", help="Catalog id every hot-path model falls back to.", show_default=False
    ),
]
_ModelsFile = Annotated[
    Path | None, typer.Option("--models", help="Extra catalog (JSON or YAML).", show_default=False)
]


def _draft_request(brief, event, sla, cost_tier, budget, fallback_model, models_file):
    from copilot.draft.request import make_request

    return make_request(
        brief,
        event=event,
        sla=sla,
        cost_tier=cost_tier,
        budget=budget,
        fallback_model=fallback_model,
        models_file=models_file,
    )


@app.command()
def draft(
    brief: _Brief,
    event: _Event = None,
    sla: _Sla = None,
    cost_tier: _CostTier = None,
    budget: _Budget = None,
    fallback_model: _FallbackModel = None,
    models_file: _ModelsFile = None,
    provider: Annotated[
        str, typer.Option("--provider", help="auto (LLM when a key or base URL is set), offline or openai.")
    ] = "auto",
    model: Annotated[
        str | None, typer.Option("--model", help="Drafting model (or FLOWGEN_MODEL).", show_default=False)
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="OpenAI-compatible endpoint (or OPENAI_BASE_URL).", show_default=False
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key (better: OPENAI_API_KEY).", show_default=False)
    ] = None,
    timeout: Annotated[
        str | None, typer.Option("--timeout", help="Per-call timeout of the drafting model, e.g. 60s.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", help="Output limit of each drafting call (default 8192).")
    ] = None,
    max_repairs: Annotated[
        int, typer.Option("--max-repairs", help="Repair rounds after the first answer.")
    ] = 2,
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", help="Where to write; '-' for stdout. Default: <flow name>.flow.yaml."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    allow_findings: Annotated[
        bool, typer.Option("--allow-findings", help="Write the flow even when lint errors remain (exit 1).")
    ] = False,
    transcript: Annotated[
        str | None, typer.Option("--transcript", help="Save every prompt, answer and finding as JSON.")
    ] = None,
    show_prompt: Annotated[
        bool, typer.Option("--show-prompt", help="Print the prompt on stderr first.")
    ] = False,
    no_own_test: Annotated[
        bool,
        typer.Option(
            "--no-own-test",
            help="Skip the own test: by default the flow's tests: block runs (sim provider, virtual "
            "time, 2 seeds) and failing thresholds are hardened (hedges, timeouts, faster models) "
            "within the budget before writing.",
        ),
    ] = False,
    format: Annotated[
        DataFormat, typer.Option("--format", "-f", help="Summary as text or json.")
    ] = DataFormat.text,
) -> None:
    """Draft a production-ready flow from a plain-English brief.

    With an API key or base URL configured (flags, OPENAI_API_KEY / OPENAI_BASE_URL, or
    \\[tool.flowgen]) the brief goes to an OpenAI-compatible model with structured output and
    a repair loop; otherwise the offline drafter reads it by rules. Either way the flow is
    validated, autofixed, explained in comments and linted, and written only when valid.

    Every step says why it exists (`why:` quotes the brief's clause, or names the building
    block it is), and the summary maps each requirement of the brief to its steps. A
    requirement no step implements, or a limited side effect that runs on every event, is a
    gap: listed first, and the flow is still written.

    Before writing, the flow's own tests: block runs in virtual time on simulated models;
    when a threshold fails, the flow is hardened (hedges, tighter timeouts, a faster model,
    an on_deadline answer) within the budget and tested again, up to 3 rounds.

    Exit 0 written, lint-clean, no gaps and passing its own test; 1 written with gaps or
    failing its own test, or valid but lint errors remain (written only with
    --allow-findings); 2 when nothing in the brief maps to a step, no valid flow came out or
    the input is unusable.

    Examples:

      flowgen draft @examples/briefs/support-triage.md --out flow.yaml

      flowgen draft "Score card transactions for fraud within 300 ms" --event txn.json --out -
    """
    from copilot.draft.drafting import DraftOptions
    from copilot.draft.drafting import draft as run_draft
    from copilot.draft.summary import render_json, render_text
    from copilot.flow.units import parse_duration

    _refuse_overwrite("--transcript", transcript, force)
    try:
        request = _draft_request(brief, event, sla, cost_tier, budget, fallback_model, models_file)
        seconds = None
        if timeout is not None:
            try:
                seconds = parse_duration(timeout)
            except ValueError as exc:
                raise FlowgenError(f"--timeout: {exc}") from None
        if max_tokens is not None and max_tokens <= 0:
            raise FlowgenError("--max-tokens must be above zero")
        if show_prompt:
            from copilot.draft.prompt import draft_messages, render_prompt_text

            sys.stderr.write(render_prompt_text(draft_messages(request)))
        options = DraftOptions(
            provider=provider,
            model=model,
            base_url=base_url,
            api_key=api_key,
            timeout=seconds,
            max_tokens=max_tokens,
            max_repairs=max_repairs,
            out=out,
            force=force,
            allow_findings=allow_findings,
            transcript=transcript,
            own_test=not no_own_test,
        )
        outcome = run_draft(request, options)
    except FlowgenError as exc:
        fail(exc)
    to_stderr = out == "-"
    if format is DataFormat.json:
        (sys.stderr if to_stderr else sys.stdout).write(render_json(outcome))
    else:
        render_text(outcome, console(stderr=to_stderr))
    if outcome.error:
        sys.stderr.write(f"flowgen: error: {outcome.error}\n")
    raise typer.Exit(outcome.exit_code)


@app.command()
def prompt(
    brief: _Brief,
    event: _Event = None,
    sla: _Sla = None,
    cost_tier: _CostTier = None,
    budget: _Budget = None,
    fallback_model: _FallbackModel = None,
    models_file: _ModelsFile = None,
    format: Annotated[
        DataFormat, typer.Option("--format", "-f", help="text, or json (the messages array).")
    ] = DataFormat.text,
) -> None:
    """Print exactly the prompt `flowgen draft` would send, to paste into any copilot.

    Text shows each message under a `===== role =====` line; `--format json` prints the
    chat messages array.
    """
    import json

    from copilot.draft.prompt import draft_messages, render_prompt_text

    try:
        request = _draft_request(brief, event, sla, cost_tier, budget, fallback_model, models_file)
        messages = draft_messages(request)
    except FlowgenError as exc:
        fail(exc)
    if format is DataFormat.json:
        sys.stdout.write(json.dumps(messages, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_prompt_text(messages))


def _app_for(argv: list[str]) -> typer.Typer:
    """The app to run for `argv`: only the invoked command when one is named.

    Typer converts every registered command's parameters (a pydantic adapter each) before
    it dispatches, which costs more than `flowgen lint` itself on a small file. When the
    first argument names a command, a one-command app with the same callback and settings
    behaves identically (same usage line, same options) and starts in a fraction of it.
    """
    if not argv or argv[0].startswith("-"):
        return app
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else None)
        if name == argv[0]:
            single = typer.Typer(
                name=app.info.name,
                help=app.info.help,
                no_args_is_help=True,
                add_completion=False,
                pretty_exceptions_enable=False,
                context_settings=app.info.context_settings,
            )
            single.registered_callback = app.registered_callback
            single.registered_commands = [info]
            return single
    return app


def main() -> None:
    """Console-script entry point: no traceback ever reaches a user for bad input."""
    argv = sys.argv[1:]
    if argv == ["--version"]:
        # Answer before Typer converts any command: `--version` is what scripts probe.
        sys.stdout.write(f"flowgen {__version__}\n")
        return
    try:
        # standalone_mode=False: usage errors come back as exceptions, so they are printed as
        # one line below instead of Rich's multi-line panel.
        code = _app_for(argv)(prog_name="flowgen", standalone_mode=False)
    except FlowgenError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.stderr.write("flowgen: interrupted\n")
        sys.exit(130)
    except ModuleNotFoundError as exc:
        extra = _EXTRA_FOR_MODULE.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        sys.stderr.write(
            f"flowgen: error: this command needs the `{extra}` extra ({exc.name} is not installed); "
            f"install it with: pip install 'flowgen[{extra}]'\n"
        )
        sys.exit(EXIT_USAGE)
    except (SystemExit, typer.Exit):
        raise
    except Exception as exc:
        if _is_click_error(exc):
            _report_usage_error(exc)
        # A bug in flowgen, not bad input: still one line, still exit 2.
        if os.environ.get("FLOWGEN_DEBUG"):
            raise
        sys.stderr.write(
            f"flowgen: internal error: {type(exc).__name__}: {exc} "
            "(a bug in flowgen; rerun with FLOWGEN_DEBUG=1 for the traceback and report it)\n"
        )
        sys.exit(EXIT_USAGE)
    if isinstance(code, int) and code:
        sys.exit(code)


def _is_click_error(exc: BaseException) -> bool:
    # Typer vendors click privately; match the public exception classes by name.
    return any(cls.__name__ in ("ClickException", "Abort") for cls in type(exc).__mro__)


def _report_usage_error(exc: BaseException) -> NoReturn:
    """A usage error as one line (`flowgen: error: No such option: --bogus (see …)`), exit 2."""
    name = type(exc).__name__
    ctx = getattr(exc, "ctx", None)
    if name == "NoArgsIsHelpError" and ctx is not None:
        # No arguments at all: the help is what the user needs, not an error line.
        sys.stdout.write(ctx.get_help() + "\n")
        sys.exit(EXIT_USAGE)
    if name == "Abort":
        sys.stderr.write("flowgen: aborted\n")
        sys.exit(1)
    message = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    # Typer validates option values with pydantic; drop its wording, keep the sentence.
    message = message.replace("Value error, ", "").replace("Input should be", "expected")
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    sys.stderr.write(f"flowgen: error: {message}\n")
    sys.exit(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)


# Optional dependencies by the extra that brings them (pyproject.toml), for a one-line hint
# instead of a traceback when a command's extra is not installed.
_EXTRA_FOR_MODULE = {
    "opentelemetry": "run",
    "bm25s": "run",
    "aiolimiter": "run",
    "hdrhistogram": "run",
    "pygal": "run",
    "httpx": "run",
    "starlette": "serve",
    "uvicorn": "serve",
    "temporalio": "temporal",
}


if __name__ == "__main__":
    main()
