"""The production-readiness checklist: complete against the rule registry, and rendered."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import copilot.lint.rules  # noqa: F401  (registers every rule family)
from copilot.checklist import (
    META_RULES,
    ChecklistItem,
    guidance,
    items_by_rule,
    load_areas,
    load_checklist,
    parse_checklist,
    render_markdown,
)
from copilot.cli import app
from copilot.errors import FlowgenError
from copilot.lint.rule import REGISTRY

DESIGN_AREAS = [
    "Latency and SLA",
    "Resilience",
    "Rate limits and cost",
    "RAG",
    "Validation",
    "Observability",
    "Security",
    "Testing",
]


def test_every_registered_rule_has_a_checklist_item() -> None:
    covered = items_by_rule(load_checklist())
    missing = sorted(code for code in REGISTRY if code not in covered and code not in META_RULES)
    assert missing == [], f"rules without a checklist item: {missing}"


def test_every_checklist_rule_is_registered() -> None:
    unknown = sorted(code for code in items_by_rule(load_checklist()) if code not in REGISTRY)
    assert unknown == [], f"checklist items name unknown rules: {unknown}"


def test_meta_rules_are_registered_and_not_in_the_checklist() -> None:
    covered = items_by_rule(load_checklist())
    for code in META_RULES:
        assert code in REGISTRY
        assert code not in covered


def test_all_fifty_seven_design_and_security_codes_are_covered() -> None:
    design = [f"FG{n:03d}" for n in range(1, 9)]
    design += [f"FG1{n:02d}" for n in range(1, 10)] + [f"FG2{n:02d}" for n in range(1, 10)]
    design += [f"FG3{n:02d}" for n in range(1, 5)] + [f"FG4{n:02d}" for n in range(1, 7)]
    design += [f"FG5{n:02d}" for n in range(1, 7)] + [f"FG6{n:02d}" for n in range(1, 3)]
    design += [f"FG7{n:02d}" for n in range(1, 6)] + [f"FG8{n:02d}" for n in range(1, 4)]
    design += [f"FG7{n:02d}" for n in range(10, 14)]  # the trust boundary (issue 10)
    design += ["FG603"]  # regexes that backtrack exponentially (issue 10)
    assert len(design) == 57
    design.sort()
    assert sorted(items_by_rule()) == design


def test_areas_are_the_eight_of_the_issue_in_order() -> None:
    assert list(load_areas().values()) == DESIGN_AREAS
    seen = [item.area for item in load_checklist()]
    # Items are grouped: an area's items are contiguous, in the areas' order.
    order = list(dict.fromkeys(seen))
    assert order == list(load_areas())


def test_items_are_well_formed() -> None:
    items = load_checklist()
    assert len({item.id for item in items}) == len(items)
    for item in items:
        assert isinstance(item, ChecklistItem)
        assert item.question.endswith("?"), item.id
        # One sentence: it goes verbatim into the draft prompt.
        assert item.guidance.endswith("."), item.id
        assert item.guidance.count(". ") == 0, item.id
    assert guidance(items) == [item.guidance for item in items]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("areas: {a: A}\nitems: []\n", "non-empty `items:`"),
        ("items: [{id: x}]\n", "`areas:` mapping"),
        (
            "areas: {a: A}\nitems:\n  - {id: x, area: a, question: q?, why: w, guidance: g.}\n",
            "missing rules",
        ),
        (
            "areas: {a: A}\nitems:\n"
            "  - {id: x, area: b, question: q?, why: w, guidance: g., rules: [FG101]}\n",
            "unknown area `b`",
        ),
        (
            "areas: {a: A}\nitems:\n"
            "  - {id: Bad_Id, area: a, question: q?, why: w, guidance: g., rules: [FG1]}\n",
            "kebab-case",
        ),
        (
            "areas: {a: A}\nitems:\n  - {id: x, area: a, question: q?, why: w, guidance: g., rules: [F1]}\n",
            "`F1` is not a rule code",
        ),
        (
            "areas: {a: A}\nitems:\n"
            "  - {id: x, area: a, question: q?, why: w, guidance: g., rules: [FG101]}\n"
            "  - {id: x, area: a, question: q?, why: w, guidance: g., rules: [FG102]}\n",
            "defined twice",
        ),
        ("areas: {a: A\n", "invalid YAML"),
    ],
)
def test_malformed_checklists_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(FlowgenError) as info:
        parse_checklist(text, "bad.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("bad.yaml")


def test_markdown_names_every_rule_under_its_item() -> None:
    text = render_markdown(load_checklist())
    for item in load_checklist():
        assert f"`{item.id}`" in text
        for code in item.rules:
            assert f"`{code}` {REGISTRY[code].name}" in text
    for title in DESIGN_AREAS:
        assert f"\n## {title}\n" in text


def test_markdown_snapshot(snapshot) -> None:
    assert render_markdown(load_checklist()) == snapshot


def test_cli_markdown_yaml_and_json_agree() -> None:
    runner = CliRunner()
    markdown = runner.invoke(app, ["checklist"])
    assert markdown.exit_code == 0
    assert markdown.stdout == render_markdown(load_checklist())
    as_json = runner.invoke(app, ["checklist", "--format", "json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert [a["title"] for a in data["areas"]] == DESIGN_AREAS
    assert [i["id"] for i in data["items"]] == [i.id for i in load_checklist()]
    as_yaml = runner.invoke(app, ["checklist", "--format", "yaml"])
    assert as_yaml.exit_code == 0
    from ruamel.yaml import YAML

    assert YAML(typ="safe").load(as_yaml.stdout) == data


def test_cli_rejects_an_unknown_format() -> None:
    result = CliRunner().invoke(app, ["checklist", "--format", "xml"])
    assert result.exit_code == 2
