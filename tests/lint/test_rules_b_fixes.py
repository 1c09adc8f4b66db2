"""The safe autofixes of FG3xx–FG8xx: what they write, sized from the flow, comments kept.

The fixtures check that each fix clears its rule; these check that the values written are
the right ones (derived from the SLA, budget, trigger rate and provider limits), that
fixes agree with each other in one pass, and that suppressed findings are left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from copilot.flow.load import load_flow_text
from copilot.lint.config import LintConfig
from copilot.lint.engine import lint_text
from copilot.lint.fixes import fix_text

from .fixture_tools import BASES, comments, patched

CLEAN = str(BASES / "clean.yaml")
PART_B_FIXABLE = {
    "FG301", "FG302", "FG303", "FG304", "FG402", "FG404", "FG405", "FG501", "FG505", "FG602",
    "FG801", "FG802", "FG803",
}  # fmt: skip
NAIVE = Path(__file__).parent / "data" / "naive-b.yaml"


def fixed(text: str, config: LintConfig | None = None) -> tuple[Any, list[str], str]:
    """(the fixed flow, the change descriptions, the fixed text); the result must validate."""
    new, changes = fix_text(text, CLEAN, config)
    return load_flow_text(new, CLEAN).flow, changes, new


def data(flow: Any, *keys: str) -> Any:
    out = flow.model_dump(mode="json", by_alias=True, exclude_none=True)
    for key in keys:
        out = out[key]
    return out


def codes(text: str) -> set[str]:
    return {f.code for f in lint_text(text, CLEAN)}


def test_naive_flow_loses_every_fixable_part_b_finding_and_keeps_its_comments() -> None:
    text = NAIVE.read_text(encoding="utf-8")
    before = codes(text)
    assert before >= PART_B_FIXABLE, PART_B_FIXABLE - before
    _, changes, new = fixed(text)
    assert {c.split()[0] for c in changes} >= PART_B_FIXABLE
    assert codes(new).isdisjoint(PART_B_FIXABLE), codes(new) & PART_B_FIXABLE
    # The decisions that belong to a person are still reported.
    assert {"FG401", "FG503", "FG601", "FG701", "FG702", "FG703", "FG704", "FG705"} <= codes(new)
    assert comments(text) and all(c in comments(new) for c in comments(text))


def test_tests_skeleton_is_sized_from_the_rate_limit_sla_and_budget() -> None:
    text = patched(
        "clean", {"tests": "~delete", "trigger.rate_limit": {"limit": 20, "period": "1s", "burst": 40}}
    )
    flow, _, _ = fixed(text)
    tests = data(flow, "tests")
    assert tests["load"] == {
        "executor": "burst",
        "events": 120,
        "rate": "20/s",
        "burst": {"size": 40, "every": "2s"},
        "stages": [],
    }
    # The default chaos set: jitter on every primary model (hot path first), 503s everywhere,
    # hangs on the first hot-path model.
    assert [(c["target"], c["type"]) for c in tests["chaos"]] == [
        ("model:fast", "latency"),
        ("model:heavy", "latency"),
        ("model:*", "error"),
        ("model:fast", "timeout"),
    ]
    assert tests["chaos"][2]["status"] == 503
    assert tests["thresholds"] == {
        "latency": ["p(95)<2s"],
        "errors": ["rate<0.01"],
        "cost_per_event": ["avg<0.01"],
    }


def test_load_without_a_rate_limit_is_10_per_second() -> None:
    text = patched("clean", {"tests": "~delete", "trigger.rate_limit": "~delete"})
    flow, _, _ = fixed(text, LintConfig.from_mapping({"ignore": ["FG501"]}))
    assert data(flow, "tests", "load")["rate"] == "10/s"
    assert data(flow, "tests", "load")["events"] == 60


def test_load_follows_the_rate_limit_fg501_adds_in_the_same_pass() -> None:
    text = patched("clean", {"tests": "~delete", "trigger.rate_limit": "~delete"})
    flow, _, _ = fixed(text)
    limit = data(flow, "trigger", "rate_limit")
    assert limit == {"limit": 50, "period": "1s", "burst": 100}
    assert data(flow, "tests", "load")["rate"] == "50/s"
    assert data(flow, "tests", "load")["burst"]["size"] == 100


def test_thresholds_fix_keeps_the_authors_and_adds_the_binding_one() -> None:
    text = patched("clean", {"tests.thresholds.latency": ["p(95)<5s"], "tests.thresholds.errors": "~delete"})
    flow, changes, _ = fixed(text)
    assert data(flow, "tests", "thresholds") == {
        "latency": ["p(95)<5s", "p(95)<2s"],
        "cost_per_event": ["avg<0.01"],
        "errors": ["rate<0.01"],
    }
    assert "FG803 tests.thresholds.latency: added p(95)<2s" in changes


def test_rate_limit_default_is_lowered_to_what_the_models_sustain() -> None:
    # `fast` serves two calls per event (classify, and answer's routed choice): 600 rpm / 60 / 2 = 5/s.
    text = patched(
        "clean",
        {
            "trigger.rate_limit": "~delete",
            "models.fast": {"use": "openai/gpt-4o-mini-2024-07-18", "limits": {"rpm": 600}},
        },
    )
    flow, _, new = fixed(text)
    assert data(flow, "trigger", "rate_limit") == {"limit": 5, "period": "1s", "burst": 10}
    assert "FG506" not in codes(new)


def test_rate_limit_below_one_per_second_is_written_per_minute() -> None:
    text = patched(
        "clean",
        {
            "trigger.rate_limit": "~delete",
            "models.fast": {"use": "openai/gpt-4o-mini-2024-07-18", "limits": {"rpm": 60}},
        },
    )
    flow, _, new = fixed(text)
    assert data(flow, "trigger", "rate_limit") == {"limit": 30, "period": "1m", "burst": 30}
    assert "FG506" not in codes(new)


@pytest.mark.parametrize(
    ("patches", "expected"),
    [
        # Little's law: 50/s x 2s SLA x 2 headroom.
        ({"trigger.concurrency": "~delete"}, 200),
        ({"trigger.concurrency": "~delete", "trigger.rate_limit": {"limit": 5, "period": "1s"}}, 20),
        ({"trigger.concurrency": "~delete", "trigger.rate_limit": {"limit": 60, "period": "1m"}}, 10),
        ({"trigger": {"type": "schedule", "every": "5m"}}, 1),
    ],
)
def test_concurrency_default(patches: dict[str, Any], expected: int) -> None:
    flow, _, _ = fixed(patched("clean", patches))
    assert flow.trigger.concurrency == expected


def test_alerts_come_from_the_sla_and_budget() -> None:
    text = patched("clean", {"observability.alerts": "~delete", "sla.latency_p95": "1500ms"})
    flow, _, _ = fixed(text)
    alerts = data(flow, "observability", "alerts")
    assert [(a["metric"], a["above"], a["window"]) for a in alerts] == [
        ("error_rate", 0.02, "5m"),
        ("latency_p95", "1.5s", "5m"),
        ("cost_per_event", 0.01, "1h"),
    ]


def test_observability_defaults() -> None:
    flow, _, _ = fixed(patched("clean", {"observability": "~delete"}))
    obs = data(flow, "observability")
    assert obs["tracing"]["exporter"] == "otlp"
    assert obs["tracing"]["endpoint"] == "${env:OTEL_EXPORTER_OTLP_ENDPOINT}"
    assert obs["metrics"] == {"exporter": "prometheus", "port": 9464}


def test_redact_fix_appends_and_leaves_suppressed_fields_alone() -> None:
    text = patched(
        "clean",
        {
            "trigger.event_schema.properties.phone": {"type": "string"},
            "steps[classify].prompt.user": "{{ event.body }} from {{ event.email }}",
            "steps[page_oncall].request.json": {"ticket": "{{ event.id }}", "call": "{{ event.phone }}"},
            "observability.redact": ["event.subject"],
        },
    )
    flow, _, _ = fixed(text)
    assert data(flow, "observability", "redact") == ["event.subject", "event.email", "event.phone"]
    # A suppressed finding is a person's decision: the fix does not redact that field.
    line = '      user: "{{ event.body }} from {{ event.email }}"'
    assert line in text
    silenced = text.replace(line, line + '  # flowgen: disable=FG304 reason="hashed upstream"')
    flow, _, _ = fixed(silenced)
    assert data(flow, "observability", "redact") == ["event.subject", "event.phone"]


def test_retrieve_fixes_put_keys_in_design_order() -> None:
    text = patched(
        "clean",
        {
            "steps[docs].freshness": "~delete",
            "steps[docs].top_k": "~delete",
            "steps[docs].on_empty": "~delete",
        },
    )
    flow, _, new = fixed(text)
    docs = flow.step("docs")
    assert (docs.freshness, docs.top_k, docs.on_empty.action, docs.on_empty.value) == (
        30 * 86400.0,
        4,
        "default",
        [],
    )
    block = new[new.index("- id: docs") : new.index("- id: answer")]
    keys = [
        line.strip().split(":")[0] for line in block.splitlines() if line.startswith("    ") and ":" in line
    ]
    assert keys.index("sources") < keys.index("freshness") < keys.index("top_k") < keys.index("on_empty")
    assert keys.index("on_empty") < keys.index("timeout")


def test_validate_fix_dead_letters() -> None:
    flow, _, _ = fixed(patched("clean", {"steps[checked].on_fail": "~delete"}))
    assert flow.step("checked").on_fail.action == "dead_letter"


def test_a_clean_flow_needs_no_fix() -> None:
    text = (BASES / "clean.yaml").read_text(encoding="utf-8")
    new, changes = fix_text(text, CLEAN)
    assert changes == [] and new == text


def test_strings_with_a_colon_are_quoted_so_the_loader_reads_them_back() -> None:
    """The chaos skeleton's `model:*` in a flow mapping must survive libyaml (a dump.py fix)."""
    from copilot.flow.dump import dump_flow

    example = Path(__file__).parents[2] / "examples" / "flows" / "support-triage.yaml"
    flow = load_flow_text(example.read_text(encoding="utf-8"), str(example)).flow
    text = dump_flow(flow)
    assert '{target: "model:*", type: error' in text
    again = load_flow_text(text, "dumped.yaml").flow
    assert [c.target for c in again.tests.chaos] == [c.target for c in flow.tests.chaos]
