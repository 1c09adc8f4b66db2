"""`flowgen run` and `flowgen test`: a flow on the local engine, one event or under load."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.common import (
    DataFormat,
    ForceOption,
    FormatOption,
    K6CompatibleOption,
    ModelProvider,
    RunProvider,
    TemporalAddressOption,
    TemporalNamespaceOption,
    console,
    dead_letter_option,
    fail,
    refuse_overwrite,
    with_option_groups,
)
from copilot.cli.temporal import ActivitiesOption, TemporalAccess
from copilot.errors import FlowgenError


@with_option_groups
def run(
    flow: Annotated[Path, typer.Argument(metavar="FLOW", help="The flow file.")],
    event: Annotated[
        str | None,
        typer.Option(
            "--event",
            "-e",
            metavar="FILE",
            help="Event JSON file, or '-' for stdin. Default: trigger.example.",
        ),
    ] = None,
    models: ModelProvider = ModelProvider(),
    seed: Annotated[
        int, typer.Option(metavar="N", help="Seed of simulated latencies, answers and backoff jitter.")
    ] = 0,
    trace: Annotated[
        Path | None,
        typer.Option("--trace", metavar="FILE", help="Write the OpenTelemetry spans as JSON lines to FILE."),
    ] = None,
    format: FormatOption = DataFormat.text,
    dead_letter: Annotated[
        Path | None, dead_letter_option("Dead-letter file (default: on_error.dead_letter.path).")
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
    force: ForceOption = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also print hints, e.g. why spans are not exported.")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(metavar="ENGINE", help="local, or temporal (a workflow, worker in-process)."),
    ] = "local",
    address: TemporalAddressOption = "127.0.0.1:7233",
    namespace: TemporalNamespaceOption = "default",
    activities: ActivitiesOption = "remote",
    access: TemporalAccess = TemporalAccess(),
) -> None:
    """Run one event through a flow on the local engine and show the timeline.

    Prints the response, then each step as a tree: start offset, duration, the model
    actually used (fallback or hedge), attempts, tokens, cost and status. Async steps
    run after the response; `run` waits for them before it exits. Exit 0 when the event
    was answered (the on_deadline answer included), 1 when a step failed, 2 on bad input.

    --engine temporal runs the event as a workflow, with a worker in this process, on the
    server at --address; --namespace, --activities and the Temporal Cloud options (--tls,
    --tls-cert/--tls-key, --tls-ca, --api-key) are those of `flowgen worker` and `serve`.

    Examples:

      flowgen run examples/flows/support-triage.yaml

      flowgen run flow.yaml --event - < event.json

      flowgen run flow.yaml --trace spans.jsonl --format json

      flowgen run flow.yaml --provider openai --base-url http://127.0.0.1:8000/v1

      flowgen run flow.yaml --engine temporal --activities local
    """
    from copilot.run.command import run_flow
    from copilot.run.timeline import render_json, render_text

    refuse_overwrite("--trace", trace, force)
    try:
        temporal = None
        if engine == "temporal":  # the connection and call options of `flowgen worker` and `serve`
            temporal = {"namespace": namespace, "credentials": access.credentials(), "activities": activities}
        elif engine != "local":
            fail(f"--engine {engine}: `local` or `temporal`")
        outcome = run_flow(
            str(flow),
            event_source=event,
            provider_name=models.provider.value,
            seed=seed,
            trace_path=str(trace) if trace is not None else None,
            base_url=models.base_url,
            model_override=models.model_override,
            dead_letter=str(dead_letter) if dead_letter is not None else None,
            live_http=live_http,
            latency_scale=0.0 if instant else 1.0,
            engine_name=engine,
            temporal_address=address,
            temporal=temporal,
        )
    except FlowgenError as exc:
        fail(exc)
    sla = outcome.flow.latency_sla
    if format is DataFormat.json:
        text = render_json(outcome.result, flow=outcome.flow.name, sla=sla, scrub=outcome.scrub)
        sys.stdout.write(text + "\n")
    else:
        render_text(outcome.flow, outcome.result, console(), sla=sla, scrub=outcome.scrub)
    for note in outcome.notes + (outcome.hints if verbose else []):
        sys.stderr.write(f"flowgen: {note}\n")
    if trace is not None:
        sys.stderr.write(f"flowgen: wrote spans to {trace}\n")
    raise typer.Exit(outcome.exit_code)


@with_option_groups
def test(
    flows: Annotated[list[Path], typer.Argument(metavar="FLOW", help="The flow file (two with --compare).")],
    compare: Annotated[
        bool,
        typer.Option("--compare", help="Run two flows under the first one's load, chaos and thresholds."),
    ] = False,
    events: Annotated[
        int | None, typer.Option("--events", "-n", metavar="N", help="Send N events (overrides tests.load).")
    ] = None,
    rate: Annotated[
        str | None,
        typer.Option("--rate", metavar="RATE", help="Arrival rate, e.g. 50/s (overrides tests.load)."),
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option("--duration", metavar="DURATION", help="Stop sending after this long, e.g. 30s."),
    ] = None,
    seed: Annotated[
        int, typer.Option(metavar="N", help="Seed of events, faults, simulated latencies and jitter.")
    ] = 0,
    chaos: Annotated[
        list[str] | None,
        typer.Option(
            "--chaos",
            metavar="FAULT",
            help="Add a fault to tests.chaos; repeatable. The syntax is below the options.",
        ),
    ] = None,
    flow_chaos: Annotated[
        bool,
        typer.Option("--flow-chaos/--no-flow-chaos", help="Use the flow's tests.chaos (off: a baseline)."),
    ] = True,
    format: FormatOption = DataFormat.text,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", metavar="FILE", help="Write a self-contained HTML report with charts to FILE."
        ),
    ] = None,
    virtual_time: Annotated[
        bool,
        typer.Option(
            "--virtual-time",
            help="Simulated time (sim provider): waits elapse at once and CPU time counts as zero, "
            "so a long test takes a fraction of a second.",
        ),
    ] = False,
    models: ModelProvider = ModelProvider(),
    k6_compatible: K6CompatibleOption = False,
    dead_letter: Annotated[
        Path | None, dead_letter_option("Keep the test's dead letters in FILE (default: discarded).")
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
            "--drain-limit",
            metavar="DURATION",
            help="Cancel what still runs this long after the last arrival (e.g. a hang).",
        ),
    ] = "2m",
    force: ForceOption = False,
) -> None:
    """Load-test a flow with chaos on the local engine: latency, SLA attainment, thresholds.

    Sends synthetic events on the open model (tests.load: constant-arrival-rate,
    ramping-arrival-rate or burst), varied from trigger.example within event_schema
    (half of them put on either side of what the steps' `if:` compare event fields
    with, so each branch runs), injects tests.chaos faults (and --chaos ones) at the
    provider boundary, and reports
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

      flowgen test flow.yaml -n 50 --chaos "model:fast:timeout@0.1" -f json

      flowgen test --compare before.yaml after.yaml
    """
    from copilot.flow.units import parse_duration, parse_rate
    from copilot.run.loadtest import TestOptions, exit_code, run_tests
    from copilot.run.report import live_progress, render_html, render_json, render_text

    refuse_overwrite("--report", report, force)
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
    if virtual_time and models.provider is not RunProvider.sim:
        fail("--virtual-time only makes sense with --provider sim (a real server takes real time)")
    try:
        with live_progress(console(stderr=True)) as progress:
            options = TestOptions(
                events=events,
                rate=rate_value,
                duration=duration_value,
                seed=seed,
                chaos=tuple(chaos or ()),
                flow_chaos=flow_chaos,
                k6_compatible=k6_compatible,
                virtual_time=virtual_time,
                provider=models.provider.value,
                base_url=models.base_url,
                dead_letter=str(dead_letter) if dead_letter is not None else None,
                rate_limits=rate_limits,
                drain_limit=drain_value,
                model_override=models.model_override,
            )
            results = run_tests([str(f) for f in flows], options, compare=compare, progress_factory=progress)
        if report is not None:
            from copilot.flow.dump import write_atomic

            write_atomic(report, render_html(results, graph=_report_graph(results)))
    except FlowgenError as exc:
        fail(exc)
    if format is DataFormat.json:
        sys.stdout.write(render_json(results))
    else:
        render_text(results, console())
    if report is not None:
        sys.stderr.write(f"flowgen: wrote {report}\n")
    raise typer.Exit(exit_code(results))


def _report_graph(results: list) -> str | None:
    """The scenario with the first flow's measurements on it, for the HTML report (issue 15);
    None when it cannot be drawn, so the report is still written."""
    import json

    from copilot.graph.render import test_report_svg
    from copilot.run.report import render_json

    try:
        measured = json.loads(render_json(results[:1]))
        return test_report_svg(results[0].setup.path, measured)
    except (FlowgenError, OSError, ValueError):
        return None


def _chaos_syntax() -> str:
    """The whole `--chaos` syntax, shown after the options at full width (read when the help is built)."""
    from copilot.run.chaos import CHAOS_HELP

    return CHAOS_HELP


test.epilog = _chaos_syntax  # type: ignore[attr-defined]
