"""The flow file as pydantic models (``apiVersion: flowgen/v1``); docs/architecture.md, "The flow file".

Every block is a strict model: an unknown key is an error that suggests the closest
known key. The JSON Schema shipped with the package is generated from these models
(`copilot.flow.schema`), so every field carries a description.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from copilot.errors import did_you_mean
from copilot.flow.units import Duration, PositiveDuration, RateValue

STEP_ID_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"

# Sane upper bounds: a flow is untrusted input, and a 3,000-digit integer or `.inf` is no
# setting (it overflows a float, a semaphore or an estimate further on).
MAX_USD = 1_000_000.0  # a budget per event, a price per million tokens
MAX_COUNT = 1_000_000_000  # events, rate limits, requests per minute, bursts
MAX_CONCURRENCY = 1_000_000
MAX_TOKENS = 1_000_000_000_000  # context windows, max_tokens, tokens per minute
MAX_ATTEMPTS = 100  # retries (FG204 already flags more than 10)
MAX_TOP_K = 10_000
ALIAS_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$"


def _require_exactly_one(block: BaseModel, first: str, second: str, error: str, what: str) -> None:
    """A schema error (`error`) unless `block` sets exactly one of the fields `first` and `second`."""
    if (getattr(block, first) is None) == (getattr(block, second) is None):
        raise PydanticCustomError(error, f"{what} needs exactly one of `{first}` or `{second}`")


class Block(BaseModel):
    """A strict block of a flow: unknown keys are reported with a did-you-mean hint."""

    # defer_build: the whole flow's validator is built once, at the end of this module.
    # allow_inf_nan=False: `.inf`/`.nan` are YAML floats, never a budget, price or threshold.
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, frozen=False, defer_build=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known, accepted = _field_keys(cls)
        for key in data:
            if isinstance(key, str) and key not in accepted:
                raise PydanticCustomError(
                    "unknown_key",
                    "`{key}`: unknown key{hint}",
                    {"key": key, "hint": did_you_mean(key, known)},
                )
        return data


_FIELD_KEYS: dict[type[BaseModel], tuple[set[str], frozenset[str]]] = {}


def _field_keys(block: type[BaseModel]) -> tuple[set[str], frozenset[str]]:
    """The keys `block` is written with (alias, else name), and those plus the field names.

    Kept per class: a block's fields are fixed once it is built, and a 5,000-step flow
    validates 15,000 blocks.
    """
    keys = _FIELD_KEYS.get(block)
    if keys is None:
        known = {field.alias or name for name, field in block.model_fields.items()}
        keys = _FIELD_KEYS[block] = (known, frozenset(known | set(block.model_fields)))
    return keys


def _not_json_number(value: Any) -> str | None:
    """The first NaN, infinity or over-long integer inside `value`, as written, else None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            return repr(item)
        elif isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > 1024:
            return "an integer of more than 300 digits"
    return None


def _describe(text: str, **kwargs: Any) -> Any:
    return Field(description=text, **kwargs)


# ---------------------------------------------------------------------------- sla


class Sla(Block):
    """The service level the flow promises: the hot path's p95 and the cost per event."""

    latency_p95: PositiveDuration | None = _describe(
        "p95 latency from trigger to response along the hot path, e.g. 1500ms.", default=None
    )
    max_cost_per_event: float | None = _describe(
        "Budget in USD per event, all steps included (async ones too).", default=None, ge=0, le=MAX_USD
    )
    cost_tier: Literal["economy", "standard", "premium"] = _describe(
        "Which catalog tiers the flow may use: economy, standard or premium.", default="standard"
    )


# ---------------------------------------------------------------------------- trigger


class RateLimit(Block):
    """A token-bucket limit: `limit` events per `period`, bursting up to `burst`."""

    limit: int = _describe("Events admitted per period.", gt=0, le=MAX_COUNT)
    period: PositiveDuration = _describe("The period the limit applies to, e.g. 1s or 1m.", default=1.0)
    burst: int | None = _describe(
        "Largest burst admitted at once; defaults to `limit`.", default=None, gt=0, le=MAX_COUNT
    )


