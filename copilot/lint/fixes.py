"""`flowgen lint --fix`: apply every safe autofix on the round-trip tree, then re-check.

Each fixable rule registers a fixer (`@fixer(code)`, ``(tree, ctx) -> [description]``)
that edits the ruamel tree in place, through `copilot.flow.dump.merge_into`, so comments,
key order and the style of untouched nodes survive. Fixers only see the hits that are
enabled and not suppressed (`ctx.hits_to_fix`). After a round of fixes the text is parsed
and validated again: a fix that would produce an invalid flow is a bug, and the original
text is kept. A fix can uncover another fixable problem, so rounds repeat (at most three).

Decisions that belong to a person have no fixer: an infeasible SLA (FG103), a cost over
budget (FG503), which model to use.
"""

from __future__ import annotations

import io
from typing import Any

from copilot.lint.config import LintConfig
from copilot.lint.engine import lint_context, load_for_lint
from copilot.lint.rules import rules_by_code

MAX_ROUNDS = 3


def _yaml(text: str) -> Any:
    """A round-trip YAML that writes `text` back as it was written: quotes, indentation, long lines."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line the author wrote
    offset = _sequence_offset(text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def _sequence_offset(text: str) -> int:
    """How far the author indents `- item` under its key (0 or 2 in practice)."""
    previous = None
    for line in text.splitlines():
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- ") and previous is not None and previous[1].endswith(":"):
            return max(0, (len(line) - len(stripped)) - previous[0])
        previous = (len(line) - len(stripped), stripped.split("#")[0].rstrip())
    return 2


def parse_tree(text: str) -> Any:
    """The round-trip tree a fix edits (quotes kept, unlike the linting parse)."""
    return _yaml(text).load(io.StringIO(text))


def dump_text(tree: Any, like: str) -> str:
    """The YAML text of an edited round-trip tree, comments (the modeline too) kept."""
    buf = io.StringIO()
    _yaml(like).dump(tree, buf)
    return buf.getvalue()


def fix_round(text: str, path: str, config: LintConfig) -> tuple[str, list[str]]:
    """One round: lint, run the fixers of the rules that fired, dump. Unchanged text when nothing applies."""
    loaded = load_for_lint(text, path)
    ctx = loaded.context
    if ctx is None:
        return text, []
    _, kept = lint_context(ctx, config, path, text)
    rules = rules_by_code()
    ctx.fix_hits = {code: hits for code, hits in kept.items() if rules[code].fix is not None}
    changes: list[str] = []
    tree = parse_tree(text)
    for code in sorted(ctx.fix_hits):
        fix = rules[code].fix
        assert fix is not None
        changes += [f"{code} {change}" for change in fix(tree, ctx)]
    if not changes:
        return text, []
    return dump_text(tree, text), changes


def fix_text(text: str, path: str = "<flow>", config: LintConfig | None = None) -> tuple[str, list[str]]:
    """The text with every safe fix applied, and what changed (``"FG101 steps[0]: timeout 1200ms"``).

    Returns the input unchanged (and no changes) when it does not load, or when a fix would
    leave a flow that does not validate.
    """
    from copilot.errors import FlowgenError
    from copilot.flow.load import load_flow_text

    config = (config or LintConfig()).for_path(path)
    current, changes = text, list[str]()
    for _ in range(MAX_ROUNDS):
        new, round_changes = fix_round(current, path, config)
        if not round_changes or new == current:
            break
        try:
            load_flow_text(new, path)
        except FlowgenError:
            return text, []
        current, changes = new, changes + round_changes
    return current, changes
