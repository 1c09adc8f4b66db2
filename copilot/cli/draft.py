"""`flowgen draft` and `flowgen prompt`: a brief to a flow file, or to the prompt that drafts one."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from copilot.cli.common import (
    BaseUrlOption,
    DataFormat,
    DraftProvider,
    DraftProviderOption,
    ForceOption,
    FormatOption,
    ModelsFileOption,
    OptionGroup,
    console,
    fail,
    out_option,
    refuse_overwrite,
    with_option_groups,
)
from copilot.errors import FlowgenError

if TYPE_CHECKING:
    from copilot.draft.request import DraftRequest


@dataclass(frozen=True)
class Brief(OptionGroup):
    """The brief and what it asks for: the argument and options `draft` and `prompt` share.

    No default is shown for an option that is unset by default (click shows none for None).
    """

    brief: Annotated[str, typer.Argument(metavar="BRIEF", help="The brief: text, @FILE, or - for stdin.")]
    event: Annotated[
        Path | None, typer.Option(metavar="FILE", help="A sample event (JSON) or its JSON Schema.")
    ] = None
    sla: Annotated[
        str | None, typer.Option(metavar="DURATION", help="Hot-path p95 latency, e.g. 1500ms.")
    ] = None
    cost_tier: Annotated[
        str | None, typer.Option(metavar="TIER", help="economy, standard (default) or premium.")
    ] = None
    budget: Annotated[float | None, typer.Option(metavar="USD", help="USD per event, e.g. 0.004.")] = None
    fallback_model: Annotated[
        str | None, typer.Option(metavar="ID", help="Catalog id every hot-path model falls back to.")
    ] = None
    models_file: ModelsFileOption = None

    def request(self) -> DraftRequest:
        """The drafting request (`copilot.draft.request.make_request`; refused: FlowgenError)."""
        from copilot.draft.request import make_request

        options = asdict(self)  # the fields are named after make_request's keywords
        return make_request(options.pop("brief"), **options)


class WireSchema(str, Enum):
    """The response schema sent to the model (copilot.draft.wire): all of it, or what it must fill."""

    compact = "compact"
    full = "full"


_Schema = Annotated[
    WireSchema | None,
    typer.Option(
        "--schema",
        metavar="SCHEMA",
        help="compact (only what the model must fill; flowgen adds the rest) or full. "
        "Default: \\[tool.flowgen] schema, else compact for a server on loopback.",
    ),
]


@with_option_groups
def draft(
    brief: Brief,
    provider: DraftProviderOption = DraftProvider.auto,
    model: Annotated[
        str | None, typer.Option(metavar="MODEL", help="Drafting model (or FLOWGEN_MODEL).")
    ] = None,
    base_url: BaseUrlOption = None,
    api_key: Annotated[
        str | None, typer.Option(metavar="KEY", help="API key (better: OPENAI_API_KEY).")
    ] = None,
    timeout: Annotated[
        str | None, typer.Option(metavar="DURATION", help="Per-call timeout of the drafting model, e.g. 60s.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(metavar="N", help="Output limit of each drafting call (default 8192).")
    ] = None,
    max_repairs: Annotated[
        int, typer.Option("--max-repairs", metavar="N", help="Repair rounds after the first answer.")
    ] = 2,
    schema: _Schema = None,
    out: Annotated[
        str | None, out_option("Where to write; '-' for stdout. Default: the flow's name + .flow.yaml.")
    ] = None,
    force: ForceOption = False,
    allow_findings: Annotated[
        bool, typer.Option("--allow-findings", help="Write the flow even when lint errors remain (exit 1).")
    ] = False,
    transcript: Annotated[
        str | None,
        typer.Option("--transcript", metavar="FILE", help="Save every prompt, answer and finding as JSON."),
    ] = None,
    show_prompt: Annotated[
        bool, typer.Option("--show-prompt", help="Print the prompt on stderr first.")
    ] = False,
    no_own_test: Annotated[
        bool,
        typer.Option(
            "--no-own-test",
            help="Skip the own test: by default the flow's tests: block runs (sim provider, virtual "
            "time, 2 seeds) and failing thresholds are hardened (hedges, timeouts, faster models) "
            "within the budget before writing.",
        ),
    ] = False,
    format: FormatOption = DataFormat.text,
) -> None:
    """Draft a production-ready flow from a plain-English brief.

    With an API key or base URL configured (flags, OPENAI_API_KEY / OPENAI_BASE_URL, or
    \\[tool.flowgen]) the brief goes to an OpenAI-compatible model with structured output and
    a repair loop; otherwise the offline drafter reads it by rules. Either way the flow is
    validated, autofixed, explained in comments and linted, and written only when valid.

    Every step says why it exists (`why:` quotes the brief's clause, or names the building
    block it is), and the summary maps each requirement of the brief to its steps. A
    requirement no step implements, or a limited side effect that runs on every event, is a
    gap: listed first, and the flow is still written.

    Before writing, the flow's own tests: block runs in virtual time on simulated models;
    when a threshold fails, the flow is hardened (hedges, tighter timeouts, a faster model,
    an on_deadline answer) within the budget and tested again, up to 3 rounds.

    Exit 0 written, lint-clean, no gaps and passing its own test; 1 written with gaps or
    failing its own test, or valid but lint errors remain (written only with
    --allow-findings); 2 when nothing in the brief maps to a step, no valid flow came out or
    the input is unusable.

    Examples:

      flowgen draft @examples/briefs/support-triage.md --out flow.yaml

      flowgen draft "Score card payments for fraud in 300 ms" --out -
    """
    from copilot.draft.drafting import DraftOptions
    from copilot.draft.drafting import draft as run_draft
    from copilot.draft.request import option_duration
    from copilot.draft.summary import render_json, render_text

    refuse_overwrite("--transcript", transcript, force)
    try:
        request = brief.request()
        seconds = option_duration("--timeout", timeout)
        if max_tokens is not None and max_tokens <= 0:
            raise FlowgenError("--max-tokens must be above zero")
        if show_prompt:
            from copilot.draft.prompt import draft_messages, render_prompt_text
            from copilot.draft.settings import wire_schema

            sent = wire_schema(schema.value if schema is not None else None, base_url)
            sys.stderr.write(render_prompt_text(draft_messages(request, compact=sent == "compact")))
        options = DraftOptions(
            provider=provider.value,
            model=model,
            base_url=base_url,
            api_key=api_key,
            timeout=seconds,
            max_tokens=max_tokens,
            max_repairs=max_repairs,
            schema=schema.value if schema is not None else None,
            out=out,
            force=force,
            allow_findings=allow_findings,
            transcript=transcript,
            own_test=not no_own_test,
        )
        outcome = run_draft(request, options)
    except FlowgenError as exc:
        fail(exc)
    to_stderr = out == "-"
    if format is DataFormat.json:
        (sys.stderr if to_stderr else sys.stdout).write(render_json(outcome))
    else:
        render_text(outcome, console(stderr=to_stderr))
    if outcome.error:
        sys.stderr.write(f"flowgen: error: {outcome.error}\n")
    raise typer.Exit(outcome.exit_code)


@with_option_groups
def prompt(
    brief: Brief,
    format: FormatOption = DataFormat.text,
    schema: Annotated[
        WireSchema,
        typer.Option("--schema", metavar="SCHEMA", help="The prompt for the full or compact schema."),
    ] = WireSchema.full,
) -> None:
    """Print exactly the prompt `flowgen draft` would send, to paste into any copilot.

    Text shows each message under a `===== role =====` line; `--format json` prints the
    chat messages array.
    """
    import json

    from copilot.draft.prompt import draft_messages, render_prompt_text

    try:
        request = brief.request()
        messages = draft_messages(request, compact=schema is WireSchema.compact)
    except FlowgenError as exc:
        fail(exc)
    if format is DataFormat.json:
        sys.stdout.write(json.dumps(messages, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_prompt_text(messages))
