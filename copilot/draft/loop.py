"""The LLM drafting loop: ask, read, validate, lint, and repair until clean or out of rounds.

    draft prompt -> answer -> extract JSON -> from wire shape -> validate + lint + coverage
        -> errors or gaps? repair prompt naming each finding (code, JSON path, message, fix hint)
        -> at most `max_repairs` rounds

Coverage (`copilot.draft.coverage`) holds the answer to its brief: a step without `why`, a
quote the brief does not contain, a building block serving nothing are errors, like lint
errors; a requirement no step implements, a side effect the brief limits but the flow runs
on every event, a destination nothing writes to are gaps: they go back for repair while
rounds remain, but a flow with gaps is still a usable draft (`drafting._cover` reports
what is left, and the file is written with exit 1).

A repair round can make things worse; the loop keeps the best answer (valid before
invalid, without errors before with errors; the later of equals), so asking to close a
gap never loses a usable draft. An answer that cannot be read (empty, cut off, not JSON,
not an object) gets a repair round that says so. A refusal, or a transport failure the
client could not retry away, ends the draft at once with one line. Every prompt, raw
answer, round's findings and coverage is recorded for `--transcript`.

With the compact wire schema (`ChatClient.compact`) the prompt outlines the compact schema,
the brief is copied into the flow here, and each answer is checked after the safe fixes, as
it will be written: a timeout the model was not asked for is no repair's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from copilot.draft import coverage
from copilot.draft.checks import CheckResult, check_data
from copilot.draft.extract import BadAnswer, extract_flow
from copilot.draft.llm import ChatClient, LlmError
from copilot.draft.prompt import Message, draft_messages, repair_message
from copilot.draft.request import DraftRequest
from copilot.draft.wire import from_wire


@dataclass
class LlmDraft:
    """What the loop produced: the best readable flow (valid or not; see `_rank`) and the record of it."""

    data: dict[str, Any] | None = None
    check: CheckResult | None = None
    gaps: list[dict[str, Any]] = field(default_factory=list)  # the kept answer's coverage findings
    kept: int | None = None  # the round whose answer `data` is
    rounds: list[dict[str, Any]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    usage_known: bool = True
    last_problem: BadAnswer | None = None

    @property
    def valid(self) -> bool:
        return self.check is not None and self.check.valid

    @property
    def usable(self) -> bool:
        """Valid and free of errors: only gaps (coverage warnings) or lint warnings are left."""
        return self.valid and not self.errors

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The kept answer's lint and coverage findings, as the repair prompt names them."""
        return [*(self.check.findings if self.check else []), *self.gaps]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == "error"]


def _rank(check: CheckResult, findings: list[dict[str, Any]]) -> tuple[bool, bool]:
    """How usable an answer is: valid first, then free of errors (lint's or coverage's)."""
    return check.valid, check.valid and not any(f["severity"] == "error" for f in findings)


def _unwrap(data: dict[str, Any]) -> dict[str, Any]:
    """`{"flow": {...}}` -> the flow: models like to wrap their answer in one more object."""
    if "apiVersion" not in data and "steps" not in data and len(data) == 1:
        inner = next(iter(data.values()))
        if isinstance(inner, dict) and ("steps" in inner or "apiVersion" in inner):
            return inner
    return data


