"""The trust boundary: which files a flow may read and write.

A flow file is untrusted input (it arrives in pull requests and from LLM answers), so the
paths it names are confined to the flow file's folder: retrieve `sources`, the
`on_error.dead_letter` file and the jsonl trace file. A path is refused when it is
absolute, when it has a `..` part, or when it resolves (symlinks followed) to somewhere
outside the folder. A dead-letter or trace file that already exists must be one: its first
line a dead-letter (span) record, so a flow cannot append to or replace an unrelated file.

`flow_path_problems` is the one list: the linter (FG710), `validate` and the engine (which
refuses to start, through copilot.flow.check) all call it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from copilot.flow.models import Flow

# Keys every dead-letter record has (copilot.run.deadletter writes them).
DEAD_LETTER_KEYS = frozenset({"time", "flow", "event", "error"})
# Keys every span line has (OpenTelemetry's JSON form, copilot.run.telemetry writes them).
SPAN_KEYS = frozenset({"name", "context", "kind", "start_time", "end_time"})
_FIRST_LINE_LIMIT = 1 << 20  # a first line longer than this is no dead-letter record


def path_shape_problem(value: str) -> str | None:
    """Why `value` names a place outside the folder by its spelling alone."""
    text = value.replace("\\", "/")
    if not text.strip():
        return "is empty"
    if text.startswith(("/", "~")) or PurePosixPath(text).is_absolute() or (len(text) > 1 and text[1] == ":"):
        return "is absolute"
    if ".." in PurePosixPath(text).parts:
        return "climbs out with `..`"
    return None


def inside(path: Path, folder: Path) -> bool:
    """Whether `path`, symlinks resolved, lies in `folder` (also resolved)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symlink loop or an unreadable part: not provably inside
        return False


def source_problem(pattern: str, base: Path) -> str | None:
    """Why a retrieve source glob may not be read, or None when every match is inside `base`."""
    why = path_shape_problem(pattern)
    if why is not None:
        return f"source path `{pattern}` {why}; sources are globs inside the flow file's folder"
    try:
        matches = [p for p in base.glob(pattern) if p.is_file()]
    except (ValueError, OSError):
        return None  # not a usable glob: the source simply matches nothing
    for match in matches:
        if not inside(match, base):
            rel = match.relative_to(base).as_posix() if match.is_relative_to(base) else match.name
            return (
                f"source path `{pattern}` matches `{rel}`, a symlink that leads outside the flow "
                "file's folder"
            )
    return None


def write_path_problem(value: str, base: Path, what: str) -> str | None:
    """Why `value` (a file the flow writes, relative to `base`) is outside the folder."""
    why = path_shape_problem(value)
    if why is None and not inside(base / value, base):
        why = "leads outside the flow file's folder through a symlink"
    if why is None:
        return None
    return f"{what} `{value}` {why}; it must be a file inside the flow file's folder"


def existing_file_problem(
    path: Path, keys: frozenset[str] = DEAD_LETTER_KEYS, kind: str = "dead-letter"
) -> str | None:
    """Why an existing `path` is not a `kind` file (None when absent, empty or one).

    A `kind` file's first line is a JSON record with all of `keys`; flowgen only ever
    appends to such a file, so a flow cannot write into (or over) an unrelated one.
    """
    try:
        if not path.exists():
            return None
        if not path.is_file():
            return f"`{path}` exists and is not a file"
        with path.open("rb") as handle:
            first = handle.readline(_FIRST_LINE_LIMIT)
    except OSError as exc:
        return f"`{path}` cannot be read: {exc.strerror or exc}"
    if not first.strip():
        return None
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    if isinstance(record, dict) and record.keys() >= keys:
        return None
    return (
        f"`{path}` exists and is not a {kind} file (its first line is no {kind} record); "
        "refusing to write to it: choose a new file"
    )


def dead_letter_problem(value: str, base: Path) -> str | None:
    """Why the flow's `on_error.dead_letter.path` may not be written, or None."""
    why = write_path_problem(value, base, "dead-letter path")
    if why is not None:
        return why
    return existing_file_problem(base / value)


def trace_file_problem(value: str, base: Path) -> str | None:
    """Why the flow's `observability.tracing.path` may not be written, or None.

    Inside the folder, and an existing file must be a span file (it is appended to).
    """
    why = write_path_problem(value, base, "trace file")
    if why is not None:
        return why
    return existing_file_problem(base / value, SPAN_KEYS, "span")


def flow_path_problems(flow: Flow, base: Path) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each file the flow names that it may not touch: (location in the flow, why).

    One list for lint (FG710), validate and the engine, which refuses to start on any.
    """
    for index, step in enumerate(flow.steps):
        for number, source in enumerate(getattr(step, "sources", None) or ()):
            why = source_problem(source.path, base)
            if why is not None:
                yield ("steps", index, "sources", number, "path"), f"step `{step.id}`: {why}"
    on_error = flow.on_error
    if on_error is not None and on_error.dead_letter is not None:
        why = dead_letter_problem(on_error.dead_letter.path, base)
        if why is not None:
            yield ("on_error", "dead_letter", "path"), why
    obs = flow.observability
    tracing = obs.tracing if obs is not None else None
    if tracing is not None and tracing.exporter == "jsonl" and tracing.path:
        why = trace_file_problem(tracing.path, base)
        if why is not None:
            yield ("observability", "tracing", "path"), why
