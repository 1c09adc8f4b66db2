"""Rule fixtures as data (tests/fixtures/rules/<CODE>.yml): loading, patching a base, linting.

Most cases patch a shared base (`_bases/clean.yaml`) and pin `findings` by line and col of
the *patched* document, which no file holds. To see that document, from the repository root:

    python -m tests.lint.fixture_tools FG101 model-step-without-timeout
    python -m tests.lint.fixture_tools FG101          # the rule's case names

It prints the patched YAML with line numbers and a `^` under every pinned finding (and
every finding the rule reports now), so a pinned `line: 39, col: 9` can be checked by eye.
From Python, `show(code, name)` returns the same text. When a case fails,
`test_rule_fixtures.py` puts `report(...)` (the same document, plus expected against
found) in the assertion message.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
BASES = FIXTURES / "_bases"
DELETE = "~delete"
_PART = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


@dataclass
class Case:
    """One fixture case of one rule."""

    rule: str
    name: str
    expect: str
    text: str
    path: str  # what the flow is linted as (inside _bases/, so relative sources resolve)
    findings: list[dict[str, int]] | None = None
    count: int | None = None
    message: str | None = None
    fix: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # how `text` was made: "_bases/clean.yaml, set: {...}" or "inline `flow:`"

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.name}"


def split_path(path: str) -> list[str | int]:
    """`steps[classify].retry.attempts` → ['steps', '=classify', 'retry', 'attempts']."""
    parts: list[str | int] = []
    for key, selector in _PART.findall(path):
        if key:
            parts.append(key)
        elif selector == "+":
            parts.append("+")
        elif re.fullmatch(r"-?\d+", selector):
            parts.append(int(selector))
        else:
            parts.append("=" + selector)
    if not parts:
        raise ValueError(f"empty patch path {path!r}")
    return parts


def _index(node: Any, part: str | int, path: str) -> int:
    if not isinstance(node, list):
        raise ValueError(f"{path}: `{part}` selects a list item, but the node is not a list")
    if isinstance(part, int):
        return part if part >= 0 else len(node) + part
    wanted = str(part)[1:]
    for i, item in enumerate(node):
        if isinstance(item, dict) and item.get("id") == wanted:
            return i
    raise ValueError(f"{path}: no list item with id `{wanted}`")


def apply_patch(tree: Any, path: str, value: Any) -> None:
    """Set (or delete, with `~delete`) the node at `path` in a round-trip tree."""
    from copilot.flow.dump import merge_into, to_tree

    parts = split_path(path)
    node = tree
    walked: tuple[str | int, ...] = ()
    for part in parts[:-1]:
        if isinstance(part, str) and not part.startswith("="):
            if part not in node:
                raise ValueError(f"{path}: no key `{part}`")
            node, walked = node[part], (*walked, part)
        else:
            i = _index(node, part, path)
            node, walked = node[i], (*walked, i)
    last = parts[-1]
    if last == "+":
        node.append(to_tree(value, (*walked, len(node))))
        return
    if isinstance(last, str) and not last.startswith("="):
        if value == DELETE:
            del node[last]
        elif last in node:
            node[last] = to_tree(value, (*walked, last))
        else:
            merge_into(node, last, value, walked)
        return
    i = _index(node, last, path)
    if value == DELETE:
        del node[i]
    else:
        node[i] = to_tree(value, (*walked, i))


def patched(base: str, patches: dict[str, Any]) -> str:
    """The text of `_bases/<base>.yaml` with `patches` applied."""
    from copilot.lint.fixes import dump_text, parse_tree

    text = (BASES / f"{base}.yaml").read_text(encoding="utf-8")
    if not patches:
        return text
    tree = parse_tree(text)
    for path, value in patches.items():
        apply_patch(tree, path, value)
    return dump_text(tree, text)


def load_cases(file: Path) -> list[Case]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(file.read_text(encoding="utf-8"))
    rule = data["rule"]
    if file.stem != rule:
        raise ValueError(f"{file.name}: `rule: {rule}` does not match the file name")
    out = []
    names = set()
    for raw in data["cases"]:
        name = raw["name"]
        if name in names:
            raise ValueError(f"{file.name}: duplicate case name {name}")
        names.add(name)
        if raw.get("expect") not in ("pass", "fail"):
            raise ValueError(f"{file.name}: {name}: expect must be pass or fail")
        if "flow" in raw:
            text = raw["flow"]
            path = str(BASES / f"{rule}.{name}.yaml")
            source = "inline `flow:`"
        else:
            base = raw.get("base", "clean")
            text = patched(base, raw.get("set") or {})
            path = str(BASES / f"{base}.yaml")
            source = f"_bases/{base}.yaml" + (f", set: {raw['set']}" if raw.get("set") else "")
        for old, new in raw.get("replace") or []:
            if old not in text:
                raise ValueError(f"{file.name}: {name}: `replace` text not found: {old!r}")
            text = text.replace(old, new, 1)
        if raw.get("replace"):
            source += f", replace: {raw['replace']}"
        out.append(
            Case(
                rule=rule,
                name=name,
                expect=raw["expect"],
                text=text,
                path=path,
                findings=raw.get("findings"),
                count=raw.get("count"),
                message=raw.get("message"),
                fix=bool(raw.get("fix", False)),
                config=raw.get("config") or {},
                source=source,
            )
        )
    return out


def all_cases() -> list[Case]:
    return [case for file in sorted(FIXTURES.glob("FG*.yml")) for case in load_cases(file)]


def comments(text: str) -> list[str]:
    """Every comment's text (what --fix must keep)."""
    out = []
    for line in text.splitlines():
        match = re.search(r"(?:^|\s)(#.*)$", line)
        if match and not re.search(r"""["'][^"']*#""", line[: match.start(1) + 1]):
            out.append(match.group(1).strip())
    return out


