"""The `flowgen` command line (see `copilot.cli.app`).

Thin by design: each command parses its options, calls one function, and renders the
result. Heavy libraries (pydantic models, openai, opentelemetry, temporalio, starlette)
are imported inside the commands that need them, so `flowgen lint` starts fast.
"""

from copilot.cli.app import COMMANDS, app, main
from copilot.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, DataFormat, console, fail

__all__ = [
    "COMMANDS",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "DataFormat",
    "app",
    "console",
    "fail",
    "main",
]
