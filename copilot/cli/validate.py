"""`flowgen validate`, `schema` and `models`: what a flow file is and what it may use."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.common import DataFormat, FormatOption, ModelsFileOption, console, fail, out_option
from copilot.errors import FlowgenError


def validate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="Flow files to check ('-' for stdin).")],
    format: FormatOption = DataFormat.text,
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
    from copilot.styled import wants_rich
    from copilot.validate import check_files

    # Off a terminal the report is plain text: Rich's console is not even imported. (A plain
    # command line off a terminal does not come here: `copilot.cli.entry` runs it.)
    out = console() if wants_rich(sys.stdout) else None
    raise typer.Exit(check_files([str(f) for f in files], format.value, summary=summary, out=out))


def schema(
    out: Annotated[
        str | None,
        out_option("Write to this file, or to flow.schema.json inside this folder, instead of stdout."),
    ] = None,
) -> None:
    """Print the flow JSON Schema (generated from the models; every field documented).

    Editors find it through a modeline, the first line of a flow file (`flowgen draft`
    writes both, the schema beside the flow):

      # yaml-language-server: $schema=./flow.schema.json

    Write it into the folder of your flows with `flowgen schema --out flows/`. In VS Code
    you can instead map it in settings.json, under "yaml.schemas", to "flows/*.yaml".
    """
    from copilot.flow.dump import write_atomic
    from copilot.flow.schema import schema_text

    text = schema_text()
    if out is None or out == "-":
        sys.stdout.write(text)
    else:
        # A folder (existing, or named with a trailing slash) gets the name editors expect.
        folder = out.endswith(("/", "\\")) or Path(out).is_dir()
        target = Path(out) / "flow.schema.json" if folder else Path(out)
        try:
            write_atomic(target, text)
        except OSError as exc:
            fail(FlowgenError(f"{target}: cannot write: {exc.strerror or exc}"))
        typer.echo(f"wrote {target}", err=True)


def models(
    format: FormatOption = DataFormat.text,
    tier: Annotated[str | None, typer.Option(help="Only this tier: fast, balanced or heavy.")] = None,
    models_file: ModelsFileOption = None,
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
