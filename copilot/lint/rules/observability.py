"""FG3xx: traces, metrics, alerts, and personal data kept out of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from copilot import policy
from copilot.flow.sites import site_references
from copilot.lint.rule import Context, Hit, Loc, fixer, rule

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from copilot.flow.sites import Site

# What the fixes write is `copilot.policy`'s, the drafter's too.
TRACING_DEFAULT = policy.TRACING
METRICS_DEFAULT = policy.METRICS
ERROR_RATE_ALERT = policy.ERROR_RATE_ALERT

# Alert metrics that watch each concern FG303 asks for.
ERROR_METRICS = ("error_rate", "dead_letter_rate")
LATENCY_METRICS = ("latency_p95", "latency_p99", "sla_attainment")
COST_METRICS = ("cost_per_event",)

# Words that make a field name look personal. A field name is split into words
# (snake_case, camelCase, kebab-case) and compared word by word, so `product_name` or
# `hostname` are not personal while `customer_name` and `email_address` are.
PERSONAL_WORDS = {
    "email",
    "mail",
    "phone",
    "mobile",
    "telephone",
    "tel",
    "msisdn",
    "address",
    "street",
    "postcode",
    "zip",
    "zipcode",
    "ip",
    "ssn",
    "dob",
    "birth",
    "birthday",
    "birthdate",
    "passport",
    "iban",
    "surname",
    "firstname",
    "lastname",
    "fullname",
    "username",
    "nin",
}
# `name` alone is personal; `x_name` only when x names a person.
PERSON_QUALIFIERS = {
    "first",
    "last",
    "full",
    "given",
    "family",
    "middle",
    "maiden",
    "legal",
    "display",
    "customer",
    "user",
    "sender",
    "recipient",
    "contact",
    "person",
    "patient",
    "client",
    "author",
}
_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD_RE.findall(name)]


def looks_personal(field: str) -> bool:
    """Whether an event field name looks like personal data (email, phone, name, address…)."""
    words = _words(field)
    if not words:
        return False
    if PERSONAL_WORDS.intersection(words):
        return True
    if "card" in words and ({"credit", "number", "debit"} & set(words)):
        return True
    if "name" in words:
        return len(words) == 1 or bool(PERSON_QUALIFIERS.intersection(words))
    return False


def personal_fields(event_schema: Any, prefix: tuple[str, ...] = ("event",)) -> list[tuple[str, ...]]:
    """Paths (``("event", "customer", "email")``) of personal-looking fields in an event schema."""
    out: list[tuple[str, ...]] = []
    if not isinstance(event_schema, dict) or len(prefix) > 12:
        return out
    properties = event_schema.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            path = (*prefix, str(name))
            if looks_personal(str(name)):
                out.append(path)
            else:
                out.extend(personal_fields(sub, path))
    items = event_schema.get("items")
    if isinstance(items, dict):
        out.extend(personal_fields(items, prefix))
    return out


def _redacted(path: tuple[str, ...], redact: list[str]) -> bool:
    """Whether `path` is covered by a redact entry (the field itself or an enclosing object)."""
    for entry in redact:
        parts = tuple(entry.strip().split("."))
        if parts and parts[0] != "event":
            parts = ("event", *parts)
        if path[: len(parts)] == parts:
            return True
    return False


def _reaches(field: tuple[str, ...], ref: tuple[str, ...]) -> bool:
    """A reference reads the field when one path contains the other (`event` reads everything)."""
    n = min(len(field), len(ref))
    return field[:n] == ref[:n]


def _alert_metrics(ctx: Context) -> set[str]:
    obs = ctx.flow.observability
    return {alert.metric for alert in obs.alerts} if obs is not None else set()


def _missing_alerts(ctx: Context) -> list[str]:
    """The alert concerns FG303 wants and the flow lacks: errors; latency and cost when targeted."""
    have = _alert_metrics(ctx)
    missing = []
    if not have.intersection(ERROR_METRICS):
        missing.append("error rate")
    sla = ctx.flow.sla
    if sla is not None and sla.latency_p95 is not None and not have.intersection(LATENCY_METRICS):
        missing.append("latency")
    if sla is not None and sla.max_cost_per_event is not None and not have.intersection(COST_METRICS):
        missing.append("cost")
    return missing


def _observability_loc(ctx: Context, *keys: str) -> tuple[Loc, bool]:
    """The most specific existing node among observability.<keys>, else observability, else `name`."""
    obs = ctx.doc.data.get("observability")
    if isinstance(obs, dict):
        for key in keys:
            if key in obs:
                return ("observability", key), True
    return ctx.block_loc("observability")


@rule("FG301", "tracing-disabled", "warning", fixable=True, missing_block=True)
def tracing_disabled(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a flow with no tracing exporter: no `observability.tracing`, or `exporter: none`.

    Why it matters
    A flow makes several model calls, lookups and API calls per event. Without a trace per
    event nobody can see which call was slow, which one retried or fell back, or where the
    SLA went; incidents are debugged by guessing.

    Example
    Failing:

        observability:
          metrics: {exporter: prometheus, port: 9464}

    Passing:

        observability:
          tracing: {exporter: otlp, endpoint: "${env:OTEL_EXPORTER_OTLP_ENDPOINT}"}
          metrics: {exporter: prometheus, port: 9464}

    Fix
    Add a tracing exporter. The autofix adds OTLP export of every event's trace to the
    endpoint in `OTEL_EXPORTER_OTLP_ENDPOINT` (the OpenTelemetry standard variable).
    """
    yield from _exporter_off(ctx, "tracing")


