"""`flowgen draft` / `flowgen prompt` failures as a user meets them: one line, exit 2, no file.

The LLM cases run this checkout's CLI (`python -m copilot`, with `PYTHONPATH` at the repository
root, not whatever `flowgen` is installed) in a subprocess against the scripted server, so the
whole path (option parsing, the openai client, the summary, `main()`) is exercised and a
traceback anywhere would show on stderr. `PYTHONDONTWRITEBYTECODE` keeps the subprocess from
writing `__pycache__` into the source tree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.draft.prompt import draft_messages
from copilot.draft.request import make_request

from .fake_llm import Reply, chat, closed_port_url

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "examples/briefs/support-triage.md"


def flowgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`flowgen ARGS` of the checkout under test, run in `cwd` with a minimal environment."""
    env = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(cwd),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "PYTHONPATH": str(ROOT),  # the checkout, first on sys.path (before any installed copy)
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ written into the source tree
    }
    return subprocess.run(
        [sys.executable, "-m", "copilot", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def assert_one_line_failure(result: subprocess.CompletedProcess[str], cwd: Path, *words: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert [p.name for p in cwd.iterdir()] == []  # no half-written or placeholder file
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("content_type", ["application/json", "text/html"])
def test_a_non_json_200_answer_is_one_line_naming_the_base_url(fake_llm, tmp_path, content_type):
    fake_llm.script(Reply(body="<html><body>Welcome to nginx</body></html>", content_type=content_type))
    result = flowgen(
        "draft", "classify tickets", "--provider", "openai", "--base-url", fake_llm.base_url,
        "--out", "flow.yaml", cwd=tmp_path,
    )  # fmt: skip
    line = assert_one_line_failure(result, tmp_path, "not a chat completion (not JSON)", fake_llm.base_url)
    assert "is --base-url the /v1 endpoint?" in line
    assert result.stdout == ""  # no call succeeded: no drafting stats either


def test_connection_refused_is_one_line_on_the_command_line(tmp_path):
    url = closed_port_url()
    result = flowgen(
        "draft", "classify tickets", "--provider", "openai", "--base-url", url, "--out", "flow.yaml",
        cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_failure(result, tmp_path, "cannot connect", url)
    assert "drafting" not in result.stdout


def test_openai_without_key_or_base_url_fails_before_any_call(tmp_path):
    result = flowgen("draft", "classify tickets", "--provider", "openai", "--out", "f.yaml", cwd=tmp_path)
    line = assert_one_line_failure(result, tmp_path)
    assert line == "flowgen: error: no API key: set OPENAI_API_KEY, or --base-url for a local server"


def test_drafting_stats_only_after_an_answered_call_and_on_stderr_with_out_dash(fake_llm, tmp_path):
    # Three unreadable answers: the calls succeeded, the draft failed.
    fake_llm.script(*(chat("I cannot help with YAML today.") for _ in range(3)))
    result = flowgen(
        "draft", "classify tickets", "--provider", "openai", "--base-url", fake_llm.base_url, "--out", "-",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""  # stdout is for the YAML only
    assert "drafting   gpt-4o-mini: 3 call(s), 3000 in + 1500 out tokens" in result.stderr
    assert "flowgen: error: the model's answer is not JSON" in result.stderr


def test_prompt_command_prints_exactly_what_draft_sends(fake_llm, tmp_path):
    printed = CliRunner().invoke(app, ["prompt", f"@{SUPPORT}", "--format", "json"])
    assert printed.exit_code == 0, printed.output
    from .test_llm_draft import good_flow

    fake_llm.script(chat(json.dumps(good_flow())))
    result = CliRunner().invoke(
        app,
        ["draft", f"@{SUPPORT}", "--provider", "openai", "--base-url", fake_llm.base_url, "--out", "f.yaml"],
    )
    assert result.exit_code == 0, result.output
    # what the server received, byte for byte the same messages as `flowgen prompt` printed
    assert fake_llm.requests[0]["messages"] == json.loads(printed.stdout)
    assert fake_llm.requests[0]["messages"] == draft_messages(make_request(f"@{SUPPORT}"))


def test_an_unmapped_requirement_never_fixed_is_written_with_exit_1_and_listed_in_json(fake_llm, tmp_path):
    from .test_llm_draft import good_flow

    unpaged = good_flow()
    unpaged["steps"] = [s for s in unpaged["steps"] if s["id"] != "page_oncall"]
    fake_llm.script(*(chat(json.dumps(unpaged)) for _ in range(3)))  # the answer and --max-repairs 2
    result = flowgen(
        "draft", f"@{SUPPORT}", "--provider", "openai", "--base-url", fake_llm.base_url, "--out", "f.yaml",
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and (tmp_path / "f.yaml").exists()
    summary = json.loads(result.stdout)
    assert summary["written"] is True and summary["exit_code"] == 1 and summary["error"] is None
    clause = "Page the on-call engineer for urgent tickets"
    assert [(g["code"], g["severity"]) for g in summary["gaps"]] == [("DR001", "warning")]
    assert clause in summary["gaps"][0]["message"]
    rows = {row["clause"]: row for row in summary["coverage"]}
    assert rows[clause]["mapped"] is False and rows[clause]["steps"] == []
    assert all(row["mapped"] for text, row in rows.items() if text != clause)
    # every round asked for the gap to be closed; none did
    assert len(fake_llm.requests) == 3
    for request in fake_llm.requests[1:]:
        assert "DR001 (warning) at `$.brief`" in request["messages"][-1]["content"]


@pytest.mark.parametrize("value", ["inf", "nan", "-0.01", "0", "-inf"])
def test_budget_must_be_finite_and_positive(value, tmp_path):
    for command in ("draft", "prompt"):
        result = CliRunner().invoke(app, [command, "classify tickets", "--budget", value])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "--budget" in lines[0] and "finite number above zero" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_directory_says_so_even_with_force(tmp_path):
    (tmp_path / "somedir").mkdir()
    for extra in ([], ["--force"]):
        result = CliRunner().invoke(app, ["draft", "classify tickets", "--out", "somedir", *extra])
        assert result.exit_code == 2
        assert result.stderr.strip() == "flowgen: error: somedir: is a directory; give a file path"


def test_brief_that_is_a_directory_says_so(tmp_path):
    (tmp_path / "briefs").mkdir()
    result = CliRunner().invoke(app, ["draft", "@briefs"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "briefs" in line and "is a directory, not a brief file" in line and "flow file" not in line


def test_draft_help_shows_the_config_table_name():
    result = CliRunner().invoke(app, ["draft", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "[tool.flowgen]" in result.stdout
