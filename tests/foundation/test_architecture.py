"""The import graph of `copilot/`: no cycles, layers that only import downward, no private names.

Every module is parsed with `ast` (nothing is imported), and every import of a `copilot`
module counts: at the top of a file, inside a function (where the heavy libraries wait
for the command that needs them) and under `if TYPE_CHECKING:`. A function-level import
is for start-up time only; it must not hide a cycle, so this test sees through it.

The layers, lowest first, are written down in docs/architecture.md ("Layers"):

    foundations   copilot (version), errors, resources, styled, openai_compat, jsonview,
                  hosts
    jsonlines     reading back the JSON-lines files flowgen writes (positioned errors)
    flow          the flow language and its analysis (load, models, expressions, graph,
                  estimates, checks)
    catalog       the model catalog: profiles, prices, limits
    policy        production defaults shared by the drafter, `lint --fix` and the rules
    lint, run     the linter and the engine, independent of each other
    graph         `flowgen graph`: the picture of a flow with its findings (it imports
                  `lint`; it reads what `run` wrote as files, never the engine)
    serve         the webhook server: the engine behind HTTP (it imports `run` and `flow`)
    checklist,    the production-readiness checklist (it names lint rules) and
    validate      `flowgen validate` (it prints lint's summary lines)
    draft         drafting, which lints, fixes and load-tests its own flows
    commands      the CLI, and the functions it calls per command (`lint/command.py`,
                  `run/command.py`), which join packages (the rules table shows
                  checklist items)

A module may import its own package and any lower layer, never a package of its own
layer (but in the commands layer) or of a higher one, with the one exception in `UPWARD`.

Run it alone: `python -m pytest -q tests/foundation/test_architecture.py`.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "copilot"

LAYERS: list[set[str]] = [
    {"copilot", "errors", "resources", "styled", "openai_compat", "jsonview", "hosts"},
    {"jsonlines"},
    {"flow"},
    {"catalog"},
    {"policy"},
    {"lint", "run"},
    {"graph"},
    {"serve", "temporal"},
    {"checklist", "validate"},
    {"draft"},
    {"cli", "__main__"},
]

# Modules of a lower package that are the CLI's per-command entry points: they sit in
# the top layer with the CLI (see the module docstring).
COMMAND_MODULES = {"copilot.lint.command", "copilot.run.command"}

# The one upward import between top-level packages, (package, package) -> (the modules
# that may make it, and why). The catalog parses its durations with `flow.units` and
# reads a user's catalog file with `flow.document`, so it sits above the flow language; the
# flow's analysis in turn resolves each model alias against the catalog's figures
# (latency, price, limits) to estimate steps and check `use:` entries.
UPWARD: dict[tuple[str, str], tuple[set[str], str]] = {
    ("flow", "catalog"): (
        {"copilot.flow.estimate", "copilot.flow.graph", "copilot.flow.check", "copilot.flow.load"},
        "the analysis reads model profiles from the catalog, which builds on flow.units/flow.document"
        " (flow.load only names the catalog's types, under TYPE_CHECKING)",
    ),
}


# Cycles known and being removed elsewhere, each with who removes it. An entry that no
# longer matches a cycle fails the test, so the list only shrinks.
PENDING_CYCLES: dict[frozenset[str], str] = {}  # cycles allowed for now, each with its reason


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path) -> list[tuple[str, str, int]]:
    """(imported module or name, how it is imported, line) for every `copilot` import of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out += [(f"{base}.{alias.name}", alias.name, node.lineno) for alias in node.names]
    return [(target, what, line) for target, what, line in out if target.split(".")[0] == "copilot"]


def resolve(target: str, known: dict[str, Path]) -> str:
    """The module an import names: `copilot.flow.models.Flow` -> `copilot.flow.models`."""
    while target not in known:
        target = target.rpartition(".")[0]
    return target


def graph() -> dict[str, dict[str, int]]:
    """Module -> {imported module: first line}, modules of `copilot` only."""
    known = modules()
    edges: dict[str, dict[str, int]] = defaultdict(dict)
    for name, path in known.items():
        for target, _, line in imports(name, path):
            other = resolve(target, known)
            if other != name:
                edges[name].setdefault(other, line)
    return edges


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "copilot"


