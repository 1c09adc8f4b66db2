"""The sandbox templates run in, with a budget: time, output size, and no constant folding.

A flow file is untrusted input, and Python cannot be trusted to stop a template on its
own: one C call (`'a'.center(10**9)`, `2**(2**30)`, `'%1000000000s' % x`) holds the
interpreter, the GIL included, until it is done. A worker thread would not help with
those (it holds the GIL too), and a thread cannot be killed. So the budget is enforced
*inside* the sandbox, in two ways:

- **Size before work.** Every operation that can grow a value is checked before it
  runs: the arithmetic operators (`*`, `**`, `+`, `%`…), `str.format` and `%` formats
  (their widths and precisions), the string methods that pad or repeat (`center`,
  `ljust`, `rjust`, `zfill`, `expandtabs`, `replace`, `join`), and the filters that
  build (`center`, `indent`, `replace`, `format`, `join`, `batch`, `slice`, `sum`,
  `tojson`, `pprint`, `list`…). Each C call is then bounded by the output cap.
- **A clock checked cooperatively.** Every hook the sandbox owns (attribute and item
  access, calls, operators, filters, tests, each iteration of a `{% for %}` and of a
  filter's input, each printed value) checks the render's deadline, so a loop that
  does a bounded amount of work per step stops at the deadline, not at its end.

The budget (`render_budget`) is the caller's: the engine gives a step's remaining
deadline; without one a render gets `LIMITS.max_seconds`. Over budget is a
`TemplateBudgetError` ("template exceeded its 500ms budget", "output over 1 MiB").

No constant folding: Jinja evaluates constant sub-expressions while compiling
(`Filter.as_const`, `BinExpr.as_const`, in the optimizer and in `CodeGenerator.visit_Output`
even with `optimized=False`), so `{{ 'a'|center(10**9) }}` would run at compile time,
before any budget, and in the linter. Every filter and test here is a `pass_context`
function and every arithmetic operator is intercepted, which makes Jinja refuse to fold
them (`Impossible`); what is left to fold is bounded by the template's own text.
"""

from __future__ import annotations

import math
import re
import string
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from copilot.errors import FlowgenError

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SEQUENCE = 100_000
"""Longest string or list a template may build with `*` (``'a' * 10**9`` is refused)."""

MAX_EXPONENT = 1024
"""Largest exponent of `**` (``10 ** 10 ** 10`` would hold a CPU for hours)."""

MAX_INT_BITS = 1 << 16
"""Largest integer arithmetic may build (about 19,700 digits): `(2**1024)**1024` is refused."""

MAX_ITEMS = 1_000_000
"""Most items one loop or one filter may take from an iterator (`slice`, `map`…)."""

JSON_INT_DIGITS = 4300
"""Python refuses to print integers longer than this (sys.int_max_str_digits)."""
_JSON_INT_BITS = int(JSON_INT_DIGITS * 3.3219)


@dataclass
class TemplateLimits:
    """What one render may use when its caller gives no budget of its own.

    `max_seconds` is also the cap on a caller's budget: rendering runs on the engine's
    event loop, so a render may never hold it longer than this.
    """

    max_seconds: float = 1.0
    max_output: int = 1 << 20  # characters of one render's output (and of any value it builds)


LIMITS = TemplateLimits()


class ExpressionError(FlowgenError):
    """A template or condition that cannot be parsed, is unsafe, or fails to render."""

    kind = "expression"


class TemplateBudgetError(ExpressionError):
    """A render ran out of time or grew past its output cap."""

    kind = "template_budget"


def size_text(n: int) -> str:
    """1048576 -> '1 MiB', 1500 -> '1,500 characters'."""
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n:,} characters"


# ---------------------------------------------------------------------------- the budget


class _Budget:
    __slots__ = ("deadline", "emitted", "max_output", "seconds")

    def __init__(self, seconds: float, max_output: int) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.max_output = max_output
        self.emitted = 0


_state = threading.local()


class render_budget:  # used as `with render_budget(0.5):`, like a function
    """Renders inside this block share one deadline: `seconds` from now (capped by LIMITS)."""

    __slots__ = ("budget", "previous")

    def __init__(self, seconds: float | None, max_output: int | None = None) -> None:
        cap = LIMITS.max_seconds
        seconds = cap if seconds is None else max(0.0, min(seconds, cap))
        self.budget = _Budget(seconds, max_output or LIMITS.max_output)

    def __enter__(self) -> render_budget:
        self.previous = getattr(_state, "budget", None)
        _state.budget = self.budget
        return self

    def __exit__(self, *exc: object) -> None:
        _state.budget = self.previous


