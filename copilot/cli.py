"""The `flowgen` command line.

Thin by design: each command parses its options, calls one function, and renders the
result. Heavy libraries (pydantic models, openai, opentelemetry, temporalio, starlette)
are imported inside the commands that need them, so `flowgen lint` starts fast.

Every user-facing failure is a `FlowgenError`: one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from copilot import __version__
from copilot.errors import FlowgenError

app = typer.Typer(
    name="flowgen",
    help=(
        "Draft, lint and run production-ready realtime AI automation flows.\n\n"
        "A flow file (apiVersion: flowgen/v1) describes a trigger, model/retrieval/http steps, "
        "the response and its SLA. flowgen checks it for production readiness (timeouts, "
        "fallbacks, idempotency, rate limits, validation, pinned RAG, observability) and runs it."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class DataFormat(str, Enum):
    text = "text"
    json = "json"


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def fail(error: FlowgenError | str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line on stderr and exit (2 by default): the only way bad input ends."""
    text = str(error)
    sys.stderr.write(
        f"flowgen: error: {text}\n" if not isinstance(error, FlowgenError) or not error.path else f"{text}\n"
    )
    raise typer.Exit(code)


def console(stderr: bool = False):
    """A Rich console that honours NO_COLOR and a non-TTY output."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal (CI logs, pipes) Rich would wrap tables at 80 columns.
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


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


# ---------------------------------------------------------------------------- validate


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Flow files to check ('-' for stdin).")],
    format: Annotated[DataFormat, typer.Option("--format", "-f", help="text or json.")] = DataFormat.text,
    summary: Annotated[
        bool, typer.Option(help="Show each flow's hot path, latency and cost estimate.")
    ] = True,
) -> None:
    """Check flow files against the schema and the graph rules (what the engine needs to load them).

    Exit 0 when every file is valid, 1 when a flow has a graph error (unknown reference,
    cycle, duplicate id, sync step needing an async one), 2 when a file cannot be read,
    parsed or does not match the schema.

    Examples:

      flowgen validate examples/flows/*.yaml

      flowgen validate flow.yaml --format json
    """
    from copilot.validate import render_validation, validate_files

    results = validate_files([str(f) for f in files])
    render_validation(results, format.value, summary=summary, out=console())
    raise typer.Exit(max((r.exit_code for r in results), default=0))


# ---------------------------------------------------------------------------- schema


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to a file instead of stdout.")
    ] = None,
) -> None:
    """Print the flow JSON Schema (generated from the models; every field documented).

    Point your editor at it with a modeline as the first line of a flow file:

      # yaml-language-server: $schema=./flow.schema.json
    """
    from copilot.flow.dump import write_atomic
    from copilot.flow.schema import schema_text

    text = schema_text()
    if out is None or str(out) == "-":
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)


# ---------------------------------------------------------------------------- models


@app.command()
def models(
    format: Annotated[DataFormat, typer.Option("--format", "-f", help="text or json.")] = DataFormat.text,
    tier: Annotated[str | None, typer.Option(help="Only this tier: fast, balanced or heavy.")] = None,
    models_file: Annotated[
        Path | None, typer.Option("--models", help="Extra catalog (JSON or YAML) that extends or overrides.")
    ] = None,
) -> None:
    """The model catalog: tier, latency p50/p95 (estimates), price, context window, limits.

    Use an id in a flow as `models: {fast: {use: openai/gpt-4o-mini-2024-07-18}}`, and
    override any figure per alias (latency, price, limits, context_window).
    """
    from copilot.catalog import load_catalog
    from copilot.catalog.render import render_catalog

    try:
        catalog = load_catalog(models_file)
    except FlowgenError as exc:
        fail(exc)
    if tier is not None and tier not in ("fast", "balanced", "heavy"):
        fail(f"--tier must be fast, balanced or heavy, not {tier!r}")
    render_catalog(catalog, format.value, tier=tier, out=console())


def main() -> None:
    """Console-script entry point: no traceback ever reaches a user for bad input."""
    try:
        app()
    except FlowgenError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.stderr.write("flowgen: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
