"""The drafter and `flowgen lint --fix` write the same production defaults (`copilot.policy`).

Each case takes the lint-clean base flow, deletes the values a default is for, runs the
real `fix_text`, and compares what the fixers wrote with what the drafter's real building
blocks (`copilot.draft.blocks`) write for the same kind of step. A fixer or a block that
picks its own number fails here, whichever side drifts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from copilot import policy
from copilot.catalog import default_catalog
from copilot.draft import blocks
from copilot.flow.load import load_flow_text
from copilot.flow.units import parse_duration
from copilot.lint.fixes import fix_text
from copilot.lint.rules import find_rule

BASE = Path(__file__).parent / "fixtures" / "rules" / "_bases" / "clean.yaml"
CLEAN = BASE.read_text(encoding="utf-8")


def without(*pairs: tuple[str, str]) -> str:
    """The clean base with each `old` line (which must exist) replaced by `new`."""
    text = CLEAN
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def fixed(text: str) -> tuple[Any, dict[str, Any]]:
    """(the fixed flow, its plain data): the fixes must apply and validate."""
    new, changes = fix_text(text, str(BASE))
    assert changes, "no fix applied"
    loaded = load_flow_text(new, str(BASE))
    return loaded.flow, loaded.doc.data


def seconds(value: Any) -> float:
    return parse_duration(value) if isinstance(value, str) else float(value)


def retry_numbers(block: dict[str, Any]) -> tuple[float, float, str, bool]:
    return seconds(block["initial"]), seconds(block["max"]), block["backoff"], block["jitter"]


def p95(alias_id: str) -> float:
    return default_catalog().get(alias_id).p95


# ---------------------------------------------------------------------------- retrieval


def test_retrieve_defaults_agree() -> None:
    text = without(
        ("    freshness: 30d\n", ""),
        ("    top_k: 4\n", ""),
        ("    on_empty: {action: default, value: []}\n", ""),
        ("    timeout: 150ms\n", ""),
    )
    _, data = fixed(text)
    fixer = next(s for s in data["steps"] if s["id"] == "docs")
    drafter = blocks.retrieve_step("docs", "{{ event.body }}", "docs/*.md", "sha256:0", [], None)
    assert seconds(fixer["freshness"]) == seconds(drafter["freshness"])
    assert fixer["top_k"] == drafter["top_k"]
    assert fixer["on_empty"] == drafter["on_empty"]
    assert seconds(fixer["timeout"]) == seconds(drafter["timeout"])


# ---------------------------------------------------------------------------- model calls


def test_hot_model_timeout_and_retry_agree() -> None:
    # A roomy SLA: the timeout is the policy's headroom over p95, not a share of the SLA.
    text = without(
        ("  latency_p95: 2s ", "  latency_p95: 5s "),
        ("    timeout: 900ms\n", ""),
        (
            "    retry: {attempts: 2, backoff: exponential, initial: 100ms, max: 400ms, jitter: true, "
            "on: [timeout, rate_limit, server_error]}\n",
            "    retry: {attempts: 1}\n",
        ),
    )
    _, data = fixed(text)
    fixer = data["steps"][0]
    assert fixer["id"] == "classify"
    model_p95 = p95("openai/gpt-4o-mini-2024-07-18")
    assert seconds(fixer["timeout"]) == blocks.model_timeout(model_p95, share=5.0)
    assert retry_numbers(fixer["retry"]) == retry_numbers(blocks.call_retry(hot=True, side_effect=False))


def test_async_model_timeout_and_retry_agree() -> None:
    text = without(
        ("    timeout: 20s\n", ""),
        (
            "    retry: {attempts: 2, backoff: exponential, initial: 1s, max: 5s, jitter: true}\n",
            "    retry: {attempts: 2}\n",
        ),
    )
    _, data = fixed(text)
    fixer = next(s for s in data["steps"] if s["id"] == "enrich")
    model_p95 = p95("openai/gpt-4o-2024-08-06")
    assert seconds(fixer["timeout"]) == blocks.model_timeout(model_p95, hot=False)
    assert retry_numbers(fixer["retry"]) == retry_numbers(blocks.call_retry(hot=False, side_effect=False))


def test_model_timeout_fits_the_share_of_the_sla() -> None:
    # What the drafter and the fixer share: under a tight share, the share (not 1.25 × p95).
    assert policy.model_timeout(0.85, None) == 1.1
    assert policy.model_timeout(0.85, 1.0) == 1.0
    assert policy.model_timeout(0.85, 0.5) == 0.25  # the fallback gets the other half
    assert policy.model_timeout(0.85, 0.5, fallback=False) == 0.85
    assert policy.model_timeout(0.2, None) == 0.3  # at least 100 ms above a fast call's p95


# ---------------------------------------------------------------------------- side effects


def test_side_effect_timeout_and_retry_agree() -> None:
    text = without(
        ("    timeout: 1s\n", ""),
        (
            "    retry: {attempts: 3, backoff: exponential, initial: 200ms, max: 2s, jitter: true, "
            "on: [timeout, server_error]}\n",
            "    retry: {attempts: 3}\n",
        ),
    )
    _, data = fixed(text)
    fixer = next(s for s in data["steps"] if s["id"] == "page_oncall")
    drafter = blocks.http_step(
        "page_oncall", "PAGER_URL", {}, needs=[], condition=None, id_template="{{ event.id }}"
    )
    assert seconds(fixer["timeout"]) == seconds(drafter["timeout"])
    assert retry_numbers(fixer["retry"]) == retry_numbers(drafter["retry"])


# ---------------------------------------------------------------------------- flow-level blocks


def test_dead_letter_agrees() -> None:
    text = without(("on_error:\n  dead_letter: {path: .flowgen/dead-letter.jsonl}\n", ""))
    flow, data = fixed(text)
    assert data["on_error"] == blocks.dead_letter(flow.name)


def test_observability_agrees() -> None:
    start = CLEAN.index("observability:\n")
    end = CLEAN.index("tests:\n")
    flow, data = fixed(CLEAN[:start] + CLEAN[end:])
    drafter = blocks.observability(flow.sla.latency_p95, flow.sla.max_cost_per_event, [])
    fixer = data["observability"]
    assert fixer["tracing"] == drafter["tracing"]
    assert fixer["metrics"] == drafter["metrics"]
    alerts = [(a["metric"], a["window"]) for a in fixer["alerts"]]
    assert alerts == [(a["metric"], a["window"]) for a in drafter["alerts"]]
    assert fixer["alerts"][0]["above"] == drafter["alerts"][0]["above"]
    assert seconds(fixer["alerts"][1]["above"]) == seconds(drafter["alerts"][1]["above"])
    assert fixer["alerts"][2]["above"] == drafter["alerts"][2]["above"]


def test_trigger_dedupe_window_agrees() -> None:
    text = without(('  idempotency_key: "{{ event.id }}"\n  dedupe_window: 24h\n', ""))
    _, data = fixed(text)
    assert data["trigger"]["dedupe_window"] == blocks.DEDUPE_WINDOW == policy.DEDUPE_WINDOW


# ---------------------------------------------------------------------------- what the docs promise


@pytest.mark.parametrize(
    ("code", "promised"),
    [
        ("FG402", f"The autofix sets {policy.FRESHNESS}"),
        ("FG405", f"The autofix sets {policy.TOP_K} where it is missing"),
        ("FG101", f"`max({policy.TIMEOUT_HEADROOM:g} × p95, p95 + 100 ms)`"),
    ],
)
def test_rule_docs_state_the_policy(code: str, promised: str) -> None:
    rule = find_rule(code)
    assert rule is not None
    assert promised in " ".join(rule.doc.split())


def test_checklist_guidance_states_the_policy() -> None:
    from copilot.checklist import load_checklist

    guidance = {item.id: item.guidance for item in load_checklist()}
    assert f"({policy.FRESHNESS} for" in guidance["rag-fresh"]
    assert f"({policy.TOP_K} is a good start" in guidance["rag-bounded"]