def active_budget() -> _Budget:
    """The budget of the render in progress; a fresh default one when the caller set none."""
    budget = getattr(_state, "budget", None)
    return budget if budget is not None else _Budget(LIMITS.max_seconds, LIMITS.max_output)


class _Scope:
    """Give a render the caller's budget, or its own default one for its duration."""

    __slots__ = ("budget", "owned")

    def __enter__(self) -> _Budget:
        budget = getattr(_state, "budget", None)
        self.owned = budget is None
        if budget is None:
            budget = _state.budget = _Budget(LIMITS.max_seconds, LIMITS.max_output)
        self.budget = budget
        return budget

    def __exit__(self, *exc: object) -> None:
        if self.owned:
            _state.budget = None


def rendering() -> _Scope:
    return _Scope()


def tick() -> None:
    """Stop the render when its deadline has passed (called by every sandbox hook)."""
    budget = getattr(_state, "budget", None)
    if budget is not None and time.monotonic() > budget.deadline:
        raise TemplateBudgetError(f"template exceeded its {budget.seconds * 1000:.0f}ms budget")


def _max_output() -> int:
    budget = getattr(_state, "budget", None)
    return budget.max_output if budget is not None else LIMITS.max_output


def _too_big(what: str, size: int | None = None) -> TemplateBudgetError:
    limit = _max_output()
    got = f" ({size:,})" if size is not None else ""
    return TemplateBudgetError(f"{what}{got}: output over {size_text(limit)}")


def _check_length(n: int, what: str) -> None:
    if n > _max_output():
        raise _too_big(what, n)


def weight(value: Any, limit: int) -> int:
    """About how many characters `value` prints as, counting shared parts each time; stops past `limit`.

    Walks without recursion, so deep data cannot overflow the stack.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, Mapping):
            total += 2 * len(item) + 2
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item) + 2
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:
            total += 4
        if total > limit:
            return total
    return total


def item_count(value: list[Any] | tuple[Any, ...], limit: int) -> int:
    """Items in `value`, nested lists counted in full (each time they are shared); stops past `limit`.

    ``[['a'] * 100000] * 100000`` is 100,000 items, not one.
    """
    total = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            total += len(item)
            stack.extend(x for x in item if isinstance(x, list | tuple | Mapping))
        elif isinstance(item, Mapping):
            total += len(item)
            stack.extend(x for x in item.values() if isinstance(x, list | tuple | Mapping))
        if total > limit:
            break
    return max(total, 1)


def check_value(value: Any, what: str = "the value") -> Any:
    """`value` when it is data a response can hold; else a clear ExpressionError.

    Refuses what would crash serialisation or leak a repr: undefined values anywhere
    inside (``[event.nosuch]``, ``map(attribute=…)``, ``groupby``), methods and
    functions (``event.items``), iterators left unconsumed, integers too long to print,
    numbers that are not finite (``'nan' | float``, ``1e308 * 10``), and values over the
    output cap. A top-level iterator is read into a list.
    """
    from jinja2 import Undefined

    if isinstance(value, Iterator) and not isinstance(value, str):
        value = list(counted(value))
    limit = _max_output()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Undefined):
            item._fail_with_undefined_error()
        elif isinstance(item, float) and not math.isfinite(item):
            raise ExpressionError(f"{what} is not a finite number ({item}): JSON cannot hold it")
        elif isinstance(item, bool | float) or item is None:
            total += 1
        elif isinstance(item, int):
            if item.bit_length() > _JSON_INT_BITS:
                raise ExpressionError(
                    f"{what} holds an integer longer than {JSON_INT_DIGITS:,} digits, which cannot be printed"
                )
            total += 1
        elif isinstance(item, Mapping):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            total += len(item)
            stack.extend(item)
        elif callable(item):
            raise ExpressionError(
                f"{what} is a method or function, not data: call it with `()` or read a key"
            )
        elif isinstance(item, Iterator):
            raise ExpressionError(f"{what} holds an unread sequence: add `| list` after the filter")
        else:
            total += 1
        if total > limit:
            raise _too_big(what)
    return value


def counted(items: Any) -> Iterator[Any]:
    """`items`, one at a time, checking the clock and the item count."""
    for n, item in enumerate(items, 1):
        if n > MAX_ITEMS:
            raise TemplateBudgetError(f"a loop or filter went over {MAX_ITEMS:,} items")
        tick()
        yield item


# ---------------------------------------------------------------------------- format checks

_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([a-zA-Z%])")
_DIGITS = re.compile(r"\d+")


def _ints(args: Any) -> list[int]:
    if isinstance(args, Mapping):
        args = list(args.values())
    elif not isinstance(args, list | tuple):
        args = [args]
    return [a for a in args if isinstance(a, int)]


def check_percent(template: Any, args: Any) -> None:
    """Refuse `'%1000000000s' % x` before Python builds the string."""
    if not isinstance(template, str):
        return
    limit = _max_output()
    star = False
    for match in _PERCENT.finditer(template):
        for part in (match.group(1), match.group(2)):
            if part == "*":
                star = True
            elif part and (len(part) > 9 or int(part) > limit):
                raise _too_big("a `%` format width")
    if star and any(abs(n) > limit for n in _ints(args)):
        raise _too_big("a `%` format width")
    _check_length(len(template) + weight(args, limit), "a `%` format")


def check_format(template: str, args: Any, kwargs: Any) -> None:
    """Refuse `'{:>1000000000}'.format(x)` before Python builds the string."""
    limit = _max_output()
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # Python raises the same error when it formats
    nested = False
    for _literal, _name, spec, _conversion in fields:
        if not spec:
            continue
        if "{" in spec:
            nested = True
        for digits in _DIGITS.findall(spec):
            if len(digits) > 9 or int(digits) > limit:
                raise _too_big("a `format` width")
    if nested and any(abs(n) > limit for n in (*_ints(list(args)), *_ints(dict(kwargs)))):
        raise _too_big("a `format` width")
    _check_length(len(template) * 2 + weight((args, kwargs), limit), "a `format`")


# ---------------------------------------------------------------------------- operators


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too big to build in time."""
    if operator == "**":
        if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise TemplateBudgetError(f"exponent {right} is above the limit of {MAX_EXPONENT}")
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            bits = max(left.bit_length(), 1) * right
            if bits > MAX_INT_BITS:
                raise TemplateBudgetError(
                    f"`**` would build an integer of about {bits:,} bits (limit {MAX_INT_BITS:,})"
                )
    elif operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int):
                size = len(seq) if isinstance(seq, str) else item_count(seq, MAX_SEQUENCE + 1)
                if size * times > MAX_SEQUENCE:
                    raise TemplateBudgetError(
                        f"`*` would build a sequence of {size * times:,} items (limit {MAX_SEQUENCE:,})"
                    )
        if isinstance(left, int) and isinstance(right, int):
            bits = left.bit_length() + right.bit_length()
            if bits > MAX_INT_BITS:
                raise TemplateBudgetError(f"`*` would build an integer of about {bits:,} bits")
    elif operator == "+":
        if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            limit = _max_output()
            _check_length(weight(left, limit) + weight(right, limit), "`+`")
    elif operator == "%":
        check_percent(left, right)