def llm_draft(
    request: DraftRequest,
    client: ChatClient,
    *,
    max_repairs: int,
    path: str,
    messages: list[Message] | None = None,
    result: LlmDraft | None = None,
    on_round: Callable[[], None] | None = None,
) -> LlmDraft:
    """Run the loop; raises `LlmError` for refusals and transport failures.

    Except in a round that only asks to close gaps: when the answer in hand is already
    usable, a failed or refused repair call ends the loop with it (the round records why).
    Pass `result` to keep the rounds recorded so far when it raises (for the transcript).
    `on_round` is called when a round's request is recorded and again when its answer and
    findings are: the transcript is written as the draft goes (issue 17).
    """
    noted = on_round or (lambda: None)
    first = messages or draft_messages(request, compact=client.compact)
    result = result if result is not None else LlmDraft()
    conversation = list(first)
    for round_index in range(max_repairs + 1):
        record: dict[str, Any] = {"round": round_index, "kind": "draft" if round_index == 0 else "repair"}
        record["messages"] = conversation
        result.rounds.append(record)
        noted()
        try:
            completion = client.complete(conversation)
        except LlmError as exc:
            record["error"] = str(exc)
            noted()
            if result.usable:  # the call was to close gaps: the draft in hand stands
                break
            raise
        record["response"] = completion.to_dict()
        if completion.input_tokens is None or completion.output_tokens is None:
            result.usage_known = False
        result.input_tokens += completion.input_tokens or 0
        result.output_tokens += completion.output_tokens or 0
        if completion.refusal:
            record["error"] = f"refusal: {completion.refusal}"
            noted()
            if result.usable:
                break
            raise LlmError(
                f"the model refused to draft the flow ({' '.join(completion.refusal.split())[:160]!r}): "
                "rephrase the brief, try another --model, or draft with --provider offline"
            )
        try:
            raw, how = extract_flow(completion.content, completion.finish_reason)
        except BadAnswer as problem:
            result.last_problem = problem
            record["problem"] = {"kind": problem.kind, "message": problem.problem}
            repair = repair_message(flow_yaml=None, findings=[], problem=problem.problem)
        else:
            result.last_problem = None
            record["extracted_as"] = how
            # Only an answer under the strict schema holds free-form values as JSON text.
            data = from_wire(_unwrap(raw), strict=completion.mode == "json_schema" and how == "json")
            if client.compact and "brief" not in data:
                data["brief"] = request.brief  # the compact schema leaves the copy to flowgen
            check = check_data(data, path, request.catalog, fixed=client.compact)
            covered = coverage.check(data, request.brief)
            findings = [*check.findings, *covered.findings]
            record["findings"] = findings
            record["valid"] = check.valid
            record["coverage"] = covered.to_json()
            if result.check is None or _rank(check, findings) >= _rank(result.check, result.findings):
                result.data, result.check, result.gaps, result.kept = (
                    data,
                    check,
                    covered.findings,
                    round_index,
                )
            if result.usable and not result.gaps and result.kept == round_index:
                noted()
                break
            repair = repair_message(flow_yaml=check.text, findings=findings)
        noted()
        if round_index < max_repairs:
            # The repair round carries the finding list and the flow as flowgen read it, so the
            # conversation stays short: system, the draft prompt, then this round's repair.
            conversation = [*first, {"role": "user", "content": repair}]
    if result.kept is not None:
        result.rounds[result.kept]["kept"] = True  # the answer drafting goes on with
    return result


def failure_message(result: LlmDraft, settings: Any, max_repairs: int) -> str:
    """The one line that explains why no valid flow came out of the loop."""
    rounds = f"{max_repairs + 1} answer{'s' if max_repairs else ''}"
    problem = result.last_problem
    if problem is not None and (result.check is None or not result.rounds[-1].get("findings")):
        if problem.kind == "empty":
            return (
                f"the model returned empty content ({rounds}): check that `{settings.model}` serves chat "
                "completions, or draft with --provider offline"
            )
        if problem.kind == "truncated":
            return (
                f"the model's answer was cut off at --max-tokens {settings.max_tokens} "
                "(finish_reason=length, "
                f"{rounds}): raise --max-tokens or use a model with a larger output limit"
            )
        if problem.kind == "wrong_shape":
            return f"the model answered JSON that is not a flow object ({rounds}): try another --model"
        return (
            f"the model's answer is not JSON ({rounds}): use a model that supports JSON output, "
            "or draft with --provider offline"
        )
    assert result.check is not None
    errors = [f for f in result.check.findings if f["code"] in ("FG001", "FG002")]
    first = errors[0] if errors else (result.check.errors or [{"json_path": "$", "message": "invalid"}])[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return (
        f"the model's flow does not match the flowgen/v1 schema after {max_repairs} repair round"
        f"{'s' if max_repairs != 1 else ''}: {first['json_path']}: {first['message']}{more}; "
        "see --transcript, try another --model, or draft with --provider offline"
    )
