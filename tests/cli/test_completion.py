"""Shell completion (Typer's): `flowgen --install-completion`, and completing the lazy commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def flowgen(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("_FLOWGEN_COMPLETE")}
    return subprocess.run(
        [sys.executable, "-c", "from copilot.cli import main; main()", *args],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_bash_script_completes_flowgen() -> None:
    done = flowgen(_FLOWGEN_COMPLETE="source_bash")
    assert done.returncode == 0, done.stderr
    assert "_FLOWGEN_COMPLETE=complete_bash" in done.stdout
    assert "complete -o default -F _flowgen_completion flowgen" in done.stdout


def test_show_and_install_completion_for_a_named_shell(tmp_path: Path) -> None:
    # Typer takes the shell's name when it is told not to detect the shell (as in a test).
    named = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1", "HOME": str(tmp_path)}
    shown = flowgen("--show-completion", "bash", **named)
    assert shown.returncode == 0 and "_flowgen_completion" in shown.stdout, shown.stderr
    installed = flowgen("--install-completion", "bash", **named)
    assert installed.returncode == 0, installed.stderr
    script = tmp_path / ".bash_completions" / "flowgen.sh"
    assert "_flowgen_completion" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()


def complete(words: str) -> list[str]:
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    done = flowgen(_FLOWGEN_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=cword)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_commands_options_and_choices_complete() -> None:
    assert complete("flowgen li") == ["lint"]
    assert "--format" in complete("flowgen lint --for")
    assert complete("flowgen lint --format ") == ["text", "json", "sarif", "github", "gitlab", "junit"]


def test_the_help_lists_completion_without_type_names() -> None:
    done = flowgen("--help", COLUMNS="80")
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout
    assert "<bool>" not in done.stdout
