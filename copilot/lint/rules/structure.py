"""FG0xx: can the flow be loaded and does its data flow make sense.

FG001/FG002 are reported by the engine when a file does not parse or does not match the
schema (their checks here only carry the documentation); FG003/FG004/FG005/FG007 reuse
the structural checks `flowgen validate` runs (`copilot.flow.check`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from copilot.errors import did_you_mean
from copilot.flow import check
from copilot.lint.rule import Context, Hit, rule
from copilot.lint.visit import Site, template_free_names, template_references

if TYPE_CHECKING:
    from copilot.flow.models import AnyStep


@rule("FG000", "unused-suppression", "info")
def unused_suppression(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a `# flowgen: disable=…` comment that silences nothing: the rules it names (by
    code, prefix such as `FG8`, or name) do not fire on that line (or, for `disable-file=`,
    anywhere in the file), or it names no rule. A malformed `# flowgen:` comment (`disable
    FG101` without `=`, an empty `disable=`) is reported too: it would silently do nothing.
    FG001 and FG002 cannot be suppressed.

    Why it matters
    A suppression outlives the problem it hid. Left in place it hides the next, different
    problem of the same rule on that line, and nobody reviews it again.

    Example
        - id: classify   # flowgen: disable=FG201 reason="single provider by contract"
          type: model
          model: fast
          fallback: [backup]          # FG201 no longer fires: the comment is stale

    Fix
    Delete the comment, or correct the code it names. The engine reports this rule itself
    (it needs every other rule's result), so it runs whenever it is selected.
    """
    return iter(())