# ---------------------------------------------------------------------------- methods and filters


def _width(value: Any, width: Any) -> None:
    if isinstance(width, int) and width > _max_output():
        raise _too_big("a padding width", width)


def _replace_size(s: Any, old: Any, new: Any, count: Any = None) -> None:
    if not (isinstance(s, str) and isinstance(old, str) and isinstance(new, str)):
        return
    times = len(s) + 1 if not old else len(s) // len(old)
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    _check_length(len(s) + times * len(new), "`replace`")


def _join_size(sep: Any, items: Any) -> None:
    """Refuse a `join` whose result would pass the output cap, before it is built.

    The size is ``len(sep) * (n - 1)`` plus the items' own sizes, with the items counted
    one at a time (and at most `MAX_ITEMS` of them): ``('x' * 100000) | join('y' * 20000)``
    is refused without building its 2 GB.
    """
    if not isinstance(sep, str):
        return
    limit = _max_output()
    if isinstance(items, str):
        n = len(items)
        _check_length(n + len(sep) * max(n - 1, 0), "`join`")
        return
    if not isinstance(items, list | tuple | Mapping | set | frozenset):
        return
    total = 0
    for n, item in enumerate(counted(items), 1):
        total += (len(item) if isinstance(item, str) else weight(item, limit)) + (len(sep) if n > 1 else 0)
        if total > limit:
            raise _too_big("`join`", total)


