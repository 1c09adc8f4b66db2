"""FG4xx: retrieval over pinned, fresh, bounded document sources."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from copilot import policy
from copilot.lint.rule import Context, Hit, add_to_flagged_steps, fixer, rule
from copilot.lint.visit import site_references

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from copilot.flow.models import Flow
    from copilot.flow.sites import Site

# The values the fixes write are `copilot.policy`'s, the drafter's too.
FRESHNESS_DEFAULT = policy.FRESHNESS
REALTIME_FRESHNESS_MAX = policy.FRESHNESS_MAX
TOP_K_DEFAULT = policy.TOP_K
TOP_K_MAX = policy.TOP_K_MAX
ON_EMPTY_DEFAULT = policy.ON_EMPTY
_PIN_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


def is_realtime(flow: Flow) -> bool:
    """A flow something waits on: a webhook or queue trigger with a latency SLA."""
    return flow.trigger.type in ("webhook", "queue") and flow.latency_sla is not None


@rule("FG401", "rag-source-unpinned", "error")
def rag_source_unpinned(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a retrieve source with neither `pin` (a content hash) nor `version`, and a `pin`
    that is not a `sha256:` digest of 64 hex digits.

    Why it matters
    An answer grounded in documents that changed silently cannot be reproduced, reviewed
    or audited. A pin makes every change to the sources a deliberate edit of the flow, and
    the engine refuses documents that no longer match it.

    Example
    Failing:

        sources:
          - {path: docs/help-centre/*.md}

    Passing:

        sources:
          - path: docs/help-centre/*.md
            pin: "sha256:ed3ad6cb02714830731c182326e001b7b9ccc6e0f57f267edfd3ff698a7525e9"
          - {path: docs/policies/*.md, version: "2026-11-01"}

    Fix
    Pin each source: `pin: sha256:…` as printed by the engine for the files the glob
    matches today (after reviewing them), or a `version` label of a published document set.
    There is no autofix: pinning says "these documents are the reviewed ones", which only a
    person can say.
    """
    for index, step in ctx.steps("retrieve"):
        for number, source in enumerate(step.sources):
            loc = ("steps", index, "sources", number)
            if source.pin is None and source.version is None:
                yield Hit(
                    loc,
                    f"source `{source.path}` of step `{step.id}` is not pinned: no `pin` or `version`",
                    fix_hint="add pin: sha256:<digest of the reviewed files> or version: <label>",
                )
            elif source.pin is not None and not _PIN_RE.match(source.pin):
                yield Hit(
                    (*loc, "pin"),
                    f"pin `{source.pin}` of source `{source.path}` is not sha256:<64 hex digits>",
                    fix_hint="use the sha256 digest of the documents as the pin",
                )


