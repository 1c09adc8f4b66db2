"""Rule fixtures as data (tests/fixtures/rules/<CODE>.yml): loading, patching a base, linting.

Run as a script to see the text a case lints (to write its `findings` lines):

    .venv/bin/python tests/lint/fixture_tools.py FG101 model-step-without-timeout
"""

from __future__ import annotations

import re
import sys
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
        else:
            base = raw.get("base", "clean")
            text = patched(base, raw.get("set") or {})
            path = str(BASES / f"{base}.yaml")
        for old, new in raw.get("replace") or []:
            if old not in text:
                raise ValueError(f"{file.name}: {name}: `replace` text not found: {old!r}")
            text = text.replace(old, new, 1)
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


if __name__ == "__main__":
    code, name = sys.argv[1], sys.argv[2]
    case = next(c for c in load_cases(FIXTURES / f"{code}.yml") if c.name == name)
    for number, line in enumerate(case.text.splitlines(), 1):
        print(f"{number:>4} {line}")
