"""Templates and conditions compiled once per flow, for the engine's per-event rendering.

Every template and condition of a flow is parsed once, by the sandbox's own parser
(`copilot.flow.expressions`). The shapes flows are made of — plain lookups
(`{{ event.id }}:classify`), comparisons of a lookup with constants
(`steps.checked.output.category == 'faq'`, `input.category in ['faq', 'bug']`),
`and`/`or`/`not`, and the `default` filter — are turned into small Python closures that
do exactly what the sandboxed template's compiled code does with those nodes: a
comparison is a Python comparison there too, and the sandbox intercepts none of them.
Only lookups are done differently: they walk plain dicts and lists directly, and give up
(`_Slow`) on anything else — a missing key, an object that is not a dict or a list. (A
key named like a dict method, `event.items`, is the key in the sandbox too: data first.)

Whenever the fast closure gives up or raises, the template is rendered by the sandbox
itself, so values, output and error messages are exactly the sandbox's. Anything that is
not one of those shapes (other filters, calls, arithmetic, `{% %}` blocks) always is.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from copilot.flow.expressions import (
    WHOLE_EXPRESSION,
    ExpressionError,
    condition,
    evaluate,
    expression_source,
    is_template,
    render,
    render_value,
)

Renderer = Callable[[dict[str, Any]], Any]


class _Slow(Exception):
    """The fast closure cannot decide: the sandbox renders this one."""


_MISSING = object()
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lteq": operator.le,
    "gt": operator.gt,
    "gteq": operator.ge,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}
_CONSTANT_TYPES = (str, int, float, bool, type(None))


# ---------------------------------------------------------------------------- lookups


def _path(node: Any) -> tuple[str, tuple[tuple[Any, bool], ...]] | None:
    """`steps.x.output['y']` as ("steps", (("x", attr), ("output", attr), ("y", item))), or None."""
    from jinja2 import nodes

    parts: list[tuple[Any, bool]] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append((node.attr, True))
            node = node.node
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            if not isinstance(arg, nodes.Const) or type(arg.value) not in (str, int):
                return None
            parts.append((arg.value, False))
            node = node.node
        elif isinstance(node, nodes.Name):
            if node.ctx != "load":
                return None
            return node.name, tuple(reversed(parts))
        else:
            return None


def _raise_slow(context: dict[str, Any]) -> Any:
    # A fresh instance each time: re-raising one shared instance grows its traceback with
    # every event's frames and keeps them alive (a leak found by the 100k-event bench).
    raise _Slow()


def _getter(root: str, parts: tuple[tuple[Any, bool], ...], missing: Renderer = _raise_slow) -> Renderer:
    """The lookup's value; `missing(context)` when it is not a plain walk through dicts and lists."""
    keys = tuple(key for key, _ in parts)
    if all(is_attr or type(key) is str for key, is_attr in parts):
        # Only string keys: every step is a dict lookup.
        def get(context: dict[str, Any]) -> Any:
            node = context.get(root, _MISSING)
            for key in keys:
                if type(node) is not dict:
                    return missing(context)
                node = node.get(key, _MISSING)
            return missing(context) if node is _MISSING else node

        return get

    def get_mixed(context: dict[str, Any]) -> Any:
        node = context.get(root, _MISSING)
        if node is _MISSING:
            return missing(context)
        for key in keys:
            kind = type(node)
            if kind is dict:
                node = node.get(key, _MISSING)
                if node is _MISSING:
                    return missing(context)
            elif kind is list and type(key) is int and -len(node) <= key < len(node):
                node = node[key]
            else:
                return missing(context)
        return node

    return get_mixed


# ---------------------------------------------------------------------------- expressions


def _fast(node: Any) -> Renderer | None:
    """A closure computing `node` as the sandbox would, or None when `node` is not a fast shape."""
    from jinja2 import nodes

    if isinstance(node, nodes.Const):
        if type(node.value) not in _CONSTANT_TYPES:
            return None
        value = node.value
        return lambda context: value
    if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
        path = _path(node)
        return None if path is None else _getter(*path)
    if isinstance(node, nodes.List | nodes.Tuple):
        if isinstance(node, nodes.Tuple) and node.ctx != "load":
            return None
        items = [_fast(item) for item in node.items]
        if any(item is None for item in items):
            return None
        if all(isinstance(item, nodes.Const) for item in node.items):
            constant = [item.value for item in node.items]
            if isinstance(node, nodes.Tuple):
                frozen = tuple(constant)
                return lambda context: frozen
            return lambda context: list(constant)
        if isinstance(node, nodes.Tuple):
            return lambda context: tuple(f(context) for f in items)  # type: ignore[misc]
        return lambda context: [f(context) for f in items]  # type: ignore[misc]
    if isinstance(node, nodes.Compare):
        return _fast_compare(node)
    if isinstance(node, nodes.Not):
        inner = _fast(node.node)
        if inner is None:
            return None
        return lambda context: not inner(context)
    if isinstance(node, nodes.And | nodes.Or):
        left, right = _fast(node.left), _fast(node.right)
        if left is None or right is None:
            return None
        if isinstance(node, nodes.And):
            return lambda context: left(context) and right(context)
        return lambda context: left(context) or right(context)
    if isinstance(node, nodes.Filter):
        return _fast_default(node)
    return None