class WebhookAuth(Block):
    """How a webhook proves that a delivery is genuine."""

    scheme: Literal["standard-webhooks", "github", "hmac-sha256", "none"] = _describe(
        "Signature scheme: standard-webhooks, github (X-Hub-Signature-256), hmac-sha256 or none."
    )
    secret: str | None = _describe(
        "The signing secret, as a reference: ${env:NAME}. Never a literal.", default=None
    )
    header: str | None = _describe(
        "Header carrying the signature, for hmac-sha256 (default X-Signature).", default=None
    )
    tolerance: PositiveDuration | None = _describe(
        "Largest accepted age of a signed timestamp (replay protection), e.g. 5m.", default=None
    )


class TriggerBase(Block):
    """Fields every trigger type shares."""

    event_schema: dict[str, Any] | None = _describe(
        "The event's shape as a JSON Schema; templates may only use the fields it declares.",
        default=None,
    )
    example: dict[str, Any] | None = _describe(
        "A sample event; `flowgen run` uses it when no --event is given.", default=None
    )
    idempotency_key: str | None = _describe(
        "Template naming the event uniquely, e.g. '{{ event.id }}': duplicate deliveries run once.",
        default=None,
    )
    dedupe_window: PositiveDuration | None = _describe(
        "How long a seen idempotency key is remembered, e.g. 24h.", default=None
    )
    rate_limit: RateLimit | None = _describe("Ingress rate limit for events.", default=None)

    @field_validator("example")
    @classmethod
    def _finite_example(cls, value: Any) -> Any:
        """An event is JSON: `.nan` and `.inf` (YAML floats) are not (nor is a 5,000-digit int)."""
        bad = _not_json_number(value)
        if bad is not None:
            raise PydanticCustomError(
                "event_number", "{bad} is not a JSON number: an event is JSON", {"bad": bad}
            )
        return value

    concurrency: int | None = _describe(
        "Most events processed at once.", default=None, gt=0, le=MAX_CONCURRENCY
    )


class WebhookTrigger(TriggerBase):
    """An HTTP endpoint that receives events."""

    type: Literal["webhook"] = _describe("An HTTP webhook.")
    path: str = _describe("The URL path, e.g. /hooks/ticket.", pattern=r"^/[A-Za-z0-9_./{}-]*$")
    method: Literal["POST", "PUT"] = _describe("HTTP method accepted.", default="POST")
    auth: WebhookAuth | None = _describe("Signature verification of deliveries.", default=None)


class ScheduleTrigger(TriggerBase):
    """Runs on a timetable: a cron expression or a fixed interval."""

    type: Literal["schedule"] = _describe("A timer.")
    cron: str | None = _describe("Cron expression, e.g. '*/5 * * * *'.", default=None)
    every: PositiveDuration | None = _describe("Fixed interval, e.g. 5m. Use this or `cron`.", default=None)
    timezone: str = _describe("IANA time zone the cron expression is read in.", default="UTC")

    @model_validator(mode="after")
    def _one_timetable(self) -> Self:
        _require_exactly_one(self, "cron", "every", "schedule_timetable", "a schedule trigger")
        return self


class QueueTrigger(TriggerBase):
    """Consumes events from a queue, stream or topic."""

    type: Literal["queue"] = _describe("A queue, stream or topic consumer.")
    source: str = _describe("Broker URL or reference, e.g. kafka://broker:9092 or ${env:QUEUE_URL}.")
    topic: str = _describe("Queue, stream or topic name.")
    group: str | None = _describe("Consumer group.", default=None)
    ack: Literal["after_response", "after_all"] = _describe(
        "When a message is acknowledged: after the hot path, or after async steps too.",
        default="after_response",
    )


Trigger = Annotated[
    WebhookTrigger | ScheduleTrigger | QueueTrigger,
    Field(discriminator="type", description="What starts the flow: webhook, schedule or queue."),
]


# ---------------------------------------------------------------------------- models


