"""Where the shipped data folders are, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `templates` or `checklists`.

    In a wheel they are packaged under ``copilot/_data/``; in a checkout (and an editable
    install) they are top-level folders next to the package.
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"flowgen's {name}/ folder is missing from this installation")
