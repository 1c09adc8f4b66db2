"""Templates and conditions: Jinja2, only ever in the immutable sandbox.

Flow files come from copilots and from users, so a template is untrusted code. It is
rendered in `ImmutableSandboxedEnvironment` with `StrictUndefined`: no attribute that
starts with an underscore, no mutation of the context, and a typo in a variable name is
an error instead of an empty string. The names in scope are `event`, `steps` (each
`steps.<id>.output`) and, in a validate rule, `input`; never the environment.

Reading a template (`references`, `free_names`: what the linter and `validate` use) is
static: the parse tree is walked here, nothing is compiled or evaluated. Jinja's own
`meta.find_undeclared_variables` runs the code generator, which evaluates constant
sub-expressions (`{{ 'a'|center(10**9) }}`) while it compiles. Rendering runs under a
time and size budget (`copilot.flow.sandbox`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from copilot.flow.sandbox import (
    MAX_EXPONENT,
    MAX_SEQUENCE,
    ExpressionError,
    TemplateBudgetError,
    check_value,
    rendering,
    size_text,
)
from copilot.flow.sandbox import environment as _sandbox_environment

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = [
    "MAX_EXPONENT",
    "MAX_SEQUENCE",
    "ROOTS",
    "WHOLE_EXPRESSION",
    "ExpressionError",
    "Reference",
    "TemplateBudgetError",
    "compiled_expression",
    "compiled_template",
    "condition",
    "evaluate",
    "expression_source",
    "free_names",
    "is_template",
    "references",
    "render",
    "render_value",
    "template_strings",
]

ROOTS = ("event", "steps", "input")
# A template that is one `{{ … }}` and nothing else: it renders to the value itself (a
# list stays a list), not to its text. The engine's compiled renderers use it too.
WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)


@dataclass(frozen=True)
class Reference:
    """A dotted path a template reads: ``event.customer.email``, ``steps.x.output.y``."""

    parts: tuple[str, ...]

    @property
    def root(self) -> str:
        return self.parts[0]

    def __str__(self) -> str:
        return ".".join(self.parts)


# Names Jinja itself provides to templates, which no flow has a use for.
_JINJA_INTERNAL_NAMES = frozenset({"self"})


def environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed environment flows are rendered in (`copilot.flow.sandbox`)."""
    return _sandbox_environment()


def _refuse_internals(tree: nodes.Node) -> None:
    """Refuse `self` (Jinja's reference to the template object) wherever it is read."""
    from jinja2 import nodes

    for name in tree.find_all(nodes.Name):
        if name.name in _JINJA_INTERNAL_NAMES:
            raise ExpressionError(
                f"unsafe template: `{name.name}` is not available; templates see only event, steps and input"
            )


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def expression_source(text: str) -> str:
    """A condition's expression: ``{{ a == b }}`` and ``a == b`` both give ``a == b``."""
    match = WHOLE_EXPRESSION.match(text)
    return match.group(1).strip() if match else text.strip()


def _parse(source: str, *, expression: bool) -> nodes.Template:
    from jinja2 import TemplateSyntaxError

    env = environment()
    try:
        if expression:
            # Parse the expression as the body of a template, the way compile_expression does.
            return env.parse("{{ " + source + " }}")
        return env.parse(source)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"template syntax: {exc.message}") from None
    except RecursionError:
        raise ExpressionError("template nested too deeply") from None


def references(text: str, *, expression: bool = False) -> list[Reference]:
    """The dotted paths `text` reads from `event`, `steps` and `input`, without rendering.

    ``{{ steps.classify.output.category == 'faq' }}`` gives ``steps.classify.output.category``.
    A method call's name is not part of the path (``event.body.lower()`` reads ``event.body``).
    Attribute names starting with an underscore are refused here already.
    """
    return list(_read(text, expression)[0])


