"""The LLM drafting loop: ask, read, validate, lint, and repair until clean or out of rounds.

    draft prompt -> answer -> extract JSON -> from wire shape -> validate + lint
        -> errors? repair prompt naming each finding (code, JSON path, message, fix hint)
        -> at most `max_repairs` rounds

An answer that cannot be read (empty, cut off, not JSON, not an object) gets a repair
round that says so. A refusal, or a transport failure the client could not retry away,
ends the draft at once with one line. Every prompt, raw answer and round's findings is
recorded for `--transcript`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from copilot.draft.checks import CheckResult, check_data
from copilot.draft.extract import BadAnswer, extract_flow
from copilot.draft.llm import ChatClient, LlmError
from copilot.draft.prompt import Message, draft_messages, repair_message
from copilot.draft.request import DraftRequest
from copilot.draft.wire import from_wire


@dataclass
class LlmDraft:
    """What the loop produced: the last readable flow (valid or not) and the record of it."""

    data: dict[str, Any] | None = None
    check: CheckResult | None = None
    rounds: list[dict[str, Any]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    usage_known: bool = True
    last_problem: BadAnswer | None = None

    @property
    def valid(self) -> bool:
        return self.check is not None and self.check.valid


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
) -> LlmDraft:
    """Run the loop; raises `LlmError` for refusals and transport failures.

    Pass `result` to keep the rounds recorded so far when it raises (for the transcript).
    """
    first = messages or draft_messages(request)
    result = result if result is not None else LlmDraft()
    conversation = list(first)
    for round_index in range(max_repairs + 1):
        record: dict[str, Any] = {"round": round_index, "kind": "draft" if round_index == 0 else "repair"}
        record["messages"] = conversation
        result.rounds.append(record)
        try:
            completion = client.complete(conversation)
        except LlmError as exc:
            record["error"] = str(exc)
            raise
        record["response"] = completion.to_dict()
        if completion.input_tokens is None or completion.output_tokens is None:
            result.usage_known = False
        result.input_tokens += completion.input_tokens or 0
        result.output_tokens += completion.output_tokens or 0
        if completion.refusal:
            record["error"] = f"refusal: {completion.refusal}"
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
            check = check_data(data, path, request.catalog)
            result.data, result.check = data, check
            record["findings"] = check.findings
            record["valid"] = check.valid
            if check.valid and not check.errors:
                break
            repair = repair_message(flow_yaml=check.text, findings=check.findings)
        if round_index < max_repairs:
            # The repair round carries the finding list and the flow as flowgen read it, so the
            # conversation stays short: system, the draft prompt, then this round's repair.
            conversation = [*first, {"role": "user", "content": repair}]
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
