"""llama.cpp's json-schema-to-grammar pattern rules, ported as a checker (issue 17).

No wheel of llama-cpp-python installs offline on this machine (it builds llama.cpp with a
compiler), so `llama_cpp_pattern_problems` ports the rules of its `_visit_pattern`
(examples/json_schema_to_grammar.py, common/json-schema-to-grammar.cpp): the pattern is
anchored by `^…$`; `(?` (lookarounds, non-capturing groups) is refused; brackets are copied
into a GBNF character class and every other escape into a GBNF string literal, where only
GBNF's own escapes parse (`\\x`, `\\u`, `\\U`, `\\t`, `\\n`, `\\r`, `\\\\`, `\\"`, `\\[`,
`\\]`), so `\\d`, `\\.` or `\\S` is "failed to parse grammar"; only escapes of `[]()|{}*+?`
become literal characters. tests/draft/test_wire_grammar.py and the grammar-mode server of
tests/draft/fake_llm.py use it.
"""

from __future__ import annotations

import re
from typing import Any

GBNF_ESCAPES = set('xuUtnr\\"[]')
"""What GBNF's parse_char takes after a backslash, in a literal or a character class."""
LITERAL_ESCAPES = set("[]()|{}*+?")
"""Escapes llama.cpp's converter turns into the plain character (outside brackets)."""
QUANTIFIER = re.compile(r"\{\d*(,\d*)?\}")


def llama_cpp_pattern_problems(pattern: str) -> list[str]:
    """Why llama.cpp's json-schema-to-grammar would fail (or mistranslate) `pattern`."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return ['Pattern must start with "^" and end with "$"']
    body, problems, i, depth = pattern[1:-1], [], 0, 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            escaped = body[i + 1 : i + 2]
            if escaped not in LITERAL_ESCAPES and escaped not in GBNF_ESCAPES:
                problems.append(f"\\{escaped} at {i}: copied into a GBNF literal, which has no such escape")
            i += 2
        elif c == "[":
            end = i + 1
            while end < len(body) and body[end] != "]":
                if body[end] == "\\":
                    if body[end + 1 : end + 2] not in GBNF_ESCAPES:
                        problems.append(
                            f"\\{body[end + 1 : end + 2]} in brackets at {end}: not a GBNF escape"
                        )
                    end += 1
                end += 1
            if end >= len(body):
                problems.append(f"unbalanced square brackets at {i}")
            i = end + 1
        elif c == "(":
            if body[i + 1 : i + 2] == "?":
                problems.append(f"unsupported pattern syntax (? at {i}")
            depth += 1
            i += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                problems.append(f"unbalanced parenthesis at {i}")
            i += 1
        elif c == "{":
            found = QUANTIFIER.match(body, i)
            if found is None or i == 0:
                problems.append(f"{{ at {i} is not a quantifier")
                i += 1
            else:
                i = found.end()
        elif c in "*+?" and (i == 0 or body[i - 1] in "(|"):
            problems.append(f"{c} at {i} repeats nothing")
            i += 1
        elif c in "^$":
            problems.append(f"{c} at {i}: an anchor inside the pattern becomes a literal character")
            i += 1
        else:
            i += 1
    if depth:
        problems.append("unbalanced parenthesis")
    return problems


def schema_patterns(node: Any) -> list[str]:
    """Every `pattern` in a JSON Schema, nested ones included."""
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in schema_patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in schema_patterns(value)]
    return []
