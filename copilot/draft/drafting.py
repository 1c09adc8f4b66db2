"""`flowgen draft`: from a brief to a written, linted, commented flow file.

    provider (auto | offline | openai)
      -> offline drafter, or the LLM loop (copilot.draft.loop)
      -> safe autofixes (the lint --fix machinery) -> comments that explain each choice
      -> final lint -> written atomically, only when valid (and clean, or --allow-findings)

Where it writes: `--out PATH`; `--out -` prints the YAML on stdout; without `--out`, the
file is `<flow name>.flow.yaml` in the current folder. An existing file is never
replaced without `--force`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.draft.request import DraftRequest
from copilot.errors import FlowgenError

EXIT_OK, EXIT_FINDINGS, EXIT_FAILED = 0, 1, 2
# Lint codes that mean "does not validate" (what the engine needs to load a flow): never written.
_INVALID = {"FG001", "FG002", "FG003", "FG004", "FG005", "FG006", "FG007"}
# The trust boundary (README, "Security: what a flow may touch"): files outside the flow's
# folder (FG710), fetched schemas (FG711), literal external destinations (FG712) and
# redacted data sent out (FG713). An LLM answer a brief can steer must never put these on
# disk, so they are never written either, --allow-findings or not.
_TRUST_BOUNDARY = {"FG710", "FG711", "FG712", "FG713"}
_NEVER_WRITTEN = _INVALID | _TRUST_BOUNDARY
_SPACED = ("sla", "trigger", "models", "steps", "respond", "on_error", "observability", "tests")


@dataclass
class DraftOptions:
    provider: str = "auto"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    timeout: float | None = None
    retries: int | None = None
    max_tokens: int | None = None
    schema: str | None = None  # compact | full; None: [tool.flowgen], else compact on loopback
    max_repairs: int = 2
    out: str | None = None  # None: <name>.flow.yaml; "-": stdout
    force: bool = False
    allow_findings: bool = False
    transcript: str | None = None
    sleep: Any = None  # how retries wait (tests pass a recorder; None is time.sleep)
    own_test: bool = True  # run the flow's own tests and harden it before writing (copilot.draft.selftest)


@dataclass
class DraftOutcome:
    """Everything the summary shows and the transcript records."""

    provider: str
    text: str | None = None  # the final YAML (None when no valid flow came out)
    flow: Any = None
    analysis: Any = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    out: str | None = None
    written: bool = False
    exit_code: int = EXIT_OK
    error: str | None = None
    assumptions: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the draft cannot keep a promise: said loudly
    llm: dict[str, Any] | None = None  # settings (no key), rounds, tokens, cost
    coverage: list[dict[str, Any]] = field(
        default_factory=list
    )  # brief clause -> steps (copilot.draft.coverage)
    gaps: list[dict[str, Any]] = field(default_factory=list)  # coverage findings: written, but exit 1
    rounds: list[dict[str, Any]] = field(default_factory=list)
    own_test: dict[str, Any] | None = None  # the closed loop's LoopResult.to_dict(); None when skipped
    schema_out: str | None = None  # the editor schema written beside the flow (its modeline's target)

    @property
    def own_test_failed(self) -> bool:
        return self.own_test is not None and not self.own_test["passed"]

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f["severity"]] = out.get(f["severity"], 0) + 1
        return out


def default_out(name: str) -> str:
    return f"{name}.flow.yaml"


def _check_out_free(out: str, force: bool) -> None:
    if out == "-":
        return
    if Path(out).is_dir():  # before the exists check: --force cannot replace a directory
        raise FlowgenError(f"{out}: is a directory; give a file path")
    if Path(out).exists() and not force:
        raise FlowgenError(f"{out}: already exists; pass --force to replace it, or --out another path")


def finalize(
    data: dict[str, Any],
    request: DraftRequest,
    lint_path: str,
    *,
    drafted_by: str,
    notes: dict[Any, str] | None = None,
    assumptions: list[str] | None = None,
    unmapped: list[str] | None = None,
    warnings: list[str] | None = None,
) -> tuple[str, Any, Any, list[dict[str, Any]], list[str]]:
    """Autofix, explain in comments, lint: (text, flow, analysis, findings, fixes)."""
    from copilot.draft.checks import check_text, yaml_of
    from copilot.draft.explain import header_lines, step_comments
    from copilot.flow.dump import add_comments, dump_tree
    from copilot.flow.graph import analyze
    from copilot.flow.load import load_flow_text
    from copilot.lint.fixes import fix_text, parse_tree

    text = yaml_of(data)
    fixed, fixes = fix_text(text, lint_path)
    loaded = load_flow_text(fixed, lint_path)
    analysis = analyze(loaded.flow, request.catalog)
    comments = step_comments(loaded.flow, analysis, request.catalog)
    comments.update(notes or {})  # the drafter's own reasons are more specific
    tree = parse_tree(fixed)  # quotes kept: `model:*` must stay quoted in a flow mapping
    add_comments(tree, {loc: text for loc, text in comments.items() if text})
    for key in list(tree)[1:]:
        if key in _SPACED:
            tree.yaml_set_comment_before_after_key(key, before="\n")  # a blank line between blocks
    header = header_lines(
        loaded.flow,
        analysis,
        drafted_by=drafted_by,
        unmapped=unmapped or [],
        assumptions=assumptions or [],
        warnings=warnings or [],
    )
    final = dump_tree(tree, header=header)
    result = check_text(final, lint_path, request.catalog)
    return final, loaded.flow, analysis, result.findings, fixes


def draft(request: DraftRequest, options: DraftOptions) -> DraftOutcome:
    """Draft, check and (when allowed) write a flow; never raises for bad LLM output."""
    from copilot.draft import settings as cfg

    config = cfg.find_config()
    provider = cfg.resolve_provider(
        options.provider, api_key=options.api_key, base_url=options.base_url, config=config
    )
    if options.out is not None:
        _check_out_free(options.out, options.force)
    if options.max_repairs < 0 or options.max_repairs > 10:
        raise FlowgenError("--max-repairs must be between 0 and 10")
    outcome = DraftOutcome(provider=provider)
    lint_path = options.out if options.out not in (None, "-") else "<draft>"
    try:
        if provider == "offline":
            _offline(request, options, outcome, lint_path)
        else:
            settings = cfg.resolve_settings(
                model=options.model,
                base_url=options.base_url,
                api_key=options.api_key,
                timeout=options.timeout,
                retries=options.retries,
                max_tokens=options.max_tokens,
                schema=options.schema,
                config=config,
            )
            _with_llm(request, options, outcome, lint_path, settings)
    except FlowgenError as exc:
        outcome.error = str(exc)
        outcome.exit_code = EXIT_FAILED
    except KeyboardInterrupt:
        if options.transcript:  # what was asked and answered so far, said to be unfinished
            outcome.error = "interrupted"
            save_transcript(outcome, request, options.transcript, done=False)
        raise
    if outcome.text is not None and outcome.error is None:
        _cover(outcome, request)
    if outcome.text is not None and outcome.error is None:
        _write(outcome, options)
    if options.transcript:
        save_transcript(outcome, request, options.transcript)
    return outcome


def _covered(note: str, mapped: list[str]) -> bool:
    """Whether mapped clauses cover a note: one holds it, or it is made of them ("Have an LLM check
    the entry against the PDF and decide accept" is two clauses a step quotes), up to joining words."""
    if any(note in m for m in mapped):
        return True
    rest = note
    for clause in sorted(mapped, key=len, reverse=True):
        if clause and clause in rest:
            rest = rest.replace(clause, " ")
    return rest != note and not re.sub(r"\b(?:and|or|then|,)\b|[^\w]+", " ", rest).split()


def _offline(request: DraftRequest, options: DraftOptions, outcome: DraftOutcome, lint_path: str) -> None:
    from copilot.draft.offline import draft_offline

    out_path = Path(options.out) if options.out not in (None, "-") else None
    drafted = draft_offline(request, out_path)
    outcome.assumptions = drafted.assumptions
    outcome.unmapped = drafted.unmapped
    outcome.warnings = drafted.warnings
    outcome.rounds = [{"round": 0, "kind": "offline", "reading": _reading_dict(drafted.reading)}]
    data, notes, warnings = _close_loop(drafted.data, request, options, outcome)
    _keep(
        outcome,
        data,
        request,
        lint_path,
        drafted_by="offline drafter, rule-based",
        notes={**drafted.comments, **notes},
        assumptions=drafted.assumptions,
        unmapped=drafted.unmapped,
        warnings=[*drafted.warnings, *warnings],
    )
    outcome.rounds[0]["findings"] = outcome.findings


def _with_llm(
    request: DraftRequest, options: DraftOptions, outcome: DraftOutcome, lint_path: str, settings: Any
) -> None:
    from copilot.draft.llm import ChatClient, drafting_cost
    from copilot.draft.loop import LlmDraft, failure_message, llm_draft
    from copilot.draft.wire import response_format

    client = ChatClient(
        settings,
        response_format(compact=settings.schema == "compact"),
        **({"sleep": options.sleep} if options.sleep else {}),
    )
    outcome.llm = {"settings": settings.describe()}
    result = LlmDraft()
    outcome.rounds = result.rounds  # filled in as the loop goes, so a failure keeps them

    def noted() -> None:  # each round is on disk as it happens: an interrupted draft leaves a record
        if options.transcript:
            save_transcript(outcome, request, options.transcript, done=False)

    try:
        llm_draft(
            request, client, max_repairs=options.max_repairs, path=lint_path, result=result, on_round=noted
        )
    finally:
        cost = drafting_cost(settings.model, result.input_tokens, result.output_tokens, request.catalog)
        outcome.llm.update(
            {
                "rounds": len(result.rounds),
                # calls the server answered: a transport failure on the first call made none
                "calls": sum(1 for r in result.rounds if "response" in r),
                "mode": client.mode,
                "schema": settings.schema,
                "learnt": list(client.server.learnt),  # what the server did not take, and what was sent
                "input_tokens": result.input_tokens if result.usage_known else None,
                "output_tokens": result.output_tokens if result.usage_known else None,
                "cost_usd": cost if result.usage_known else None,
            }
        )
    if not result.valid:
        outcome.exit_code = EXIT_FAILED
        outcome.error = failure_message(result, settings, options.max_repairs)
        return
    assert result.data is not None
    data, notes, warnings = _close_loop(result.data, request, options, outcome)
    _keep(
        outcome,
        data,
        request,
        lint_path,
        drafted_by=f"{settings.model} via {settings.endpoint}",
        notes=notes,
        warnings=warnings,
    )


def _keep(
    outcome: DraftOutcome, data: dict, request: DraftRequest, lint_path: str, **finalize_options: Any
) -> None:
    """Finalize the drafted data and keep the result on the outcome: the flow's text, model,
    analysis, findings and fixes."""
    outcome.text, outcome.flow, outcome.analysis, outcome.findings, outcome.fixes = finalize(
        data, request, lint_path, **finalize_options
    )


def _cover(outcome: DraftOutcome, request: DraftRequest) -> None:
    """Map the brief's requirement clauses to the drafted steps; refuse a draft that maps none."""
    from copilot.draft.coverage import check, normalise

    data = outcome.flow.model_dump(by_alias=True, exclude_none=True, mode="json")
    coverage = check(data, request.brief)
    outcome.coverage = coverage.to_json()
    outcome.gaps = coverage.findings
    # a phrase inside a clause the coverage maps to a step was understood after all
    mapped = [normalise(r.clause.text) for r in coverage.rows if r.steps]
    # (a note in parentheses flags a guess, e.g. "no channel named": it stays)
    outcome.unmapped = [u for u in outcome.unmapped if u.endswith(")") or not _covered(normalise(u), mapped)]
    # what the drafter could not read but still asks for something is a gap, not a footnote
    from copilot.draft.coverage import unread_instructions

    said = [normalise(g["clause"]) for g in outcome.gaps if g.get("clause")]
    outcome.gaps = outcome.gaps + [
        g
        for g in unread_instructions(outcome.unmapped, data)
        if not any(normalise(g["clause"]) in c or c in normalise(g["clause"]) for c in said)
    ]
    quoted = any(isinstance(s.get("why"), dict) and s["why"].get("brief") for s in data.get("steps", []))
    # Refused only when nothing of the brief became a step: steps that quote it are a useful
    # draft even where the coverage reader sees other requirements (those are its gaps).
    if not quoted and (not coverage.rows or coverage.nothing_mapped):
        outcome.text = None
        outcome.exit_code = EXIT_FAILED
        outcome.error = (
            "nothing in the brief maps to a step"
            + (
                f" (asked: {', '.join(repr(r.clause.text) for r in coverage.rows[:3])})"
                if coverage.rows
                else ""
            )
            + ": describe what should happen to each event, e.g. 'classify each ticket and page on-call "
            "for urgent ones'"
        )


def _close_loop(
    data: dict[str, Any], request: DraftRequest, options: DraftOptions, outcome: DraftOutcome
) -> tuple[dict[str, Any], dict[Any, str], list[str]]:
    """The draft's own tests, hardened until they pass: (data, comments, header warnings)."""
    if not options.own_test:
        return data, {}, []
    from copilot.draft.selftest import close_loop

    # Retrieve sources are resolved beside the file the flow will be written to.
    base_dir = Path(options.out).resolve().parent if options.out not in (None, "-") else Path.cwd()
    loop = close_loop(data, request, base_dir=base_dir)
    outcome.own_test = loop.to_dict()
    return loop.data, loop.notes, ([] if loop.passed else [f"own test fails: {loop.reason}"])


def _write(outcome: DraftOutcome, options: DraftOptions) -> None:
    import sys

    from copilot.flow.dump import write_atomic

    errors = outcome.counts()["error"]
    structural = [f for f in outcome.findings if f["severity"] == "error" and f["code"] in _NEVER_WRITTEN]
    if structural:
        # a file that does not validate or crosses the trust boundary is never written,
        # --allow-findings or not
        first = structural[0]
        what = "crosses the trust boundary" if first["code"] in _TRUST_BOUNDARY else "does not validate"
        outcome.error = f"the draft {what}: {first['code']} {first['json_path']}: {first['message']}"
        outcome.exit_code = EXIT_FAILED
        return
    if errors and not options.allow_findings:
        outcome.exit_code = EXIT_FINDINGS
        return
    out = options.out if options.out is not None else default_out(outcome.flow.name)
    outcome.out = out
    if out == "-":
        sys.stdout.write(outcome.text or "")
        sys.stdout.flush()
        outcome.written = True
    else:
        try:
            _check_out_free(out, options.force)
            write_atomic(out, outcome.text or "")
        except FlowgenError as exc:
            outcome.error, outcome.exit_code = str(exc), EXIT_FAILED
            return
        except OSError as exc:
            outcome.error = f"{out}: cannot write: {exc.strerror or exc}"
            outcome.exit_code = EXIT_FAILED
            return
        outcome.written = True
        _write_schema_beside(outcome, out)
    # A flow that fails its own test is written (a starting point) but is no success.
    outcome.exit_code = EXIT_FINDINGS if errors or outcome.gaps or outcome.own_test_failed else EXIT_OK


def _write_schema_beside(outcome: DraftOutcome, out: str) -> None:
    """The schema the modeline points at, so the editor finds it (a failure is a warning)."""
    from copilot.flow.dump import refresh_schema_beside

    try:
        written = refresh_schema_beside(out, outcome.text or "")
    except OSError as exc:
        outcome.warnings.append(f"the editor schema beside {out} was not written: {exc.strerror or exc}")
        return
    outcome.schema_out = str(written) if written is not None else None


def _reading_dict(reading: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(reading)
    data.pop("matches", None)
    return data


def save_transcript(outcome: DraftOutcome, request: DraftRequest, path: str, *, done: bool = True) -> None:
    """Every prompt, raw answer and round's findings, as JSON (never the API key).

    Written again (atomically) as each round starts and ends, with `"done": false`, so a draft
    that is interrupted or killed leaves every round recorded so far; a failure to write is
    reported by the final write only.
    """
    from copilot.flow.dump import write_atomic

    payload = {
        "version": 1,
        "done": done,
        "provider": outcome.provider,
        "brief": request.brief,
        "llm": outcome.llm,
        "rounds": outcome.rounds,
        "fixes": outcome.fixes,
        "final_findings": outcome.findings,
        "error": outcome.error,
        "out": outcome.out,
        "written": outcome.written,
    }
    try:
        write_atomic(path, json.dumps(payload, indent=2, default=str) + "\n")
    except OSError as exc:
        if not done:
            return
        outcome.error = outcome.error or f"{path}: cannot write the transcript: {exc.strerror or exc}"
        outcome.exit_code = EXIT_FAILED