def free_names(text: str, *, expression: bool = False) -> list[str]:
    """Top-level names `text` reads that are not in scope: not `event`, `steps` or `input`.

    Names the template defines itself (loop variables, `loop`, `{% set %}`, macro
    parameters) are not free; filters and tests are not names. ``{{ env.SECRET }}`` gives
    ``['env']``, ``{{ evnt.id }}`` gives ``['evnt']``. Rendering any of them fails
    (StrictUndefined), so the linter reports them (FG006).
    """
    return list(_read(text, expression)[1])


@lru_cache(maxsize=4096)  # the linter's rules and the estimates ask about the same templates
def _read(text: str, expression: bool) -> tuple[tuple[Reference, ...], tuple[str, ...]]:
    """(references to the roots in scope, free names outside it), by regex when simple, else Jinja."""
    simple = _simple_names(text, expression)
    if simple is not None:
        refs = tuple(Reference(parts) for parts in simple if parts[0] in ROOTS)
        free = tuple(dict.fromkeys(parts[0] for parts in simple if parts[0] not in ROOTS))
        return refs, free
    return _parsed(text, expression)


# Most flow templates are `{{ event.body }}` or `{{ steps.x.output.y == 'faq' }}`. Reading
# those with a regex spares the Jinja import (~20 ms of a `flowgen validate`) and a parse per
# template (most of the lint time of a large flow). Anything else goes to Jinja.
_BLOCK = re.compile(r"\{\{(.*?)\}\}", re.S)
_LITERAL = r"""(?:'[^'\\{}]*'|"[^"\\{}]*"|-?\d+(?:\.\d+)?)"""
_DOTTED = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*"
_OPERAND = (
    rf"(?:{_DOTTED}(?:\s*\|\s*default\(\s*(?:{_LITERAL})?\s*\))?"  # a.b, a.b | default('')
    rf"|{_LITERAL}"
    rf"|\[\s*(?:{_LITERAL}(?:\s*,\s*{_LITERAL})*)?\s*\])"  # ['faq', 'billing']
)
_COMPARISON = re.compile(
    rf"^\s*(?:not\s+)?(?P<a>{_OPERAND})\s*(?:(?:==|!=|<=|>=|<|>|not\s+in|in)\s*(?P<b>{_OPERAND})\s*)?$"
)
# Jinja keywords that are not values, and the names the sandbox refuses: the parser decides.
_NOT_A_NAME = frozenset({"not", "in", "and", "or", "is", "if", "else", *_JINJA_INTERNAL_NAMES})
# Jinja's constants: values, not names.
_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})


def _simple_block(block: str) -> list[tuple[str, ...]] | None:
    """The dotted names of `a.b`, `a.b == 'x'`, `not a.b`, `'x' in a.b`, `a.b | default('')`,
    `a.b in ['x', 'y']`; None for anything else."""
    match = _COMPARISON.match(block)
    if match is None:
        return None
    out = []
    for operand in (match.group("a"), match.group("b")):
        if operand and operand[0].isalpha():
            parts = tuple(operand.split("|", 1)[0].strip().split("."))
            if parts[0] in _NOT_A_NAME or any(part.startswith("_") for part in parts):
                return None  # a syntax error or an unsafe access: the parser reports it
            if parts[0] in _CONSTANTS:
                if len(parts) > 1:
                    return None  # `none.x`: let the parser decide
                continue
            out.append(parts)
    return out


def simple_references(text: str, expression: bool = False) -> tuple[tuple[str, ...], ...] | None:
    """What `references` gives for a template of dotted names or simple comparisons, without Jinja.

    None for anything else (filters, calls, subscripts, `{% %}`, unbalanced braces): the
    Jinja parse decides. `tests/foundation/test_expressions.py` checks both agree.
    """
    names = _simple_names(text, expression)
    return None if names is None else tuple(parts for parts in names if parts[0] in ROOTS)


def _simple_names(text: str, expression: bool = False) -> tuple[tuple[str, ...], ...] | None:
    """Every dotted name (any root) of a simple template, in order; None when Jinja must decide."""
    if "{%" in text or "{#" in text:
        return None
    if expression:
        stripped = text.strip()
        if "{{" in text:
            if not (stripped.startswith("{{") and stripped.endswith("}}")) or stripped.count("{{") != 1:
                return None
            blocks = [stripped[2:-2]]
        else:
            blocks = [text]
    else:
        blocks = _BLOCK.findall(text)
        rest = _BLOCK.sub("", text)
        if "{{" in rest or "}}" in rest:
            return None  # unbalanced: let Jinja say where
    out: list[tuple[str, ...]] = []
    for block in blocks:
        names = _simple_block(block)
        if names is None:
            return None
        for parts in names:
            if parts not in out:
                out.append(parts)
    return tuple(out)


