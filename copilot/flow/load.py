"""Loading a flow: one schema validation, then the analysed flow (`LoadedFlow`).

A flow file is read and parsed once (`copilot.flow.document`: YAML with the position of
every node) and validated once with pydantic (`analyse_document`); what comes out is one
`LoadedFlow` that holds the validated model and its document, and computes on first use,
once, everything the commands ask of a flow: the graph, the estimates and analysis, the
template sites, the structural problems and the summary. Lint, validate, run and draft
read them from it instead of recomputing (docs/architecture.md, "The analysed flow").
Everything that can go wrong with user input ends in a `FlowgenError` carrying
``file:line:col``; nothing else escapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copilot.errors import FlowgenError
from copilot.flow.document import (  # re-exported (listed in `__all__`): the loading API of flow files
    MAX_DEPTH,
    MAX_EXPANDED_BYTES,
    MAX_EXPANDED_NODES,
    MAX_FILE_BYTES,
    Document,
    NoSuchFile,
    decode,
    load_document,
    node_position,
    parse_yaml,
    read_text,
    strict_json,
    to_plain,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANDED_BYTES",
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "AnalysedFlow",
    "Document",
    "LoadedFlow",
    "NoSuchFile",
    "analyse_document",
    "decode",
    "embedded_schema_errors",
    "load_document",
    "load_flow",
    "load_flow_text",
    "node_position",
    "parse_yaml",
    "read_text",
    "schema_errors",
    "strict_json",
    "strip_union_tags",
    "to_plain",
    "validate_document",
]

if TYPE_CHECKING:  # types only: the analysis is imported on first use, to keep `--version` fast
    from pydantic_core import ErrorDetails

    from copilot.catalog import Catalog, ModelProfile
    from copilot.flow.check import Problem
    from copilot.flow.estimate import StepEstimate
    from copilot.flow.graph import Analysis, FlowGraph
    from copilot.flow.models import Flow
    from copilot.flow.sites import Site


@dataclass(eq=False)
class LoadedFlow:
    """The analysed flow: a validated `Flow`, its document, and what is derived from them.

    Built by `load_flow`, `load_flow_text` or `analyse_document` after one pydantic
    validation. Everything below `doc` is computed on first use and kept (a
    `cached_property`), so `flowgen validate` pays only for what it prints, and the lint
    rules, the structural check and the summary share one graph, one analysis and one
    walk of the templates. `catalog` (None: the packaged one) is what model aliases are
    resolved against. The flow is not to be mutated once analysed.
    """

    flow: Flow
    doc: Document
    catalog: Catalog | None = None  # None: the packaged catalog

    @property
    def path(self) -> str:
        return self.doc.path

    @cached_property
    def graph(self) -> FlowGraph:
        """The DAG by `needs` (`copilot.flow.graph.FlowGraph`)."""
        from copilot.flow.graph import build_graph

        return build_graph(self.flow)

    @cached_property
    def profiles(self) -> dict[str, ModelProfile]:
        """Model alias -> resolved catalog profile (unknown aliases are left out)."""
        from copilot.flow.estimate import model_profiles

        return model_profiles(self.flow, self.catalog)

    @cached_property
    def analysis(self) -> Analysis:
        """Estimates, hot, critical and worst-case paths, cost (`copilot.flow.graph.Analysis`)."""
        from copilot.flow.graph import analyze

        return analyze(self.flow, self.catalog, graph=self.graph, profiles=self.profiles)

    @property
    def estimates(self) -> dict[str, StepEstimate]:
        """Step id -> `copilot.flow.estimate.StepEstimate` (from the analysis)."""
        return self.analysis.estimates

    @cached_property
    def sites(self) -> list[Site]:
        """Every template and condition with its location and owner (`copilot.flow.sites.Site`)."""
        from copilot.flow.sites import template_sites

        return template_sites(self.flow, self.doc.data)

    @cached_property
    def problems(self) -> list[Problem]:
        """The structural problems (`copilot.flow.check.Problem`), in file order per kind."""
        from copilot.flow.check import structural_problems

        return structural_problems(self, self.catalog)

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The short summary `flowgen validate` and `flowgen lint` print (`summary_of`)."""
        from copilot.flow.graph import summary_of

        return summary_of(self.flow, self.analysis)


AnalysedFlow = LoadedFlow
"""The same class under the name the architecture document uses."""


def analyse_document(
    doc: Document, catalog: Catalog | None = None
) -> tuple[LoadedFlow | None, list[FlowgenError]]:
    """The analysed flow of `doc` and no errors, or None and every schema violation (positioned).

    The one place a flow document is validated with pydantic: the validated `Flow` is kept,
    never validated again. Embedded JSON Schemas (event_schema, output_schema) are checked
    against their metaschema after the model validates.
    """
    from pydantic import ValidationError

    from copilot.flow.models import Flow

    try:
        flow = Flow.model_validate(doc.data)
    except ValidationError as exc:
        return None, [_translate(err, doc) for err in _relevant(exc.errors(include_url=False))]
    except RecursionError:
        return None, [FlowgenError("document nested too deeply", path=doc.path)]
    errors = embedded_schema_errors(doc)
    if errors:
        return None, errors
    return LoadedFlow(flow, doc, catalog), []


def validate_document(doc: Document) -> Flow:
    """The `Flow` model of `doc`, or the first schema violation as a positioned error."""
    return _analysed_or_raise(doc).flow


def schema_errors(doc: Document) -> list[FlowgenError]:
    """Every schema violation of `doc`, each positioned (empty when it is a valid flow).

    For a check only: a caller that goes on with the flow takes `analyse_document`, which
    keeps the validated model.
    """
    return analyse_document(doc)[1]