def _fast_compare(node: Any) -> Renderer | None:
    first = _fast(node.expr)
    ops = [(_COMPARE.get(operand.op), _fast(operand.expr)) for operand in node.ops]
    if first is None or any(op is None or f is None for op, f in ops):
        return None
    if len(ops) == 1:
        op, second = ops[0]
        constant = _constant(node.ops[0].expr)
        if constant is not _MISSING:
            # `x == 'faq'`, `x in ['a', 'b']`: the constant is built once (comparisons never change it).
            make = _COMPARE_CONSTANT.get(node.ops[0].op)
            if make is not None:
                return make(first, constant)  # type: ignore[arg-type]
        return lambda context: op(first(context), second(context))  # type: ignore[misc]

    def chained(context: dict[str, Any]) -> Any:
        # Python's chained comparison, which is what the sandbox's compiled code runs.
        left = first(context)
        result: Any = True
        for op, get in ops:
            right = get(context)  # type: ignore[misc]
            result = op(left, right)  # type: ignore[misc]
            if not result:
                return result
            left = right
        return result

    return chained


def _constant(node: Any) -> Any:
    """The value of a constant operand (a literal, or a list or tuple of literals), else _MISSING."""
    from jinja2 import nodes

    if isinstance(node, nodes.Const) and type(node.value) in _CONSTANT_TYPES:
        return node.value
    if isinstance(node, nodes.List | nodes.Tuple) and all(
        isinstance(item, nodes.Const) and type(item.value) in _CONSTANT_TYPES for item in node.items
    ):
        values = [item.value for item in node.items]
        return values if isinstance(node, nodes.List) else tuple(values)
    return _MISSING


_COMPARE_CONSTANT: dict[str, Callable[[Renderer, Any], Renderer]] = {
    "eq": lambda get, value: lambda context: get(context) == value,
    "ne": lambda get, value: lambda context: get(context) != value,
    "in": lambda get, value: lambda context: get(context) in value,
    "notin": lambda get, value: lambda context: get(context) not in value,
}


def _fast_default(node: Any) -> Renderer | None:
    """`x | default(...)`: Jinja's own filter, which the sandbox's wraps with its budget checks
    (a lookup and a default cannot grow anything, so the fast path calls it bare)."""
    from jinja2.filters import FILTERS

    if node.name not in ("default", "d") or node.node is None or node.dyn_args or node.dyn_kwargs:
        return None
    inner = _fast(node.node)
    args = [_fast(arg) for arg in node.args]
    kwargs = [(kw.key, _fast(kw.value)) for kw in node.kwargs]
    if inner is None or any(a is None for a in args) or any(v is None for _, v in kwargs):
        return None
    function = FILTERS[node.name]
    if not kwargs and len(args) == 1:
        only = args[0]
        return lambda context: function(inner(context), only(context))  # type: ignore[misc]
    return lambda context: function(
        inner(context),
        *[a(context) for a in args],  # type: ignore[misc]
        **{k: v(context) for k, v in kwargs},  # type: ignore[misc]
    )


def _parse_expression(source: str) -> Any:
    """The node `compile_expression` compiles for `source`, or None if the sandbox refuses it."""
    from jinja2.parser import Parser

    from copilot.flow.expressions import compiled_expression, environment

    try:
        compiled_expression(source)  # refuses what the sandbox refuses (syntax, `self`…)
        parser = Parser(environment(), source, state="variable")
        node = parser.parse_expression()
    except Exception:
        return None
    return node if parser.stream.eos else None


def _with_fallback(fast: Renderer, slow: Renderer) -> Renderer:
    def rendered(context: dict[str, Any]) -> Any:
        try:
            return fast(context)
        except Exception:
            # _Slow, or the expression raised: the sandbox computes it (or raises) exactly.
            return slow(context)

    return rendered


def _compile(expression: str, *, as_condition: bool = False) -> tuple[Any, Renderer]:
    """The expression's parsed node (None if the sandbox refuses it) and its sandbox evaluator."""
    source = expression_source(expression)

    def slow(context: dict[str, Any]) -> Any:
        return evaluate(source, context)

    def slow_condition(context: dict[str, Any]) -> bool:
        return condition(source, context)

    return _parse_expression(source), slow_condition if as_condition else slow


