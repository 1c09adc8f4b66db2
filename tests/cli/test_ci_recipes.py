"""The README's CI recipes, run: each YAML block parses, and its flowgen commands work.

Each recipe is the fenced YAML block after `<!-- recipe: NAME -->` in README.md. The
`run:` (GitHub) and `script:` (GitLab) commands that call flowgen run in bash with
`set -eo pipefail`, as the runners do, in a temporary copy of example flows under
`flows/`; commands that only install (`pip install …`) and steps that only upload
(`uses: …`) are skipped, and what they would upload is checked to exist instead. The
pre-commit recipe's hook runs the way pre-commit runs it: the hook's `entry` from
`.pre-commit-hooks.yaml` with the matching file names appended.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "flows"
# Example flows that lint clean and pass their own thresholds, and one that does neither.
GOOD = ("support-triage.yaml", "content-moderation.yaml")
BAD = "naive-support-triage.yaml"


def recipe(name: str) -> Any:
    """The YAML block after `<!-- recipe: NAME -->` in the README, parsed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(rf"<!-- recipe: {re.escape(name)} -->\n```yaml\n(.*?)```\n", readme, re.S)
    assert len(found) == 1, f"README.md needs exactly one `<!-- recipe: {name} -->` YAML block"
    return YAML(typ="safe").load(found[0])


def project(tmp_path: Path, *flows: str) -> Path:
    """A consumer repository: the named example flows in flows/, with the docs they retrieve."""
    (tmp_path / "flows").mkdir()
    for flow in flows:
        shutil.copy(EXAMPLES / flow, tmp_path / "flows" / flow)
    shutil.copytree(EXAMPLES / "docs", tmp_path / "flows" / "docs")
    return tmp_path


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A CI command as a runner runs it: bash, stop at the first failure, flowgen on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def flowgen_commands(commands: list[str]) -> list[str]:
    """The commands that call flowgen; the others only install it."""
    runs = [c for c in commands if re.search(r"\bflowgen ", c)]
    skipped = [c for c in commands if c not in runs]
    assert all(c.startswith("pip install") for c in skipped), skipped
    return runs


# --- pre-commit -----------------------------------------------------------------------