def _analysed_or_raise(doc: Document, catalog: Catalog | None = None) -> LoadedFlow:
    loaded, errors = analyse_document(doc, catalog)
    if errors:
        raise errors[0]
    assert loaded is not None
    return loaded


def embedded_schema_errors(doc: Document) -> list[FlowgenError]:
    """Each embedded JSON Schema (event_schema, output_schema) checked against its metaschema.

    What the engine would refuse when it compiles the schema (`type: 42`, a `pattern`
    that is no regex) is refused here already, at the offending node, so validate and lint
    never pass a flow that `run` rejects.
    """
    from copilot.flow.local_schema import flow_schemas, plainly_valid

    # Most flows' schemas are plain `type`/`properties`/`required`: decided without importing
    # jsonschema (~55 ms of a one-file `flowgen validate`); the rest are jsonschema's.
    unsure = [(loc, schema) for loc, schema in flow_schemas(doc.data) if not plainly_valid(schema)]
    if not unsure:
        return []
    import warnings

    from jsonschema import exceptions, validators

    out: list[FlowgenError] = []
    for loc, schema in unsure:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an unknown `$schema` falls back to the latest draft
                cls = validators.validator_for(schema)
            cls.check_schema(schema)
        except exceptions.SchemaError as exc:
            where = (*loc, *exc.absolute_path)
            shown = _dotted(where, doc.data)
            message = " ".join(str(exc.message).split())
            if len(message) > 200:
                message = message[:200] + "…"
            out.append(_schema_problem(doc, where, f"`{shown}`: invalid JSON Schema: {message}"))
        except RecursionError:
            out.append(
                _schema_problem(doc, loc, f"`{_dotted(loc, doc.data)}`: JSON Schema nested too deeply")
            )
    return out


def _schema_problem(doc: Document, loc: tuple[str | int, ...], message: str) -> FlowgenError:
    """A flow's JSON Schema that cannot be used (FG002), at `loc`."""
    return FlowgenError(message, path=doc.path, position=doc.position(loc), code="FG002")


def _relevant(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop the noise pydantic adds for unions (one error per non-matching member)."""
    out = []
    seen = set()
    for err in errors:
        key = (tuple(err["loc"]), err["type"])
        if key in seen:
            continue
        seen.add(key)
        out.append(err)
    return out


_TRIGGER_TYPES = ("webhook", "schedule", "queue")
_STEP_TYPES = ("model", "validate", "retrieve", "transform", "http")


def strip_union_tags(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Remove the discriminator tags pydantic puts in locations (``steps.0.model.x``)."""
    out: list[str | int] = []
    parts = list(loc)
    i = 0
    while i < len(parts):
        part = parts[i]
        out.append(part)
        if (
            len(out) == 2
            and out[0] == "steps"
            and isinstance(part, int)
            and i + 1 < len(parts)
            and parts[i + 1] in _STEP_TYPES
        ):
            i += 1  # skip the step type tag
        elif len(out) == 1 and part == "trigger" and i + 1 < len(parts) and parts[i + 1] in _TRIGGER_TYPES:
            i += 1
        i += 1
    return tuple(out)


def _translate(err: ErrorDetails, doc: Document) -> FlowgenError:
    loc = strip_union_tags(tuple(err["loc"]))
    kind = err["type"]
    message = err["msg"]
    shown = _dotted(loc, doc.data)
    ctx = err.get("ctx") or {}
    if kind == "unknown_key":
        position = doc.position((*loc, ctx["key"]), key=True)
        where = f"{shown}." if shown else ""
        message = f"`{where}{ctx['key']}`: unknown key{ctx.get('hint', '')}"
        return FlowgenError(message, path=doc.path, position=position, code="FG002")
    if kind == "missing":
        parent, field = loc[:-1], loc[-1]
        position = doc.position(parent, key=True)
        where = _dotted(parent, doc.data)
        message = f"`{field}` is required" + (f" in `{where}`" if where else "")
        return FlowgenError(message, path=doc.path, position=position, code="FG002")
    if kind == "union_tag_invalid":
        position = doc.position((*loc, "type"))
        message = f"`{shown}.type`: must be one of {ctx.get('expected_tags', '')}, not {ctx.get('tag')!r}"
        return FlowgenError(message, path=doc.path, position=position, code="FG002")
    if kind == "union_tag_not_found":
        position = doc.position(loc, key=True)
        kinds = _TRIGGER_TYPES if loc[:1] == ("trigger",) else _STEP_TYPES
        message = f"`{shown}`: needs a `type`: one of {', '.join(kinds)}"
        return FlowgenError(message, path=doc.path, position=position, code="FG002")
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    position = doc.position(loc)
    return FlowgenError(
        f"`{shown}`: {message}" if shown else message, path=doc.path, position=position, code="FG002"
    )


def _dotted(loc: tuple[str | int, ...], data: Any) -> str:
    """`steps[0].timeout` from a pydantic loc, skipping union tags that are not in the data."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            parts.append(f".{part}" if parts else str(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            parts.append(f"[{part}]")
            node = node[part]
        elif isinstance(part, str) and not isinstance(node, dict | list):
            parts.append(f".{part}" if parts else part)
    return "".join(parts)


def load_flow(path: str | Path, catalog: Catalog | None = None) -> LoadedFlow:
    """Read, parse and validate a flow file; every failure is a positioned FlowgenError."""
    return _analysed_or_raise(load_document(path), catalog)


def load_flow_text(text: str, name: str = "<flow>", catalog: Catalog | None = None) -> LoadedFlow:
    """Like `load_flow`, from text already in memory."""
    return _analysed_or_raise(parse_yaml(text, name), catalog)