@dataclass(frozen=True)
class _Exporter:
    """What FG301 (tracing) or FG302 (metrics) says of its `observability` block, and writes."""

    missing: str  # why a missing block matters
    add: str  # the block the fix adds, as the hint shows it
    off: str  # what a switched-off block (`exporter: none`) says
    use: str  # the exporter to use instead
    default: dict[str, Any]  # the block the fix writes: `copilot.policy`'s
    added: str  # the fix's change, as `lint --fix` lists it


_EXPORTERS = {
    "tracing": _Exporter(
        "no tracing exporter: nobody will see which call is slow",
        "{exporter: otlp, endpoint: '${env:OTEL_EXPORTER_OTLP_ENDPOINT}'}",
        "tracing is switched off (`exporter: none`)",
        "exporter: otlp with endpoint '${env:OTEL_EXPORTER_OTLP_ENDPOINT}'",
        TRACING_DEFAULT,
        "OTLP export to ${env:OTEL_EXPORTER_OTLP_ENDPOINT}",
    ),
    "metrics": _Exporter(
        "no metrics exporter: latency, errors and cost are not measured",
        "{exporter: prometheus, port: 9464}",
        "metrics are switched off (`exporter: none`)",
        "exporter: prometheus with port: 9464",
        METRICS_DEFAULT,
        "Prometheus on port 9464",
    ),
}


def _exporter_off(ctx: Context, part: str) -> Iterator[Hit]:
    """`observability.<part>` is missing, or its exporter is `none` (`_EXPORTERS` says what to write)."""
    exporter = _EXPORTERS[part]
    obs = ctx.flow.observability
    block = getattr(obs, part) if obs is not None else None
    if block is None:
        loc, key = _observability_loc(ctx)
        yield Hit(loc, exporter.missing, key=key, fix_hint=f"add observability.{part}: {exporter.add}")
    elif block.exporter == "none":
        yield Hit(("observability", part, "exporter"), exporter.off, fix_hint=f"use {exporter.use}")


def _add_exporter(tree: CommentedMap, part: str) -> list[str]:
    """The fix of FG301 and FG302: `observability.<part>` set to the policy's exporter."""
    from copilot.flow.dump import merge_into

    exporter = _EXPORTERS[part]
    merge_into(tree, "observability", {part: dict(exporter.default)})
    return [f"observability.{part}: {exporter.added}"]


@fixer("FG301")
def _fix_tracing(tree: CommentedMap, ctx: Context) -> list[str]:
    return _add_exporter(tree, "tracing")


