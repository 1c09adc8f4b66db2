"""How the `flowgen` process runs and ends, without importing Typer: exit codes, failures, gc.

`copilot.cli.main` (the console script) answers `flowgen --version` and a plain
`flowgen validate FILE...` from here, before Typer is imported; every other command line
goes through the Typer application (`copilot.cli.app`), wrapped by the same `run_guarded`,
so a failure reads the same and exits with the same code on both roads.

Why `validate` skips Typer: importing Typer and its click, then converting each parameter
with a pydantic TypeAdapter, cost more than checking a small flow. The bench figure
(`bench_startup.py`, bench/README.md "Start-up, second round"): `flowgen validate
support-triage.yaml` was 2.35x (CPU, median of 15 paired rounds) the baseline imports
through Typer and 1.99x on this road; the same work called directly was 2.02x, and 2.25x
once Typer was imported as well. `plain_validate_request` takes only what Typer would read
the same way (file arguments, `--format text|json`, `--summary` / `--no-summary`, each
option at most once), off a terminal; anything else (`--help`, an unknown or repeated
option, `--`, a value Typer would refuse, completion, `FLOWGEN_DEBUG`) goes to Typer, which
parses and reports it as before. `tests/cli/test_plain_validate.py` runs command lines both
ways and compares their output and exit codes.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from copilot.errors import FlowgenError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

BATCH_COMMANDS = frozenset({"validate", "lint", "graph"})
"""Commands that read flow files, report and exit: they run under `batch_gc`."""

BATCH_GC_THRESHOLD = (50_000, 20, 100)
"""The cyclic collector's thresholds while a batch command runs (CPython's default: 700, 10, 10)."""


@contextmanager
def batch_gc() -> Iterator[None]:
    """Run the body with the cyclic garbage collector's thresholds raised, then restore them.

    Why a process-wide setting: reading a flow leaves hundreds of thousands of long-lived
    containers (YAML nodes, plain data, pydantic models; ~175,000 nodes for a 5,000-step
    flow) and almost no cyclic garbage. At CPython's thresholds every 700 net allocations
    start a young pass, every 10 of those a middle one, and every 10 middle ones a full
    pass (once a quarter more objects have survived), which walks all of them again:
    validate grew n^1.18 with the collector and n^1.05 without it, and a 5,000-step chain
    spent about a third of its lint in the collector (bench/README.md, "Lint and validate
    growth"). The collector stays on, so a cycle is still reclaimed, at most 50,000
    allocations later. Only `BATCH_COMMANDS` run under it: they read, report and exit; a
    server (`serve`, `worker`) or a load test keeps CPython's defaults.
    """
    before = gc.get_threshold()
    gc.set_threshold(*BATCH_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


# Optional dependencies by the extra that brings them (pyproject.toml), for a one-line hint
# instead of a traceback when a command's extra is not installed.
EXTRA_FOR_MODULE = {
    "opentelemetry": "run",
    "bm25s": "run",
    "aiolimiter": "run",
    "hdrhistogram": "run",
    "pygal": "run",
    "prometheus_client": "run",
    "httpx": "run",
    "starlette": "serve",
    "uvicorn": "serve",
    "temporalio": "temporal",
}


def run_guarded(run: Callable[[], Any]) -> None:
    """Run a command (`run` returns its exit code); no traceback ever reaches a user for bad input.

    A `FlowgenError` is one line on stderr and exit 2; a missing extra names the extra; a
    usage error is one line; anything else is a bug in flowgen: one line, exit 2 (the
    traceback with FLOWGEN_DEBUG=1).
    """
    try:
        code = run()
    except FlowgenError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.stderr.write("flowgen: interrupted\n")
        sys.exit(130)
    except ModuleNotFoundError as exc:
        extra = EXTRA_FOR_MODULE.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        sys.stderr.write(
            f"flowgen: error: this command needs the `{extra}` extra ({exc.name} is not installed); "
            f"install it with: pip install 'flowgen[{extra}]'\n"
        )
        sys.exit(EXIT_USAGE)
    except SystemExit:
        raise
    except Exception as exc:
        typer = sys.modules.get("typer")
        if typer is not None and isinstance(exc, typer.Exit):
            raise
        if is_click_error(exc):
            report_usage_error(exc)
        # A bug in flowgen, not bad input: still one line, still exit 2.
        if os.environ.get("FLOWGEN_DEBUG"):
            raise
        sys.stderr.write(
            f"flowgen: internal error: {type(exc).__name__}: {exc} "
            "(a bug in flowgen; rerun with FLOWGEN_DEBUG=1 for the traceback and report it)\n"
        )
        sys.exit(EXIT_USAGE)
    if "temporalio.bridge" in sys.modules:  # the Temporal commands: see copilot.temporal.client.exit_now
        from copilot.temporal.client import exit_now

        exit_now(code if isinstance(code, int) else 0)
    if isinstance(code, int) and code:
        sys.exit(code)


def is_click_error(exc: BaseException) -> bool:
    """Whether `exc` is click's usage error or abort (Typer vendors click: matched by class name)."""
    return any(cls.__name__ in ("ClickException", "Abort") for cls in type(exc).__mro__)


def report_usage_error(exc: BaseException) -> NoReturn:
    """A usage error as one line (`flowgen: error: No such option: --bogus (see …)`), exit 2."""
    name = type(exc).__name__
    ctx = getattr(exc, "ctx", None)
    if name == "NoArgsIsHelpError" and ctx is not None:
        # No arguments at all: the help is what the user needs, not an error line. Building
        # the error rendered it already when Rich prints the help; plain help is only text.
        text = str(exc.format_message())  # type: ignore[attr-defined]
        if text.strip():
            sys.stdout.write(text + "\n")
        sys.exit(EXIT_USAGE)
    if name == "Abort":
        sys.stderr.write("flowgen: aborted\n")
        sys.exit(1)
    message = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    # Typer validates option values with pydantic; drop its wording, keep the sentence.
    message = message.replace("Value error, ", "").replace("Input should be", "expected")
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    sys.stderr.write(f"flowgen: error: {message}\n")
    sys.exit(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)


PlainValidate = tuple[list[str], str, bool]
"""A plain `validate` command line: the files (as Typer's `Path` prints them), format, summary."""

_FORMATS = ("text", "json")


def plain_validate_request(argv: list[str]) -> PlainValidate | None:
    """`flowgen validate`'s files, format and summary when Typer would read `argv` the same, else None.

    The shortcut of this module's docstring (2.35x -> 1.99x the baseline imports,
    bench/README.md "Start-up, second round"): it takes only file
    arguments (not empty, not starting with `-` but `-` itself, stdin), `--format text|json`,
    `--format=text|json`, `-f text|json`, `--summary`, `--no-summary`, each option once, in
    any order, at least one file, off a terminal (a terminal's report is Rich's, which
    Typer's road sets up), without shell completion or FLOWGEN_DEBUG. Everything else is
    None: Typer parses it, reports its errors and prints its help as before.
    """
    if not argv or argv[0] != "validate" or os.name == "nt":
        return None
    if "_FLOWGEN_COMPLETE" in os.environ or "FLOWGEN_DEBUG" in os.environ:
        return None
    from copilot.styled import wants_rich

    if wants_rich(sys.stdout):
        return None
    from pathlib import Path

    files: list[str] = []
    fmt: str | None = None
    summary: bool | None = None
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-" or (arg and not arg.startswith("-")):
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes in argv: Typer decides
                return None
            files.append(str(Path(arg)))  # what `str(path)` of Typer's `list[Path]` gives
        elif arg in ("--format", "-f") or arg.startswith("--format="):
            if fmt is not None:
                return None
            if arg.startswith("--format="):
                value = arg.removeprefix("--format=")
            elif i + 1 < len(args):
                i += 1
                value = args[i]
            else:
                return None
            if value not in _FORMATS:
                return None
            fmt = value
        elif arg in ("--summary", "--no-summary"):
            if summary is not None:
                return None
            summary = arg == "--summary"
        else:
            return None
        i += 1
    if not files:
        return None
    return files, fmt or "text", True if summary is None else summary


def run_plain_validate(request: PlainValidate) -> None:
    """`flowgen validate` of a `plain_validate_request`, as Typer's road runs the command.

    Inside the command, Typer turns Ctrl-C into exit 130 (no message), end of input into
    "aborted" (exit 1) and a closed pipe into exit 1; so does this.
    """
    files, fmt, summary = request

    def command() -> int:
        try:
            from copilot.validate import check_files

            return check_files(files, fmt, summary=summary)
        except EOFError:
            sys.stderr.write("\n")
            sys.stderr.write("flowgen: aborted\n")
            sys.exit(1)
        except KeyboardInterrupt:
            return 130
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            from typer._click.utils import PacifyFlushWrapper

            sys.stdout = PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
            sys.stderr = PacifyFlushWrapper(sys.stderr)  # type: ignore[assignment]
            sys.exit(1)

    with batch_gc():
        run_guarded(command)
