"""The `flowgen` command line (see `copilot.cli.app`).

Thin by design: each command parses its options, calls one function, and renders the
result. Heavy libraries (pydantic models, openai, opentelemetry, temporalio, starlette)
are imported inside the commands that need them, so `flowgen lint` starts fast.

Importing this package imports neither Typer nor the application: the console script
(`main`) answers `--version` and a plain `flowgen validate FILE...` without them
(`copilot.cli.entry`, with the bench figure), and `app`, `COMMANDS`, `DataFormat`,
`console` and `fail` are loaded on first use.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from copilot.cli.entry import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from copilot.cli.app import COMMANDS, app
    from copilot.cli.common import DataFormat, console, fail

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


def main() -> None:
    """Console-script entry point: a plain `validate` without Typer, the rest through it."""
    argv = sys.argv[1:]
    if argv == ["--version"]:
        # Answer before Typer is even imported: `--version` is what scripts probe.
        from copilot import __version__

        sys.stdout.write(f"flowgen {__version__}\n")
        return
    from copilot.cli.entry import plain_validate_request, run_plain_validate

    request = plain_validate_request(argv)
    if request is not None:
        run_plain_validate(request)
        return
    from copilot.cli.app import main as typer_main

    typer_main()


# name -> the module that defines it: the three helpers all live in cli.common
_LAZY = {"COMMANDS": "copilot.cli.app"} | dict.fromkeys(
    ("DataFormat", "console", "fail"), "copilot.cli.common"
)


def __getattr__(name: str) -> Any:
    """`COMMANDS`, `DataFormat`, `console`, `fail`: imported on first use (they import Typer)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


class _Package(types.ModuleType):
    """This package, whose `app` is always the Typer application, never the module of that name.

    The submodule `copilot.cli.app` and the application `app` share a name. Importing the
    submodule binds the name on this package (the import system sets the attribute once the
    submodule has run); when this file imported the application eagerly it bound `app`
    afterwards and won. Imported lazily, the application is this property, and the import
    system's binding of the submodule is ignored, so `from copilot.cli import app` is the
    application whatever was imported first. The submodule stays `sys.modules["copilot.cli.app"]`.
    """

    @property
    def app(self) -> Any:
        from copilot.cli.app import app

        return app

    @app.setter
    def app(self, value: Any) -> None:
        if not isinstance(value, types.ModuleType):
            raise AttributeError("copilot.cli.app is the Typer application; patch copilot.cli.app.app")


sys.modules[__name__].__class__ = _Package
