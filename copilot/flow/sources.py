"""Document sources of retrieve steps: glob resolution and content pins.

A pin is ``sha256:<hex>`` over the sorted relative paths and contents of every file the
glob matches, so adding, removing, renaming or editing a document changes it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def resolve(pattern: str, base: Path) -> list[Path]:
    """Files matching `pattern` (relative to `base`, the flow file's folder), sorted.

    Only files inside `base` count (copilot.flow.trust): an absolute pattern, a `..` part or
    a symlink out of the folder matches nothing here, so no pin is computed over them.
    """
    from copilot.flow.trust import inside, path_shape_problem

    if path_shape_problem(pattern) is not None:
        return []
    try:
        found = [p for p in base.glob(pattern) if p.is_file()]
    except (ValueError, OSError):
        return []
    return sorted(p for p in found if inside(p, base))


def digest(files: list[Path], base: Path) -> str:
    """The pin of a set of files: ``sha256:`` + hex digest of names and contents."""
    h = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.as_posix()):
        try:
            name = path.relative_to(base).as_posix()
        except ValueError:
            name = path.as_posix()
        data = path.read_bytes()
        h.update(name.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + h.hexdigest()


def pin_for(pattern: str, base: Path) -> str:
    """The pin to write for `pattern` today."""
    return digest(resolve(pattern, base), base)
