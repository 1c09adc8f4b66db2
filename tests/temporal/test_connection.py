"""The connection to a Temporal service that wants TLS, a client certificate or an API key
(Temporal Cloud), checked offline: what reaches `Client.connect`, and the one-line refusals
of `flowgen worker` (exit 2, no traceback, the key never printed) against the plain dev server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, TLSConfig

from copilot.errors import FlowgenError
from copilot.temporal.client import Credentials, connect

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "examples" / "flows" / "naive-support-triage.yaml"
KEY = "tmprl-test-key-0123456789abcdef"  # what the variable holds: never on a command line or in output


def worker(
    address: str, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "copilot", "worker", str(FLOW), "--address", address, *options]
    return subprocess.run(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=60
    )


def one_line_refusal(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("flowgen: error:")]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert KEY not in done.stderr + done.stdout
    return errors[0]


def test_tls_to_the_plain_dev_server_fails_in_one_line(temporal_address: str) -> None:
    line = one_line_refusal(worker(temporal_address, "--tls"))
    assert line == (
        f"flowgen: error: cannot reach Temporal at {temporal_address}: "
        "it does not speak TLS (the dev server does not: drop --tls and --api-key)"
    )


def test_an_api_key_is_read_from_its_variable_and_never_printed(temporal_address: str) -> None:
    done = worker(
        temporal_address, "--api-key", "${env:FLOWGEN_TEST_API_KEY}", env={"FLOWGEN_TEST_API_KEY": KEY}
    )
    assert "does not speak TLS" in one_line_refusal(done)  # the key implies TLS


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--api-key", KEY], "--api-key takes `${env:NAME}`"),
        (
            ["--api-key", "${env:FLOWGEN_TEST_UNSET}"],
            "the environment variable FLOWGEN_TEST_UNSET is not set",
        ),
        (["--tls-cert", "client.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "missing.pem", "--tls-key", "missing.key"], "--tls-cert missing.pem: No such file"),
    ],
)
def test_bad_credentials_are_refused_before_connecting(options: list[str], says: str) -> None:
    # port 1: nothing listens; every refusal here comes before a connection is tried
    assert says in one_line_refusal(worker("127.0.0.1:1", *options))


def test_the_options_reach_client_connect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key, ca = tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "ca.pem"
    for path in (cert, key, ca):
        path.write_bytes(f"-----BEGIN {path.name}-----\n".encode())
    seen: dict[str, Any] = {}

    async def fake_connect(target: str, **options: Any) -> str:
        seen.update(options, target=target)
        return "client"

    monkeypatch.setattr(Client, "connect", fake_connect)
    monkeypatch.setenv("FLOWGEN_TEST_API_KEY", KEY)
    access = Credentials(
        tls_cert=str(cert), tls_key=str(key), tls_ca=str(ca), api_key="${env:FLOWGEN_TEST_API_KEY}"
    )
    asyncio.run(connect("ns.acct.tmprl.cloud:7233", "ns.acct", tracing=False, credentials=access))
    assert (seen["target"], seen["namespace"], seen["api_key"]) == (
        "ns.acct.tmprl.cloud:7233",
        "ns.acct",
        KEY,
    )
    assert seen["tls"] == TLSConfig(
        server_root_ca_cert=ca.read_bytes(),
        client_cert=cert.read_bytes(),
        client_private_key=key.read_bytes(),
    )
    seen.clear()
    asyncio.run(connect("127.0.0.1:7233", tracing=False))  # the dev server: plain gRPC, no key
    assert (seen["tls"], seen["api_key"]) == (False, None)
    seen.clear()
    asyncio.run(connect("h:7233", tracing=False, credentials=Credentials(tls=True)))
    assert seen["tls"] == TLSConfig()  # the system's CAs


def test_a_literal_key_is_refused_by_the_credentials_themselves() -> None:
    with pytest.raises(FlowgenError, match="not the key itself") as refused:
        Credentials(api_key=KEY)
    assert KEY not in str(refused.value)


def run_temporal(*options: str, env: dict[str, str] | None = None) -> Any:
    """`flowgen run FLOW --engine temporal OPTIONS…` in this process (Client.connect may be faked)."""
    from typer.testing import CliRunner

    from copilot.cli.app import app

    command = ["run", str(FLOW), "--instant", "--engine", "temporal", *options]
    return CliRunner().invoke(app, command, env=env)


def test_run_takes_the_connection_options_of_worker_and_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --engine temporal` reads --namespace, --tls*, --api-key with the same options
    and `credentials` as `worker` and `serve` (copilot.cli.temporal): the same Client.connect."""
    cert, key, ca = tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "ca.pem"
    for path in (cert, key, ca):
        path.write_bytes(f"-----BEGIN {path.name}-----\n".encode())
    seen: list[dict[str, Any]] = []

    async def fake_connect(target: str, **options: Any) -> str:
        seen.append({**options, "target": target})
        raise RuntimeError("Connection refused: ConnectionRefused")  # as the core says it, offline

    monkeypatch.setattr(Client, "connect", fake_connect)
    done = run_temporal(
        "--address", "ns.acct.tmprl.cloud:7233", "--namespace", "ns.acct", "--tls-cert", str(cert),
        "--tls-key", str(key), "--tls-ca", str(ca), "--api-key", "${env:FLOWGEN_TEST_API_KEY}",
        env={"FLOWGEN_TEST_API_KEY": KEY},
    )  # fmt: skip
    assert done.exit_code == 2, done.output
    assert "cannot reach Temporal at ns.acct.tmprl.cloud:7233: nothing listens there" in done.output
    assert KEY not in done.output
    ((options,),) = [seen]
    assert (options["target"], options["namespace"], options["api_key"]) == (
        "ns.acct.tmprl.cloud:7233",
        "ns.acct",
        KEY,
    )
    assert options["tls"] == TLSConfig(
        server_root_ca_cert=ca.read_bytes(),
        client_cert=cert.read_bytes(),
        client_private_key=key.read_bytes(),
    )
    seen.clear()
    assert run_temporal("--tls").exit_code == 2
    assert (seen[0]["target"], seen[0]["namespace"], seen[0]["tls"], seen[0]["api_key"]) == (
        "127.0.0.1:7233",
        "default",
        TLSConfig(),
        None,
    )


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--api-key", KEY], "--api-key takes `${env:NAME}`"),
        (["--api-key", "${env:FLOWGEN_TEST_UNSET}"], "variable FLOWGEN_TEST_UNSET is not set"),
        (["--tls-key", "client.key"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "missing.pem", "--tls-key", "missing.key"], "--tls-cert missing.pem: No such file"),
        (["--activities", "sideways"], "--activities sideways: one of remote, local"),
    ],
)
def test_run_refuses_bad_temporal_options_in_one_line(options: list[str], says: str) -> None:
    done = run_temporal("--address", "127.0.0.1:1", *options)  # nothing listens: refused before
    assert done.exit_code == 2 and "Traceback" not in done.output, done.output
    errors = [line for line in done.output.splitlines() if line.startswith("flowgen: error:")]
    assert len(errors) == 1 and says in errors[0], done.output
    assert KEY not in done.output


def test_run_refuses_an_unknown_engine() -> None:
    from typer.testing import CliRunner

    from copilot.cli.app import app

    done = CliRunner().invoke(app, ["run", str(FLOW), "--instant", "--engine", "temporl"])
    assert done.exit_code == 2
    assert "flowgen: error: --engine temporl: `local` or `temporal`" in done.output
