"""Word stems for matching a phrase of the brief against another: "availability" and "available"
share `avail`, "the cited sections" and `handbook_section_numbers` share `secti`."""

from __future__ import annotations

import re

__all__ = ["word_stems"]


def word_stems(text: str, shortest: int = 3, common: frozenset[str] = frozenset()) -> set[str]:
    """The first five letters of each word of `shortest` letters or more (a shorter word as it
    is), leaving out `common` words."""
    return {w[:5] for w in re.findall(rf"[a-z]{{{shortest},}}", text.lower()) if w not in common}
