"""Which files are flows: folders expanded to the flow files under them.

`flowgen lint` and `flowgen validate` take files and folders alike; both expand them
here, so a folder means the same flows to both commands.
"""

from __future__ import annotations

import re
from pathlib import Path

_KIND_FLOW = re.compile(rb"^kind:\s*['\"]?Flow['\"]?\s*(#.*)?$", re.M)


def expand_paths(paths: list[str]) -> list[str]:
    """Files as given, folders expanded to the flow files under them (sorted, hidden ones skipped)."""
    out: list[str] = []
    for path in paths:
        p = Path(path)
        if path != "-" and p.is_dir():
            for child in sorted([*p.rglob("*.yaml"), *p.rglob("*.yml")]):
                rel = child.relative_to(p)
                if any(part.startswith(".") for part in rel.parts) or not looks_like_flow(child):
                    continue
                out.append(str(child))
        else:
            out.append(path)
    return out


def looks_like_flow(path: Path) -> bool:
    """Whether a YAML file declares itself a flow: `apiVersion: flowgen/…`, or `kind: Flow`.

    Only such files in a searched folder are flows (a `kind: Flow` file without an
    apiVersion is then reported, FG002). A file that cannot be read counts as a flow, so
    that reading it fails visibly (FG001).
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return True
    return b"flowgen/" in head or _KIND_FLOW.search(head) is not None
