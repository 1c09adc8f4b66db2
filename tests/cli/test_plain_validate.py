"""`flowgen validate` of a plain command line runs without Typer (`copilot.cli.entry`), and
reads, prints and exits exactly as Typer's road does; every other command line goes to Typer.

Start-up figures: bench/README.md, "Start-up (item 5)".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.cli.entry import plain_validate_request

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "flows" / "support-triage.yaml"

RUN = """
import sys
sys.argv = ["flowgen", *sys.argv[2:]]
if sys.argv[1:2] == ["validate"] and "{road}" == "typer":
    from copilot.cli.app import main
else:
    from copilot.cli import main
try:
    main()
finally:
    loaded = ("typer" in sys.modules, "importlib.metadata" in sys.modules)
    sys.stderr.write("TYPER %s META %s\\n" % loaded)
"""


def run(
    road: str, args: list[str], cwd: Path, stdin: bytes | None = None
) -> tuple[int, str, str, bool, bool]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "FLOWGEN_DEBUG")}
    done = subprocess.run(
        [sys.executable, "-c", RUN.replace("{road}", road), road, *args],
        capture_output=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=60,
        check=False,
    )
    err = done.stderr.decode()
    *rest, last = err.splitlines()
    _, typer, _, meta = last.split()
    return done.returncode, done.stdout.decode(), "\n".join(rest), typer == "True", meta == "True"


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    here = tmp_path_factory.mktemp("flows")
    text = EXAMPLE.read_text()
    (here / "ok.yaml").write_text(text)
    (here / "schema.yaml").write_text("apiVersion: flowgen/v1\nkind: Flow\nname: x\nsteps: []\n")
    (here / "broken.yaml").write_text("a: [\n")
    assert "needs: [classify]" in text
    (here / "graph.yaml").write_text(text.replace("needs: [classify]", "needs: [nope]", 1))
    (here / "dir").mkdir()
    (here / "dir" / "ok.yaml").write_text(text)
    (here / "empty").mkdir()
    return here


CASES = [
    ["validate", "ok.yaml"],
    ["validate", "./ok.yaml", "--format", "json"],
    ["validate", "schema.yaml", "-f", "json"],
    ["validate", "broken.yaml", "--no-summary"],
    ["validate", "graph.yaml", "--format=json", "--summary"],
    ["validate", "missing.yaml"],
    ["validate", "dir/", "empty", "--no-summary", "-f", "text"],
    ["validate", "ok.yaml", "schema.yaml", "graph.yaml", "-f", "json"],
    ["validate", "-"],
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c[1:]) for c in CASES])
def test_a_plain_validate_skips_typer_and_prints_and_exits_as_typer_does(
    flows: Path, args: list[str]
) -> None:
    stdin = (flows / "ok.yaml").read_bytes() if "-" in args else None
    code, out, err, typer, meta = run("plain", args, flows, stdin)
    assert not typer, "a plain `validate` command line imports Typer"
    assert not meta, "importlib.metadata (pydantic's plugin loader) was imported"
    assert (code, out, err) == run("typer", args, flows, stdin)[:3]


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--help"],
        ["validate", "ok.yaml", "-h"],
        ["validate", "ok.yaml", "--bogus"],
        ["validate", "-f", "xml", "ok.yaml"],
        ["validate", "ok.yaml", "-f"],
        ["validate", "ok.yaml", "--format", "json", "--format", "text"],
        ["validate", "ok.yaml", "--summary", "--no-summary"],
        ["validate", "-fjson", "ok.yaml"],
        ["validate", "--", "ok.yaml"],
        ["validate", "", "ok.yaml"],
        ["validate", "-x.yaml"],
        ["lint", "ok.yaml"],
        ["--version", "validate", "ok.yaml"],
    ],
)
def test_anything_else_is_typers(args: list[str]) -> None:
    assert plain_validate_request(args) is None


def test_the_plain_request_is_what_typer_hands_the_command() -> None:
    assert plain_validate_request(["validate", "./a.yaml", ".//b/", "-"]) == (
        ["a.yaml", "b", "-"],
        "text",
        True,
    )
    assert plain_validate_request(["validate", "--no-summary", "a.yaml", "--format=json"]) == (
        ["a.yaml"],
        "json",
        False,
    )


def test_completion_a_terminal_and_debug_go_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["validate", "a.yaml"]
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.delenv("FLOWGEN_DEBUG", raising=False)
    monkeypatch.delenv("_FLOWGEN_COMPLETE", raising=False)
    assert plain_validate_request(args) is not None
    for name, value in (("_FLOWGEN_COMPLETE", "bash_complete"), ("FLOWGEN_DEBUG", "1"), ("FORCE_COLOR", "1")):
        with monkeypatch.context() as env:
            env.setenv(name, value)
            assert plain_validate_request(args) is None, name


def test_the_package_app_is_the_typer_application_whatever_was_imported_first() -> None:
    probe = (
        "import json, sys; from copilot.cli.app import help_text; import copilot.cli as cli;"
        "from copilot.cli import app; module = sys.modules['copilot.cli.app'];"
        "print(json.dumps([type(app).__name__, type(cli.app).__name__, type(module).__name__]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == ["Typer", "Typer", "module"]


def test_the_flow_models_leave_pydantics_real_plugin_loader_for_later_validators() -> None:
    probe = (
        "import sys, copilot.flow.models;"
        "before = 'pydantic.plugin._loader' in sys.modules or 'importlib.metadata' in sys.modules;"
        "from pydantic import TypeAdapter; TypeAdapter(int);"
        "print(before, sys.modules['pydantic.plugin._loader'].__file__.endswith('_loader.py'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"]