def layer_of(module: str) -> int:
    if module in COMMAND_MODULES:
        return len(LAYERS) - 1
    package = package_of(module)
    for index, members in enumerate(LAYERS):
        if package in members:
            return index
    raise AssertionError(f"{module}: the package `{package}` is in no layer; add it to LAYERS")


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """One concrete cycle per strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative Tarjan: the graph is small, but recursion limits are not a test's business.
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [_cycle_in(component, edges) for component in components]


def _cycle_in(component: list[str], edges: dict[str, dict[str, int]]) -> list[str]:
    """A path that starts and ends at the component's first module."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(edges.get(node, {})):
            if child == start:
                return [*paths[node], start]
            if child in members and child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return component  # pragma: no cover - a component always has a cycle through its members


def describe(path: list[str], edges: dict[str, dict[str, int]]) -> str:
    """`a (line 3) -> b (line 9) -> a`: each module with the line of its import of the next."""
    steps = [f"{a} (line {edges[a][b]})" for a, b in itertools.pairwise(path)]
    return " -> ".join([*steps, path[-1]])


def test_no_import_cycles() -> None:
    edges = graph()
    found = cycles(edges)
    new = [cycle for cycle in found if frozenset(cycle) not in PENDING_CYCLES]
    assert not new, "import cycles (function-level imports count too):\n" + "\n".join(
        "  " + describe(cycle, edges) for cycle in new
    )
    gone = set(PENDING_CYCLES) - {frozenset(cycle) for cycle in found}
    assert not gone, f"these cycles are gone: remove them from PENDING_CYCLES: {[sorted(c) for c in gone]}"


def test_packages_import_only_downward() -> None:
    edges = graph()
    wrong = []
    used: set[tuple[str, str]] = set()
    for module, targets in sorted(edges.items()):
        for target, line in sorted(targets.items()):
            if package_of(module) == package_of(target) or layer_of(target) < layer_of(module):
                continue
            if layer_of(module) == layer_of(target) == len(LAYERS) - 1:
                continue  # the commands layer: the CLI calls the per-command modules
            pair = (package_of(module), package_of(target))
            allowed = UPWARD.get(pair)
            if allowed is not None and module in allowed[0]:
                used.add(pair)
                continue
            wrong.append(f"  {module} (line {line}) imports {target}")
    assert not wrong, (
        "imports that go up or sideways between top-level packages (see the layers in this "
        "test's docstring and docs/architecture.md):\n" + "\n".join(wrong)
    )
    assert len(UPWARD) <= 1, "at most one upward import between top-level packages"
    assert used == set(UPWARD), f"an allowed upward import no module makes any more: {set(UPWARD) - used}"


def test_private_names_stay_in_their_module() -> None:
    """A private name (`_x`) another module needs is public API: give it a name and a docstring."""
    known = modules()
    crossing = [
        f"  {name}:{line} imports {target}"
        for name, path in known.items()
        for target, what, line in imports(name, path)
        if what.startswith("_") and not what.startswith("__")
    ]
    assert not crossing, "private names imported from another module:\n" + "\n".join(crossing)


@pytest.mark.parametrize("module", ["copilot.catalog.estimate"])
def test_moved_modules_are_thin(module: str) -> None:
    """A module kept for old importers only re-exports: no logic grows back there."""
    path = modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = {type(node).__name__ for node in tree.body} - {"Expr", "ImportFrom", "Assign"}
    assert not kinds, f"{module} should only re-export, found {sorted(kinds)}"


MAX_MODULE_LINES = 800


def test_no_module_over_800_lines() -> None:
    """A module past 800 lines holds more than one job: split it by domain idea (issue 11)."""
    offenders = sorted(
        (len(path.read_text(encoding="utf-8").splitlines()), name)
        for name, path in modules().items()
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
    )
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(
        f"  {name}: {lines} lines" for lines, name in reversed(offenders)
    )
