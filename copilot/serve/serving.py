"""Run the app under uvicorn: one process, or `--workers N` sharing one socket and one store.

The flows are loaded (and every start-up error raised, one line) before uvicorn starts;
with several workers each process builds its own `Server` from the same options
(`copilot.serve.app.app_from_environment`), and they share the SQLite store. uvloop and
httptools are used where installed (uvicorn's `auto`).
"""

from __future__ import annotations

import os

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
        uvicorn.run("copilot.serve.app:app_from_environment", factory=True, workers=options.workers, **common)
    else:
        uvicorn.run(server.app, **common)