@rule("FG402", "rag-missing-freshness", "warning", fixable=True)
def rag_missing_freshness(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a retrieve step without `freshness`.

    Why it matters
    Stale documents produce confident, wrong answers. A freshness window makes a source
    older than it an error the engine reports, instead of an answer the customer reads.

    Example
    Failing:

        - id: docs
          type: retrieve
          query: "{{ event.body }}"
          sources: [{path: docs/*.md, version: "2026-11-01"}]

    Passing:

        - id: docs
          type: retrieve
          query: "{{ event.body }}"
          sources: [{path: docs/*.md, version: "2026-11-01"}]
          freshness: 30d

    Fix
    Set `freshness` to how old the documents may be. The autofix sets 30d (the policy's
    default for help-centre style documents, and the longest FG403 accepts on a realtime
    flow); shorten it for documents that change more often.
    """
    message = "retrieve step `{id}` has no `freshness`: stale documents are used silently"
    yield from ctx.steps_missing("retrieve", "freshness", message, f"add freshness: {FRESHNESS_DEFAULT}")


@fixer("FG402")
def _fix_freshness(tree: CommentedMap, ctx: Context) -> list[str]:
    return add_to_flagged_steps(tree, ctx, "FG402", "freshness", FRESHNESS_DEFAULT, FRESHNESS_DEFAULT)


@rule("FG403", "rag-freshness-too-long", "info")
def rag_freshness_too_long(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a retrieve step whose `freshness` is longer than 30 days in a realtime flow (a
    webhook or queue trigger with `sla.latency_p95`).

    Why it matters
    A realtime answer is read as current. Documents up to months old behind a fast answer
    are how a support bot quotes last quarter's prices.

    Example
    Failing (a webhook flow with an SLA):

        freshness: 90d

    Passing:

        freshness: 7d

    Fix
    Shorten `freshness` to how often the documents really change (and re-publish them at
    least that often). No autofix: the right window depends on the documents.
    """
    if not is_realtime(ctx.flow):
        return
    for index, step in ctx.steps("retrieve"):
        if step.freshness is not None and step.freshness > REALTIME_FRESHNESS_MAX:
            from copilot.flow.units import format_duration

            yield Hit(
                ("steps", index, "freshness"),
                f"freshness {format_duration(step.freshness)} of step `{step.id}` is longer than 30d "
                "on a realtime flow",
                fix_hint="use a freshness of at most 30d",
            )


@rule("FG404", "rag-empty-unhandled", "warning", fixable=True)
def rag_empty_unhandled(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a retrieve step without `on_empty`.

    Why it matters
    A query that matches nothing is normal (a new topic, a typo). If the flow does not say
    what happens then, the next model step answers without context and makes something up.

    Example
    Failing:

        - id: docs
          type: retrieve
          query: "{{ event.question }}"
          sources: [{path: kb/faq/*.md, version: "2026-10-15"}]

    Passing:

        - id: docs
          type: retrieve
          query: "{{ event.question }}"
          sources: [{path: kb/faq/*.md, version: "2026-10-15"}]
          on_empty: {action: default, value: []}

    Fix
    Add `on_empty` (`default`, `skip`, `dead_letter` or `fail`). The autofix adds
    `{action: default, value: []}`: dependants get an empty list they can check.
    """
    question = "retrieve step `{id}` has no `on_empty`: what happens when nothing matches?"
    yield from ctx.steps_missing(
        "retrieve", "on_empty", question, "add on_empty: {action: default, value: []}"
    )


@fixer("FG404")
def _fix_on_empty(tree: CommentedMap, ctx: Context) -> list[str]:
    return add_to_flagged_steps(
        tree, ctx, "FG404", "on_empty", ON_EMPTY_DEFAULT, "{action: default, value: []}"
    )


@rule("FG405", "rag-unbounded-top-k", "warning", fixable=True)
def rag_unbounded_top_k(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a retrieve step with no `top_k`, or `top_k` above 20.

    Why it matters
    Every passage retrieved is pasted into the next prompt: more input tokens, a slower
    model call, a higher cost, and answers diluted by weak matches.

    Example
    Failing:

        top_k: 50

    Passing:

        top_k: 4

    Fix
    Set `top_k` to what the answer needs. The autofix sets 4 where it is missing and 20
    where it is above 20.
    """
    for index, step in ctx.steps("retrieve"):
        if step.top_k is None:
            yield Hit(
                ("steps", index, "id"),
                f"retrieve step `{step.id}` has no `top_k`: the prompt size is unbounded",
                fix_hint=f"add top_k: {TOP_K_DEFAULT}",
            )
        elif step.top_k > TOP_K_MAX:
            yield Hit(
                ("steps", index, "top_k"),
                f"top_k {step.top_k} of step `{step.id}` is above {TOP_K_MAX}: large prompts, slow answers",
                fix_hint=f"use top_k of at most {TOP_K_MAX}",
            )


@fixer("FG405")
def _fix_top_k(tree: CommentedMap, ctx: Context) -> list[str]:
    from copilot.flow.dump import merge_into

    changes = []
    for hit in ctx.hits_to_fix("FG405"):
        index = hit.step_index
        node = tree["steps"][index]
        value = TOP_K_MAX if hit.loc[-1] == "top_k" else TOP_K_DEFAULT
        merge_into(node, "top_k", value, ("steps", index))
        changes.append(f"steps[{index}] `{node.get('id')}`: top_k: {value}")
    return changes


# ---------------------------------------------------------------------------- FG406

_LABEL_TYPES = {"boolean", "integer", "number", "null"}


def _is_label(schema: Any, path: tuple[str | int, ...]) -> bool:
    """Whether `path` inside a value of `schema` holds only labels (see `_labels_only`), not text."""
    node = schema
    for part in path:
        if not isinstance(node, dict):
            return False
        if isinstance(part, int) or part.isdigit():
            node = node.get("items")
        else:
            props = node.get("properties")
            node = props.get(part) if isinstance(props, dict) else None
    return _labels_only(node)


def _labels_only(node: Any) -> bool:
    """An enum, const, boolean or number, or an object made only of those: a decision, not text."""
    if not isinstance(node, dict):
        return False
    if "enum" in node or "const" in node:
        return True
    kind = node.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if kind is not None and kinds <= _LABEL_TYPES:
        return True
    props = node.get("properties")
    return (
        kind == "object"
        and isinstance(props, dict)
        and bool(props)
        and all(map(_labels_only, props.values()))
    )


def _step_output_refs(ctx: Context, owner: str, *fields: str) -> Iterator[tuple[Site, tuple[str, ...]]]:
    """(site, path after `output`) of every `steps.<id>.output…` the owner's `fields` read."""
    for site in ctx.sites_by_owner.get(owner, ()):
        if site.field not in fields:
            continue
        for parts in site_references(site):
            if len(parts) >= 3 and parts[0] == "steps" and parts[2] == "output":
                yield site, parts[1:]


def answer_sources(
    ctx: Context, step_id: str, path: tuple[str, ...], seen: frozenset[str] = frozenset()
) -> set[str]:
    """The model steps whose text reaches `steps.<step_id>.output.<path>`.

    A model step's own output is text unless `path` names a label of its `output_schema`
    (an enum, a const, a boolean or a number: a decision, not an answer). A validate step
    passes its `input` on unchanged and a transform step the values of its `output`
    templates, so both are followed back to what they read.
    """
    step = ctx.step_by_id.get(step_id)
    if step is None or step_id in seen:
        return set()
    seen = seen | {step_id}
    if step.type == "model":
        return set() if _is_label(step.output_schema, path) else {step_id}
    found: set[str] = set()
    if step.type == "validate":
        for _, (source, _output, *rest) in _step_output_refs(ctx, step_id, "input"):
            found |= answer_sources(ctx, source, (*rest, *path), seen)
    elif step.type == "transform":
        for site, (source, _output, *rest) in _step_output_refs(ctx, step_id, "output"):
            where = tuple(str(p) for p in site.loc[site.loc.index("output") + 1 :])
            if where[: len(path)] == path:
                found |= answer_sources(ctx, source, tuple(rest), seen)
            elif path[: len(where)] == where:
                found |= answer_sources(ctx, source, (*rest, *path[len(where) :]), seen)
    return found


def _answers(ctx: Context) -> set[str]:
    """Model steps whose text reaches the response body: what the caller reads as the answer.

    Text sent elsewhere (a summary for the CRM, a note on a case) is a record, not an answer
    to the caller, and documents need not ground it.
    """
    found: set[str] = set()
    owners = [("respond", ("body",))]
    for owner, fields in owners:
        for _, (source, _output, *rest) in _step_output_refs(ctx, owner, *fields):
            found |= answer_sources(ctx, source, tuple(rest))
    return found


def _unread_retrievals(ctx: Context) -> list[str]:
    """Retrieve steps whose documents no model prompt reads, directly or through validate/transform steps."""
    graph = ctx.analysis.graph
    prompts: set[str] = set()
    for _, step in ctx.steps("model"):
        prompts |= {parts[0] for _, parts in _step_output_refs(ctx, step.id, "prompt.system", "prompt.user")}
    unread = []
    for _, retrieve in ctx.steps("retrieve"):
        passers = {
            s for s in graph.descendants(retrieve.id) if ctx.step_by_id[s].type in ("validate", "transform")
        }
        if not prompts & {retrieve.id, *passers}:
            unread.append(retrieve.id)
    return unread


@rule("FG406", "ungrounded-answer", "error")
def ungrounded_answer(ctx: Context) -> Iterator[Hit]:
    """What it does
    In a flow that retrieves documents no model prompt reads, flags a model step whose
    text reaches the response body (directly, or passed on by validate and transform steps)
    although no retrieve step is among its `needs`, transitively, and its prompt reads no
    retrieve output. A model step whose output only decides something (`if:` conditions,
    enum, boolean or number fields of its `output_schema`) is not an answer; nor is text
    next to a grounded answer (a translation or summary of the event, when every retrieval
    reaches some prompt).

    Why it matters
    The flow retrieves documents so that answers come from them. An answer written without
    them comes from the model's memory: plausible, confident, and possibly wrong or out of
    date, with nothing pinned or fresh behind it, while the flow looks grounded.

    Example
    Failing: `reply` writes the answer without the passages `docs` retrieved.

        steps:
          - id: docs
            type: retrieve
            query: "{{ event.body }}"
            sources: [{path: docs/*.md, version: "2026-11-01"}]
          - id: reply
            type: model
            model: fast
            prompt: {user: "Answer the customer: {{ event.body }}"}
        respond:
          needs: [reply, docs]
          body: {answer: "{{ steps.reply.output.text }}"}

    Passing:

          - id: reply
            type: model
            model: fast
            needs: [docs]
            prompt: {user: "Answer only from these passages: {{ steps.docs.output }} Q: {{ event.body }}"}

    Fix
    Give the step the retrieved passages (`needs: [<retrieve step>]` and its output in the
    prompt), or send the answer through a step that is grounded. No autofix: which documents
    ground which answer is a person's decision.
    """
    unread = _unread_retrievals(ctx)
    if not unread:
        return
    retrieves = {step.id for _, step in ctx.steps("retrieve")}
    answers = _answers(ctx)
    graph = ctx.analysis.graph
    for index, step in ctx.steps("model"):
        if step.id not in answers or ctx.step_by_id.get(step.id) is not step:
            continue
        if graph.ancestors(list(step.needs)) & retrieves:
            continue
        prompt = {parts[0] for _, parts in _step_output_refs(ctx, step.id, "prompt.system", "prompt.user")}
        if prompt & retrieves:
            continue
        named = unread[0]
        yield Hit(
            ("steps", index, "id"),
            f"model step `{step.id}` writes an answer without the retrieved documents: no retrieve "
            "step among its needs and none in its prompt, so it answers from the model's memory",
            fix_hint=f"give it the retrieved passages (needs: [{named}], and use "
            f"`{{{{ steps.{named}.output }}}}` in the prompt), or answer from a grounding gate",
        )
