"""Fault injection: the --chaos syntax, and what each fault does at the provider boundary."""

from __future__ import annotations

import asyncio
import json

import pytest

from copilot.catalog import default_catalog
from copilot.errors import FlowgenError
from copilot.flow.load import load_flow_text
from copilot.run.chaos import (
    GARBAGE,
    ChaosHttpClient,
    ChaosProvider,
    Fault,
    Injector,
    begin_event,
    http_step_urls,
    parse_chaos,
    unmatched,
)
from copilot.run.clock import run_virtual
from copilot.run.providers.base import HttpResponse, ModelRequest, ModelResponse, ProviderError

from .conftest import mini_flow

# ---------------------------------------------------------------------------- the syntax


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("model:fast:latency:500ms±300ms@0.5", Fault("model", "fast", "latency", 0.5, 0.3, None, 0.5)),
        ("model:fast:latency:500ms+-300ms@50%", Fault("model", "fast", "latency", 0.5, 0.3, None, 0.5)),
        ("model:*:error:503@5%", Fault("model", "*", "error", status=503, toxicity=0.05)),
        ("model:fast:timeout@0.02", Fault("model", "fast", "timeout", toxicity=0.02)),
        ("step:answer:slow_first_token:1.5s", Fault("step", "answer", "slow_first_token", 1.5)),
        ("model:back*:invalid_output", Fault("model", "back*", "invalid_output")),
        (
            "http:https://pager.example/*:error:429@0.1",
            Fault("http", "https://pager.example/*", "error", status=429, toxicity=0.1),
        ),
        (
            '{target: "model:fast", type: timeout, toxicity: 0.02}',
            Fault("model", "fast", "timeout", toxicity=0.02),
        ),
        ('{"target": "http:*", "type": "error", "status": 500}', Fault("http", "*", "error", status=500)),
    ],
)
def test_chaos_specs(spec, expected):
    assert parse_chaos(spec) == expected


@pytest.mark.parametrize(
    "fault",
    [
        Fault("model", "fast", "latency", 0.5, 0.3, None, 0.5),
        Fault("model", "*", "error", status=503, toxicity=0.05),
        Fault("step", "answer", "slow_first_token", 0.25),
        Fault("model", "fast", "timeout", toxicity=0.02),
    ],
)
def test_describe_reads_back_as_the_same_fault(fault):
    assert parse_chaos(fault.describe()) == fault


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("model:fast:latancy:500ms", "unknown fault `latancy`, did you mean `latency`?"),
        ("modle:fast:timeout", "unknown target `modle`, did you mean `model`?"),
        ("model:fast:error", "needs an HTTP status"),
        ("model:fast:error:200", "400 to 599"),
        ("model:fast:latency", "needs a duration"),
        ("model:fast:latency:500", "`500` is not a duration"),
        ("model:fast:timeout:3s", "takes no argument"),
        ("model:fast:timeout@1.5", "between 0 and 1"),
        ("model:fast:timeout@often", "not a probability"),
        ("fast", "not a fault"),
        ('{target: "model:fast"}', "type: Field required"),
        ("{target: model:fast}", "type: Field required"),  # valid YAML 1.2, though libyaml refuses it
        ("{target: 'model:fast', type: timeout", "YAML syntax"),
        ("{target: 'model:fast', type: latency, latency: 5}", "has no unit"),
        ("{target: 'model:fast', type: error}", "needs `status`"),
        ("{target: 'model:fast', type: timeout, status: 503}", "only applies to error faults"),
    ],
)
def test_bad_chaos_specs_are_one_clear_line(spec, message):
    with pytest.raises(FlowgenError) as info:
        parse_chaos(spec)
    text = str(info.value)
    assert message in text
    assert "\n" not in text and text.startswith("--chaos")


# ---------------------------------------------------------------------------- injection

PROFILE = default_catalog().get("openai/gpt-4o-mini")


def request(alias="fast", step="answer", attempt=0) -> ModelRequest:
    return ModelRequest(alias=alias, profile=PROFILE, system=None, user="hi", step_id=step, attempt=attempt)