def _chain(node: nodes.Node) -> tuple[str, ...] | None:
    """The dotted path a Getattr/Getitem/Name node reads, or None for anything else."""
    from jinja2 import nodes

    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            parts.append(str(node.arg.value))
            node = node.node
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return tuple(reversed(parts))
        else:
            return None


def compared_literals(text: str) -> list[tuple[tuple[str, ...], str, Any]]:
    """The literals a condition compares a path with: ``event.temp_c > 60`` gives
    ``(("event", "temp_c"), "gt", 60)``; ``event.tier in ['gold', 'vip']`` gives one
    entry per value with the operator "eq". Filters on the path (``| default(0)``,
    ``| float``) are looked through. `flowgen test` uses them to send events on both
    sides of each branch. A template that does not parse gives nothing.
    """
    from jinja2 import nodes

    try:
        tree = _parse(expression_source(text), expression=True)
    except ExpressionError:
        return []

    def path(node: nodes.Node) -> tuple[str, ...] | None:
        while isinstance(node, nodes.Filter) and node.node is not None:
            node = node.node
        return _chain(node)

    def literals(node: nodes.Node) -> list[Any] | None:
        if isinstance(node, nodes.Const):
            return [node.value]
        if isinstance(node, nodes.List | nodes.Tuple) and all(
            isinstance(item, nodes.Const) for item in node.items
        ):
            return [item.value for item in node.items]  # type: ignore[attr-defined]
        return None

    mirrored = {"lt": "gt", "gt": "lt", "lteq": "gteq", "gteq": "lteq"}
    found: list[tuple[tuple[str, ...], str, Any]] = []
    for compare in tree.find_all(nodes.Compare):
        left = compare.expr
        for operand in compare.ops:
            right, op = operand.expr, operand.op
            parts, values = path(left), literals(right)
            if parts is None:
                parts, values, op = path(right), literals(left), mirrored.get(op, op)
            if parts is not None and values is not None:
                if op in ("in", "notin"):
                    found.extend((parts, "eq", value) for value in values)
                elif len(values) == 1:
                    found.append((parts, op, values[0]))
            left = right
    return found


def _parsed(text: str, expression: bool) -> tuple[tuple[Reference, ...], tuple[str, ...]]:
    """`references` and `free_names` by walking the Jinja parse tree (any template)."""
    from jinja2 import nodes

    tree = _parse(expression_source(text) if expression else text, expression=expression)
    found: list[Reference] = []
    seen: set[tuple[str, ...]] = set()

    def add(parts: tuple[str, ...]) -> None:
        for part in parts:
            if part.startswith("_"):
                raise ExpressionError(f"unsafe template: access to `{part}` is not allowed")
        if parts[0] in ROOTS and parts not in seen:
            seen.add(parts)
            found.append(Reference(parts))

    def visit(node: nodes.Node, called: bool = False) -> None:
        if isinstance(node, nodes.Call):
            visit(node.node, called=True)
            for child in (*node.args, *node.kwargs):
                visit(child)
            for extra in (node.dyn_args, node.dyn_kwargs):
                if extra is not None:
                    visit(extra)
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
            parts = _chain(node)
            if parts is not None:
                if called and len(parts) > 1:
                    parts = parts[:-1]
                if isinstance(node, nodes.Name) and node.ctx != "load":
                    return
                add(parts)
                # Also visit non-constant subscripts: event[steps.x.output.key]
                inner: nodes.Node = node
                while isinstance(inner, nodes.Getattr | nodes.Getitem):
                    if isinstance(inner, nodes.Getitem) and not isinstance(inner.arg, nodes.Const):
                        visit(inner.arg)
                    inner = inner.node
                return
            if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
                raise ExpressionError(f"unsafe template: access to `{node.attr}` is not allowed")
        for child in node.iter_child_nodes():
            visit(child)

    _refuse_internals(tree)
    visit(tree)
    undeclared = _undeclared(tree)
    # In the order they appear, for stable messages.
    order = [n.name for n in tree.find_all(nodes.Name) if n.name in undeclared and n.name not in ROOTS]
    return tuple(found), tuple(dict.fromkeys(order))


