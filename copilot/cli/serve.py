"""`flowgen serve` and `flowgen replay`: flows as webhook endpoints, and their dead letters again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.common import (
    BaseUrlOption,
    LatencyScaleOption,
    LiveHttpOption,
    ProviderOption,
    RunProvider,
    TemporalAddressOption,
    TemporalNamespaceOption,
    TemporalTaskQueueOption,
    dead_letter_option,
    fail,
    with_option_groups,
)
from copilot.cli.temporal import ActivitiesOption, TemporalAccess
from copilot.errors import FlowgenError


@with_option_groups
def serve(
    flows: Annotated[list[Path], typer.Argument(metavar="FLOW", help="Flow files, or a folder of them.")],
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(metavar="N", help="Worker processes sharing the port and store.")
    ] = 1,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Serve flows without `auth` on a non-loopback address.")
    ] = False,
    state_dir: Annotated[
        Path, typer.Option("--state-dir", metavar="DIR", help="Where the SQLite store lives.")
    ] = Path(".flowgen/serve"),
    dead_letter: Annotated[
        Path | None, dead_letter_option("Dead-letter file (default DIR/dead-letter.jsonl).")
    ] = None,
    drain_timeout: Annotated[
        float,
        typer.Option("--drain-timeout", metavar="SECONDS", help="How long SIGTERM waits for work in flight."),
    ] = 30.0,
    max_body: Annotated[int, typer.Option("--max-body", metavar="BYTES", help="Largest request body.")] = 1024
    * 1024,
    queue: Annotated[
        int | None,
        typer.Option(
            metavar="N", help="Deliveries waiting for a slot, per flow (default: trigger.concurrency)."
        ),
    ] = None,
    provider: ProviderOption = RunProvider.sim,
    latency_scale: LatencyScaleOption = 1.0,
    base_url: BaseUrlOption = None,
    live_http: LiveHttpOption = True,
    engine: Annotated[
        str,
        typer.Option(
            metavar="ENGINE",
            help="local, or temporal: the steps run on `flowgen worker`s (--address, --namespace, "
            "--task-queue).",
        ),
    ] = "local",
    address: TemporalAddressOption = "127.0.0.1:7233",
    namespace: TemporalNamespaceOption = "default",
    task_queue: TemporalTaskQueueOption = "flowgen",
    activities: ActivitiesOption = "remote",
    access: TemporalAccess = TemporalAccess(),
) -> None:
    """Serve flows' webhook triggers over HTTP: signatures, idempotency, limits, drain.

    Each flow is served on its `trigger.path`; `/healthz` and `/readyz` too. SIGTERM
    drains: new deliveries get 503, work in flight finishes up to --drain-timeout, the
    rest is dead-lettered for `flowgen replay`.

    Examples:

      flowgen serve examples/flows/support-triage.yaml --port 8080

      flowgen serve flows/ --workers 2 --drain-timeout 20

      flowgen serve flows/triage.yaml --engine temporal --task-queue triage
    """
    from copilot.serve.app import ServeOptions
    from copilot.serve.engines import EngineFactory, local_engine
    from copilot.serve.serving import serve as run_server

    engines: EngineFactory = local_engine
    if engine == "temporal":
        from copilot.temporal.serving import TemporalEngines

        try:
            engines = TemporalEngines(
                address, namespace, task_queue, credentials=access.credentials(), activities=activities
            )
        except FlowgenError as exc:
            fail(exc)
    elif engine != "local":
        fail(f"--engine {engine}: `local` or `temporal`")
    options = ServeOptions(
        flows=[str(f) for f in flows], host=host, port=port, workers=workers, insecure=insecure,
        state_dir=str(state_dir), dead_letter=str(dead_letter) if dead_letter else None,
        drain_timeout=drain_timeout, max_body=max_body, queue=queue, provider=provider.value,
        latency_scale=latency_scale, base_url=base_url, live_http=live_http,
    )  # fmt: skip
    try:
        run_server(options, engines)
    except FlowgenError as exc:
        fail(exc)


def replay(
    dead_letter: Annotated[Path, typer.Argument(metavar="DEADLETTER", help="The server's dead-letter file.")],
    to: Annotated[
        str, typer.Option("--to", metavar="URL", help="The server to deliver to.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Deliver the server's dead letters again, signed, with their original idempotency keys.

    Events already finished are answered from the server's store and not run again.
    Exit 0 when every record was accepted, 1 otherwise.
    """
    from copilot.serve.replay import replay as run_replay

    try:
        outcome = run_replay(dead_letter, to=to)
    except FlowgenError as exc:
        fail(exc)
    sys.stdout.write(f"replayed {outcome.accepted} of {outcome.sent} dead-lettered events\n")
    for failure in outcome.failures:
        sys.stderr.write(f"flowgen: {failure}\n")
    raise typer.Exit(outcome.exit_code)
