"""The console-script entry point: fast paths, one-command dispatch, missing extras."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "flows" / "support-triage.yaml"


def _flowgen(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = (
        f"{prelude}\nimport sys\nsys.argv = ['flowgen', *{list(args)!r}]\n"
        "from copilot.cli import main\nmain()\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_version_fast_path_prints_the_package_version() -> None:
    from copilot import __version__

    result = _flowgen("--version")
    assert result.returncode == 0
    assert result.stdout == f"flowgen {__version__}\n"


def test_one_command_dispatch_keeps_usage_and_options() -> None:
    result = _flowgen("validate", "--help")
    assert result.returncode == 0
    assert "Usage: flowgen validate" in result.stdout
    assert "--format" in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = _flowgen("valdiate", str(EXAMPLE))
    assert result.returncode == 2
    assert "No such command" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_missing_extra_is_one_line_with_the_install_hint() -> None:
    # `None` in sys.modules makes `import bm25s` raise ModuleNotFoundError, as on a machine
    # where `pip install flowgen` ran without the `run` extra.
    blocked = "import sys\nfor m in ('bm25s', 'opentelemetry', 'aiolimiter'): sys.modules[m] = None"
    result = _flowgen("run", str(EXAMPLE), prelude=blocked)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "pip install 'flowgen[run]'" in lines[0]
    assert "Traceback" not in result.stderr


def test_usage_errors_are_one_line_with_exit_2() -> None:
    for args in (("lint", "--bogus"), ("validate", "--format", "xml", str(EXAMPLE)), ("nosuch",)):
        result = _flowgen(*args)
        assert result.returncode == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("flowgen: error: "), result.stderr
        assert "Traceback" not in result.stderr


def test_command_exit_codes_pass_through() -> None:
    naive = ROOT / "examples" / "flows" / "naive-support-triage.yaml"
    assert _flowgen("lint", str(naive)).returncode == 1
    assert _flowgen("lint", str(EXAMPLE)).returncode == 0


def test_write_atomic_gives_a_new_file_the_umask_mode(tmp_path: Path) -> None:
    import os

    from copilot.flow.dump import write_atomic

    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.yaml", "a: 1\n")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.yaml").stat().st_mode & 0o777 == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