def test_pre_commit_recipe_names_a_hook_that_flowgen_ships() -> None:
    config = recipe("pre-commit")
    shipped = {h["id"]: h for h in YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    (repo,) = config["repos"]
    assert repo["rev"] and repo["repo"].endswith("/flowgen")
    for hook in repo["hooks"]:
        assert hook["id"] in shipped, hook["id"]


@pytest.mark.parametrize(("flow", "exit_code"), [(GOOD[0], 0), (BAD, 1)])
def test_pre_commit_hook_passes_a_good_flow_and_stops_a_bad_one(
    tmp_path: Path, flow: str, exit_code: int
) -> None:
    (hook,) = recipe("pre-commit")["repos"][0]["hooks"]
    shipped = {h["id"]: h for h in YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    definition = shipped[hook["id"]] | hook
    repo = project(tmp_path, flow)
    ci = repo / ".github" / "workflows" / "ci.yml"
    ci.parent.mkdir(parents=True)
    ci.write_text("on: push\njobs: {}\n")
    # What pre-commit would pass: the staged YAML files its filters keep.
    staged = [f"flows/{flow}", ".github/workflows/ci.yml"]
    chosen = [
        name
        for name in staged
        if re.search(definition["files"], name)
        and not re.search(definition.get("exclude", "^$"), name)
        and name.endswith((".yaml", ".yml"))
    ]
    assert chosen == [f"flows/{flow}"]
    done = shell(" ".join([definition["entry"], *chosen]), repo)
    assert done.returncode == exit_code, done.stdout + done.stderr
    # --flows-only: a YAML file that is not a flow, passed by a wider `files:`, is skipped.
    other = shell(f"{definition['entry']} .github/workflows/ci.yml", repo)
    assert other.returncode == 0, other.stdout + other.stderr


# --- GitHub Actions -------------------------------------------------------------------


def github_steps() -> list[dict[str, Any]]:
    workflow = recipe("github-actions")
    assert workflow["permissions"]["security-events"] == "write"  # upload-sarif needs it
    (job,) = workflow["jobs"].values()
    return list(job["steps"])


def run_github(steps: list[dict[str, Any]], repo: Path) -> dict[str, int]:
    """Run each flowgen `run:` step; a failing step ends the job unless it may fail."""
    codes: dict[str, int] = {}
    for step in steps:
        if "run" not in step or not flowgen_commands([step["run"]]):
            continue
        done = shell(step["run"], repo)
        codes[step.get("name", step["run"])] = done.returncode
        if done.returncode and not step.get("continue-on-error"):
            break
    return codes


def uploaded(steps: list[dict[str, Any]], action: str) -> dict[str, Any]:
    (step,) = [s for s in steps if s.get("uses", "").startswith(action + "@")]
    return dict(step["with"])


def test_github_recipe_lints_uploads_sarif_tests_and_keeps_the_reports(tmp_path: Path) -> None:
    steps = github_steps()
    repo = project(tmp_path, *GOOD)
    codes = run_github(steps, repo)
    assert len(codes) == 3 and set(codes.values()) == {0}, codes
    sarif = json.loads(
        (repo / uploaded(steps, "github/codeql-action/upload-sarif")["sarif_file"]).read_text()
    )
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "flowgen"
    reports = repo / uploaded(steps, "actions/upload-artifact")["path"]
    assert sorted(p.name for p in reports.iterdir()) == sorted(f.replace(".yaml", ".html") for f in GOOD)
    assert all("<svg" in p.read_text() for p in reports.iterdir())  # the graph is in the report


def test_github_recipe_uploads_the_findings_and_fails_on_a_bad_flow(tmp_path: Path) -> None:
    steps = github_steps()
    repo = project(tmp_path, GOOD[0], BAD)
    codes = run_github(steps, repo)
    # The SARIF step may fail (continue-on-error); the annotations step fails the job.
    assert list(codes.values()) == [1, 1], codes
    sarif = json.loads(
        (repo / uploaded(steps, "github/codeql-action/upload-sarif")["sarif_file"]).read_text()
    )
    assert any(r["level"] == "error" for r in sarif["runs"][0]["results"])


# --- GitLab CI ------------------------------------------------------------------------


def gitlab_jobs() -> dict[str, Any]:
    jobs = recipe("gitlab-ci")
    assert set(jobs) == {"flowgen-lint", "flowgen-test"}
    return dict(jobs)


def run_gitlab(job: dict[str, Any], repo: Path) -> int:
    """A job's flowgen script lines, in order; the first failure ends the job."""
    for command in flowgen_commands(list(job["script"])):
        done = shell(command, repo)
        if done.returncode:
            return done.returncode
    return 0


def test_gitlab_recipe_writes_a_code_quality_report_and_the_test_reports(tmp_path: Path) -> None:
    jobs = gitlab_jobs()
    repo = project(tmp_path, *GOOD)
    assert run_gitlab(jobs["flowgen-lint"], repo) == 0
    artifacts = jobs["flowgen-lint"]["artifacts"]
    assert artifacts["when"] == "always"
    assert isinstance(json.loads((repo / artifacts["reports"]["codequality"]).read_text()), list)
    assert run_gitlab(jobs["flowgen-test"], repo) == 0
    (reports,) = jobs["flowgen-test"]["artifacts"]["paths"]
    assert sorted(p.name for p in (repo / reports).iterdir()) == sorted(
        f.replace(".yaml", ".html") for f in GOOD
    )


def test_gitlab_recipe_reports_a_bad_flows_findings_and_fails(tmp_path: Path) -> None:
    import jsonschema

    lint = gitlab_jobs()["flowgen-lint"]
    repo = project(tmp_path, BAD)
    assert run_gitlab(lint, repo) == 1
    report = json.loads((repo / lint["artifacts"]["reports"]["codequality"]).read_text())
    schema = json.loads((ROOT / "tests" / "lint" / "data" / "gitlab-codequality-schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(report)
    assert {i["location"]["path"] for i in report} == {f"flows/{BAD}"}
    assert any(i["severity"] == "major" for i in report)
