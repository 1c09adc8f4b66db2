"""FG6xx: model output is checked before anything downstream uses it.

The templates of the flow and what they read come from the one walker
(`copilot.flow.sites`, kept on the analysed flow as `ctx.sites`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from copilot import policy
from copilot.flow.sites import Site, site_references
from copilot.lint.rule import Context, Hit, add_to_flagged_steps, fixer, rule

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

ON_FAIL_DEFAULT = policy.VALIDATE_ON_FAIL


@rule("FG601", "unvalidated-model-output", "error")
def unvalidated_model_output(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a model step whose output a later step, condition or the response uses, when
    the step has no `output_schema` and no `validate` step checks its output.

    Why it matters
    A model answers with whatever it likes: missing fields, the wrong enum, prose instead
    of JSON. Without a schema or a validation gate between model steps, that answer flows
    into the next prompt, an API call or the response, and garbage propagates.

    Example
    Failing: `classify` has no `output_schema` and `route` uses its output directly.

        - id: classify
          type: model
          model: fast
          prompt: {user: "{{ event.body }}"}
        - id: route
          type: http
          needs: [classify]
          request: {url: "${env:ROUTER_URL}", json: {category: "{{ steps.classify.output }}"}}

    Passing: the answer is asked for as structured output and checked.

        - id: classify
          type: model
          model: fast
          prompt: {user: "{{ event.body }}"}
          output_schema: {type: object, required: [category], properties: {category: {enum: [faq, bug]}}}

    Fix
    Give the step an `output_schema` (the engine asks for structured output and rejects
    answers that do not match), or add a `validate` step whose `input` is the step's output.
    """
    sites = ctx.sites
    used_by: dict[str, list[Site]] = {}
    checked: set[str] = set()
    for site in sites:
        for parts in site_references(site):
            if len(parts) >= 2 and parts[0] == "steps" and parts[1] != site.step:
                used_by.setdefault(parts[1], []).append(site)
    gates = {
        step.id
        for _, step in ctx.steps("validate")
        if step.output_schema is not None or step.rules  # a gate with nothing to check validates nothing
    }
    for site in sites:
        if site.step in gates and site.loc[-1] == "input":
            checked.update(
                parts[1] for parts in site_references(site) if parts[0] == "steps" and len(parts) > 1
            )
    for index, step in ctx.steps("model"):
        if step.output_schema is not None or step.id in checked or step.id not in used_by:
            continue
        users = sorted({site.step or site.loc[0] for site in used_by[step.id]}, key=str)
        yield Hit(
            ("steps", index, "id"),
            f"the output of model step `{step.id}` is used by {', '.join(f'`{u}`' for u in users)} "
            "but is never validated: no `output_schema` and no validate step checks it",
            fix_hint=f"add an output_schema to step `{step.id}` or a validate step whose input is "
            f"'{{{{ steps.{step.id}.output }}}}'",
        )


@rule("FG602", "validate-without-on-fail", "warning", fixable=True)
def validate_without_on_fail(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a `validate` step without `on_fail`.

    Why it matters
    A validation gate must say what happens when the input is wrong: retry the producing
    step, fall back to a default, dead-letter the event, or fail. Left implicit, a failed
    check is an unexplained error and the event is handled by accident.

    Example
    Failing:

        - id: checked
          type: validate
          input: "{{ steps.classify.output }}"
          rules: [{expr: "input.category in ['faq', 'bug']"}]

    Passing:

        - id: checked
          type: validate
          input: "{{ steps.classify.output }}"
          rules: [{expr: "input.category in ['faq', 'bug']"}]
          on_fail: {action: default, value: {category: other}}

    Fix
    Add `on_fail`. The autofix adds `on_fail: {action: dead_letter}`, which keeps the event
    for replay; choose `default` or `retry` where the flow can do better.
    """
    question = "validate step `{id}` has no `on_fail`: what happens to an event that fails it?"
    yield from ctx.steps_missing(
        "validate", "on_fail", question, "add on_fail: {action: dead_letter} (or default/retry)"
    )


@fixer("FG602")
def _fix_validate_on_fail(tree: CommentedMap, ctx: Context) -> list[str]:
    return add_to_flagged_steps(tree, ctx, "FG602", "on_fail", ON_FAIL_DEFAULT, "{action: dead_letter}")


@rule("FG603", "catastrophic-pattern", "warning")
def catastrophic_pattern(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a regular expression in a JSON Schema of the flow (`pattern`, or a key of
    `patternProperties`, in `event_schema` or an `output_schema`) that a backtracking
    engine can take exponential time on: a repeated repetition (`(a+)+`, `(a*)*`,
    `(\\w+\\s?)*`) or repeated alternatives that can match the same text (`(a|a)*`,
    `(a|ab)+`). The message names the sub-pattern and its offset.

    Why it matters
    The text those patterns are matched against comes from the event, so anyone who can
    send one can send `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!` against `^(a+)+$`: Python's
    `re` then backtracks for minutes, holding the process (ReDoS). flowgen matches schema
    patterns with RE2, which is linear, but a pattern RE2 cannot compile (backreferences,
    lookarounds) falls back to `re` and is refused when it has this shape; and the same
    schema is often reused by other services that backtrack.

    Example
    Failing:

        event_schema:
          properties:
            id: {type: string, pattern: "^(a+)+$"}

    Passing:

        event_schema:
          properties:
            id: {type: string, pattern: "^a+$"}

    Fix
    Repeat the characters, not a repetition: `^(a+)+$` matches exactly what `^a+$` does;
    `(\\w+\\s?)+` is `[\\w\\s]+` with a first `\\w`; make alternatives disjoint (`(a|ab)+`
    is `(ab?)+`). Bound the input with `maxLength` as well.
    """
    from copilot.flow.local_schema import flow_schemas
    from copilot.flow.patterns import backtracking_risk, schema_patterns

    for loc, schema in flow_schemas(ctx.doc.data):
        for where, pattern in schema_patterns(schema, loc):
            risk = backtracking_risk(pattern)
            if risk is not None:
                yield Hit(
                    where,
                    f"pattern `{pattern}` can take exponential time on hostile input (ReDoS): {risk}",
                    key=where[-2] == "patternProperties",
                    fix_hint=f"rewrite `{risk.snippet}` without a repeated repetition or overlapping "
                    "alternatives (e.g. `(a+)+` as `a+`) and bound the field with maxLength",
                )
