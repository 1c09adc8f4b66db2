"""What every command module shares: exit codes, the one-line failure, the console, and the
options more than one command takes.

Command modules import from here (downwards); `copilot.cli.app` imports the command
modules only when their command is invoked, so nothing here may import a command module.

An option two commands share is declared once, below, as an `Annotated` type
(`format: FormatOption = DataFormat.text`): its flag, metavar and help cannot drift apart
between commands, as `--provider` once did (a plain string in `draft`, an enum in `run`).
Options that always travel together (the Temporal Cloud connection, a brief's targets)
are one `OptionGroup`: declared once, read once, by every command that takes them.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar, get_type_hints

import typer

from copilot.cli.entry import EXIT_USAGE  # defined where the command line ends, without Typer
from copilot.errors import FlowgenError

if TYPE_CHECKING:
    from rich.console import Console


class DataFormat(str, Enum):
    """`--format` of a command whose output is data: a report for people, or JSON."""

    text = "text"
    json = "json"


class RunProvider(str, Enum):
    """Who answers a flow's model calls on the engine: simulated, or an OpenAI-compatible server."""

    sim = "sim"
    openai = "openai"


class DraftProvider(str, Enum):
    """Who drafts: `auto` is `openai` when a key or base URL is configured, else `offline`."""

    auto = "auto"
    offline = "offline"
    openai = "openai"


def format_option(help: str) -> Any:
    """`--format` / `-f FORMAT`, for a command whose choices are an enum of its own."""
    return typer.Option("--format", "-f", metavar="FORMAT", help=help)


def out_option(help: str) -> Any:
    """`--out` / `-o PATH`, for a command whose output goes elsewhere than stdout by default."""
    return typer.Option("--out", "-o", metavar="PATH", help=help)


FormatOption = Annotated[DataFormat, format_option("text or json.")]
OutOption = Annotated[str | None, out_option("Write to PATH instead of stdout ('-': stdout).")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an output file that exists.")]
ProviderOption = Annotated[
    RunProvider,
    typer.Option(
        "--provider",
        metavar="PROVIDER",
        help="sim (offline, catalog latencies) or openai (any compatible server).",
    ),
]
DraftProviderOption = Annotated[
    DraftProvider,
    typer.Option(
        "--provider",
        metavar="PROVIDER",
        help="auto (openai when a key or base URL is set, else offline), offline or openai.",
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", metavar="URL", help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL)."),
]
LatencyScaleOption = Annotated[
    float, typer.Option("--latency-scale", metavar="X", help="Sim provider: scale simulated latencies.")
]
LiveHttpOption = Annotated[
    bool, typer.Option("--live-http/--sim-http", help="Send http steps for real (default) or simulate them.")
]
ModelsFileOption = Annotated[
    Path | None,
    typer.Option("--models", metavar="FILE", help="Extra catalog (JSON or YAML) that extends or overrides."),
]
ModelOverrideOption = Annotated[
    str | None,
    typer.Option(
        "--model-override",
        metavar="MODEL",
        help="Send every model call to this model name (openai; e.g. a local server's model).",
    ),
]
K6CompatibleOption = Annotated[
    bool,
    typer.Option(
        "--k6-compatible",
        help="Thresholds must be plain k6 (FG803): no unit (1500ms), no count on a trend or rate.",
    ),
]
TemporalAddressOption = Annotated[
    str, typer.Option("--address", metavar="HOST:PORT", help="The Temporal server.")
]
TemporalNamespaceOption = Annotated[str, typer.Option(metavar="NAME", help="The Temporal namespace.")]
TemporalTaskQueueOption = Annotated[
    str, typer.Option("--task-queue", metavar="NAME", help="The Temporal task queue the workers poll.")
]


def dead_letter_option(help: str) -> Any:
    """`--dead-letter FILE`: where events that failed for good are kept; `help` says the default."""
    return typer.Option("--dead-letter", metavar="FILE", help=help)


class OptionGroup:
    """Base of a dataclass whose fields are options that several commands take together.

    A command parameter annotated with a subclass (`access: TemporalAccess = TemporalAccess()`)
    stands, in the command line and its help, for the fields' options in field order; the
    command receives one instance (`with_option_groups`). The fields are declared like any
    parameter (`provider: ProviderOption = RunProvider.sim`), and what the group means (its
    conversions) is a method, so no command lists the options or converts them again.
    """


Command = TypeVar("Command", bound=Callable[..., Any])


def with_option_groups(command: Command) -> Command:
    """`command` as Typer should see it: each `OptionGroup` parameter spelled out as its fields.

    Typer reads a command's parameters from its signature; the returned function shows the
    expanded one and gathers the fields' values back into the group before calling `command`.
    """
    signature = inspect.signature(command, eval_str=True)
    params: list[inspect.Parameter] = []
    groups: dict[str, type[OptionGroup]] = {}
    for param in signature.parameters.values():
        group = param.annotation
        if not (isinstance(group, type) and issubclass(group, OptionGroup)):
            params.append(param)
            continue
        groups[param.name] = group
        hints = get_type_hints(group, include_extras=True)
        params.extend(
            param.replace(name=field.name, annotation=hints[field.name], default=_field_default(field))
            for field in dataclasses.fields(group)  # type: ignore[arg-type]
        )

    @functools.wraps(command)
    def grouped(**options: Any) -> Any:
        for name, group in groups.items():
            fields = [field.name for field in dataclasses.fields(group)]  # type: ignore[arg-type]
            # a field Typer did not pass (a direct call) keeps the group's default
            options[name] = group(**{field: options.pop(field) for field in fields if field in options})
        return command(**options)

    grouped.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    # Typer resolves the hints too: the expanded ones, not the group's name
    grouped.__annotations__ = {param.name: param.annotation for param in params}
    return grouped  # type: ignore[return-value]


def _field_default(field: dataclasses.Field[Any]) -> Any:
    """A group field's default as a parameter's (none: a required argument or option)."""
    return inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default


@dataclass(frozen=True)
class ModelProvider(OptionGroup):
    """Who answers a flow's model calls on the local engine, and where (`run`, `test`)."""

    provider: ProviderOption = RunProvider.sim
    base_url: BaseUrlOption = None
    model_override: ModelOverrideOption = None


def fail(error: FlowgenError | str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line on stderr and exit (2 by default): the only way bad input ends."""
    text = str(error)
    located = isinstance(error, FlowgenError) and error.path
    sys.stderr.write(f"{text}\n" if located else f"flowgen: error: {text}\n")
    raise typer.Exit(code)


def print_or_fail(render: Callable[[], str]) -> None:
    """Print the text `render` returns; a FlowgenError it raises is the one-line failure."""
    try:
        text = render()
    except FlowgenError as exc:
        fail(exc)
    sys.stdout.write(text)


def console(stderr: bool = False) -> Console:
    """A Rich console that honours NO_COLOR and a non-TTY output."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal (CI logs, pipes) Rich would wrap tables at 80 columns; COLUMNS still wins.
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def refuse_overwrite(option: str, path: Path | str | None, force: bool) -> None:
    """An output file that exists is replaced only with --force: one line, exit 2."""
    if path is None or force or str(path) == "-":
        return
    target = Path(path)
    if target.is_dir():
        fail(f"{option} {path}: is a directory")
    if target.exists() or target.is_symlink():
        fail(f"{option} {path}: the file exists; pass --force to replace it")
