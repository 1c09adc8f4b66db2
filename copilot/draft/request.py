"""What a draft is asked for: the brief and the constraints given on the command line.

`flowgen draft` and `flowgen prompt` share this, so the prompt a user pastes into another
copilot is built from exactly the same inputs as the one `draft` sends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.draft.event import EventShape
from copilot.errors import FlowgenError

MAX_BRIEF_BYTES = 64_000
COST_TIERS = ("economy", "standard", "premium")


@dataclass
class DraftRequest:
    """The inputs of one draft. `sla`/`budget`/`cost_tier` are None when not given."""

    brief: str
    brief_source: str = "<brief>"
    event: EventShape | None = None
    sla: float | None = None  # seconds, from --sla
    cost_tier: str | None = None
    budget: float | None = None  # USD per event, from --budget
    fallback_model: str | None = None  # a catalog id, from --fallback-model
    catalog: Any = None  # copilot.catalog.Catalog

    def __post_init__(self) -> None:
        if self.catalog is None:
            from copilot.catalog import default_catalog

            self.catalog = default_catalog()


def read_brief(argument: str) -> tuple[str, str]:
    """The brief's text and where it came from: literal text, ``@file`` or ``-`` (stdin)."""
    from copilot.flow.load import read_text

    if argument == "-":
        text, source = read_text("-", max_bytes=MAX_BRIEF_BYTES), "<stdin>"
    elif argument.startswith("@"):
        path = argument[1:]
        if not path:
            raise FlowgenError("brief: `@` must be followed by a file name, e.g. @brief.md")
        if Path(path).is_dir():
            raise FlowgenError("is a directory, not a brief file", path=path)
        text, source = read_text(path, max_bytes=MAX_BRIEF_BYTES), path
    else:
        if len(argument.encode("utf-8", "replace")) > MAX_BRIEF_BYTES:
            raise FlowgenError(f"brief: over {MAX_BRIEF_BYTES:,} bytes; a brief is a few paragraphs")
        text, source = argument, "<brief>"
    text = strip_front_matter(text).strip()
    if not text:
        raise FlowgenError("the brief is empty: describe the automation in a few sentences", path=source)
    return text, source


def strip_front_matter(text: str) -> str:
    """A Markdown brief may start with `---` YAML front matter (expectations, tags): skip it."""
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].strip() == "---":
        for index, line in enumerate(lines[1:], start=1):
            if line.strip() in ("---", "..."):
                return "\n".join(lines[index + 1 :])
    return text


def option_duration(option: str, text: str | None) -> float | None:
    """An option's duration in seconds (None when unset); a bad one is a FlowgenError naming the option."""
    from copilot.flow.units import parse_duration

    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise FlowgenError(f"{option}: {exc}") from None


def make_request(
    brief_argument: str,
    *,
    event: str | Path | None = None,
    sla: str | None = None,
    cost_tier: str | None = None,
    budget: float | None = None,
    fallback_model: str | None = None,
    models_file: str | Path | None = None,
) -> DraftRequest:
    """Check every option once, with messages that say what to write instead."""
    from copilot.catalog import load_catalog
    from copilot.draft.event import load_event

    brief, source = read_brief(brief_argument)
    sla_seconds = option_duration("--sla", sla)
    if sla_seconds is not None and sla_seconds <= 0:
        raise FlowgenError("--sla must be above zero, e.g. 1500ms")
    if cost_tier is not None and cost_tier not in COST_TIERS:
        from copilot.errors import did_you_mean

        raise FlowgenError(
            "--cost-tier must be economy, standard or premium, "
            f"not {cost_tier!r}{did_you_mean(cost_tier, COST_TIERS)}"
        )
    if budget is not None and not (math.isfinite(budget) and budget > 0):
        # nan fails `> 0`; inf would pass it and end up as `avg<Infinity` thresholds
        raise FlowgenError(
            f"--budget is USD per event: a finite number above zero, e.g. 0.004 (not {budget:g})"
        )
    catalog = load_catalog(models_file)
    if fallback_model is not None:
        catalog.get(fallback_model)  # a clear error with did-you-mean when it is not listed
    return DraftRequest(
        brief=brief,
        brief_source=source,
        event=load_event(event) if event is not None else None,
        sla=sla_seconds,
        cost_tier=cost_tier,
        budget=budget,
        fallback_model=fallback_model,
        catalog=catalog,
    )
