"""The wheel: built from this checkout, installed in a fresh venv, data folders inside it.

The wheel is installed without dependencies into a new venv (no system site-packages);
the dependencies come from this test run's own environment through a `.pth` line that
is appended *after* the new venv's site-packages, so `copilot` itself can only be the
installed wheel, never this checkout. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import EXAMPLES_DIR, ROOT


@dataclass
class Installed:
    wheel: Path
    venv: Path
    site_packages: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["NO_COLOR"] = "1"
        return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def _check(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, f"{done.args}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    _check(build)
    (wheel,) = dist.glob("flowgen-*.whl")
    venv = tmp / "venv"
    _check(
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True
        )
    )
    python = venv / "bin" / "python"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    _check(install)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    site_packages = Path(purelib)
    # Dependencies only: this environment's site-packages, after the venv's own.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    (site_packages / "zz_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return Installed(wheel, venv, site_packages)


def test_the_wheel_carries_the_data_folders(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for folder in ("templates", "checklists"):
        shipped = [p for p in (ROOT / folder).rglob("*") if p.is_file()]
        assert shipped, f"{folder}/ is empty"
        for path in shipped:
            inside = f"copilot/_data/{folder}/{path.relative_to(ROOT / folder).as_posix()}"
            assert inside in names, inside
    assert "copilot/catalog/catalog.json" in names
    assert "copilot/flow/flow.schema.json" in names
    assert not any(name.startswith(("tests/", "examples/", "bench/")) for name in names)


def test_data_dirs_resolve_inside_the_installed_package(installed: Installed, tmp_path: Path) -> None:
    code = (
        "import json, copilot\n"
        "from copilot.resources import data_dir\n"
        "print(json.dumps({'package': copilot.__file__,"
        " 'templates': str(data_dir('templates')), 'checklists': str(data_dir('checklists')),"
        " 'files': sorted(p.name for p in data_dir('templates').iterdir())}))\n"
    )
    done = installed.run(str(installed.python), "-c", code, cwd=tmp_path)
    _check(done)
    found = json.loads(done.stdout)
    package = installed.site_packages / "copilot"
    assert Path(found["package"]).parent == package  # the wheel, not this checkout
    assert Path(found["templates"]) == package / "_data" / "templates"
    assert Path(found["checklists"]) == package / "_data" / "checklists"
    assert found["files"] == sorted(p.name for p in (ROOT / "templates").iterdir() if p.is_file())


def test_installed_console_script_runs(installed: Installed, tmp_path: Path) -> None:
    from copilot import __version__

    flowgen = installed.venv / "bin" / "flowgen"
    version = installed.run(str(flowgen), "--version", cwd=tmp_path)
    _check(version)
    assert version.stdout.strip() == f"flowgen {__version__}"
    validate = installed.run(
        str(flowgen), "validate", str(EXAMPLES_DIR / "support-triage.yaml"), cwd=tmp_path
    )
    _check(validate)
    assert "valid" in validate.stdout and "hot path" in validate.stdout
