"""`flowgen lint --format junit` against a real JUnit schema: the Jenkins xunit plugin's
junit-10.xsd (tests/lint/xsd/README.md names its source), validated with xmlschema.

`flowgen test` has no JUnit output; lint's is the only one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app

xmlschema = pytest.importorskip("xmlschema")

XSD = Path(__file__).parent / "xsd" / "junit-10.xsd"
CLEAN = "tests/fixtures/rules/_bases/clean.yaml"
FINDINGS = "tests/lint/data/findings.yaml"
SUITE_ATTRIBUTES = {"tests", "failures", "errors", "skipped", "time"}


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema10(str(XSD))


def junit_of(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["lint", *args, "--format", "junit"])
    return result.exit_code, result.stdout


@pytest.mark.parametrize(
    ("paths", "exit_code"),
    [([CLEAN], 0), ([FINDINGS, CLEAN], 1)],
    ids=["clean", "with-findings"],
)
def test_lint_junit_is_valid_against_junit_10_xsd(
    in_repo: Path, schema, paths: list[str], exit_code: int
) -> None:
    code, xml = junit_of(*paths)
    assert code == exit_code
    schema.validate(xml)
    suites = ET.fromstring(xml).findall("testsuite")
    assert len(suites) == len(paths)
    for suite in suites:
        assert set(suite.attrib) >= SUITE_ATTRIBUTES
    failures = sum(int(s.get("failures")) for s in suites)
    assert (failures > 0) is (exit_code == 1)


def test_unreadable_file_is_an_error_and_valid(in_repo: Path, schema, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: flowgen/v1\nkind: [\n")
    code, xml = junit_of(str(bad))
    assert code == 2
    schema.validate(xml)
    suite = ET.fromstring(xml).find("testsuite")
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    assert suite.find("testcase/error") is not None


def test_the_xsd_refuses_a_suite_without_tests(schema) -> None:
    """The schema is strict where JUnit readers are: it is not a rubber stamp."""
    assert not schema.is_valid('<testsuites><testsuite name="x"/></testsuites>')
