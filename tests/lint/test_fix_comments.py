"""`lint --fix` keeps every comment and blank line directly above the key it was written above.

ruamel keeps the lines that follow a value with that value's last scalar; a key appended
after it used to pull them along (a comment above `models:` ended up inside `trigger:`).
"""

from __future__ import annotations

import re
from pathlib import Path

from copilot.lint.engine import lint_text
from copilot.lint.fixes import fix_text

NAIVE = Path(__file__).parents[2] / "examples" / "flows" / "naive-support-triage.yaml"


def _commented_naive() -> str:
    """The naive flow with a comment above every top-level key and every step."""
    out = []
    for line in NAIVE.read_text().splitlines():
        top = re.match(r"^([a-z_]+):", line)
        if top and top.group(1) != "apiVersion":
            out.append(f"# above {top.group(1)}")
        step = re.match(r"^  - id: (\w+)", line)
        if step:
            out.append(f"  # above step {step.group(1)}")
        out.append(line)
    return "\n".join(out) + "\n"


def _line_after_each_comment(text: str) -> dict[str, str]:
    lines = text.splitlines()
    return {line.strip(): lines[i + 1] for i, line in enumerate(lines) if line.strip().startswith("# above")}


def test_fix_keeps_comments_above_the_same_keys_and_blank_lines() -> None:
    text = _commented_naive()
    fixed, changes = fix_text(text, str(NAIVE))
    assert len(changes) >= 10  # keys were appended to trigger, to each step and at the end
    before = _line_after_each_comment(text)
    assert len(before) == 13  # kind, name, description, brief, sla, trigger, models, steps, 4 steps, respond
    assert _line_after_each_comment(fixed) == before
    assert fixed.count("\n\n") == text.count("\n\n")  # no blank line lost or moved away
    # the appended keys are where they belong, not under the next block's comment
    trigger_block = fixed.split("# above trigger", 1)[1].split("# above models", 1)[0]
    assert "idempotency_key:" in trigger_block and "concurrency:" in trigger_block
    docs_step = fixed.split("# above step docs", 1)[1].split("# above step answer", 1)[0]
    assert "freshness: 30d" in docs_step and "top_k:" in docs_step
    assert not [f for f in lint_text(fixed, str(NAIVE)) if f.fixable]
