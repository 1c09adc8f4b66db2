"""Secrets a report never prints: masked in code frames and in every output format.

FG701 names the kind of a secret, never its value, but a code frame shows the source
line, and the same line can be the context of another finding. Reports land in CI logs,
so a frame masks the scalar of each FG701 finding, and every line and every data format
masks well-known key shapes and URL passwords wherever they appear.
"""

from __future__ import annotations

import re

from copilot.lint.rules.security import credential_spans

HIDDEN = "****"
_KEEP = 4  # characters kept of a long secret, so a reader can tell which one it was
_URL_PASSWORD = re.compile(r"(?<=://)([^/\s:@]+):([^@\s/]+)(?=@)")
_PLAIN_END = re.compile(r"\s#|,\s|[,}\]]")


def hide(value: str) -> str:
    """`sk-p****`: the first characters of a long secret, then `****`; a short one entirely."""
    return value[:_KEEP] + HIDDEN if len(value) >= 4 * _KEEP else HIDDEN


def mask_known(text: str) -> str:
    """`text` with well-known keys and URL passwords hidden (see `hide`)."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{hide(m.group(2))}", text)
    spans = credential_spans(text)
    for start, end in reversed(spans):
        text = text[:start] + hide(text[start:end]) + text[end:]
    return text


def mask_scalar(line: str, col: int) -> str:
    """`line` with the YAML scalar that starts at 1-based `col` hidden.

    A quoted scalar ends at its closing quote; a plain one at a comment, a `,`, `}` or `]`
    (hiding a little more than the value is the safe side). When the scalar contains a
    well-known key or a URL password, only that part is hidden, so the frame still reads.
    """
    start = col - 1
    if not 0 <= start < len(line) or line[start] in "|>":
        return line
    if line[start] in "\"'":
        start += 1
        end = line.find(line[start - 1], start)
        end = len(line) if end < 0 else end
    else:
        match = _PLAIN_END.search(line, start)
        end = match.start() if match else len(line.rstrip())
    value = line[start:end]
    known = mask_known(value)
    return line[:start] + (known if known != value else hide(value)) + line[end:]
