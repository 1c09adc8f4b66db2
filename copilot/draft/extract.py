"""Getting the flow out of a model's answer, however it was wrapped.

Servers that honour structured output answer with bare JSON. Others wrap it in markdown
fences, put prose around it, answer in YAML, or stop half-way (`finish_reason: length`).
Each case either yields the JSON object or a `BadAnswer` whose `problem` is what the
repair prompt tells the model.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


class BadAnswer(Exception):
    """An answer with no usable JSON object; `kind` names the class of failure."""

    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(problem)
        self.kind = kind  # empty | truncated | not_json | wrong_shape
        self.problem = problem


def _objects_in(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Every complete JSON object that starts at a `{` in `text`, with its length."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, dict[str, Any]]] = []
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            found.append((end - start, value))
            start = text.find("{", end)
        else:
            start = text.find("{", start + 1)
    return found


def _yaml_mapping(text: str) -> dict[str, Any] | None:
    from copilot.errors import FlowgenError
    from copilot.flow.load import parse_yaml

    try:
        return parse_yaml(text, "<answer>").data
    except FlowgenError:
        return None


def extract_flow(content: str | None, finish_reason: str | None = None) -> tuple[dict[str, Any], str]:
    """The flow object in an answer and how it was found (json, fenced, prose, yaml)."""
    text = (content or "").strip()
    if not text:
        raise BadAnswer("empty", "Your answer was empty. Answer with the complete flow as one JSON object.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    else:
        if isinstance(value, dict):
            return value, "json"
        raise BadAnswer(
            "wrong_shape",
            f"Your answer was JSON but a {type(value).__name__}, not an object. Answer with the "
            "flow as one JSON object whose keys are apiVersion, kind, name, sla, trigger, models, steps, ….",
        )
    for lang, body in _FENCE.findall(text):
        body = body.strip()
        if lang.lower() in ("yaml", "yml"):
            data = _yaml_mapping(body)
            if data is not None:
                return data, "yaml"
        try:
            fenced = json.loads(body)
        except json.JSONDecodeError:
            continue
        if isinstance(fenced, dict):
            return fenced, "fenced"
    objects = _objects_in(text)
    flows = [o for o in objects if "steps" in o[1] or "apiVersion" in o[1]]
    if flows and finish_reason != "length":
        return max(flows, key=lambda o: o[0])[1], "prose"
    if finish_reason == "length" or ("{" in text and text.count("{") > text.count("}")):
        raise BadAnswer(
            "truncated",
            "Your answer was cut off before the JSON object was complete. Answer again with the "
            "complete flow, more compactly: leave out descriptions and optional fields you do not need.",
        )
    if text.lstrip().startswith(("apiVersion", "---")):
        data = _yaml_mapping(text)
        if data is not None:
            return data, "yaml"
    if objects:
        return max(objects, key=lambda o: o[0])[1], "prose"
    snippet = " ".join(text.split())[:160]
    raise BadAnswer(
        "not_json",
        f"Your answer was not JSON (it began: {snippet!r}). "
        "Answer with the flow as one JSON object and nothing else.",
    )
