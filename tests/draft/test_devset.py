"""The drafting dev set (tests/data/devset) is well formed, and offline drafts keep their score.

The evaluator is `bench/draft_eval.py`; `python bench/draft_eval.py -v` shows what fails.
"""

from __future__ import annotations

import copy
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT / "tests" / "data" / "devset"

# The overall dev set score of the offline drafter, measured and rounded down to the nearest 5%.
# Raise it as the drafter improves (never lower it to make a change pass).
SCORE_FLOOR = 0.92  # measured 0.921 (325/353) on 2026-12-07; raise it as the drafter improves


def _load_eval():
    name = "flowgen_bench_draft_eval"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "draft_eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


draft_eval = _load_eval()
CASES = draft_eval.load_devset(DEVSET)


def test_devset_size_and_spread():
    assert len(CASES) >= 32
    ids = [c.get("id") for c in CASES]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    domains = {c.get("domain") for c in CASES}
    assert len(domains) >= 6, domains
    triggers = Counter(c["expect"]["trigger"] for c in CASES)
    assert set(triggers) == {"webhook", "queue", "schedule"}, triggers


@pytest.mark.parametrize("case", CASES, ids=[c.get("id", "?") for c in CASES])
def test_devset_case_is_well_formed(case):
    assert draft_eval.validate_case(case) == []
    assert case["brief"].strip()
    for se in case["expect"].get("side_effects") or []:
        re.compile(se["match"])
        if se.get("when") is not None:
            re.compile(se["when"])


def test_validate_case_reports_problems():
    bad = {
        "id": "x",
        "domain": "support",
        "brief": "too short",
        "expect": {"trigger": "email", "side_effects": [{"name": "a", "match": "("}], "order": [["a"]]},
    }
    errors = "\n".join(draft_eval.validate_case(bad))
    assert "brief" in errors
    assert "expect.trigger" in errors
    assert "bad regex" in errors
    assert "expect.order[0]" in errors


# A hand-written correct flow must pass every check; each mistake must fail its own check.

EXAMPLE_EXPECT = {
    "trigger": "webhook",
    "sla_ms": 1500,
    "budget_usd": 0.004,
    "side_effects": [{"name": "page on-call", "match": "page|on.?call", "when": "urgen|high|critical"}],
    "forbid": ["slack", "jira"],
    "grounded": True,
    "order": [["classif", "page|on.?call"]],
    "no_wait": [["page|on.?call", "summar|enrich|crm"]],
}


@pytest.fixture(scope="module")
def example_flow():
    with (ROOT / "examples" / "flows" / "support-triage.yaml").open(encoding="utf-8") as fh:
        return draft_eval._yaml().load(fh)


def _failed(flow, expect=EXAMPLE_EXPECT):
    return {c["name"] for c in draft_eval.score_flow(expect, flow) if not c["passed"]}


def _step(flow, sid):
    return next(s for s in flow["steps"] if s["id"] == sid)


def test_correct_flow_passes_every_check(example_flow):
    checks = draft_eval.score_flow(EXAMPLE_EXPECT, example_flow)
    assert len(checks) == 10
    assert [c for c in checks if not c["passed"]] == []


def test_each_mistake_fails_its_check(example_flow):
    flow = copy.deepcopy(example_flow)
    del _step(flow, "page_oncall")["if"]
    assert _failed(flow) == {"side_effect_when:page on-call"}

    flow = copy.deepcopy(example_flow)
    _step(flow, "page_oncall")["needs"] = ["checked", "enrich"]
    assert _failed(flow) == {"no_wait:page|on.?call !<- summar|enrich|crm"}

    flow = copy.deepcopy(example_flow)
    _step(flow, "answer")["needs"] = []
    assert _failed(flow) == {"grounded"}

    flow = copy.deepcopy(example_flow)
    _step(flow, "page_oncall")["request"]["method"] = "GET"  # a read is not a side effect
    assert _failed(flow) == {"side_effect:page on-call", "side_effect_when:page on-call"}

    flow = copy.deepcopy(example_flow)
    flow["steps"].append({"id": "notify_slack", "type": "http", "request": {"url": "${env:SLACK_URL}"}})
    flow["trigger"] = {"type": "queue", "source": "kafka://b:9092", "topic": "t"}
    flow["sla"] = {"latency_p95": "2s", "max_cost_per_event": 0.005}
    assert _failed(flow) == {"forbid:slack", "trigger", "sla", "budget"}


def test_classifier_labels_are_not_answers(example_flow):
    """An enum field of a classifier in the response does not need grounding; free text does."""
    flow = copy.deepcopy(example_flow)
    _step(flow, "classify")["output_schema"]["properties"]["category"] = {"enum": ["faq", "other"]}
    _step(flow, "checked")["output_schema"]["properties"]["category"] = {"enum": ["faq", "other"]}
    flow["respond"]["body"]["category"] = "{{ steps.checked.output.category }}"
    assert _failed(flow) == set()
    flow["respond"]["body"]["why"] = "{{ steps.classify.output }}"
    assert _failed(flow) == {"grounded"}


def test_offline_drafts_keep_their_score():
    # The drafter's own load test hardens resilience settings only, nothing the dev set checks,
    # and is most of a draft's time: skipped here (the benchmark runs it by default).
    result = draft_eval.evaluate(DEVSET, own_test=False)
    assert result["total"] > 0
    summary = ", ".join(f"{k} {v['passed']}/{v['total']}" for k, v in result["kinds"].items())
    assert result["score"] >= SCORE_FLOOR, (
        f"dev set score {result['score']:.1%} < floor {SCORE_FLOOR:.0%} ({summary}); "
        "run `python bench/draft_eval.py -v` to see the failing checks"
    )