def compile_expression(expression: str) -> Renderer:
    """A function computing `expression` (bare or ``{{ }}``-wrapped), as `expressions.evaluate`."""
    node, slow = _compile(expression)
    if node is None:
        return slow
    path = _path(node)
    if path is not None:
        return _getter(*path, missing=slow)  # a plain lookup: no wrapper at all
    fast = _fast(node)
    return slow if fast is None else _with_fallback(fast, slow)


def compile_condition(expression: str) -> Callable[[dict[str, Any]], bool]:
    """A function deciding an `if` or a rule, as `expressions.condition`."""
    node, slow = _compile(expression, as_condition=True)
    fast = None if node is None else _fast(node)
    if fast is None:
        return slow

    def decide(context: dict[str, Any]) -> bool:
        try:
            return bool(fast(context))
        except Exception:
            return bool(slow(context))  # see _with_fallback

    return decide


# ---------------------------------------------------------------------------- templates


def compile_template(text: str) -> Renderer:
    """A function rendering `text` against a context, as `expressions.render` would."""
    if not is_template(text):
        return lambda context: text
    whole = WHOLE_EXPRESSION.match(text)
    if whole and "{{" not in whole.group(1) and "{%" not in text:
        return compile_expression(whole.group(1))  # a lone expression keeps its type

    def slow(context: dict[str, Any]) -> Any:
        return render(text, context)

    pieces = _output_pieces(text)
    if pieces is None:
        return slow
    return _joined(pieces, slow)


def _output_pieces(text: str) -> list[str | Renderer] | None:
    """The literal text and fast expressions of a template made of `{{ }}` only, else None."""
    from jinja2 import nodes

    from copilot.flow.expressions import compiled_template, environment

    try:
        compiled_template(text)  # refuses what the sandbox refuses
        tree = environment().parse(text)
    except Exception:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    pieces: list[str | Renderer] = []
    for child in tree.body[0].nodes:
        if isinstance(child, nodes.TemplateData):
            pieces.append(child.data)
            continue
        fast = _fast(child)
        if fast is None:
            return None
        pieces.append(fast)
    return pieces


def _joined(pieces: list[str | Renderer], slow: Renderer) -> Renderer:
    shape = tuple(type(piece) is str for piece in pieces)
    # The shapes prompts and keys take, without a loop: `{{ a }}:suffix`, `prefix {{ a }}`,
    # `{{ a }}\n\n{{ b }}`. The sandbox prints a value with str() (no autoescape, no finalize).
    if shape in ((False, True), (True, False)):
        # one expression with text after it or before it (the other side is "")
        prefix, expression, suffix = ("", *pieces) if shape[1] else (*pieces, "")

        def text_around_expression(context: dict[str, Any]) -> Any:
            try:
                value = expression(context)  # type: ignore[operator]
            except Exception:
                return slow(context)  # see _with_fallback
            return prefix + (value if type(value) is str else str(value)) + suffix  # type: ignore[operator]

        return text_around_expression
    if shape == (False, True, False):
        first, middle, last = pieces

        def two_expressions(context: dict[str, Any]) -> Any:
            try:
                a = first(context)  # type: ignore[operator]
                b = last(context)  # type: ignore[operator]
            except Exception:
                return slow(context)
            return (a if type(a) is str else str(a)) + middle + (b if type(b) is str else str(b))  # type: ignore[operator]

        return two_expressions

    def joined(context: dict[str, Any]) -> Any:
        out = []
        try:
            for piece in pieces:
                if type(piece) is str:
                    out.append(piece)
                else:
                    value = piece(context)  # type: ignore[operator]
                    # The sandbox prints a value with str() (no autoescape, no finalize).
                    out.append(value if type(value) is str else str(value))
        except Exception:
            return slow(context)  # see _with_fallback
        return "".join(out)

    return joined


def compile_value(value: Any) -> Renderer:
    """A renderer for a JSON-like value whose strings are templates (bodies, outputs)."""
    if isinstance(value, str):
        return compile_template(value)
    if isinstance(value, dict):
        items = [(k, compile_value(v)) for k, v in value.items()]
        return lambda context: {k: f(context) for k, f in items}
    if isinstance(value, list):
        parts = [compile_value(v) for v in value]
        return lambda context: [f(context) for f in parts]
    return lambda context: value


__all__ = [
    "ExpressionError",
    "Renderer",
    "compile_condition",
    "compile_expression",
    "compile_template",
    "compile_value",
    "render_value",
]