@rule("FG001", "yaml-syntax", "error")
def yaml_syntax(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a file that cannot be read as one YAML mapping: a syntax error (at its line and
    column), a duplicate key, several documents, an empty file, binary or non-UTF-8 data, a
    file over the size cap, or an alias bomb (aliases expanding past the node limit).

    Why it matters
    Nothing else can be checked, and no engine can run the flow. Hostile input (alias bombs,
    huge files) is refused rather than allowed to exhaust memory.

    Example
        steps:
          - id: classify
            prompt: {user: "{{ event.body }}"   # the mapping is never closed

    Fix
    Correct the YAML at the reported position; keep one flow per file, in UTF-8.
    """
    return iter(())


@rule("FG002", "schema-violation", "error")
def schema_violation(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports every place where the document does not match the flow schema: a missing
    required key, an unknown key (with the closest known one), a wrong type, a duration
    without a unit, an unknown step or trigger type. Each violation is its own finding.
    A template or condition that does not parse ("template syntax: …", at the node that
    holds it) or that reaches for Python internals ("unsafe template: …") is reported here
    too: the engine could not render it (`flowgen validate` reports the same).
    FG001 and FG002 cannot be ignored or suppressed: nothing else can be checked reliably.

    Why it matters
    The engine loads only schema-valid flows; a typo such as `timout:` would otherwise
    silently drop the setting it meant to make.

    Example
        steps:
          - id: classify
            type: model
            model: fast
            timout: 900ms        # unknown key, did you mean `timeout`?
            if: "{{ steps.checked.output.category == }}"   # template syntax

    Fix
    Correct each reported key or value; `flowgen schema` prints the schema, and the
    modeline `# yaml-language-server: $schema=…` gives completion in editors.
    """
    return iter(())


def _problems(problems: list[check.Problem]) -> Iterator[Hit]:
    for problem in problems:
        yield Hit(problem.loc, problem.message)


@rule("FG003", "unknown-reference", "error")
def unknown_reference(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a `needs`, `model`, `fallback`, `route.candidates` or `respond.needs` entry that
    names no step or model alias (with the closest existing name), a step that needs itself,
    and a `models.<alias>.use` the model catalog does not have (the packaged catalog plus
    `--models FILE`; an alias with its own `provider` and `model` needs no catalog entry).

    Why it matters
    The engine cannot order the steps or pick a model: the flow fails on its first event.

    Example
        - id: answer
          needs: [clasify]       # no step `clasify`, did you mean `classify`?

    Fix
    Correct the name, or define the step / the alias under `models:`; for a model outside
    the catalog, give `provider` and `model` (and its latency and price) instead of `use`.
    """
    yield from _problems(check.unknown_references(ctx.loaded))
    yield from _problems(check.unknown_models(ctx.loaded, ctx.catalog))


@rule("FG004", "dependency-cycle", "error")
def dependency_cycle(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a cycle in the `needs` graph, naming it step by step.

    Why it matters
    Steps on a cycle wait for each other forever: the event never gets an answer.

    Example
        - {id: a, type: transform, needs: [b], output: x}
        - {id: b, type: transform, needs: [a], output: y}   # a -> b -> a

    Fix
    Remove one `needs` edge of the cycle; if two steps really feed each other, split one
    of them in two.
    """
    yield from _problems(check.cycles(ctx.loaded))


@rule("FG005", "sync-needs-async", "error")
def sync_needs_async(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a sync step, or `respond.needs`, that waits for a `mode: async` step.

    Why it matters
    An async step must never delay the response; a sync step that needs one either blocks
    the hot path on it or runs without its output.

    Example
        - {id: enrich, type: model, mode: async, ...}
        - {id: answer, type: model, needs: [enrich], ...}    # sync, waits for async

    Fix
    Make the waiting step async too, or make the needed step sync (and count it in the SLA).
    """
    yield from _problems(check.sync_needs_async(ctx.loaded))


@rule("FG007", "duplicate-id", "error")
def duplicate_id(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a step whose `id` an earlier step already uses.

    Why it matters
    `needs`, templates (`steps.<id>.output`) and traces name steps by id: with two steps of
    one name they silently read the wrong one.

    Example
        - {id: classify, type: model, ...}
        - {id: classify, type: model, ...}    # duplicate step id

    Fix
    Rename one of the steps, and update what refers to it.
    """
    yield from _problems(check.duplicate_ids(ctx.loaded))


# ---------------------------------------------------------------------------- FG006


def _output_schema(ctx: Context, step_id: str, seen: frozenset[str] = frozenset()) -> Any:
    """The JSON Schema of a step's output; None when unknown (then nothing is checked)."""
    step = ctx.step_by_id.get(step_id)
    if step is None:
        return None
    if step.type == "retrieve":
        return {"type": "array"}  # a list of passages
    if step.type == "validate" and step.output_schema is None and step_id not in seen:
        return _input_schema(ctx, step, seen | {step_id})
    return getattr(step, "output_schema", None)


def _input_schema(ctx: Context, step: AnyStep, seen: frozenset[str] = frozenset()) -> Any:
    """The schema of a validate step's `input`, when it is one reference to a known output."""
    from copilot.flow.expressions import expression_source

    source = getattr(step, "input", None)
    if not isinstance(source, str):
        return None  # two steps share an id (FG007) and the other one is not a validate step
    refs = template_references(source)
    if isinstance(refs, str) or len(refs) != 1:
        return None
    parts = refs[0]
    if parts[0] != "steps" or len(parts) < 3 or ".".join(parts) != expression_source(source):
        return None
    schema = _output_schema(ctx, parts[1], seen)
    for part in parts[3:]:
        status, schema = _child(schema, part)
        if status != "ok":
            return None
    return schema


_SCALARS = {"string", "number", "integer", "boolean", "null"}


def _child(schema: Any, part: str) -> tuple[str, Any]:
    """('ok', sub-schema) | ('unknown', None) | ('missing', names) | ('list', None) | ('scalar', type)."""
    if not isinstance(schema, dict):
        return "unknown", None
    if any(k in schema for k in ("$ref", "anyOf", "oneOf", "allOf", "not", "if", "patternProperties")):
        return "unknown", None
    kind = schema.get("type")
    if kind == "array" or (kind is None and "items" in schema):
        if part.isdigit():
            items = schema.get("items")
            return ("ok", items) if isinstance(items, dict) else ("unknown", None)
        return "list", None
    props = schema.get("properties")
    if isinstance(props, dict):
        if part in props:
            return "ok", props[part]
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return "ok", extra
        if extra is True:
            return "unknown", None
        return "missing", sorted(props)
    if isinstance(kind, str) and kind in _SCALARS:
        return ("unknown", None) if part.isdigit() else ("scalar", kind)
    return "unknown", None


def _walk(schema: Any, parts: tuple[str, ...], shown: str, where: str) -> str | None:
    """A message for the first part of `parts` the schema does not declare, else None."""
    path = shown
    for part in parts:
        status, value = _child(schema, part)
        if status == "ok":
            schema, path = value, f"{path}.{part}"
            continue
        if status == "missing":
            names = ", ".join(value)
            return f"`{path}.{part}` is not in {where} (it declares: {names}){did_you_mean(part, value)}"
        if status == "list":
            return f"`{path}` is a list; `{path}.{part}` is undefined (index it, or loop over it)"
        if status == "scalar":
            return f"`{path}` is a {value}; it has no field `{part}`"
        return None
    return None


def _scope(ctx: Context, site: Site) -> set[str] | None:
    """The steps whose output exists when `site` is rendered (None: every step, unchecked)."""
    scopes: dict[str, set[str] | None] = ctx.__dict__.setdefault("_fg006_scopes", {})
    if site.owner not in scopes:
        graph = ctx.analysis.graph
        if site.owner in ("trigger", "on_deadline"):
            scopes[site.owner] = set()
        elif site.owner == "respond":
            scopes[site.owner] = graph.ancestors(graph.respond_needs)
        elif site.owner in graph.needs:
            scopes[site.owner] = graph.ancestors(graph.needs[site.owner])
        else:
            scopes[site.owner] = None
    return scopes[site.owner]


def _check_reference(ctx: Context, site: Site, parts: tuple[str, ...]) -> str | None:
    root = parts[0]
    if root == "event":
        schema = ctx.flow.trigger.event_schema
        if schema is None or len(parts) < 2:
            return None
        return _walk(schema, parts[1:], "event", "trigger.event_schema")
    if root == "input":
        if site.field != "rules.expr":
            return "`input` is only defined in a validate step's rules"
        step = ctx.step_by_id[site.owner]
        return _walk(_input_schema(ctx, step), parts[1:], "input", "the schema of the validated input")
    # steps.<id>.output...
    if len(parts) < 2:
        return None
    step_id = parts[1]
    if step_id not in ctx.step_by_id:
        ids = list(ctx.step_by_id)
        return f"`steps.{step_id}`: there is no step `{step_id}`{did_you_mean(step_id, ids)}"
    if site.owner == step_id:
        return f"step `{step_id}` reads its own output"
    direct = ctx.analysis.graph.needs.get(site.owner, ())
    scope = None if step_id in direct else _scope(ctx, site)  # a direct need is in scope: skip the walk
    if scope is not None and step_id not in scope:
        where = {"trigger": "the trigger", "on_deadline": "respond.on_deadline", "respond": "respond"}
        owner = where.get(site.owner, f"step `{site.owner}`")
        return (
            f"`steps.{step_id}.output` may not exist when {owner} runs: add `{step_id}` to its needs"
            if site.owner not in ("trigger", "on_deadline")
            else f"`steps.{step_id}` is not available in {owner} (only `event` is)"
        )
    if len(parts) < 3:
        return None
    if parts[2] != "output":
        return f"`steps.{step_id}.{parts[2]}` is undefined: a step exposes only `steps.{step_id}.output`"
    schema = _output_schema(ctx, step_id)
    return _walk(schema, parts[3:], f"steps.{step_id}.output", f"the output_schema of `{step_id}`")


ENV_MESSAGE = (
    "`env` is not in scope: secrets are resolved by the engine; "
    "use ${env:NAME} in the fields that take secrets"
)


def _free_name_message(name: str) -> str:
    if name == "env":
        return ENV_MESSAGE
    hint = did_you_mean(name, ["event", "steps", "input"])
    scope = "templates see only `event` and `steps` (and `input` in a validate rule)"
    return f"`{name}` is undefined: {scope}{hint}"


@rule("FG006", "undefined-variable", "error")
def undefined_variable(ctx: Context) -> Iterator[Hit]:
    """What it does
    Checks every template and condition (prompts, queries, `if`, validate inputs and rules,
    request URLs, headers and json bodies, transform outputs, response bodies, idempotency
    keys) against what exists when it is rendered: `event.*` against `trigger.event_schema`
    (nested properties, list items), `steps.<id>.output.*` against that step's
    `output_schema` (a validate step without one passes its input's schema through; a
    retrieve step's output is a list), and the step being among the ones the template's owner
    needs. Any other top-level name (`env`, `foo`, a misspelt `evnt`) is undefined: the names
    in scope are `event`, `steps` and, in a validate rule, `input`. Templates that do not
    parse are FG002.

    Why it matters
    Templates render with strict undefined variables: a misspelt field fails the event at
    run time, on the hot path, and only for the events that reach that branch.

    Example
        event_schema: {type: object, properties: {subject: {type: string}, body: {type: string}}}
        ...
        prompt: {user: "{{ event.sujbect }}"}   # `event.sujbect` is not in trigger.event_schema

    Fix
    Correct the name, declare the field in `event_schema` / the producing step's
    `output_schema`, or add the producing step to `needs`.
    """
    for site in ctx.sites:
        found = template_references(site.text, site.expression)
        if isinstance(found, str):
            continue  # does not parse: FG002 (copilot.flow.check.template_syntax)
        for name in template_free_names(site.text, site.expression):
            yield Hit(site.loc, _free_name_message(name))
        for parts in found:
            message = _check_reference(ctx, site, parts)
            if message:
                yield Hit(site.loc, message)


@rule("FG008", "unused-step", "info")
def unused_step(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a sync step whose output nothing uses: no template reads it, no step needs it,
    the response does not wait for it, and it has no side effect (an http call other than
    GET, or a validate gate that dead-letters or fails the event).

    Why it matters
    It costs latency, money and a failure mode on every event for nothing, and usually means
    the flow is wired wrongly (a forgotten `needs` or template).

    Example
        - id: sentiment          # nothing reads steps.sentiment.output
          type: model
          model: fast
          prompt: {user: "{{ event.body }}"}

    Fix
    Use the output (a template or `needs`), make it `mode: async` if it is fire-and-forget
    work, or delete it.
    """
    graph = ctx.analysis.graph
    read = set().union(*ctx.reads.values()) if ctx.reads else set()
    needed = {need for needs in graph.needs.values() for need in needs}
    for index, step in ctx.steps():
        if step.mode == "async" or step.id in read or step.id in needed:
            continue
        if step.id in graph.respond_needs:
            continue
        if step.type == "http" and step.request.method != "GET":
            continue
        if (
            step.type == "validate"
            and step.on_fail is not None
            and step.on_fail.action in ("dead_letter", "fail")
        ):
            continue
        yield Hit(("steps", index), f"the output of step `{step.id}` is used by nothing", key=False)