def _check_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Size checks for the str and list methods that grow their result; the arguments to call with.

    An iterator given to `str.join` is read (counted) into a list first, so that it can be
    measured before the join and still joined after.
    """
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if not isinstance(owner, str):
        return args
    if name in ("center", "ljust", "rjust", "zfill") and args:
        _width(owner, args[0])
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int):
            _check_length(len(owner) + owner.count("\t") * max(size, 0), "`expandtabs`")
    elif name == "replace" and len(args) >= 2:
        _replace_size(owner, *args[:3])
    elif name == "join" and args:
        if not isinstance(args[0], str | list | tuple | Mapping | set | frozenset):
            args = (list(counted(args[0])), *args[1:])
        _join_size(owner, args[0])
    return args


def _pre_center(value: Any, width: Any = 80) -> None:
    _width(value, width)


def _pre_indent(s: Any, width: Any = 4, first: bool = False, blank: bool = False) -> None:
    if isinstance(width, int) and not isinstance(width, bool):
        _width(s, width)
        unit = width
    else:
        unit = len(width) if isinstance(width, str) else 0
    if isinstance(s, str):
        _check_length(len(s) + (s.count("\n") + 1) * unit, "`indent`")


def _pre_replace(s: Any, old: Any, new: Any, count: Any = None) -> None:
    _replace_size(s, old, new, count)


def _pre_format(value: Any, *args: Any, **kwargs: Any) -> None:
    check_percent(value, kwargs or args)


def _pre_count(value: Any, count: Any, fill_with: Any = None) -> None:
    if isinstance(count, int) and count > MAX_SEQUENCE:
        raise TemplateBudgetError(f"a count of {count:,} is above the limit of {MAX_SEQUENCE:,}")


def _pre_join(value: Any, d: Any = "", attribute: Any = None) -> None:
    if attribute is None:
        _join_size(d, value)


def _pre_sum(iterable: Any, attribute: Any = None, start: Any = 0) -> None:
    if not isinstance(start, int | float):
        raise ExpressionError("`sum` adds numbers; its `start` must be a number")
    if attribute is None and isinstance(iterable, list | tuple):
        for item in iterable:
            if not isinstance(item, int | float):
                raise ExpressionError("`sum` adds numbers; join lists or strings with `join`")


def _pre_serialise(value: Any, *args: Any, **kwargs: Any) -> None:
    limit = _max_output()
    _check_length(weight(value, limit), "the value to print")


_PRECHECKS: dict[str, Callable[..., None]] = {
    "center": _pre_center,
    "indent": _pre_indent,
    "replace": _pre_replace,
    "format": _pre_format,
    "batch": _pre_count,
    "slice": _pre_count,
    "join": _pre_join,
    "sum": _pre_sum,
    "tojson": _pre_serialise,
    "pprint": _pre_serialise,
    "string": _pre_serialise,
    "list": _pre_serialise,
    "wordwrap": _pre_serialise,
    "urlize": _pre_serialise,
}


def _checked(name: str, function: Callable[..., Any], *, is_filter: bool) -> Callable[..., Any]:
    """`function` as a `pass_context` filter or test: ticked, size-checked, never folded."""
    from jinja2.utils import _PassArg, pass_context

    pass_arg = _PassArg.from_obj(function)
    pre = _PRECHECKS.get(name) if is_filter else None

    @pass_context
    def checked(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        tick()
        if (
            is_filter
            and name != "flowgen_each"
            and isinstance(value, Iterator)
            and not isinstance(value, str)
        ):
            value = counted(value)
            if name in ("join", "sum", "tojson", "pprint", "string", "list", "wordwrap"):
                value = list(value)
        if pre is not None:
            with suppress(TypeError):  # wrong arguments: the filter itself says so
                pre(value, *args, **kwargs)
        if pass_arg is _PassArg.context:
            result = function(context, value, *args, **kwargs)
        elif pass_arg is _PassArg.eval_context:
            result = function(context.eval_ctx, value, *args, **kwargs)
        elif pass_arg is _PassArg.environment:
            result = function(context.environment, value, *args, **kwargs)
        else:
            result = function(value, *args, **kwargs)
        if isinstance(result, str):
            _check_length(len(result), "a string" if name.startswith("flowgen_") else f"`{name}`")
        return result

    checked.__name__ = f"checked_{name}"
    return checked


# ---------------------------------------------------------------------------- data methods


def _method_only() -> type:
    from jinja2 import StrictUndefined

    class MethodOnly(StrictUndefined):
        """A method of data (`event.items`, `event.body.upper`) read without calling it.

        Calling it works (`event.items()`); any other use fails like an undefined value,
        naming the problem, so a bound method's repr never reaches an output.
        """

        __slots__ = ("flowgen_method",)

    return MethodOnly


_DATA_TYPES = (str, int, float, list, tuple, dict)


# ---------------------------------------------------------------------------- the environment


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed environment flows are rendered in."""
    import json

    from jinja2 import StrictUndefined, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from jinja2.visitor import NodeTransformer

    method_only = _method_only()

    class Sized(NodeTransformer):
        def visit_Concat(self, node: Any) -> Any:
            # `a ~ b` builds a string without a hook of its own: its result is measured.
            self.generic_visit(node)
            return nodes.Filter(node, "flowgen_text", [], [], None, None, lineno=node.lineno)

    def budgeted_tree(tree: Any) -> Any:
        """Every `{% for %}` ticks per item; text inside a loop is counted when printed;
        every `~` is measured."""
        tree = Sized().visit(tree)
        for loop in list(tree.find_all(nodes.For)):
            loop.iter = nodes.Filter(loop.iter, "flowgen_each", [], [], None, None, lineno=loop.lineno)
            for output in loop.find_all(nodes.Output):
                output.nodes = [
                    nodes.Filter(nodes.Const(child.data), "flowgen_text", [], [], None, None)
                    if isinstance(child, nodes.TemplateData)
                    else child
                    for child in output.nodes
                ]
        return tree

    class FlowSandbox(ImmutableSandboxedEnvironment):
        # Intercepting an operator also stops Jinja from folding it at compile time.
        intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            tick()
            check_binop(operator, left, right)
            return super().call_binop(context, operator, left, right)

        def getattr(self, obj: Any, attribute: str) -> Any:
            tick()
            if type(obj) is dict and attribute in obj:
                return obj[attribute]  # data first: `event.items` is the key `items`
            return self._data_method(obj, attribute, super().getattr(obj, attribute))

        def getitem(self, obj: Any, argument: Any) -> Any:
            tick()
            value = super().getitem(obj, argument)
            return self._data_method(obj, argument, value)

        def _data_method(self, obj: Any, name: Any, value: Any) -> Any:
            if isinstance(obj, _DATA_TYPES) and callable(value) and not isinstance(value, method_only):
                from jinja2 import Undefined

                if isinstance(value, Undefined):
                    return value
                missing = f"; it has no key `{name}`" if isinstance(obj, dict) else ""
                wrapped = method_only(
                    hint=f"`{name}` is a method of the {type(obj).__name__}, not a value{missing}",
                    obj=obj,
                    name=str(name),
                )
                wrapped.flowgen_method = value
                return wrapped
            return value

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            tick()
            if isinstance(__obj, method_only):
                __obj = __obj.flowgen_method  # type: ignore[attr-defined]  # a slot of MethodOnly
            args = _check_method(__obj, args, kwargs)
            result = super().call(__context, __obj, *args, **kwargs)
            if isinstance(result, str):
                _check_length(len(result), "a method's result")
            return result

        def wrap_str_format(self, value: Any) -> Any:
            wrapper = super().wrap_str_format(value)
            if wrapper is None:
                return None
            template = value.__self__

            def checked_format(*args: Any, **kwargs: Any) -> str:
                tick()
                if value.__name__ == "format_map":
                    check_format(template, (), args[0] if args else {})
                else:
                    check_format(template, args, kwargs)
                return wrapper(*args, **kwargs)

            return checked_format

        def _generate(self, source: Any, *args: Any, **kwargs: Any) -> str:
            return super()._generate(budgeted_tree(source), *args, **kwargs)

    def finalize(value: Any) -> Any:
        """Every printed value: checked as data, counted against the output cap."""
        tick()
        value = check_value(value, "a printed value")
        text = value if isinstance(value, str) else str(value)
        budget = getattr(_state, "budget", None)
        if budget is not None:
            budget.emitted += len(text)
            # A macro's output printed again counts again: allow a few times the cap in all.
            if budget.emitted > 4 * budget.max_output:
                raise _too_big("the template's output")
        return text

    env = FlowSandbox(undefined=StrictUndefined, autoescape=False, finalize=finalize)
    env.filters["tojson"] = lambda value, indent=None: json.dumps(value, indent=indent, default=str)
    env.filters["flowgen_each"] = counted
    env.filters["flowgen_text"] = lambda value: value
    env.filters = {name: _checked(name, f, is_filter=True) for name, f in env.filters.items()}
    # jinja2 annotates its default tests as `function`, which mypy does not call Callable.
    env.tests = {name: _checked(name, f, is_filter=False) for name, f in env.tests.items()}  # type: ignore[arg-type]
    # Only data-shaped globals: `range`, `lipsum`, `cycler`, `joiner`, `namespace` are removed
    # so that a template has nothing to walk from but the data it was given.
    env.globals.clear()
    return env