class LatencyProfile(Block):
    """Latency percentiles of a model or call."""

    p50: PositiveDuration = _describe("Median latency.")
    p95: PositiveDuration = _describe("95th-percentile latency.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.p95 < self.p50:
            raise PydanticCustomError("latency_order", "p95 must not be below p50")
        return self


class Price(Block):
    """Price in USD per million tokens."""

    input_per_mtok: float = _describe("USD per million input tokens.", ge=0, le=MAX_USD)
    output_per_mtok: float = _describe("USD per million output tokens.", ge=0, le=MAX_USD)


class ProviderLimits(Block):
    """Provider rate limits for a model."""

    rpm: int | None = _describe("Requests per minute.", default=None, gt=0, le=MAX_COUNT)
    tpm: int | None = _describe("Tokens per minute.", default=None, gt=0, le=MAX_TOKENS)


class ModelSpec(Block):
    """A model alias: a catalog entry (`use:`), optionally overridden, or a complete entry."""

    use: str | None = _describe("Catalog id, e.g. openai/gpt-4o-mini; see `flowgen models`.", default=None)
    provider: str | None = _describe("Provider name, e.g. openai, anthropic.", default=None)
    model: str | None = _describe("The provider's model name.", default=None)
    tier: Literal["fast", "balanced", "heavy"] | None = _describe(
        "Speed class: fast, balanced or heavy.", default=None
    )
    latency: LatencyProfile | None = _describe("Latency override (p50/p95).", default=None)
    price: Price | None = _describe("Price override.", default=None)
    context_window: int | None = _describe("Context window in tokens.", default=None, gt=0, le=MAX_TOKENS)
    limits: ProviderLimits | None = _describe("Rate limits (rpm/tpm) for this alias.", default=None)
    base_url: str | None = _describe(
        "OpenAI-compatible endpoint for this alias, e.g. ${env:VLLM_URL}.", default=None
    )

    @model_validator(mode="after")
    def _use_or_complete(self) -> Self:
        if self.use is None and (self.provider is None or self.model is None):
            raise PydanticCustomError(
                "model_spec",
                "a model alias needs `use: provider/model` (a catalog entry) or both `provider` and `model`",
            )
        return self


# ---------------------------------------------------------------------------- steps

RetryClass = Literal[
    "timeout",
    "rate_limit",
    "server_error",
    "connection_error",
    "invalid_output",
    "client_error",
    "validation_error",
]


class Retry(Block):
    """Retry policy of one call."""

    attempts: int | None = _describe(
        "Retries after the first call (so 2 means up to 3 calls). Keep it small.",
        default=None,
        ge=0,
        le=MAX_ATTEMPTS,
    )
    backoff: Literal["none", "constant", "exponential"] | None = _describe(
        "Wait between attempts: none, constant or exponential.", default=None
    )
    initial: Duration | None = _describe("First wait, e.g. 100ms.", default=None)
    max: Duration | None = _describe("Longest wait, e.g. 2s.", default=None)
    jitter: bool | None = _describe("Randomise waits (full jitter) so retries do not align.", default=None)
    on: list[RetryClass | int] | None = _describe(
        "Error classes (timeout, rate_limit, server_error, connection_error, invalid_output, "
        "client_error, validation_error) or HTTP statuses that are retried.",
        default=None,
    )


class Hedge(Block):
    """Hedged request: start the first fallback if no answer has come by `after`."""

    after: Duration = _describe("Delay before the hedge starts, e.g. 600ms.")


class Prompt(Block):
    """The messages of a model call; both are sandboxed Jinja2 templates."""

    system: str | None = _describe(
        "System message. Keep event data out of it (prompt-injection surface).", default=None
    )
    user: str = _describe("User message template, e.g. '{{ event.body }}'.")


class Route(Block):
    """Choose the model per call, from observed latency and price."""

    candidates: list[str] = _describe("Model aliases to choose among.", min_length=1)
    strategy: Literal["cheapest-within-deadline", "fastest", "cheapest", "ordered"] = _describe(
        "cheapest-within-deadline, fastest, cheapest or ordered (first healthy).",
        default="cheapest-within-deadline",
    )


BuildingBlock = Literal["validation-gate", "grounding-gate", "retrieval", "enrichment", "acknowledgement"]


class Why(Block):
    """Why a step exists: the clause of the brief it implements, or the building block it is.

    A drafted flow must not invent work: every step quotes the brief (`brief`, a clause that
    occurs in `flow.brief`, compared case- and whitespace-insensitively), or names the
    production building block it is and the steps it serves (`block` + `serves`), e.g. the
    validation gate of a model step's output or the retrieval an answer is grounded in.
    """

    brief: str | list[str] | None = _describe(
        "The clause of the brief this step implements, quoted (or a list, when the brief states it in "
        "several places), e.g. 'page on-call for urgent tickets'.",
        default=None,
    )
    block: BuildingBlock | None = _describe(
        "The production building block this step is, when it implements no clause on its own.",
        default=None,
    )
    serves: list[str] = _describe("The steps a building block serves.", default_factory=list)

    @model_validator(mode="after")
    def _one_reason(self) -> Self:
        if not self.brief and not self.block:
            raise PydanticCustomError("why_empty", "`why` needs `brief` (a quoted clause) or `block`", {})
        return self


class StepBase(Block):
    """Fields every step type shares."""

    id: str = _describe("Unique step id (lower_snake_case).", pattern=STEP_ID_PATTERN)
    description: str | None = _describe("What the step is for.", default=None)
    why: Why | None = _describe(
        "The brief's clause this step implements, or the building block it is (drafted flows carry it).",
        default=None,
    )
    needs: list[str] = _describe("Steps that must finish before this one starts.", default_factory=list)
    if_: str | None = Field(
        default=None,
        alias="if",
        description="Condition (bare or in {{ }}); when false the step, and steps that only "
        "need it, are skipped.",
    )
    mode: Literal["sync", "async"] = _describe(
        "sync steps may be on the hot path; async steps never delay the response.", default="sync"
    )
    timeout: PositiveDuration | None = _describe("Per-call timeout, e.g. 900ms.", default=None)
    retry: Retry | None = _describe("Retry policy.", default=None)
    idempotency_key: str | None = _describe(
        "Template of a key shared by all retries and fallbacks of this call.", default=None
    )


class ModelStep(StepBase):
    """Calls a language model."""

    type: Literal["model"] = _describe("A language-model call.")
    model: str | None = _describe("Model alias from `models:`.", default=None)
    route: Route | None = _describe("Choose among candidates per call instead of `model`.", default=None)
    fallback: list[str] = _describe("Aliases tried in order when the primary fails.", default_factory=list)
    hedge: Hedge | None = _describe("Start the first fallback if the primary is slow.", default=None)
    prompt: Prompt = _describe("The messages sent.")
    max_tokens: int | None = _describe("Upper bound on output tokens.", default=None, gt=0, le=MAX_TOKENS)
    temperature: float | None = _describe("Sampling temperature.", default=None, ge=0, le=2)
    output_schema: dict[str, Any] | None = _describe(
        "JSON Schema the answer must satisfy; asked for as structured output.", default=None
    )

    @model_validator(mode="after")
    def _model_or_route(self) -> Self:
        _require_exactly_one(self, "model", "route", "model_or_route", "a model step")
        return self


class Rule(Block):
    """One check of a validate step."""

    expr: str = _describe("Condition on `input` that must hold, e.g. input.score >= 0.")
    message: str = _describe("What is wrong when it does not hold.", default="rule failed")


class OnFail(Block):
    """What a validate step does when its input fails."""

    action: Literal["retry", "default", "dead_letter", "fail"] = _describe(
        "retry the producing step, use a default value, dead-letter the event, or fail."
    )
    value: Any = _describe("The default value, for action: default.", default=None)
    attempts: int | None = _describe(
        "Retries of the producing step, for action: retry.", default=None, ge=1, le=10
    )


class ValidateStep(StepBase):
    """A validation gate between steps: a schema and expression rules."""

    type: Literal["validate"] = _describe("A validation gate.")
    input: str = _describe("Template of the value checked, e.g. '{{ steps.classify.output }}'.")
    output_schema: dict[str, Any] | None = _describe(
        "JSON Schema the input must satisfy (also the shape of this step's output).", default=None
    )
    rules: list[Rule] = _describe("Expression rules on `input`.", default_factory=list)
    on_fail: OnFail | None = _describe("What to do when a check fails.", default=None)


class Source(Block):
    """A document source of a retrieve step, pinned to a content hash or a version."""

    path: str = _describe("File glob, relative to the flow file, e.g. docs/*.md.")
    pin: str | None = _describe("Content hash of the matched files: sha256:<hex>.", default=None)
    version: str | None = _describe("Version label or date the documents were published.", default=None)


class OnEmpty(Block):
    """What a retrieve step does when nothing matches."""

    action: Literal["default", "fail", "dead_letter", "skip"] = _describe(
        "Use a default value, fail, dead-letter the event or skip dependants."
    )
    value: Any = _describe("The default value, for action: default.", default=None)


class RetrieveStep(StepBase):
    """Looks documents up (BM25 over pinned local sources)."""

    type: Literal["retrieve"] = _describe("A document lookup.")
    query: str = _describe("Template of the search query.")
    sources: list[Source] = _describe("Pinned document sources.", min_length=1)
    freshness: PositiveDuration | None = _describe("Refuse sources older than this, e.g. 24h.", default=None)
    top_k: int | None = _describe("Most passages returned.", default=None, gt=0, le=MAX_TOP_K)
    on_empty: OnEmpty | None = _describe("What to do when nothing matches.", default=None)
    latency: LatencyProfile | None = _describe(
        "Expected latency, for estimates (default p50 20ms, p95 50ms).", default=None
    )


class TransformStep(StepBase):
    """Builds a JSON value from templates (no I/O)."""

    type: Literal["transform"] = _describe("A sandboxed template transform.")
    output: Any = _describe("The value produced; strings in it are templates.")
    output_schema: dict[str, Any] | None = _describe("JSON Schema of the output.", default=None)


class HttpRequest(Block):
    """An outgoing HTTP request."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = _describe("HTTP method.", default="POST")
    url: str = _describe("URL; may be a ${env:NAME} reference.")
    headers: dict[str, str] = _describe("Request headers (templates).", default_factory=dict)
    json_body: Any = Field(default=None, alias="json", description="JSON body (strings are templates).")


class HttpStep(StepBase):
    """Calls an HTTP API (a side effect unless the method is GET)."""

    type: Literal["http"] = _describe("An HTTP call.")
    request: HttpRequest = _describe("The request sent.")
    output_schema: dict[str, Any] | None = _describe("JSON Schema of the response body.", default=None)
    latency: LatencyProfile | None = _describe(
        "Expected latency of the API, for estimates (default p50 100ms, p95 300ms).", default=None
    )


Step = Annotated[
    ModelStep | ValidateStep | RetrieveStep | TransformStep | HttpStep,
    Field(discriminator="type"),
]
STEP_TYPES = ("model", "validate", "retrieve", "transform", "http")

# ---------------------------------------------------------------------------- respond, errors


class DeadlineAnswer(Block):
    """The answer sent when the SLA deadline passes before the hot path is done."""

    status: int = _describe("HTTP status, usually 202.", default=202, ge=100, le=599)
    body: Any = _describe("Response body (strings are templates over `event`).", default=None)


class Respond(Block):
    """The response: sent as soon as the steps it needs are done."""

    needs: list[str] = _describe(
        "Steps the response waits for; the hot path ends here.", default_factory=list
    )
    status: int = _describe("HTTP status.", default=200, ge=100, le=599)
    body: Any = _describe("Response body (strings are templates).", default=None)
    on_deadline: DeadlineAnswer | None = _describe(
        "Answer when the SLA deadline passes; the rest finishes as async work.", default=None
    )


class DeadLetter(Block):
    """Where failed events go, with enough to replay them."""

    path: str = _describe("JSON-lines file, e.g. .flowgen/dead-letter.jsonl.")


class OnError(Block):
    """What happens to an event that fails."""

    dead_letter: DeadLetter | None = _describe("Dead-letter file for failed events.", default=None)


# ---------------------------------------------------------------------------- observability


class Tracing(Block):
    """Trace export."""

    exporter: Literal["otlp", "console", "jsonl", "none"] = _describe("otlp, console, jsonl or none.")
    endpoint: str | None = _describe("OTLP endpoint, e.g. ${env:OTEL_EXPORTER_OTLP_ENDPOINT}.", default=None)
    path: str | None = _describe("File for the jsonl exporter.", default=None)
    sample_ratio: float = _describe("Fraction of events traced.", default=1.0, ge=0, le=1)


class Metrics(Block):
    """Metric export."""

    exporter: Literal["prometheus", "otlp", "console", "none"] = _describe(
        "prometheus, otlp, console or none."
    )
    port: int | None = _describe("Port of the Prometheus scrape endpoint.", default=None, ge=1, le=65535)
    endpoint: str | None = _describe("OTLP endpoint.", default=None)


class Alert(Block):
    """An alert on one metric."""

    metric: Literal[
        "error_rate",
        "latency_p95",
        "latency_p99",
        "cost_per_event",
        "fallback_rate",
        "retry_rate",
        "sla_attainment",
        "dead_letter_rate",
    ] = _describe("The metric watched.")
    above: float | str | None = _describe("Fire above this (a rate, USD, or a duration).", default=None)
    below: float | str | None = _describe("Fire below this (for sla_attainment).", default=None)
    window: PositiveDuration = _describe("Evaluation window, e.g. 5m.", default=300.0)


class Observability(Block):
    """Traces, metrics, redaction and alerts."""

    tracing: Tracing | None = _describe("Trace export.", default=None)
    metrics: Metrics | None = _describe("Metric export.", default=None)
    redact: list[str] = _describe(
        "Event fields (event.email) kept out of traces and logs.", default_factory=list
    )
    alerts: list[Alert] = _describe("Alerts on error rate, latency and cost.", default_factory=list)


# ---------------------------------------------------------------------------- tests


class Burst(Block):
    """A burst of `size` events every `every`."""

    size: int = _describe("Events in one burst.", gt=0, le=MAX_COUNT)
    every: PositiveDuration = _describe("Time between bursts.")


class Stage(Block):
    """One stage of a ramping-arrival-rate load."""

    duration: PositiveDuration = _describe("How long the stage lasts.")
    target: RateValue = _describe("Arrival rate reached at the end of the stage, e.g. 100/s.")


class Load(Block):
    """Synthetic load, on the open model (arrival rate, not a fixed number of users)."""

    executor: Literal["constant-arrival-rate", "ramping-arrival-rate", "burst"] = _describe(
        "constant-arrival-rate, ramping-arrival-rate or burst."
    )
    events: int | None = _describe("Total events sent.", default=None, gt=0, le=MAX_COUNT)
    rate: RateValue | None = _describe("Arrival rate, e.g. 50/s.", default=None)
    duration: PositiveDuration | None = _describe("How long the load runs.", default=None)
    stages: list[Stage] = _describe("Stages of a ramping-arrival-rate load.", default_factory=list)
    burst: Burst | None = _describe("Bursts on top of the arrival rate.", default=None)


class Chaos(Block):
    """A fault injected at the provider boundary (toxiproxy vocabulary)."""

    target: str = _describe(
        "model:ALIAS, step:ID, http:* (wildcards allowed).", pattern=r"^(model|step|http):\S+$"
    )
    type: Literal["latency", "timeout", "error", "slow_first_token", "invalid_output"] = _describe(
        "latency, timeout (a hang), error, slow_first_token or invalid_output."
    )
    latency: Duration | None = _describe("Added latency, for latency and slow_first_token.", default=None)
    jitter: Duration | None = _describe("Random spread added to `latency`.", default=None)
    status: int | None = _describe("HTTP status, for error: 429, 500, 503…", default=None, ge=400, le=599)
    toxicity: float = _describe("Probability a call is affected.", default=1.0, ge=0, le=1)


class Tests(Block):
    """The flow's own load, chaos and thresholds, run by `flowgen test`."""

    load: Load | None = _describe("Synthetic load.", default=None)
    chaos: list[Chaos] = _describe("Faults injected during the load.", default_factory=list)
    thresholds: dict[str, list[str]] = _describe(
        "k6-style pass/fail criteria per metric, e.g. latency: ['p(95)<1500ms'].",
        default_factory=dict,
    )


# ---------------------------------------------------------------------------- the flow


class Flow(Block):
    """A realtime automation: trigger, steps, response, and what makes it production-ready."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        title="flowgen flow (apiVersion flowgen/v1)",
        allow_inf_nan=False,
    )

    api_version: Literal["flowgen/v1"] = Field(alias="apiVersion", description="Always flowgen/v1.")
    kind: Literal["Flow"] = _describe("Always Flow.")
    name: str = _describe("Flow name (kebab-case).", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    description: str | None = _describe("One line on what the flow does.", default=None)
    brief: str | None = _describe("The plain-English brief the flow was drafted from.", default=None)
    sla: Sla | None = _describe("Latency and cost targets.", default=None)
    trigger: Trigger
    models: dict[str, ModelSpec] = _describe("Model aliases used by steps.", default_factory=dict)
    steps: list[Step] = _describe("The work, as a DAG by `needs`.", min_length=1)
    respond: Respond | None = _describe("The response to the trigger.", default=None)
    on_error: OnError | None = _describe("Failure handling.", default=None)
    observability: Observability | None = _describe("Traces, metrics, redaction, alerts.", default=None)
    tests: Tests | None = _describe("Load and chaos tests with thresholds.", default=None)

    def step(self, step_id: str) -> ModelStep | ValidateStep | RetrieveStep | TransformStep | HttpStep:
        """The step named `step_id` (KeyError if none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    @property
    def latency_sla(self) -> float | None:
        """The latency target `sla.latency_p95` in seconds; None when the flow sets none."""
        return self.sla.latency_p95 if self.sla is not None else None

    @property
    def cost_budget(self) -> float | None:
        """The cost target `sla.max_cost_per_event` in USD; None when the flow sets none."""
        return self.sla.max_cost_per_event if self.sla is not None else None


AnyStep = ModelStep | ValidateStep | RetrieveStep | TransformStep | HttpStep
CallStep = ModelStep | RetrieveStep | HttpStep  # the steps that call out: timeout, retry, latency

# Key order of a flow file (docs/architecture.md, "The flow file"): the dumper and the fixer follow it.
TOP_LEVEL_ORDER = [
    "apiVersion",
    "kind",
    "name",
    "description",
    "brief",
    "sla",
    "trigger",
    "models",
    "steps",
    "respond",
    "on_error",
    "observability",
    "tests",
]


def _build_flow_validator() -> None:
    """Build the `Flow` validator once, here, without pydantic's plugin discovery.

    Blocks are declared with `defer_build` so pydantic generates one schema for the whole
    flow instead of one per block, and plugin discovery (a scan of every installed
    distribution's entry points, ~20 ms of every `flowgen validate`) is skipped: flowgen's
    own models use no plugins, the same choice typer makes for its parameter adapters; nor is
    pydantic's plugin loader imported for it (the stand-in below, with its bench figure).
    Blocks validated on their own (``Retry.model_validate``) still build lazily on first use.
    """
    import os
    import sys
    import types

    before = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    # pydantic's plugin loader imports importlib.metadata when it is first imported, before it
    # reads PYDANTIC_DISABLE_PLUGINS: ~17 ms, `flowgen validate` 1.98x -> 1.85x the baseline
    # imports without it (bench/README.md, "Start-up, second round"). While this one validator
    # is built, a loader that answers "no plugins" (what the real one answers under
    # `__all__`) stands in for it; it is removed after, so any later validator (typer's,
    # another library's) imports the real loader and finds the plugins installed.
    loader = "pydantic.plugin._loader"
    stand_in = None
    if loader not in sys.modules:
        stand_in = types.ModuleType(loader, "No pydantic plugins (flowgen's Flow validator is built)")
        stand_in.get_plugins = lambda *args, **kwargs: ()  # type: ignore[attr-defined]
        sys.modules[loader] = stand_in
    try:
        Flow.model_rebuild(force=True)
    finally:
        if stand_in is not None and sys.modules.get(loader) is stand_in:
            del sys.modules[loader]
        if before is None:
            os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = before


_build_flow_validator()
