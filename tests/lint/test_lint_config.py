"""Configuration: selectors, re-levelling, per-path overrides, discovery, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.errors import FlowgenError
from copilot.lint.config import LintConfig, discover, find_config_file, load_config
from copilot.lint.rules import find_rule


def rule(code: str):
    found = find_rule(code)
    assert found is not None
    return found


def test_selectors_by_code_prefix_and_name() -> None:
    config = LintConfig(select=("FG1", "missing-fallback"), ignore=("FG108",))
    assert config.enabled(rule("FG101"))
    assert config.enabled(rule("FG201"))
    assert not config.enabled(rule("FG108"))
    assert not config.enabled(rule("FG202"))


def test_more_specific_selector_wins() -> None:
    assert LintConfig(ignore=("FG1",), extend_select=("FG101",)).enabled(rule("FG101"))
    assert not LintConfig(ignore=("FG1",), extend_select=("FG101",)).enabled(rule("FG102"))
    assert not LintConfig(select=("FG101",), ignore=("call-without-timeout",)).enabled(rule("FG101"))


def test_relevel_by_prefix_then_code() -> None:
    config = LintConfig(severity=(("FG2", "info"), ("FG203", "warning")))
    assert config.level(rule("FG201")) == "info"
    assert config.level(rule("FG203")) == "warning"
    assert config.level(rule("FG101")) == "error"


def test_from_mapping_and_cli_options() -> None:
    config = LintConfig.from_mapping(
        {"select": ["FG"], "ignore": "FG303", "fail_on": "warning", "severity": {"FG201": "error"}}
    )
    assert config.fail_on == "warning" and not config.enabled(rule("FG303"))
    assert config.level(rule("FG201")) == "error"
    narrowed = config.with_options(select=["FG1,FG2"], ignore=["FG205"], fail_on="info")
    assert narrowed.enabled(rule("FG101")) and not narrowed.enabled(rule("FG301"))
    assert not narrowed.enabled(rule("FG205")) and narrowed.fail_on == "info"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"selct": ["FG1"]}, "did you mean `select`"),
        ({"ignore": ["FG9999"]}, "matches no rule"),
        ({"ignore": ["missing-fallbak"]}, "did you mean `missing-fallback`"),
        ({"fail-on": "fatal"}, "must be one of error, warning, info"),
        ({"severity": {"FG201": "loud"}}, "must be one of"),
        ({"overrides": [{"ignore": ["FG1"]}]}, "needs `paths`"),
        ({"select": 3}, "must be a list"),
    ],
)
def test_bad_settings_are_refused(data: dict, message: str) -> None:
    with pytest.raises(FlowgenError, match=message.replace("(", r"\(").replace("`", "`")):
        LintConfig.from_mapping(data)


def test_per_path_overrides(tmp_path: Path) -> None:
    config = LintConfig.from_mapping(
        {
            "overrides": [{"paths": ["drafts/**"], "ignore": ["FG8"], "severity": {"FG201": "info"}}],
            "per-file-ignores": {"legacy/*.yaml": ["FG1"]},
        },
        root=tmp_path,
    )
    draft = config.for_path(str(tmp_path / "drafts" / "a" / "x.yaml"))
    assert not draft.enabled(rule("FG801")) and draft.level(rule("FG201")) == "info"
    legacy = config.for_path(str(tmp_path / "legacy" / "y.yaml"))
    assert not legacy.enabled(rule("FG101")) and legacy.enabled(rule("FG801"))
    other = config.for_path(str(tmp_path / "flows" / "z.yaml"))
    assert other.enabled(rule("FG801")) and other.enabled(rule("FG101"))


def test_discovery_walks_up_to_pyproject_with_a_lint_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.flowgen.lint]\nignore = ["FG8"]\nfail-on = "warning"\n')
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no lint table: skipped
    flows = inner / "flows"
    flows.mkdir()
    assert find_config_file(flows / "a.yaml") == tmp_path / "pyproject.toml"
    config = discover(flows / "a.yaml")
    assert config.fail_on == "warning" and not config.enabled(rule("FG801"))


def test_dotfile_wins_over_a_parent_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.flowgen.lint]\nignore = ["FG8"]\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / ".flowgen.toml").write_text('[lint]\nselect = ["FG1"]\n')
    config = discover(sub / "f.yaml")
    assert config.enabled(rule("FG101")) and not config.enabled(rule("FG201"))
    assert config.source == str(sub / ".flowgen.toml")


def test_no_config_means_defaults(tmp_path: Path) -> None:
    assert discover(tmp_path / "f.yaml").select == LintConfig().select


def test_explicit_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(FlowgenError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / ".flowgen.toml"
    broken.write_text("[lint\n")
    with pytest.raises(FlowgenError, match="invalid TOML"):
        load_config(broken)


def test_a_toml_syntax_error_is_positioned(tmp_path) -> None:
    import pytest

    from copilot.errors import FlowgenError, Position
    from copilot.lint.config import load_config

    bad = tmp_path / ".flowgen.toml"
    bad.write_text("[lint]\nselect = [FG1\n")
    with pytest.raises(FlowgenError) as info:
        load_config(bad)
    assert info.value.position == Position(2, 11)
    assert str(info.value) == f"{bad}:2:11: invalid TOML: Invalid value"