def find_case(code: str, name: str) -> Case:
    """The case `name` of rule `code`; the error lists the rule's case names."""
    cases = load_cases(FIXTURES / f"{code}.yml")
    for case in cases:
        if case.name == name:
            return case
    raise KeyError(f"{code} has no case {name!r}; its cases: {', '.join(c.name for c in cases)}")


def lint_case(case: Case, text: str | None = None) -> list[Any]:
    """The findings of the case's own rule on `text` (by default the case's document)."""
    from copilot.lint.config import LintConfig
    from copilot.lint.engine import lint_text

    config = LintConfig.from_mapping(case.config) if case.config else LintConfig()
    found = lint_text(case.text if text is None else text, case.path, config)
    return [f for f in found if f.code == case.rule]


def numbered(
    text: str,
    expected: list[dict[str, int]] | None = None,
    found: Sequence[Any] = (),
    rule: str = "",
) -> str:
    """`text` with line numbers, and a `^` line under each expected or found position.

    A position both pinned and found is marked once (`expected, found: message`), so a
    mismatch shows as two markers on different places.
    """
    marks: dict[tuple[int, int], list[str]] = {}
    for pos in expected or []:
        marks.setdefault((pos["line"], pos["col"]), []).append("expected")
    for finding in found:
        marks.setdefault((finding.line, finding.col), []).append(f"found: {finding.message}")
    out = []
    lines = text.splitlines()
    width = len(str(max(len(lines), 1)))
    gutter = " " * width + " | "
    for (line, col), labels in sorted(marks.items()):
        if line < 1 or line > len(lines):  # no position (0:0) or past the end
            out.append(f"{gutter}{rule} {line}:{col} (not on a line) {', '.join(labels)}")
    for number, line in enumerate(lines, 1):
        out.append(f"{number:>{width}} | {line}".rstrip())
        for (at, col), labels in sorted(marks.items()):
            if at == number:
                out.append(f"{gutter}{' ' * max(col - 1, 0)}^ {rule} {at}:{col} {', '.join(labels)}")
    return "\n".join(out)


def report(case: Case, found: list[Any], problem: str, text: str | None = None, pinned: bool = True) -> str:
    """An assertion message a reader can check: the problem, the document, pinned vs found.

    `text` is the document the findings are of (the fixed text after `fix: true`);
    `pinned=False` leaves out the case's `findings` (they are of the unfixed text).
    """
    expected = (case.findings or []) if pinned else []
    pins = ", ".join(f"{p['line']}:{p['col']}" for p in expected) or "none"
    seen = ", ".join(f"{f.line}:{f.col} {f.message}" for f in found) or "none"
    return "\n".join(
        [
            f"{case.id}: {problem}",
            f"  fixture:  tests/fixtures/rules/{case.rule}.yml, case `{case.name}` (expect: {case.expect})",
            f"  document: {case.source}" + (" (then fixed by lint --fix)" if text is not None else ""),
            f"  expected: {pins}",
            f"  found:    {seen}",
            f"  again:    python -m tests.lint.fixture_tools {case.rule} {case.name}",
            "",
            numbered(case.text if text is None else text, expected, found, case.rule),
        ]
    )


def show(code: str, name: str, lint: bool = True) -> str:
    """The document of one case with line numbers, its pinned findings and (with `lint`) the
    rule's findings on it now."""
    case = find_case(code, name)
    found = lint_case(case) if lint else []
    head = f"{case.id} (expect: {case.expect}), from {case.source}"
    return head + "\n" + numbered(case.text, case.findings, found, case.rule)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m tests.lint.fixture_tools CODE [CASE-NAME]", file=sys.stderr)
        return 2
    code = argv[0].upper()
    if not (FIXTURES / f"{code}.yml").exists():
        print(f"no fixture file tests/fixtures/rules/{code}.yml", file=sys.stderr)
        return 2
    if len(argv) == 1:
        for case in load_cases(FIXTURES / f"{code}.yml"):
            print(f"{case.name}  (expect: {case.expect})")
        return 0
    try:
        print(show(code, argv[1]))
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