def _undeclared(tree: nodes.Template) -> set[str]:
    """Names the template reads before (or without) defining them, by walking the parse tree.

    Scopes as Jinja has them: `{% for %}` binds its targets and `loop` in its body; a
    macro or call block binds its parameters, `varargs`, `kwargs` and `caller`; `{% set %}`
    and `{% macro %}` bind for what follows in the same block (an `if` does not open a
    scope); `{% with %}` binds for its body. Nothing is compiled, so nothing is evaluated.
    """
    from jinja2 import nodes

    found: set[str] = set()

    def stored(target: nodes.Node) -> set[str]:
        return {n.name for n in ([target] if isinstance(target, nodes.Name) else target.find_all(nodes.Name))}

    def expr(node: nodes.Node | None, bound: set[str]) -> None:
        if node is None:
            return
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in bound:
                found.add(node.name)
            return
        for child in node.iter_child_nodes():
            expr(child, bound)

    def body(statements: list[nodes.Node], bound: set[str]) -> set[str]:
        """Visit a block; return the names it sets that outlive it (through `if`s)."""
        local = set(bound)
        for node in statements:
            local |= statement(node, local)
        return local - bound

    def statement(node: nodes.Node, bound: set[str]) -> set[str]:
        if isinstance(node, nodes.For):
            expr(node.iter, bound)
            inner = bound | stored(node.target) | {"loop"}
            expr(node.test, inner)
            body(node.body, inner)
            body(node.else_, bound)
            return set()
        if isinstance(node, nodes.If):
            expr(node.test, bound)
            defined = body(node.body, bound)
            for branch in node.elif_:
                defined |= statement(branch, bound)
            defined |= body(node.else_, bound)
            return defined
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            for default in node.defaults:
                expr(default, bound)
            if isinstance(node, nodes.CallBlock):
                expr(node.call, bound)
            params = {arg.name for arg in node.args} | {"varargs", "kwargs", "caller"}
            body(node.body, bound | params)
            return {node.name} if isinstance(node, nodes.Macro) else set()
        if isinstance(node, nodes.Assign):
            expr(node.node, bound)
            return stored(node.target)
        if isinstance(node, nodes.AssignBlock):
            expr(node.filter, bound)
            body(node.body, bound)
            return stored(node.target)
        if isinstance(node, nodes.With):
            for value in node.values:
                expr(value, bound)
            body(node.body, bound | {n for t in node.targets for n in stored(t)})
            return set()
        if isinstance(node, nodes.FilterBlock):
            expr(node.filter, bound)
            body(node.body, bound)
            return set()
        if isinstance(node, nodes.Import):
            expr(node.template, bound)
            return {node.target}
        if isinstance(node, nodes.FromImport):
            expr(node.template, bound)
            return {name if isinstance(name, str) else name[1] for name in node.names}
        if isinstance(node, nodes.Stmt) and not isinstance(node, nodes.Output | nodes.ExprStmt):
            # Blocks, scoped blocks and the rest: visit their statements in order.
            out: set[str] = set()
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Stmt):
                    out |= statement(child, bound | out)
                else:
                    expr(child, bound | out)
            return out
        expr(node, bound)
        return set()

    body(tree.body, set())
    return found


def _parsed_references(text: str, expression: bool) -> tuple[Reference, ...]:
    """`references` by the Jinja parse alone (the tests compare it with the regex fast path)."""
    return _parsed(text, expression)[0]


def _parsed_free_names(text: str, expression: bool) -> tuple[str, ...]:
    """`free_names` by the Jinja parse alone (for the same comparison)."""
    return _parsed(text, expression)[1]


