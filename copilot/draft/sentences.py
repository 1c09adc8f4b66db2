"""Sentences of a brief: the one splitter the brief reader and the requirement clauses share.

It sits below both (`copilot.draft.reader`, `copilot.draft.clauses`) so neither imports the
other to split a brief.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|vs|approx|incl)\.", re.I)


def split_sentences(text: str) -> list[str]:
    """Sentences of a brief: on . ! ? ; and line breaks (bullets too), never inside 1.5 or $0.01."""
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\x00"), text)
    parts: list[str] = []
    # a line break is a sentence break after . ! ? : or before a heading or bullet; a brief
    # wrapped at 80 columns ("via the\nShopify Admin API") goes on across the break
    for line in re.split(r"\n\s*\n|\n\s*(?:[-*•]|\d+[.)])\s+|(?<=[.!?:])\n(?=[A-Z])|\n(?=#)", protected):
        for piece in re.split(r"(?<=[.!?;])\s+|;\s*", line.replace("\n", " ")):
            piece = piece.replace("\x00", ".").strip(" \t-*•#>")
            if piece and re.search(r"[A-Za-z]", piece):
                parts.append(" ".join(piece.split()))
    return parts
