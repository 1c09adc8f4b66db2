"""What a lint rule is: code, name, default severity, docs, a `check` generator, maybe a fix.

Modelled on yamllint's rule modules: a rule is a plain function whose docstring *is* its
documentation (What it does / Why it matters / Example / Fix), registered with its
metadata by the `rule` decorator. Levels, selection and suppressions are applied
centrally by the engine, never inside a rule.

    @rule("FG101", "call-without-timeout", "error", fixable=True)
    def call_without_timeout(ctx: Context) -> Iterator[Hit]:
        '''What it does ... Why it matters ... Example ... Fix ...'''
        for index, step in ctx.steps():
            if step.type in ("model", "retrieve", "http") and step.timeout is None:
                yield Hit(("steps", index), f"step `{step.id}` has no timeout", key=True)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

from copilot.errors import Position
from copilot.flow.document import loc_path
from copilot.flow.view import LoadedFlowView
from copilot.jsonview import json_view

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from copilot.catalog import Catalog, ModelProfile
    from copilot.flow.graph import Analysis
    from copilot.flow.load import LoadedFlow
    from copilot.flow.models import (
        AnyStep,
        HttpStep,
        ModelStep,
        RetrieveStep,
        TransformStep,
        ValidateStep,
    )
    from copilot.flow.sites import Site

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Hit:
    """What a rule yields: where (a path into the document) and what is wrong."""

    loc: Loc
    message: str
    key: bool = False  # point at the key of `loc` rather than its value
    fix_hint: str | None = None  # one sentence: what to change (goes into draft repair prompts)

    @property
    def step_index(self) -> int:
        """The index of the step a hit at ``("steps", index, ...)`` is about (fixers edit that step)."""
        index = self.loc[1] if len(self.loc) > 1 and self.loc[0] == "steps" else None
        if not isinstance(index, int):
            raise ValueError(f"not a hit on a step: {self.loc}")
        return index


@dataclass(frozen=True)
class Finding:
    """A positioned finding, after the engine applied severity and suppressions."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int  # 0 (and col 0) when there is no position: a file that cannot be read at all
    col: int
    loc: Loc = ()
    fix_hint: str | None = None
    fixable: bool = False

    @property
    def json_path(self) -> str:
        """`$.steps[0].timeout`: how the repair prompt names the node."""
        return loc_path(self.loc, "$")

    @property
    def where(self) -> str:
        """``path:line:col``, or just the path when the finding has no position."""
        return f"{self.path}:{self.line}:{self.col}" if self.line else self.path

    def to_dict(self) -> dict[str, Any]:
        return json_view(
            self,
            "code name severity message path line column json_path fix_hint fixable",
            line=self.line or None,
            column=self.col or None,
        )


class Settings(Protocol):
    """The lint settings a rule reads (`copilot.lint.config.LintConfig`, which imports this
    module: naming it here would make an import cycle)."""

    @property
    def allowed_hosts(self) -> tuple[str, ...]: ...
    @property
    def k6_compatible(self) -> bool: ...