def _wrap_error(exc: BaseException) -> ExpressionError:
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    if isinstance(exc, RecursionError):
        return ExpressionError("template nested too deeply")
    if isinstance(exc, MemoryError):
        return TemplateBudgetError("template ran out of memory")
    if isinstance(exc, SecurityError):
        return ExpressionError(f"unsafe template: {exc}")
    if isinstance(exc, UndefinedError):
        return ExpressionError(f"undefined in template: {exc.message}")
    if isinstance(exc, TemplateSyntaxError):
        return ExpressionError(f"template syntax: {exc.message}")
    return ExpressionError(f"template failed: {type(exc).__name__}: {exc}")


@lru_cache(maxsize=4096)
def compiled_template(text: str) -> Any:
    """The sandboxed Jinja template of `text`, compiled once (cached); refuses what the sandbox refuses.

    Raises ExpressionError for a syntax error or a reach into internals (`self`, `__class__`).
    """
    from jinja2 import TemplateSyntaxError

    _refuse_internals(_parse(text, expression=False))
    try:
        return environment().from_string(text)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"template syntax: {exc.message}") from None


@lru_cache(maxsize=4096)
def compiled_expression(source: str) -> Any:
    """The sandboxed Jinja expression of `source`, compiled once (cached); refuses what the sandbox refuses.

    Raises ExpressionError for a syntax error or a reach into internals (`self`, `__class__`).
    """
    from jinja2 import TemplateSyntaxError

    _refuse_internals(_parse(source, expression=True))
    try:
        return environment().compile_expression(source, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"expression syntax: {exc.message}") from None


def render(text: str, context: dict[str, Any]) -> Any:
    """Render a template string.

    A string that is exactly one ``{{ expression }}`` yields the expression's value with
    its type (a dict stays a dict); any other template yields a string; a string without
    template syntax is returned as it is.
    """
    if not is_template(text):
        return text
    whole = WHOLE_EXPRESSION.match(text)
    if whole and "{{" not in whole.group(1) and "{%" not in text:
        return evaluate(whole.group(1), context)
    try:
        with rendering() as budget:
            template = compiled_template(text)
            size = 0
            chunks = []
            # Read the output piece by piece, to stop it at the cap rather than after.
            for chunk in template.root_render_func(template.new_context(context)):
                size += len(chunk)
                if size > budget.max_output:
                    raise TemplateBudgetError(f"template output over {size_text(budget.max_output)}")
                chunks.append(chunk)
            return "".join(chunks)
    except ExpressionError:
        raise
    except Exception as exc:  # the sandbox raises many kinds; all are the template's fault
        raise _wrap_error(exc) from None


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The value of an expression (``a == b`` or ``{{ a == b }}``)."""
    return _evaluate(expression, context, as_data=True)


def _evaluate(expression: str, context: dict[str, Any], *, as_data: bool) -> Any:
    source = expression_source(expression)
    from jinja2 import Undefined

    try:
        with rendering():
            value = compiled_expression(source)(**context)
            if isinstance(value, Undefined):
                str(value)  # a StrictUndefined raises its reason: unsafe attribute, missing key…
                raise ExpressionError(f"undefined in expression `{source}`")
            if not as_data:
                return bool(value)  # a method or an undefined value raises here too
            # Data only: no undefined value inside a list, no method, no unread iterator.
            return check_value(value, "the value")
    except ExpressionError:
        raise
    except Exception as exc:
        raise _wrap_error(exc) from None


def condition(expression: str, context: dict[str, Any]) -> bool:
    """An `if` or rule expression, as a bool."""
    truth: bool = _evaluate(expression, context, as_data=False)  # `as_data=False` gives a bool
    return truth


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """Render every template string inside a JSON-like value (bodies, transform outputs)."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    return value


def template_strings(value: Any) -> list[str]:
    """Every string in a JSON-like value that contains template syntax."""
    if isinstance(value, str):
        return [value] if is_template(value) else []
    if isinstance(value, dict):
        return [s for item in value.values() for s in template_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in template_strings(item)]
    return []
