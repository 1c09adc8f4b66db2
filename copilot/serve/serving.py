"""Run the app under uvicorn: one process, or `--workers N` sharing one port and one store.

The flows are loaded (and every start-up error raised, one line) before uvicorn starts;
with several workers each process builds its own `Server` from the same options
(`copilot.serve.app.app_from_environment`), and they share the SQLite store. uvloop and
httptools are used where installed (uvicorn's `auto`).

Several workers each listen on a socket of their own (`SO_REUSEPORT`, where the system has
it), so the kernel spreads new connections over them: with one socket shared by every
worker, whichever worker happened to be waiting in `accept` took the connection, and a
burst of keep-alive connections opened at once could land mostly on one worker. uvicorn's
supervisor (`uvicorn.supervisors.Multiprocess`: restarts, signals, health checks) still
runs them; it hands each worker process the parent's sockets, and `WorkerSockets` is what
it hands: in the parent the port's reserved socket (bound, never listening, so it takes no
connection), and in each worker, once unpickled, a new socket bound to the same address.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from typing import Any

from copilot.errors import FlowgenError
from copilot.serve.app import OPTIONS_ENV, ServeOptions, Server, options_to_env
from copilot.serve.engines import EngineFactory, local_engine


def serve(options: ServeOptions, engines: EngineFactory = local_engine) -> None:
    """Serve until SIGTERM (drained) or SIGINT; `engines` builds each flow's engine."""
    import uvicorn

    if options.workers > 1 and engines is not local_engine:
        # each worker process rebuilds its server from the JSON options, which name no engine
        raise FlowgenError("--workers N runs the local engine only: start more servers instead")
    server = Server(options, engines=engines)  # raises the start-up errors here, before any socket is bound
    common = {
        "host": options.host,
        "port": options.port,
        "log_level": "warning",
        "access_log": False,  # the app writes its own structured access log
        "timeout_graceful_shutdown": max(options.drain_timeout, 1.0) + 5.0,
        "lifespan": "on",
    }
    if options.workers > 1:
        os.environ[OPTIONS_ENV] = options_to_env(options)
        if not hasattr(socket, "SO_REUSEPORT"):  # one shared socket, as uvicorn binds it
            uvicorn.run(
                "copilot.serve.app:app_from_environment", factory=True, workers=options.workers, **common
            )
            return
        from uvicorn.supervisors import Multiprocess

        config = uvicorn.Config(
            "copilot.serve.app:app_from_environment", factory=True, workers=options.workers, **common
        )
        with reserve(options.host, options.port) as reserved, contextlib.suppress(KeyboardInterrupt):
            Multiprocess(config, sockets=WorkerSockets(reserved)).run()
    else:
        uvicorn.run(server.app, **common)


def reserve(host: str, port: int) -> socket.socket:
    """The port's socket in the parent: bound with SO_REUSEPORT (the workers' sockets join it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides it
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FlowgenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class WorkerSockets(list):  # type: ignore[type-arg]  # of sockets
    """What uvicorn's supervisor passes each worker: unpickled there, a socket of its own."""

    def __init__(self, reserved: socket.socket) -> None:
        super().__init__([reserved])
        self.family = reserved.family
        self.address = reserved.getsockname()[:2]  # the port, resolved when it was 0

    def __reduce__(self) -> Any:
        return own_socket, (self.family, self.address)


def own_socket(family: int, address: tuple[str, int]) -> list[socket.socket]:
    """In a worker process: a new socket on the reserved address (SO_REUSEPORT)."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        from uvicorn.config import STARTUP_FAILURE

        sys.stderr.write(f"cannot listen on {address[0]}:{address[1]}: {exc}\n")
        sys.exit(STARTUP_FAILURE)  # the supervisor stops instead of restarting the worker
    sock.set_inheritable(True)
    return [sock]