@dataclass
class Context(LoadedFlowView):
    """Everything a rule may look at, computed once per file and shared by all rules.

    The flow's analysis, profiles and template sites are the analysed flow's
    (`copilot.flow.load.LoadedFlow`): computed once, whoever asks first.
    """

    loaded: LoadedFlow  # the analysed flow (graph, analysis, sites)
    catalog: Catalog | None = None  # the analysed flow's (None: take it from there)
    # Set by `fix_text`: the unsuppressed hits of each rule, the only ones a fixer should touch.
    fix_hits: dict[str, list[Hit]] = field(default_factory=dict)
    # The lint configuration of this file (set by the engine): settings some rules read,
    # such as `allowed-hosts` (FG712).
    config: Settings | None = None

    @property
    def path(self) -> str:
        return self.loaded.doc.path

    @property
    def flow_dir(self) -> Path:
        return Path(self.path).resolve().parent if self.path not in ("<stdin>", "<flow>") else Path.cwd()

    def __post_init__(self) -> None:
        if self.catalog is None:
            self.catalog = self.loaded.catalog
        elif self.catalog is not self.loaded.catalog:
            # Another catalog than the one the flow was analysed with: analyse it with this one.
            from dataclasses import replace

            self.loaded = replace(self.loaded, catalog=self.catalog)

    @property
    def analysis(self) -> Analysis:
        """The analysed flow's graph analysis (`LoadedFlow.analysis`): hot path, estimates, cost."""
        return self.loaded.analysis

    @property
    def profiles(self) -> dict[str, ModelProfile]:
        """Model alias -> resolved catalog profile (unknown aliases are left out)."""
        return self.loaded.profiles

    @property
    def sites(self) -> list[Site]:
        """Every template and condition with its location and owner (`copilot.flow.sites.Site`)."""
        return self.loaded.sites

    @cached_property
    def reads(self) -> dict[str, set[str]]:
        """Step id (or "respond", "on_deadline", "trigger") -> the step ids its templates read."""
        from copilot.flow.sites import steps_read

        return steps_read(self.sites)

    @cached_property
    def sites_by_owner(self) -> dict[str, list[Site]]:
        """Owner (a step id, "respond", "trigger", …) -> its sites, in `sites` order: one pass."""
        out: dict[str, list[Site]] = {}
        for site in self.sites:
            out.setdefault(site.owner, []).append(site)
        return out

    @cached_property
    def step_by_id(self) -> dict[str, AnyStep]:
        """Step id -> step (the first one, when an id is duplicated: FG007 reports that)."""
        out: dict[str, AnyStep] = {}
        for step in self.flow.steps:
            out.setdefault(step.id, step)
        return out

    @cached_property
    def hot_path(self) -> set[str]:
        """The steps the response waits for (from the shared analysis)."""
        return set(self.analysis.hot_path)

    # One step type gives that type's model (`ctx.steps("model")` yields `ModelStep`s).
    @overload
    def steps(self, kind: Literal["model"], /) -> Iterator[tuple[int, ModelStep]]: ...
    @overload
    def steps(self, kind: Literal["validate"], /) -> Iterator[tuple[int, ValidateStep]]: ...
    @overload
    def steps(self, kind: Literal["retrieve"], /) -> Iterator[tuple[int, RetrieveStep]]: ...
    @overload
    def steps(self, kind: Literal["transform"], /) -> Iterator[tuple[int, TransformStep]]: ...
    @overload
    def steps(self, kind: Literal["http"], /) -> Iterator[tuple[int, HttpStep]]: ...
    @overload
    def steps(self, *types: str) -> Iterator[tuple[int, AnyStep]]: ...

    def steps(self, *types: str) -> Iterator[tuple[int, AnyStep]]:
        """(index, step) in file order, optionally only of the given types."""
        for index, step in enumerate(self.flow.steps):
            if not types or step.type in types:
                yield index, step

    def steps_missing(self, kind: str, field: str, message: str, fix_hint: str) -> Iterator[Hit]:
        """A hit at the id of every `kind` step that sets no `field`; `{id}` in `message` is the step's id."""
        for index, step in self.steps(kind):
            if getattr(step, field) is None:
                yield Hit(("steps", index, "id"), message.format(id=step.id), fix_hint=fix_hint)

    def trigger_missing(self, field: str, message: str, fix_hint: str, *, key: bool = False) -> Iterator[Hit]:
        """A hit at the trigger's type when it sets no `field`; `{type}` in `message` is its type."""
        trigger = self.flow.trigger
        if getattr(trigger, field) is None:
            yield Hit(("trigger", "type"), message.format(type=trigger.type), key=key, fix_hint=fix_hint)

    def steps_to_fix(self, code: str) -> Iterator[tuple[int, AnyStep]]:
        """(index, step) of every step a hit of rule `code` points at: what its fixer edits."""
        for hit in self.hits_to_fix(code):
            yield hit.step_index, self.flow.steps[hit.step_index]

    def position(self, loc: Loc, *, key: bool = False) -> Position:
        return self.doc.position(loc, key=key) or Position(1, 1)

    def hits_to_fix(self, code: str) -> list[Hit]:
        """What the fixer of rule `code` should fix: its unsuppressed, enabled hits.

        `fix_text` fills these in; called elsewhere (a test calling a fixer directly) it
        falls back to everything the rule's check reports.
        """
        if code in self.fix_hits:
            return self.fix_hits[code]
        return list(REGISTRY[code].check(self))

    def block_loc(self, *keys: str) -> tuple[Loc, bool]:
        """Where to report a missing block: the first of `keys` present, else where it would go.

        A block that is absent is reported at the top-level key it would be inserted before
        (in the flow file's key order, as `--fix` inserts it), or at the last top-level key when it would
        go at the end of the file. Returns (loc, key) for `Hit`.
        """
        from copilot.flow.models import TOP_LEVEL_ORDER

        data = self.doc.data
        for key in keys:
            if key in data:
                return (key,), True
        present = [k for k in data if isinstance(k, str)]
        wanted = keys[0] if keys else ""
        if wanted in TOP_LEVEL_ORDER:
            rank = TOP_LEVEL_ORDER.index(wanted)
            for key in present:
                if key in TOP_LEVEL_ORDER and TOP_LEVEL_ORDER.index(key) > rank:
                    return (key,), True
        return ((present[-1],), True) if present else ((), False)


