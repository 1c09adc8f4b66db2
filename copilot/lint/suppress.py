"""Inline suppressions: ``# flowgen: disable=FG201 reason="…"`` and ``disable-file=``.

A ``disable=`` comment at the end of a line silences the listed rules on that line; a
``disable=`` comment alone on its line silences them on the next line that holds YAML.
``disable-file=`` (by convention in the comment block at the top) silences them in the
whole file. Selectors are those of `--select` and the configuration: codes, code prefixes
(`FG8`) and kebab-case names, comma-separated. A suppression that silences nothing, or a
`# flowgen:` comment that is not a well-formed suppression (`disable FG101` without `=`,
an empty `disable=`), is itself reported (FG000 `unused-suppression`), so stale or broken
ones do not pile up and hide the next real problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_COMMENT = re.compile(
    r"""(?:^|\s)\#\s*flowgen:\s*(?P<kind>disable-file|disable)\s*=\s*
        (?P<codes>[A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)
        (?:\s+reason\s*=\s*"(?P<reason>[^"]*)")?""",
    re.X,
)
# Any `# flowgen:` comment: one that `_COMMENT` does not read is malformed.
_DIRECTIVE = re.compile(r"(?:^|\s)\#\s*flowgen:(?P<rest>.*)$")


@dataclass
class Suppression:
    """One code named in one suppression comment."""

    selector: str  # as written: FG201 or missing-fallback
    line: int  # the comment's line
    col: int  # the comment's column (of '#')
    target_line: int | None  # the line it silences; None for the whole file
    reason: str | None = None
    used: bool = field(default=False, compare=False)
    malformed: str | None = None  # the comment as written, when it is not a valid suppression

    def covers(self, line: int) -> bool:
        return self.target_line is None or self.target_line == line


def parse_suppressions(text: str) -> list[Suppression]:
    """Every suppression in `text`, with the line each one silences."""
    if "flowgen:" not in text:
        return []
    lines = text.splitlines()
    out: list[Suppression] = []
    for index, line in enumerate(lines):
        match = _COMMENT.search(line)
        if not match:
            directive = _DIRECTIVE.search(line)
            if directive:
                col = line.index("#", directive.start()) + 1
                text = line[col - 1 :].strip()
                out.append(Suppression("", index + 1, col, -1, malformed=text))
            continue
        hash_col = line.index("#", match.start()) + 1
        alone = not line[: hash_col - 1].strip()
        target: int | None
        if match.group("kind") == "disable-file":
            target = None
        elif alone:
            target = _next_content_line(lines, index)
        else:
            target = index + 1
        for code in match.group("codes").split(","):
            out.append(Suppression(code.strip(), index + 1, hash_col, target, match.group("reason")))
    return out


def _next_content_line(lines: list[str], index: int) -> int | None:
    for after in range(index + 1, len(lines)):
        stripped = lines[after].strip()
        if stripped and not stripped.startswith("#"):
            return after + 1
    return -1  # nothing follows: silences nothing, reported as unused