class Instant:
    """A provider that answers at once with valid JSON, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, req: ModelRequest) -> ModelResponse:
        self.calls += 1
        return ModelResponse('{"ok": true}', 1, 1, "m", 0.0)


def run_calls(faults, calls, seed=0, event=0):
    """Run `calls` (alias, step) model calls in virtual time; returns (outcome, seconds) per call."""
    inner = Instant()
    chaos = ChaosProvider(inner, Injector(faults, seed))

    async def main():
        out = []
        for i, (alias, step) in enumerate(calls):
            begin_event(event * 100_000 + i)
            loop = asyncio.get_running_loop()
            start = loop.time()
            try:
                async with asyncio.timeout(30):
                    response = await chaos.complete(request(alias, step))
                outcome = response.content
            except ProviderError as exc:
                outcome = exc
            except TimeoutError:
                outcome = "hang"
            out.append((outcome, loop.time() - start))
        return out

    return run_virtual(main()), inner, chaos.injector


def test_latency_with_jitter_stays_in_its_range_and_hits_about_its_toxicity():
    fault = parse_chaos("model:fast:latency:500ms±300ms@0.5")
    results, inner, injector = run_calls([fault], [("fast", "answer")] * 2000)
    delays = [d for _, d in results]
    hit = [d for d in delays if d > 0]
    assert inner.calls == 2000
    assert 900 < len(hit) < 1100  # binomial(2000, 0.5): ±10 sd
    assert min(hit) >= 0.2 - 1e-9 and max(hit) <= 0.8 + 1e-9
    assert 0.48 < sum(hit) / len(hit) < 0.52  # uniform jitter centred on 500 ms
    assert injector.injected[fault.describe()] == len(hit)


def test_faults_only_hit_their_target():
    faults = [parse_chaos("model:fast:error:503"), parse_chaos("step:classify:latency:1s")]
    results, _, _ = run_calls(faults, [("fast", "answer"), ("backup", "answer"), ("backup", "classify")])
    (first, _), (second, second_t), (third, third_t) = results
    assert isinstance(first, ProviderError) and first.kind == "server_error" and first.status == 503
    assert second == '{"ok": true}' and second_t == 0
    assert third == '{"ok": true}' and third_t == pytest.approx(1.0)


def test_429_is_a_rate_limit_with_retry_after():
    results, _, _ = run_calls([parse_chaos("model:*:error:429")], [("any", "s")])
    error = results[0][0]
    assert isinstance(error, ProviderError)
    assert (error.kind, error.status, error.retry_after) == ("rate_limit", 429, 1.0)


def test_timeout_hangs_until_the_caller_gives_up():
    results, inner, _ = run_calls([parse_chaos("model:fast:timeout")], [("fast", "a")])
    assert results[0] == ("hang", pytest.approx(30.0))
    assert inner.calls == 0


def test_invalid_output_is_garbage_that_is_not_json():
    results, _, _ = run_calls([parse_chaos("model:fast:invalid_output")], [("fast", "a")])
    assert results[0][0] == GARBAGE
    with pytest.raises(json.JSONDecodeError):
        json.loads(GARBAGE)


def test_slow_first_token_delays_the_start_of_the_call():
    results, _, _ = run_calls([parse_chaos("model:fast:slow_first_token:800ms")], [("fast", "a")])
    assert results[0] == ('{"ok": true}', pytest.approx(0.8))


def test_dice_are_seeded_per_event_not_per_call_order():
    faults = [parse_chaos("model:*:error:500@0.3")]
    calls = [("fast", "a")] * 200
    once, _, _ = run_calls(faults, calls, seed=5)
    again, _, _ = run_calls(faults, calls, seed=5)
    other, _, _ = run_calls(faults, calls, seed=6)

    def errors(results):
        return [isinstance(o, ProviderError) for o, _ in results]

    assert errors(once) == errors(again)
    assert errors(once) != errors(other)
    assert 30 < sum(errors(once)) < 90


def test_repeated_calls_within_one_event_roll_afresh():
    # The same alias, step and attempt called twice in one event (a validate re-run, say)
    # must not be doomed to repeat the first call's fate.
    chaos = ChaosProvider(Instant(), Injector([parse_chaos("model:*:error:500@0.5")], 0))

    async def main():
        fates = []
        for event in range(200):
            begin_event(event)
            pair = []
            for _ in range(2):
                try:
                    await chaos.complete(request())
                    pair.append(True)
                except ProviderError:
                    pair.append(False)
            fates.append(tuple(pair))
        return fates

    fates = run_virtual(main())
    assert sum(a != b for a, b in fates) > 50


# ---------------------------------------------------------------------------- http


class SimHttp:
    wants_hints = True
    resolves_env = False

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def request(self, method, url, headers, json, timeout, **hints):
        self.sent.append((url, hints))
        return HttpResponse(200, {"ok": True}, "", {})


def test_http_error_fault_is_an_http_answer_with_retry_after():
    inner = SimHttp()
    client = ChaosHttpClient(inner, Injector([parse_chaos("http:page_*:error:429")], 0))

    async def main():
        hit = await client.request("POST", "${env:PAGER}", {}, {}, 1.0, step_id="page_oncall")
        miss = await client.request("POST", "${env:PAGER}", {}, {}, 1.0, step_id="notify")
        return hit, miss

    hit, miss = run_virtual(main())
    assert hit.status == 429 and hit.headers == {"retry-after": "1"}
    assert miss.status == 200
    assert inner.sent == [("${env:PAGER}", {"step_id": "notify"})]  # hints pass through


def test_http_steps_are_found_by_url_when_the_engine_gives_no_hint():
    text = mini_flow().replace(
        "respond:",
        "  - id: notify\n    type: http\n    needs: [reply]\n    request: {url: 'https://hooks.example/x'}\n"
        "    timeout: 1s\nrespond:",
    )
    flow = load_flow_text(text, "f.yaml").flow
    assert http_step_urls(flow) == {"https://hooks.example/x": "notify"}
    client = ChaosHttpClient(
        SimHttp(), Injector([parse_chaos("step:notify:error:500")], 0), http_step_urls(flow)
    )
    response = run_virtual(client.request("POST", "https://hooks.example/x", {}, None, 1.0))
    assert response.status == 500


def test_unmatched_faults_are_named():
    flow = load_flow_text(mini_flow(), "f.yaml").flow
    faults = [
        parse_chaos("model:main:timeout"),
        parse_chaos("model:fast:timeout"),
        parse_chaos("step:nope:timeout"),
    ]
    assert [f.pattern for f in unmatched(faults, flow)] == ["fast", "nope"]
