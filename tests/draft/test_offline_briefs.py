"""Every brief in tests/data/briefs, written the way people write them, drafts offline lint-clean.

Each brief carries its expectations in YAML front matter: the trigger, the SLA, and where
relevant the timetable, budget, cost tier, tasks and event fields.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from copilot.draft.drafting import DraftOptions, draft
from copilot.draft.reader import read
from copilot.draft.request import make_request
from copilot.flow.load import load_flow

ROOT = Path(__file__).resolve().parents[2]
BRIEFS = sorted((ROOT / "tests/data/briefs").glob("*.md"))


def expectations(path: Path) -> dict:
    text = path.read_text()
    assert text.startswith("---\n"), f"{path.name}: expectations go in front matter"
    return YAML(typ="safe").load(text.split("---\n")[1])


def test_there_are_at_least_25_briefs():
    assert len(BRIEFS) >= 25


@pytest.mark.parametrize("path", BRIEFS, ids=[p.stem for p in BRIEFS])
def test_brief_drafts_offline_lint_clean_with_the_expected_trigger_and_sla(path, tmp_path):
    expected = expectations(path)
    out = tmp_path / "flow.yaml"
    request = make_request(f"@{path}")
    outcome = draft(request, DraftOptions(provider="offline", out=str(out), own_test=False))
    if expected.get("refused"):
        # nothing in the brief says what to do: no placeholder flow, one reason, exit 2
        assert outcome.exit_code == 2 and not outcome.written and not out.exists()
        assert "nothing in the brief" in outcome.error
        return
    assert outcome.error is None
    errors = [f for f in outcome.findings if f["severity"] == "error"]
    assert errors == [], errors
    # the offline drafter never invents: every step quotes the brief or is a building block
    invented = [g for g in outcome.gaps if g["severity"] == "error"]
    assert invented == [], invented
    # gaps (an unmapped requirement) are written and exit 1; a draft without gaps exits 0
    assert outcome.written and outcome.exit_code == (1 if outcome.gaps else 0)

    flow = load_flow(out).flow
    assert flow.trigger.type == expected["trigger"]
    assert round(flow.sla.latency_p95 * 1000) == expected["sla_ms"]
    if "cron" in expected:
        assert flow.trigger.cron == expected["cron"]
    if "every" in expected:
        from copilot.flow.units import parse_duration

        assert flow.trigger.every == parse_duration(expected["every"])
    if "budget" in expected:
        assert flow.sla.max_cost_per_event == pytest.approx(expected["budget"])
    if "cost_tier" in expected:
        assert flow.sla.cost_tier == expected["cost_tier"]
    if "event_fields" in expected:
        assert sorted(flow.trigger.event_schema["properties"]) == sorted(expected["event_fields"])
    kinds = {t.kind for t in read(request.brief).tasks}
    assert set(expected["tasks"]) <= kinds, kinds
    # the drafted flow promises what it can keep
    analysis = outcome.analysis
    assert analysis.critical_path.p95 <= flow.sla.latency_p95
    assert analysis.cost_per_event <= flow.sla.max_cost_per_event
    # a satisfiable brief drafts with no lint warning and no loud warning; one that is not
    # (an SLA under every model's p95) says so, and answers with the deterministic 202
    warnings = [f for f in outcome.findings if f["severity"] == "warning"]
    assert warnings == [], warnings
    if "expect_warning" in expected:
        assert any(expected["expect_warning"] in w for w in outcome.warnings), outcome.warnings
        assert flow.respond.needs == ["accept"] and flow.respond.status == 202
    else:
        assert outcome.warnings == []


def _short(condition: str) -> str:
    """`{{ steps.check_classify.output.urgency == 'high' }}` -> `urgency == 'high'`."""
    import re

    return re.sub(r"steps\.check_\w+\.output\.", "", condition.removeprefix("{{ ").removesuffix(" }}"))


EXPECTING = [p for p in BRIEFS if "expect_steps" in p.read_text()]


def test_a_good_share_of_briefs_state_their_expected_steps():
    assert len(EXPECTING) >= 15


@pytest.mark.parametrize("path", EXPECTING, ids=[p.stem for p in EXPECTING])
def test_brief_drafts_the_expected_steps_conditions_and_labels(path, tmp_path):
    expected = expectations(path)
    out = tmp_path / "flow.yaml"
    outcome = draft(make_request(f"@{path}"), DraftOptions(provider="offline", out=str(out), own_test=False))
    assert outcome.written, outcome.error
    flow = load_flow(out).flow
    ids = [s.id for s in flow.steps if s.type != "validate"]
    assert ids == expected["expect_steps"], ids  # nothing missing, nothing invented
    for step_id, condition in (expected.get("expect_conditions") or {}).items():
        actual = flow.step(step_id).if_
        if condition is None:
            assert actual is None, (step_id, actual)
        else:
            assert actual is not None and _short(actual) == condition, (step_id, actual)
    if "expect_labels" in expected:
        assert flow.step("classify").output_schema["properties"]["label"]["enum"] == expected["expect_labels"]
    if "expect_fields" in expected:
        assert flow.step("extract").output_schema["required"] == expected["expect_fields"]
