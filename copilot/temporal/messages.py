"""What travels between the client, the workflow and the activities (Temporal payloads).

Plain dataclasses, converted to JSON by Temporal's default data converter. An event's
input names its flow by content hash (`flow_id`): the workflow finds its plan, and the
activities the flow's providers, sources and secrets, among the flows the worker was
started with (`copilot.temporal.compiled.remember`). The flow's text travels only when
the starter asks for it (`start_event(..., carry_text=True)`, and histories recorded
before): then the workflow reads its plan from the text (cached by hash). The text is
most of an input (support-triage's 6 kB, in the parent's start event and twice for its
child), so by hash an event writes less than half the history (14 kB, not 33 kB:
`bench/bench_temporal.py`, `history_bytes_per_event`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    AdvancedJSONEncoder,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

FLOW_WORKFLOW = "flowgen.flow"
MODEL_ACTIVITY = "flowgen.model"
HTTP_ACTIVITY = "flowgen.http"
RETRIEVE_ACTIVITY = "flowgen.retrieve"
RESPONSE_QUERY = "flowgen.response"
RESPONSE_UPDATE = "flowgen.await_response"
DEFAULT_TASK_QUEUE = "flowgen"
# How the workflow runs its calls (`FlowInput.activities`): `remote`, each an activity task
# any worker of the queue may take; `local`, a local activity (in the worker running the
# workflow task) where nothing waits behind it, `workflow.Interpretation.runs_locally`
# (docs/scale-out.md, "Activities or local activities").
ACTIVITY_MODES = ("remote", "local")


@dataclass
class FlowInput:
    """One event for one flow: the workflow's input."""

    flow_text: str  # "" when only the hash travels (the worker's own copy of the flow)
    flow_id: str  # the text's content hash (copilot.temporal.compiled.flow_id)
    event: dict[str, Any]
    seed: int = 0
    key: str | None = None  # the trigger's idempotency key, rendered
    # An async branch (a child workflow): the steps it runs and the outputs it starts from.
    steps: list[str] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    t0: float | None = None  # the parent's arrival (workflow time): branch timings count from it
    traced: bool = False  # the client traces (TracingInterceptor): the workflow records its spans
    activities: str = "remote"  # one of ACTIVITY_MODES; a branch inherits its parent's
    request: str | None = None  # the event's hash (`request_hash`): a key reused for another is a conflict
    # The model every call sends instead of its alias's (`run --model-override`, the worker's
    # provider): the workflow's router prices by it (`routing.flow_router`); a branch inherits it.
    model_override: str | None = None


@dataclass
class ModelCall:
    """One call of one model alias (one attempt per activity attempt)."""

    flow_id: str
    step_id: str
    alias: str
    system: str | None
    user: str
    key: str | None
    seed: int
    hedge: bool = False
    redacted: list[str] = field(default_factory=list)  # the event's `observability.redact` values


@dataclass
class HttpCall:
    """One http step's request, rendered (secrets still `${env:…}`: resolved by the activity)."""

    flow_id: str
    step_id: str
    method: str
    url: str
    headers: dict[str, str]
    body: Any
    key: str | None


@dataclass
class RetrieveCall:
    """One retrieve step: the event and the outputs its query may read."""

    flow_id: str
    step_id: str
    event: dict[str, Any]
    outputs: dict[str, Any]


class OrderedJSONPayloadConverter(JSONPlainPayloadConverter):
    """JSON payloads that keep each mapping's key order.

    The SDK's converter sorts keys. A step's output or an event then reaches the workflow
    and the activities in another order than on the local engine, and a template that
    renders a mapping (`json: "{{ steps.features.output }}"`, a prompt quoting an object)
    sends other text to the model or the API than `flowgen run` does. Kept in order, the
    same flow sends the same requests on both engines.
    """

    def to_payload(self, value: Any) -> Payload | None:
        text = json.dumps(value, cls=AdvancedJSONEncoder, separators=(",", ":"))
        return Payload(metadata={"encoding": self.encoding.encode()}, data=text.encode())


class OrderedPayloadConverter(CompositePayloadConverter):
    """The SDK's default payload converters, with `OrderedJSONPayloadConverter` for JSON."""

    def __init__(self) -> None:
        super().__init__(
            *(
                OrderedJSONPayloadConverter() if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


# Every client (`copilot.temporal.client.connect`), and so every worker built on one, and the replay test.
DATA_CONVERTER = dataclasses.replace(DataConverter.default, payload_converter_class=OrderedPayloadConverter)
