"""What a brief keeps out of the flow, held against the drafted steps: decisions it keeps from
models, models altogether ("do not call any language model"), actions that wait for a person's
approval, and the writer's or judge's work no model step does.
"""

from __future__ import annotations

import re
from typing import Any

from copilot.draft.clauses import Clause
from copilot.draft.findings import finding, flow_steps
from copilot.draft.prohibitions import keeps_from_models


def kept_from_models(data: dict[str, Any], brief: str) -> list[dict[str, Any]]:
    """ "Whether an event counts as serious is decided by our rule engine, not the model": a step
    whose `if:` reads a field a model decides about that is a decision the brief keeps from models."""
    from copilot.draft.sentences import split_sentences
    from copilot.draft.verbs import clause_spans

    # clause by clause: "Anything mentioning danger must be escalated, and the AI must not tell
    # the resident it's safe" keeps the telling from models, not the judging of danger
    kept = [
        s[a:b]
        for s in split_sentences(brief)
        if keeps_from_models(s)
        for a, b in clause_spans(s)
        if keeps_from_models(s[a:b])
    ]
    if not kept:
        return []
    steps = flow_steps(data)
    models = {str(s.get("id")) for s in steps if s.get("type") == "model"}
    gates = {
        str(s.get("id")): str(s.get("input") or "").split(".")[1] if "." in str(s.get("input") or "") else ""
        for s in steps
        if s.get("type") == "validate"
    }
    out: list[dict[str, Any]] = []
    for index, step in enumerate(steps):
        for check, name in re.findall(r"steps\.(\w+)\.output\.(\w+)", str(step.get("if") or "")):
            if gates.get(check, check) not in models and check not in models:
                continue
            words = [w for w in name.split("_") if len(w) > 3]
            sentence = next(
                (
                    k
                    for k in kept
                    # every word of the field: "potential_match" is not "whether a match is a true hit"
                    if words and all(re.search(rf"\b{re.escape(w[:5])}", k, re.I) for w in words)
                ),
                None,
            )
            if sentence is not None:
                out.append(
                    finding(
                        "DR010",
                        f"step `{step.get('id')}` runs on `{name}`, which a model decides, but the brief "
                        f"keeps it from models ({sentence.strip()[:90]!r})",
                        ["steps", index, "if"],
                        "decide it where the brief says (an http step to that system, or a transform on "
                        "fields), and put the `if:` on that step's output",
                        clause=sentence.strip(),
                    )
                )
    return out


# verbs whose work is a model's (or the team's own scoring service's): a lookup that quotes the
# clause does not do it
_MODEL_WORK = frozenset({
    "write", "draft", "compose", "explain", "summarise", "summarize", "translate", "classify", "score",
    "extract", "tag", "judge", "grade", "assess", "rate",
})  # fmt: skip


def asks_model_work(clause: Clause) -> bool:
    """The clause's verb is a model's work, or it has the model do some ("look up the fault_code
    … and have the model explain the likely cause")."""
    from copilot.draft.verbs import base_verb

    caused = re.search(
        r"\b(?:have|let|ask|get)\s+(?:the\s+|an?\s+)?(?:model|llm|ai)\s+(?:to\s+)?([a-z]+)", clause.text, re.I
    )
    return clause.verb in _MODEL_WORK or bool(caused and base_verb(caused.group(1)) in _MODEL_WORK)


def does_model_work(step: dict[str, Any]) -> bool:
    if step.get("type") in ("model", "transform"):
        return True
    request = step.get("request") or {}
    return step.get("type") == "http" and str(request.get("method", "")).upper() != "GET"


def held_for_approval(brief: str) -> list[str]:
    """The clauses of the brief whose actions wait for a person's approval."""
    from copilot.draft.prohibitions import approval_gated
    from copilot.draft.sentences import split_sentences

    return [
        sentence[a:b].strip(" ,;.")
        for sentence in split_sentences(brief)
        for a, b in approval_gated(sentence)
    ]


def models_forbidden(data: dict[str, Any], brief: str) -> list[dict[str, Any]]:
    """ "Do not call any language model for this one": every model step breaks the brief's rule."""
    from copilot.draft.prohibitions import NO_MODELS
    from copilot.draft.sentences import split_sentences

    rule = next((s for s in split_sentences(brief) if NO_MODELS.search(s)), None)
    if rule is None:
        return []
    return [
        finding(
            "DR010",
            f"step `{step.get('id')}` calls a model, but the brief says {rule.strip()[:90]!r}",
            ["steps", index, "id"],
            "decide it with a transform on the event's fields or an http step to the system that "
            "knows, and remove the model step",
            clause=rule.strip(),
        )
        for index, step in enumerate(flow_steps(data))
        if step.get("type") == "model"
        # "No LLM is needed to decide anything here … have a model write a two-line
        # explanation": a rule against deciding leaves the writers the brief asks for
        and not (re.search(r"\bdecid", rule, re.I) and _writes(step))
    ]


def _writes(step: dict[str, Any]) -> bool:
    """A model step whose output is text it writes (a reply, an answer, a summary)."""
    properties = ((step.get("output_schema") or {}).get("properties") or {}).keys()
    return bool(set(properties) & {"text", "summary", "translation"}) and not (
        set(properties) & {"label", "decision", "score"}
    )
