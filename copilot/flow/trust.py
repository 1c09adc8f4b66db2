"""The trust boundary: which files a flow may read and write.

A flow file is untrusted input (it arrives in pull requests and from LLM answers), so the
paths it names are confined to the flow file's folder: retrieve `sources`, the
`on_error.dead_letter` file and the jsonl trace file. A path is refused when it is
absolute, when it has a `..` part, or when it resolves (symlinks followed) to somewhere
outside the folder. A dead-letter file that already exists must be one: its first line a
dead-letter record, so a flow cannot append events to an unrelated file.

The linter (FG710) and the engine (which refuses to start) call these same functions.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

# Keys every dead-letter record has (copilot.run.engine writes them).
DEAD_LETTER_KEYS = frozenset({"time", "flow", "event", "error"})
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


def existing_file_problem(path: Path) -> str | None:
    """Why an existing `path` is not a dead-letter file (None when absent, empty or one)."""
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
    if isinstance(record, dict) and record.keys() >= DEAD_LETTER_KEYS:
        return None
    return (
        f"`{path}` exists and is not a dead-letter file (its first line is no dead-letter record); "
        "refusing to append events to it: choose a new file"
    )


def dead_letter_problem(value: str, base: Path) -> str | None:
    """Why the flow's `on_error.dead_letter.path` may not be written, or None."""
    why = write_path_problem(value, base, "dead-letter path")
    if why is not None:
        return why
    return existing_file_problem(base / value)
