"""Regular expressions from flows and events, matched in linear time.

A JSON Schema `pattern` in `event_schema` or `output_schema` is written by whoever wrote
the flow, and the text it is matched against arrives in the event: `^(a+)+$` against 40
`a`s and a `!` holds Python's backtracking `re` for minutes, with the GIL, so nothing
else runs meanwhile (not even a timeout). So:

- patterns are compiled with RE2 (`google-re2`), whose matching time is linear in the
  text whatever the pattern;
- a pattern RE2 cannot compile (a backreference, a lookaround) falls back to Python's
  `re` only when `backtracking_risk` finds no overlapping repetition in it and
  `nested_repetition` finds no repetition inside another, anywhere (lookarounds
  included); otherwise it is refused with a clear error. RE2 is asked not to log what it
  cannot compile, so refusing is quiet;
- `backtracking_risk` is also what the linter reports (FG603), at the pattern's position;
  it sees inside every group, lookarounds included (`(?=(a+)+$)`).

`safe_patterns(cls)` is a jsonschema validator class whose `pattern` and
`patternProperties` use these compiled patterns; `copilot.flow.local_schema.validator`
builds every flow validator through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from copilot.errors import FlowgenError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


class PatternError(FlowgenError):
    """A pattern that cannot be matched safely."""


# ---------------------------------------------------------------------------- a small parser
#
# Just enough of the regex grammar to see repetition: groups, alternation, quantifiers,
# classes and escapes, each with its offset in the pattern. Python's own parser
# (`re._parser`) is private and keeps no offsets.

_ANY = "ANY"  # a first-character set that overlaps everything
_CLASS_ESCAPES = {
    "d": frozenset("0123456789"),
    "w": frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"),
    "s": frozenset(" \t\n\r\f\v"),
}


@dataclass
class _Node:
    kind: str  # "char" | "seq" | "alt" | "repeat" | "group" | "look" | "empty"
    start: int
    end: int = 0
    chars: frozenset[str] | str = frozenset()  # first characters ("char")
    items: list[_Node] = field(default_factory=list)  # seq/alt children, or the repeated node
    low: int = 0
    high: float = 1  # repeat bounds; inf for unbounded


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def alternation(self) -> _Node:
        start = self.pos
        branches = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence())
        if len(branches) == 1:
            return branches[0]
        return _Node("alt", start, self.pos, items=branches)

    def sequence(self) -> _Node:
        start = self.pos
        items: list[_Node] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            items.append(self.quantified(atom))
        return _Node("seq", start, self.pos, items=items)

    def quantified(self, atom: _Node) -> _Node:
        char = self.peek()
        low, high = 0, 0.0
        if char in ("*", "+", "?"):
            self.pos += 1
            low, high = {"*": (0, float("inf")), "+": (1, float("inf")), "?": (0, 1)}[char]
        elif char == "{":
            match = re.compile(r"\{(\d*)(,?)(\d*)\}").match(self.text, self.pos)
            if match is None or not (match.group(1) or match.group(3)):
                return atom  # a literal `{`
            self.pos = match.end()
            low = int(match.group(1) or 0)
            high = float(match.group(3)) if match.group(3) else (float("inf") if match.group(2) else low)
        else:
            return atom
        if self.peek() in ("?", "+"):
            self.pos += 1  # lazy or possessive: still a repetition
        return _Node("repeat", atom.start, self.pos, items=[atom], low=low, high=high)

    def atom(self) -> _Node:
        start = self.pos
        char = self.peek()
        self.pos += 1
        if char == "(":
            lookaround = False
            if self.text.startswith("?", self.pos):
                match = re.compile(
                    r"\?(?:P?<[A-Za-z_]\w*>|[:=!>]|<[=!]|'[A-Za-z_]\w*'|[aiLmsux-]+[:)])"
                ).match(self.text, self.pos)
                if match is not None:
                    lookaround = match.group(0) in ("?=", "?!", "?<=", "?<!")
                    self.pos = match.end()
                    if match.group(0).endswith(")"):
                        return _Node("empty", start, self.pos)
            body = self.alternation()
            if self.peek() == ")":
                self.pos += 1
            # A lookaround matches no text, but its body is searched like any other.
            return _Node("look" if lookaround else "group", start, self.pos, items=[body])
        if char == "[":
            return _Node("char", start, self._class_end(), chars=self._class_chars(start))
        if char == "\\":
            escaped = self.peek()
            self.pos += 1
            if escaped.lower() in _CLASS_ESCAPES:
                chars: frozenset[str] | str = _CLASS_ESCAPES[escaped.lower()] if escaped.islower() else _ANY
                return _Node("char", start, self.pos, chars=chars)
            if escaped in "bBAZz":
                return _Node("empty", start, self.pos)
            return _Node("char", start, self.pos, chars=frozenset(escaped))
        if char in ("^", "$"):
            return _Node("empty", start, self.pos)
        if char == ".":
            return _Node("char", start, self.pos, chars=_ANY)
        return _Node("char", start, self.pos, chars=frozenset(char))

    def _class_end(self) -> int:
        if self.peek() == "^":
            self.pos += 1
        if self.peek() == "]":
            self.pos += 1
        while self.peek() not in ("", "]"):
            self.pos += 2 if self.peek() == "\\" else 1
        self.pos += 1
        return self.pos

    def _class_chars(self, start: int) -> frozenset[str] | str:
        body = self.text[start + 1 : self.pos - 1]
        if body.startswith("^"):
            return _ANY
        out: set[str] = set()
        i = 0
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                escaped = body[i + 1]
                if escaped.lower() in _CLASS_ESCAPES:
                    if not escaped.islower():
                        return _ANY
                    out |= _CLASS_ESCAPES[escaped]
                else:
                    out.add(escaped)
                i += 2
            elif i + 2 < len(body) and body[i + 1] == "-":
                low, high = ord(body[i]), ord(body[i + 2])
                if high - low > 512:
                    return _ANY
                out |= {chr(c) for c in range(low, high + 1)}
                i += 3
            else:
                out.add(body[i])
                i += 1
        return frozenset(out)


def _nullable(node: _Node) -> bool:
    """Whether `node` can match the empty string."""
    if node.kind in ("empty", "look"):
        return True
    if node.kind == "char":
        return False
    if node.kind == "repeat":
        return node.low == 0 or _nullable(node.items[0])
    if node.kind == "alt":
        return any(_nullable(n) for n in node.items)
    return all(_nullable(n) for n in node.items)  # seq, group


def _first(node: _Node) -> set[str] | str:
    """The characters a match of `node` can start with (`_ANY` when unknown or everything)."""
    if node.kind == "char":
        return node.chars if node.chars == _ANY else set(node.chars)
    if node.kind in ("empty", "look"):
        return set()
    if node.kind in ("repeat", "group"):
        return _first(node.items[0])
    out: set[str] = set()
    for child in node.items:
        first = _first(child)
        if isinstance(first, str):  # `_ANY`, the only string `_first` returns
            return _ANY
        out |= first
        if node.kind == "seq" and not _nullable(child):
            break
    return out


def _overlap(a: set[str] | str, b: set[str] | str) -> bool:
    if isinstance(a, str):  # `_ANY`
        return bool(b)
    if isinstance(b, str):
        return bool(a)
    return bool(a & b)


def _walk(node: _Node) -> Iterator[_Node]:
    yield node
    for child in node.items:
        yield from _walk(child)


def _unwrap(node: _Node) -> _Node:
    while node.kind == "group" or (node.kind == "seq" and len(node.items) == 1):
        node = node.items[0]
    return node


def _repeats_alone(body: _Node) -> _Node | None:
    """An unbounded repetition inside `body` that can match everything `body` matches.

    `(a+)+`, `(a*)*`, `(\\w+\\s?)+`: the inner repeat, with every sibling optional.
    """
    body = _unwrap(body)
    if body.kind == "repeat" and body.high > 1 and not _nullable(body.items[0]):
        return body
    if body.kind == "seq":
        required = [n for n in body.items if not _nullable(n)]
        runs = [_unwrap(n) for n in required]
        if len(runs) > 1 and all(n.kind == "repeat" and n.high > 1 for n in runs):
            firsts = [_first(n) for n in runs]
            if all(_overlap(a, b) for a, b in pairwise(firsts)):
                return runs[0]  # `(x+x+)+`: the repetitions can split the same text many ways
        candidates = required if required else body.items
        if len(candidates) == 1:
            return _repeats_alone(candidates[0])
    if body.kind == "alt":
        for branch in body.items:
            inner = _repeats_alone(branch)
            if inner is not None:
                return inner
    return None


@dataclass(frozen=True)
class Risk:
    """Where and why a pattern can take exponential time."""

    offset: int
    snippet: str
    reason: str

    def __str__(self) -> str:
        return f"`{self.snippet}` at offset {self.offset} {self.reason}"


@lru_cache(maxsize=1024)
def backtracking_risk(pattern: str) -> Risk | None:
    """The first repetition in `pattern` that a backtracking engine can take exponential time on.

    Two shapes, the causes of nearly every ReDoS report: a repeated group whose body is
    itself an unbounded repetition (`(a+)+`, `(a*)*`, `(\\w+\\s?)*`), and a repeated
    alternation whose branches can start with the same character (`(a|a)*`, `(a|ab)+`,
    `(\\w|\\d)+`). None when neither occurs (the pattern may still be slow in other ways,
    which RE2 does not care about).
    """
    try:
        tree = _Parser(pattern).alternation()
    except (IndexError, ValueError, re.error):
        return None
    for node in _walk(tree):
        if node.kind != "repeat" or node.high <= 1:
            continue
        body = node.items[0]
        snippet = pattern[node.start : node.end]
        inner = _repeats_alone(body)
        if inner is not None:
            return Risk(node.start, snippet, "repeats a repetition (nested quantifiers)")
        alternatives = _unwrap(body)
        if alternatives.kind == "alt":
            firsts = [_first(b) for b in alternatives.items]
            for i, a in enumerate(firsts):
                if any(_overlap(a, b) for b in firsts[i + 1 :]):
                    return Risk(node.start, snippet, "repeats alternatives that can match the same text")
    return None


@lru_cache(maxsize=1024)
def nested_repetition(pattern: str) -> Risk | None:
    """The first repetition in `pattern` with another repetition inside it, anywhere.

    Stricter than `backtracking_risk`, for the patterns that Python's backtracking `re`
    has to match (those RE2 cannot compile): `(?=(a|a)*$)` or `(\1a+)+` are refused
    whatever their shape. A pattern this parser cannot read is refused too.
    """
    try:
        tree = _Parser(pattern).alternation()
    except (IndexError, ValueError, re.error):
        return Risk(0, pattern, "cannot be analysed")
    for node in _walk(tree):
        if node.kind != "repeat" or node.high <= 1:
            continue
        inner = next((n for n in _walk(node.items[0]) if n.kind == "repeat" and n.high > 1), None)
        if inner is not None:
            return Risk(
                node.start, pattern[node.start : node.end], "repeats a repetition (nested quantifiers)"
            )
    return None


# ---------------------------------------------------------------------------- matching


@cache
def _re2() -> Any:
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a dependency; a broken install falls back
        return None
    return re2


@cache
def _quiet_options() -> Any:
    """RE2 options that do not log a pattern RE2 cannot compile (absl's `re2.cc … Error parsing`)."""
    options = _re2().Options()
    options.log_errors = False
    return options


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A function telling whether `pattern` matches somewhere in a string (JSON Schema's `pattern`).

    RE2 when it can compile the pattern; else Python's `re` when the pattern has no
    backtracking risk; else a PatternError.
    """
    re2 = _re2()
    if re2 is not None:
        try:
            compiled = re2.compile(pattern, _quiet_options())
        except Exception:  # re2.error: a construct RE2 does not have (backreference, lookaround)
            compiled = None
        if compiled is not None:
            return lambda text: compiled.search(text) is not None
    risk = backtracking_risk(pattern) or nested_repetition(pattern)
    if risk is not None:
        raise PatternError(f"pattern `{pattern}` cannot be matched safely: {risk}")
    try:
        fallback = re.compile(pattern)
    except re.error as exc:
        raise PatternError(f"pattern `{pattern}` is not a valid regular expression: {exc}") from None
    return lambda text: fallback.search(text) is not None


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "string") or not isinstance(pattern, str):
        return
    try:
        matches = compile_pattern(pattern)(instance)
    except PatternError as exc:
        yield ValidationError(exc.message)
        return
    if not matches:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object") or not isinstance(patterns, dict):
        return
    for pattern, subschema in patterns.items():
        try:
            matches = compile_pattern(pattern)
        except PatternError as exc:
            yield ValidationError(exc.message)
            continue
        for key, value in instance.items():
            if matches(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


@cache
def safe_patterns(cls: type[Validator]) -> type[Validator]:
    """`cls` (a jsonschema validator class) with `pattern` and `patternProperties` matched by RE2."""
    from jsonschema import validators

    extended: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]  # untyped in the stubs
        cls, {"pattern": _pattern, "patternProperties": _pattern_properties}
    )
    return extended


def schema_patterns(
    schema: Any, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every regex in a JSON Schema (`pattern` values, `patternProperties` keys) with its location."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(loc, schema)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("enum", "const", "default", "examples"):
                    continue
                if key == "pattern" and isinstance(value, str):
                    yield (*where, key), value
                elif key == "patternProperties" and isinstance(value, dict):
                    for name, sub in value.items():
                        if isinstance(name, str):
                            yield (*where, key, name), name
                        stack.append(((*where, key, name), sub))
                elif key == "properties" and isinstance(value, dict):
                    stack.extend(((*where, key, name), sub) for name, sub in value.items())
                else:
                    stack.append(((*where, key), value))
        elif isinstance(node, list):
            stack.extend(((*where, i), item) for i, item in enumerate(node))