Check = Callable[[Context], Iterator[Hit]]
Fix = Callable[["CommentedMap", Context], list[str]]  # (round-trip tree, ctx) -> descriptions of changes


@dataclass
class Rule:
    """A registered rule."""

    code: str
    name: str
    severity: Severity
    check: Check
    fixable: bool = False
    fix: Fix | None = None
    family: str = ""
    doc: str = field(default="", repr=False)

    @property
    def summary(self) -> str:
        """The first sentence of `What it does`."""
        for line in self.doc.splitlines():
            line = line.strip()
            if line and not line.lower().startswith("what it does"):
                return line
        return ""


REGISTRY: dict[str, Rule] = {}

# How a rule that reports a missing top-level block positions its finding (`Context.block_loc`):
# the last lines of its "What it does", written once for every such rule (`missing_block=True`).
MISSING_BLOCK_DOC = (
    "When the block is missing, the finding points at the top-level key it would be\n"
    "inserted before (in the flow file's key order), or at the last top-level key when it goes at the end."
)


def _with_missing_block_doc(doc: str) -> str:
    """`doc` with `MISSING_BLOCK_DOC` closing its first section (What it does)."""
    what, sep, rest = doc.partition("\n\n")
    return f"{what}\n{MISSING_BLOCK_DOC}{sep}{rest}"


def rule(
    code: str, name: str, severity: Severity, *, fixable: bool = False, missing_block: bool = False
) -> Callable[[Check], Check]:
    """Register a rule; the decorated function's docstring is the rule's documentation.

    `missing_block`: the rule reports a missing top-level block at `Context.block_loc`, and
    its documentation says so (`MISSING_BLOCK_DOC`).
    """

    def register(check: Check) -> Check:
        if code in REGISTRY:
            raise RuntimeError(f"rule {code} registered twice")
        module = check.__module__.rsplit(".", 1)[-1]
        doc = inspect.cleandoc(check.__doc__ or "")
        REGISTRY[code] = Rule(
            code=code,
            name=name,
            severity=severity,
            check=check,
            fixable=fixable,
            family=module,
            doc=doc if not missing_block else _with_missing_block_doc(doc),
        )
        return check

    return register


def fixer(code: str) -> Callable[[Fix], Fix]:
    """Register the safe autofix of rule `code` (the rule must be declared fixable).

    The fix runs only when the rule has hits to fix (`Context.hits_to_fix`): with none it
    changes nothing, so a fix need not check.
    """

    def register(fix: Fix) -> Fix:
        @functools.wraps(fix)
        def fix_hits(tree: CommentedMap, ctx: Context) -> list[str]:
            return fix(tree, ctx) if ctx.hits_to_fix(code) else []

        REGISTRY[code].fix = fix_hits
        return fix_hits

    return register


def set_on_trigger(tree: CommentedMap, key: str, value: Any, shown: str) -> list[str]:
    """A fix: set `trigger.<key>` to `value`, comments and the other keys kept; `shown` is the
    value as the list of changes says it."""
    from copilot.flow.dump import merge_into

    merge_into(tree["trigger"], key, value, ("trigger",))
    return [f"trigger.{key}: {shown}"]


def add_to_flagged_steps(
    tree: CommentedMap, ctx: Context, code: str, key: str, value: Any, shown: str
) -> list[str]:
    """A fix: add `key: value` to every step a hit of `code` points at (a fresh copy each time),
    where it is still unset."""
    import copy

    from copilot.flow.dump import merge_into

    changes = []
    for index, _ in ctx.steps_to_fix(code):
        node = tree["steps"][index]
        if node.get(key) is None:
            merge_into(node, key, copy.deepcopy(value), ("steps", index))
            changes.append(f"steps[{index}] `{node.get('id')}`: added {key}: {shown}")
    return changes
