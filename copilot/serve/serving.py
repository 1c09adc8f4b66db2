"""Run the app under uvicorn: one process, or `--workers N` sharing one socket and one store.

The flows are loaded (and every start-up error raised, one line) before uvicorn starts;
with several workers each process builds its own `Server` from the same options
(`copilot.serve.app.app_from_environment`), and they share the SQLite store. uvloop and
httptools are used where installed (uvicorn's `auto`).
"""

from __future__ import annotations

import os

from copilot.serve.app import OPTIONS_ENV, ServeOptions, Server, options_to_env


def serve(options: ServeOptions) -> None:
    """Serve until SIGTERM (drained) or SIGINT."""
    import uvicorn

    server = Server(options)  # raises the start-up errors here, before any socket is bound
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
