"""FG803 with k6's threshold grammar, and `--k6-compatible` (flowgen's units refused)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.flow.thresholds import METHODS_BY_TYPE, METRIC_TYPES
from copilot.lint.config import LintConfig
from copilot.lint.engine import lint_text
from copilot.lint.fixes import fix_text

from .conftest import REPO

CLEAN = REPO / "tests/fixtures/rules/_bases/clean.yaml"
K6 = LintConfig(select=("FG803",), k6_compatible=True)
DEFAULT = LintConfig(select=("FG803",))


def flow_with(latency: str) -> str:
    text = CLEAN.read_text()
    assert 'latency: ["p(95)<2s"]' in text
    return text.replace('latency: ["p(95)<2s"]', f"latency: [{latency!r}]")


def fg803(text: str, config: LintConfig) -> list:
    return [f for f in lint_text(text, "flow.yaml", config) if f.code == "FG803"]


@pytest.mark.parametrize("latency", ["p(95)<2000", "p(95)==2000", "p(99) <= 1500", "max<2e3", "p(95)<2s"])
def test_k6_forms_and_the_unit_extension_pass_by_default(latency: str) -> None:
    assert fg803(flow_with(latency), DEFAULT) == []


@pytest.mark.parametrize("latency", ["p(95)<2000", "p(95)===2000", "max<=2e3"])
def test_plain_k6_passes_when_k6_compatible(latency: str) -> None:
    assert fg803(flow_with(latency), K6) == []


def test_a_unit_is_refused_when_k6_compatible_and_the_hints_name_k6_forms() -> None:
    found = fg803(flow_with("p(95)<2s"), K6)
    messages = " | ".join(f.message for f in found)
    assert "k6 takes no unit" in messages
    wanted = [f for f in found if "looser" in f.message or "no latency" in f.message]
    assert wanted and "p(95)<2000" in wanted[0].fix_hint and "ms" not in wanted[0].fix_hint
    malformed = next(f for f in found if "k6 takes no unit" in f.message)
    assert malformed.fix_hint.endswith("e.g. p(95)<1500")


def test_malformed_hint_names_only_valid_forms() -> None:
    (found,) = [f for f in fg803(flow_with("p( 95 )<200"), DEFAULT) if "not a threshold" in f.message]
    for form in ("p(95)<1500", "avg<0.004", "rate<0.01", "count>=100", "p(95)<1500ms", "max<=2s"):
        assert form in found.message
    (strict,) = [f for f in fg803(flow_with("p( 95 )<200"), K6) if "not a threshold" in f.message]
    assert "1500ms" not in strict.message and "2s" not in strict.message


@pytest.mark.parametrize(
    ("latency", "config", "message"),
    [
        ("value<2000", DEFAULT, "no `value`"),
        ("rate<0.5", DEFAULT, "no `rate`"),
        ("count>10", K6, "flowgen's extension"),
    ],
)
def test_methods_fit_the_metric_type(latency: str, config: LintConfig, message: str) -> None:
    assert any(message in f.message for f in fg803(flow_with(latency), config))


def test_count_on_a_trend_is_flowgens_extension() -> None:
    found = fg803(flow_with("count>10"), DEFAULT)
    assert not any("no `count`" in f.message for f in found)


def test_the_fix_writes_k6_milliseconds_when_k6_compatible() -> None:
    text = CLEAN.read_text().replace('    latency: ["p(95)<2s"]\n', "")
    fixed, changes = fix_text(text, "flow.yaml", K6)
    assert any("added p(95)<2000" in c for c in changes)
    assert fg803(fixed, K6) == []


def test_metric_types_are_the_metrics_flowgen_test_measures() -> None:
    try:  # the load test is being split: the metrics moved to run/recorder.py
        import copilot.run.recorder as loadtest
    except ImportError:
        import copilot.run.loadtest as loadtest  # type: ignore[no-redef]
    assert set(METRIC_TYPES) == set(loadtest.METRICS)
    for name, kind in METRIC_TYPES.items():
        expected = {"trend": loadtest.TREND_METRICS, "rate": loadtest.RATE_METRICS}.get(
            kind, loadtest.COUNTER_METRICS
        )
        assert name in expected
    assert set(METHODS_BY_TYPE) == {"counter", "gauge", "rate", "trend"}


def test_cli_flag_and_config_key(in_repo: Path, tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(flow_with("p(95)<2s"))
    runner = CliRunner()
    plain = runner.invoke(app, ["lint", str(flow), "--select", "FG803", "--format", "json"])
    strict = runner.invoke(
        app, ["lint", str(flow), "--select", "FG803", "--format", "json", "--k6-compatible"]
    )
    assert "k6 takes no unit" not in plain.stdout
    assert "k6 takes no unit" in strict.stdout
    config = LintConfig.from_mapping({"k6-compatible": True})
    assert config.k6_compatible
    with pytest.raises(Exception, match="true or false"):
        LintConfig.from_mapping({"k6-compatible": "yes"})
