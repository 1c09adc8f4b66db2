"""Structural checks a flow must pass before an engine can load it.

Unknown references (FG003: step names, model aliases, and `use:` entries the model
catalog does not know), dependency cycles (FG004), sync steps waiting for async ones
(FG005), duplicate step ids (FG007), templates or conditions that do not parse
(FG002, "template syntax: …"), schema refs that would be fetched or loop (FG711), and
files named outside the flow file's folder (FG710, copilot.flow.trust).
`flowgen validate` reports these; the
linter's graph rules report the same problems through this one implementation.

Each check takes the analysed flow (`copilot.flow.load.LoadedFlow`, whose `problems` are
these, computed once) and reads its graph and template sites from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from copilot.errors import Position, did_you_mean

if TYPE_CHECKING:
    from copilot.catalog import Catalog
    from copilot.flow.document import Document
    from copilot.flow.graph import FlowGraph
    from copilot.flow.models import Flow
    from copilot.flow.sites import Site


class LoadedFlow(Protocol):
    """What a check reads of the analysed flow (`copilot.flow.load.LoadedFlow`, which
    imports this module: naming it here would make an import cycle)."""

    @property
    def flow(self) -> Flow: ...
    @property
    def doc(self) -> Document: ...
    @property
    def path(self) -> str: ...
    @property
    def graph(self) -> FlowGraph: ...
    @property
    def sites(self) -> list[Site]: ...


@dataclass(frozen=True)
class Problem:
    """One structural problem, positioned at the offending node."""

    code: str
    message: str
    loc: tuple[str | int, ...]
    position: Position | None


def _problem(
    loaded: LoadedFlow, code: str, message: str, loc: tuple[str | int, ...], key: bool = False
) -> Problem:
    return Problem(code, message, loc, loaded.doc.position(loc, key=key))


def duplicate_ids(loaded: LoadedFlow) -> list[Problem]:
    seen: dict[str, int] = {}
    out = []
    for index, step in enumerate(loaded.flow.steps):
        if step.id in seen:
            out.append(
                _problem(
                    loaded,
                    "FG007",
                    f"duplicate step id `{step.id}` (first defined at steps[{seen[step.id]}])",
                    ("steps", index, "id"),
                )
            )
        else:
            seen[step.id] = index
    return out


def unknown_references(loaded: LoadedFlow) -> list[Problem]:
    flow = loaded.flow
    ids = [s.id for s in flow.steps]
    known = set(ids)  # looked up per `needs` entry: a list scan there was quadratic
    aliases = list(flow.models)
    out: list[Problem] = []
    for index, step in enumerate(flow.steps):
        for n, need in enumerate(step.needs):
            if need not in known:
                out.append(
                    _problem(
                        loaded,
                        "FG003",
                        f"step `{step.id}` needs `{need}`, which is no step{did_you_mean(need, ids)}",
                        ("steps", index, "needs", n),
                    )
                )
            elif need == step.id:
                out.append(
                    _problem(loaded, "FG003", f"step `{step.id}` needs itself", ("steps", index, "needs", n))
                )
        if step.type != "model":
            continue
        refs: list[tuple[str, tuple[str | int, ...]]] = []
        if step.model is not None:
            refs.append((step.model, ("steps", index, "model")))
        refs += [(alias, ("steps", index, "fallback", i)) for i, alias in enumerate(step.fallback)]
        if step.route is not None:
            refs += [
                (alias, ("steps", index, "route", "candidates", i))
                for i, alias in enumerate(step.route.candidates)
            ]
        for alias, loc in refs:
            if alias not in aliases:
                hint = did_you_mean(alias, aliases) or (
                    f"; define it under `models:` (e.g. `{alias}: {{use: openai/gpt-4o-mini}}`)"
                )
                out.append(_problem(loaded, "FG003", f"model alias `{alias}` is not defined{hint}", loc))
    if flow.respond is not None:
        for n, need in enumerate(flow.respond.needs):
            if need not in known:
                out.append(
                    _problem(
                        loaded,
                        "FG003",
                        f"respond needs `{need}`, which is no step{did_you_mean(need, ids)}",
                        ("respond", "needs", n),
                    )
                )
    return out


def template_syntax(loaded: LoadedFlow) -> list[Problem]:
    """FG002 for each template or condition that does not parse (or reaches for internals).

    The engine could not render it, so this is a schema-like error, not a data-flow one.
    The message is one line: the template's newlines are shown as `\\n`.
    """
    from copilot.flow.sites import template_references

    out: list[Problem] = []
    for site in loaded.sites:
        found = template_references(site.text, site.expression)
        if isinstance(found, str):
            out.append(_problem(loaded, "FG002", f"{one_line(found)} in `{snippet(site.text)}`", site.loc))
    return out


def one_line(text: str) -> str:
    """`text` on one line: newlines shown as `\\n` (a finding is one line in every format)."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def snippet(text: str, limit: int = 60) -> str:
    text = one_line(text.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unknown_models(loaded: LoadedFlow, catalog: Catalog | None = None) -> list[Problem]:
    """FG003 for a `models.<alias>.use` the catalog does not have (the engine refuses it too).

    A complete alias (`provider` + `model`, no `use`) needs no catalog entry.
    """
    from copilot.catalog import default_catalog
    from copilot.errors import FlowgenError

    catalog = catalog if catalog is not None else default_catalog()
    out: list[Problem] = []
    for alias, spec in loaded.flow.models.items():
        if spec.use is None or spec.use in catalog:
            continue
        try:
            catalog.get(spec.use)
        except FlowgenError as exc:
            out.append(
                _problem(loaded, "FG003", f"model alias `{alias}`: {exc.message}", ("models", alias, "use"))
            )
    return out


def cycles(loaded: LoadedFlow) -> list[Problem]:
    cycle = loaded.graph.cycle()
    if not cycle:
        return []
    index = next(i for i, s in enumerate(loaded.flow.steps) if s.id == cycle[0])
    chain = " -> ".join(cycle)
    return [
        _problem(
            loaded, "FG004", f"dependency cycle: {chain} (each needs the next)", ("steps", index, "needs")
        )
    ]


def sync_needs_async(loaded: LoadedFlow) -> list[Problem]:
    flow = loaded.flow
    graph = loaded.graph
    out = []
    index_of = {s.id: i for i, s in reversed(list(enumerate(flow.steps)))}
    for waiter, need in graph.sync_needs_async():
        if waiter == "respond":
            assert flow.respond is not None  # only a response waits as "respond"
            n = flow.respond.needs.index(need)
            out.append(
                _problem(
                    loaded,
                    "FG005",
                    f"the response waits for async step `{need}`; async steps never "
                    "block the response: make it sync or drop it from respond.needs",
                    ("respond", "needs", n),
                )
            )
        else:
            i = index_of[waiter]
            n = flow.steps[i].needs.index(need)
            out.append(
                _problem(
                    loaded,
                    "FG005",
                    f"sync step `{waiter}` needs async step `{need}`; make `{waiter}` "
                    "async too, or `{need}` sync".replace("{need}", need),
                    ("steps", i, "needs", n),
                )
            )
    return out


def schema_refs(loaded: LoadedFlow) -> list[Problem]:
    """FG711 for each `$ref` the engine would not resolve: flow schemas fetch nothing.

    One implementation (copilot.flow.local_schema) for validate, lint, run and draft.
    """
    from copilot.flow.local_schema import flow_schema_problems

    return [_problem(loaded, "FG711", message, loc) for loc, message in flow_schema_problems(loaded.doc.data)]


def boundary_paths(loaded: LoadedFlow) -> list[Problem]:
    """FG710 for each file the flow names outside its folder (copilot.flow.trust).

    Paths are relative to the flow file's folder (the working directory for stdin).
    """
    from pathlib import Path

    from copilot.flow.trust import flow_path_problems

    path = loaded.path
    base = Path(path).resolve().parent if path not in ("-", "<stdin>", "<flow>") else Path.cwd()
    return [_problem(loaded, "FG710", message, loc) for loc, message in flow_path_problems(loaded.flow, base)]


def structural_problems(loaded: LoadedFlow, catalog: Catalog | None = None) -> list[Problem]:
    """Every structural problem of a schema-valid flow, in file order per kind.

    `catalog` (default: the packaged one) is what `use:` entries are checked against.
    """
    out: list[Problem] = template_syntax(loaded)
    out.extend(unknown_references(loaded))
    out.extend(unknown_models(loaded, catalog))
    for check in (cycles, sync_needs_async, duplicate_ids, schema_refs, boundary_paths):
        out.extend(check(loaded))
    return out


def as_dict(problem: Problem, path: str) -> dict[str, Any]:
    pos = problem.position
    return {
        "code": problem.code,
        "message": problem.message,
        "path": path,
        "line": pos.line if pos else None,
        "column": pos.col if pos else None,
    }