@rule("FG302", "metrics-disabled", "warning", fixable=True, missing_block=True)
def metrics_disabled(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a flow with no metrics exporter: no `observability.metrics`, or `exporter: none`.

    Why it matters
    Latency percentiles, error, retry and fallback rates and cost per event are what tell
    you the SLA and the budget hold. Without metrics, drift shows up as a customer complaint
    or an invoice, not as a graph.

    Example
    Failing:

        observability:
          tracing: {exporter: otlp, endpoint: "${env:OTEL_EXPORTER_OTLP_ENDPOINT}"}

    Passing:

        observability:
          tracing: {exporter: otlp, endpoint: "${env:OTEL_EXPORTER_OTLP_ENDPOINT}"}
          metrics: {exporter: prometheus, port: 9464}

    Fix
    Add a metrics exporter. The autofix adds a Prometheus scrape endpoint on port 9464
    (the OpenTelemetry Prometheus exporter's default).
    """
    yield from _exporter_off(ctx, "metrics")


@fixer("FG302")
def _fix_metrics(tree: CommentedMap, ctx: Context) -> list[str]:
    return _add_exporter(tree, "metrics")


@rule("FG303", "missing-alerts", "info", fixable=True, missing_block=True)
def missing_alerts(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a flow without an alert on its error rate, or, when the flow states them, on
    latency above `sla.latency_p95` or on cost above `sla.max_cost_per_event`.

    Why it matters
    Metrics nobody watches page nobody. An alert tied to the SLA and the budget turns a
    breach into an incident while it is happening, not in next month's review.

    Example
    Failing (an SLA and a budget, but only an error-rate alert):

        sla: {latency_p95: 1500ms, max_cost_per_event: 0.004}
        observability:
          alerts:
            - {metric: error_rate, above: 0.02, window: 5m}

    Passing:

        observability:
          alerts:
            - {metric: error_rate, above: 0.02, window: 5m}
            - {metric: latency_p95, above: 1500ms, window: 5m}
            - {metric: cost_per_event, above: 0.004, window: 1h}

    Fix
    Add the missing alerts. The autofix adds `error_rate` above 2% over 5m, `latency_p95`
    above the SLA over 5m and `cost_per_event` above the budget over 1h.
    """
    missing = _missing_alerts(ctx)
    if missing:
        loc, key = _observability_loc(ctx, "alerts")
        yield Hit(
            loc,
            f"no alert on {', '.join(missing)}",
            key=key,
            fix_hint="add observability.alerts on error_rate, latency_p95 above the SLA and "
            "cost_per_event above the budget",
        )


@fixer("FG303")
def _fix_alerts(tree: CommentedMap, ctx: Context) -> list[str]:
    from copilot.flow.dump import merge_into, to_tree

    missing = _missing_alerts(ctx)
    wanted = {"error rate": "error_rate", "latency": "latency_p95", "cost": "cost_per_event"}
    metrics = {wanted[concern] for concern in missing}
    every = policy.alerts(ctx.flow.latency_sla, ctx.flow.cost_budget)
    new = [alert for alert in every if alert["metric"] in metrics]
    if not new:
        return []
    obs = tree.get("observability")
    if isinstance(obs, dict) and isinstance(obs.get("alerts"), list):
        for alert in new:
            obs["alerts"].append(to_tree(alert, ("observability", "alerts", len(obs["alerts"]))))
    else:
        merge_into(tree, "observability", {"alerts": new})
    return [f"observability.alerts: added {a['metric']} above {a['above']}" for a in new]


def _unredacted_uses(ctx: Context) -> dict[tuple[str, ...], Site]:
    """Personal event field -> the first template that uses it, for fields not in `redact`."""
    trigger = ctx.flow.trigger
    fields = personal_fields(trigger.event_schema)
    if not fields:
        return {}
    obs = ctx.flow.observability
    redact = obs.redact if obs is not None else []
    fields = [f for f in fields if not _redacted(f, redact)]
    found: dict[tuple[str, ...], Site] = {}
    for site in ctx.sites:
        for ref in site_references(site):
            if ref[0] != "event":
                continue
            for field in fields:
                if field not in found and _reaches(field, ref):
                    found[field] = site
    return found


@rule("FG304", "pii-unredacted", "warning", fixable=True)
def pii_unredacted(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags an event field that looks personal (email, phone, name, address, IP, date of
    birth…, judged from the names in `trigger.event_schema`) which a template uses — a
    prompt, a request, an idempotency key, the response — and which is not listed in
    `observability.redact`. A template that reads a whole object (`{{ event }}`,
    `{{ event.customer }}`) uses every field inside it.

    Why it matters
    Whatever a template renders ends up in span attributes, logs and dead letters, and is
    sent to a model provider. Personal data copied into every trace backend and log store
    is a privacy incident waiting for an audit.

    Example
    Failing:

        trigger:
          event_schema: {type: object, properties: {email: {type: string}, body: {type: string}}}
        steps:
          - id: reply
            type: model
            prompt: {user: "Customer {{ event.email }} asks: {{ event.body }}"}

    Passing:

        observability:
          redact: [event.email]

    Fix
    List the field in `observability.redact` (the engine keeps redacted fields out of
    traces and logs), or stop using it. The autofix adds every flagged field to `redact`.
    """
    for field, site in _unredacted_uses(ctx).items():
        where = f"step `{site.step}`" if site.step else f"`{'.'.join(map(str, site.loc))}`"
        dotted = ".".join(field)
        yield Hit(
            site.loc,
            f"`{dotted}` looks personal, is used by {where} and is not in observability.redact",
            fix_hint=f"add {dotted} to observability.redact",
        )


@fixer("FG304")
def _fix_redact(tree: CommentedMap, ctx: Context) -> list[str]:
    from copilot.flow.dump import merge_into

    hits = ctx.hits_to_fix("FG304")
    wanted = {hit.loc: True for hit in hits}
    fields = [".".join(f) for f, site in _unredacted_uses(ctx).items() if site.loc in wanted]
    if not fields:
        return []
    obs = tree.get("observability")
    if isinstance(obs, dict) and isinstance(obs.get("redact"), list):
        for name in fields:
            if name not in obs["redact"]:
                obs["redact"].append(name)
    else:
        merge_into(tree, "observability", {"redact": fields})
    return [f"observability.redact: added {name}" for name in fields]
