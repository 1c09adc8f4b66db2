"""One analysed flow: loaded once, validated once, each derived part computed once and shared.

`copilot.flow.load.LoadedFlow` holds the validated model and its document and computes the
graph, analysis, template sites, structural problems and summary on first use. These
tests count the work: pydantic validates a document exactly once per command, and the lint
rules, the structural check and the summary read one analysis and one walk of the templates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from copilot.flow import graph as graph_module
from copilot.flow import sites as sites_module
from copilot.flow.load import LoadedFlow, analyse_document, load_flow, load_flow_text, parse_yaml
from copilot.flow.models import Flow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flows" / "support-triage.yaml"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every `Flow.model_validate` call, recorded (the wrapped method still validates)."""
    calls: list[Any] = []
    original = Flow.model_validate.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Flow], obj: Any, *args: Any, **kwargs: Any) -> Flow:
        calls.append(obj)
        return original(cls, obj, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Flow, "model_validate", classmethod(counting))
    return calls


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the graph, the analysis and the template walk are computed."""
    counts = {"build_graph": 0, "analyze": 0, "template_sites": 0}

    def wrap(module: Any, name: str) -> None:
        original = getattr(module, name)

        def counting(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)

    wrap(graph_module, "build_graph")
    wrap(graph_module, "analyze")
    wrap(sites_module, "template_sites")
    return counts


def test_load_flow_validates_once(validations: list[Any]) -> None:
    loaded = load_flow(EXAMPLE)
    assert len(validations) == 1
    assert isinstance(loaded.flow, Flow) and loaded.problems == []
    load_flow_text(EXAMPLE.read_text(), "x.yaml")
    assert len(validations) == 2  # one per load


def test_validate_command_validates_once(validations: list[Any], counted: dict[str, int]) -> None:
    from copilot.validate import validate_file

    result = validate_file(str(EXAMPLE))
    assert result.exit_code == 0 and result.summary is not None
    assert len(validations) == 1
    # The structural check and the summary share one graph and one walk of the templates.
    assert counted == {"build_graph": 1, "analyze": 1, "template_sites": 1}


def test_validate_command_reports_schema_errors_after_one_validation(
    validations: list[Any], tmp_path: Path
) -> None:
    from copilot.validate import validate_file

    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("timeout: ", "timeout: soon #", 1))
    result = validate_file(str(bad))
    assert result.exit_code == 2 and result.errors[0]["code"] == "FG002"
    assert len(validations) == 1


def test_lint_validates_once_and_every_rule_reads_one_analysis(
    validations: list[Any], counted: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from copilot.lint import engine
    from copilot.lint.rules import rules_by_code

    seen: list[tuple[int, int, int]] = []  # (context, analysis, sites) per rule
    for rule in rules_by_code().values():
        original = rule.check

        def spying(ctx: Any, original: Any = original) -> Any:
            seen.append((id(ctx), id(ctx.analysis), id(ctx.sites)))
            return original(ctx)

        monkeypatch.setattr(rule, "check", spying)
    report = engine.lint_report(EXAMPLE.read_text(), str(EXAMPLE))
    assert report.summary is not None
    assert len(validations) == 1
    assert len(seen) > 40 and len(set(seen)) == 1, "every rule sees the same analysis and sites"
    assert counted == {"build_graph": 1, "analyze": 1, "template_sites": 1}


def test_the_lint_context_reads_the_analysed_flow() -> None:
    from copilot.lint.engine import load_for_lint

    loaded = load_for_lint(EXAMPLE.read_text(), str(EXAMPLE))
    ctx = loaded.context
    assert ctx is not None and isinstance(ctx.loaded, LoadedFlow)
    assert ctx.analysis is ctx.loaded.analysis
    assert ctx.sites is ctx.loaded.sites
    assert ctx.profiles is ctx.loaded.profiles
    assert ctx.catalog is ctx.loaded.catalog
    assert ctx.analysis.graph is ctx.loaded.graph  # the analysis did not build its own


def test_parts_are_computed_once_and_kept(counted: dict[str, int]) -> None:
    loaded = load_flow(EXAMPLE)
    assert counted == {"build_graph": 0, "analyze": 0, "template_sites": 0}  # nothing up front
    first = (loaded.analysis, loaded.sites, loaded.problems, loaded.summary, loaded.graph)
    second = (loaded.analysis, loaded.sites, loaded.problems, loaded.summary, loaded.graph)
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert loaded.estimates is loaded.analysis.estimates
    assert counted == {"build_graph": 1, "analyze": 1, "template_sites": 1}


def test_analyse_document_keeps_the_validated_model_or_gives_every_error() -> None:
    doc = parse_yaml(EXAMPLE.read_text(), "ok.yaml")
    loaded, errors = analyse_document(doc)
    assert errors == [] and loaded is not None and loaded.doc is doc
    broken = parse_yaml(EXAMPLE.read_text().replace("timeout: ", "timeout: soon #"), "bad.yaml")
    loaded, errors = analyse_document(broken)
    assert loaded is None and len(errors) > 1 and all(e.code == "FG002" for e in errors)
