"""The `flowgen` application: the Typer app, its lazily built commands, and `main`.

Each command lives in a module of this package by command group (`validate`, `lint`,
`run`, `draft`) as a plain function with annotated parameters; `COMMANDS` says where.
The group is click's lazy group (`list_commands` / `get_command`): `flowgen lint x.yaml`
imports and builds only `lint`, because Typer converts every parameter of a command it
builds (a pydantic adapter each), which costs more than linting a small file. Only
`flowgen --help` builds them all.

Help is written for 80 columns and a pipe: docstring paragraphs are unwrapped here so
that Rich wraps them to the terminal, indented lines (examples) are kept as written, and
every parameter shows a plain metavar (`FILE`, `DURATION`), never a Python type.

Every user-facing failure is a `FlowgenError`: one line on stderr and exit code 2.

Shell completion is Typer's (`flowgen --install-completion`, `--show-completion`); it walks
the same lazy group, so completing `flowgen lint --format ` builds only `lint`.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from copilot import __version__
from copilot.cli.entry import BATCH_COMMANDS, batch_gc, is_click_error, run_guarded
from copilot.cli.entry import BATCH_GC_THRESHOLD as BATCH_GC_THRESHOLD  # re-exported: where it was
from copilot.cli.entry import EXTRA_FOR_MODULE as EXTRA_FOR_MODULE  # re-exported: where it was
from copilot.errors import did_you_mean

# command name -> (module, function), in the order `flowgen --help` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("copilot.cli.validate", "validate"),
    "schema": ("copilot.cli.validate", "schema"),
    "models": ("copilot.cli.validate", "models"),
    "lint": ("copilot.cli.lint", "lint"),
    "rules": ("copilot.cli.lint", "rules"),
    "explain": ("copilot.cli.lint", "explain"),
    "checklist": ("copilot.cli.lint", "checklist"),
    "run": ("copilot.cli.run", "run"),
    "test": ("copilot.cli.run", "test"),
    "draft": ("copilot.cli.draft", "draft"),
    "prompt": ("copilot.cli.draft", "prompt"),
    "serve": ("copilot.cli.serve", "serve"),
    "replay": ("copilot.cli.serve", "replay"),
    "graph": ("copilot.cli.graph", "graph"),
    "pin": ("copilot.cli.pin", "pin"),
    "init": ("copilot.cli.init", "init"),
    "worker": ("copilot.cli.temporal", "worker"),
    "dev-server": ("copilot.cli.temporal", "dev_server"),
}

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def help_text(doc: str | None) -> str:
    """A docstring as help: each paragraph on one line for Rich to wrap, indented lines kept.

    Docstrings are wrapped at the source's width; Rich keeps single line breaks, so without
    this a paragraph would be wrapped twice into ragged lines at 80 columns.
    """
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    out = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        indented = any(line.startswith(" ") for line in lines)
        out.append(paragraph if indented else " ".join(line.strip() for line in lines))
    return "\n\n".join(out)


class _PlainArgument(TyperArgument):
    """An argument shown by its metavar alone: `PATH...`, not `{paths}... <list[str]>`."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        return name if self.required else f"[{name}]"


def plain_metavars(params: list[Any]) -> None:
    """Give every parameter a plain metavar for the help (see `FlowgenCommand`)."""
    for param in params:
        if isinstance(param, TyperArgument):
            name = param.metavar or (param.name or "").upper()
            if param.nargs != 1 and not name.endswith("..."):
                name += "..."
            param.metavar = name
            param.__class__ = _PlainArgument
        elif isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = "" if param.is_flag else (param.name or "").upper()


class _PlainMetavars:
    """Mixin: plain metavars for a command's own parameters and for its `--help` option."""

    params: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_metavars(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            plain_metavars([option])
        return option


class FlowgenCommand(_PlainMetavars, TyperCommand):
    """A command whose help shows plain metavars.

    A value option without a `metavar=` shows its name in capitals (`--tier TIER`); a flag
    shows none (Typer would print `<bool>`); an argument shows its metavar with `...` when
    it takes several. Typer builds its own parameter classes, so arguments are switched to
    `_PlainArgument` here (same state, two display methods overridden).
    """


def build_command(name: str, function: Callable[..., Any]) -> Any:
    """The click command for `function`, through Typer's public `get_command`.

    `function.epilog`, when set, is a callable returning text shown after the options (at
    full width, unlike an option's help cell).
    """
    epilog = getattr(function, "epilog", None)
    one = typer.Typer(add_completion=False, context_settings=CONTEXT_SETTINGS)
    one.command(
        name,
        cls=FlowgenCommand,
        help=help_text(function.__doc__),
        epilog=help_text(epilog()) if epilog is not None else None,
    )(function)
    return typer.main.get_command(one)


class LazyCommands(_PlainMetavars, TyperGroup):
    """click's lazy group: a command is imported and built when it is looked up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built: dict[str, Any] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self._built:
            module_name, function_name = COMMANDS[cmd_name]
            function = getattr(importlib.import_module(module_name), function_name)
            self._built[cmd_name] = build_command(cmd_name, function)
        return self._built[cmd_name]

    def get_params(self, ctx: Any) -> list[Any]:
        # Typer appends --install-completion and --show-completion after the group is built.
        params: list[Any] = super().get_params(ctx)
        plain_metavars(params)
        return params

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:
            # Typer suggests from the commands it has built; these are built on demand.
            message = getattr(exc, "message", None)
            if is_click_error(exc) and args and isinstance(message, str) and "mean" not in message:
                hint = did_you_mean(args[0], list(COMMANDS))
                exc.message = message.rstrip(".") + (f". Did{hint.removeprefix(', did')}" if hint else ".")
            raise


app = typer.Typer(
    name="flowgen",
    cls=LazyCommands,
    help=(
        "Draft, lint and run production-ready realtime AI automation flows.\n\n"
        "A flow file (apiVersion: flowgen/v1) describes a trigger, model/retrieval/http steps, "
        "the response and its SLA. flowgen checks it for production readiness (timeouts, "
        "fallbacks, idempotency, rate limits, validation, pinned RAG, observability) and runs it."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT_SETTINGS,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flowgen {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """flowgen: production-ready realtime AI automations."""


def main() -> None:
    """The command line through Typer (`copilot.cli.main` sends every command line here but a
    plain `validate`): no traceback ever reaches a user for bad input (`run_guarded`)."""
    argv = sys.argv[1:]
    if argv == ["--version"]:
        # Answer before Typer converts any parameter: `--version` is what scripts probe.
        sys.stdout.write(f"flowgen {__version__}\n")
        return

    def run() -> Any:
        # standalone_mode=False: usage errors come back as exceptions, so they are printed as
        # one line (`report_usage_error`) instead of Rich's multi-line panel.
        if argv[:1] and argv[0] in BATCH_COMMANDS:
            with batch_gc():
                return app(prog_name="flowgen", standalone_mode=False)
        return app(prog_name="flowgen", standalone_mode=False)

    run_guarded(run)
