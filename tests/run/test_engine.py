"""The engine's DAG, deadline and failure semantics, on virtual time (exact offsets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.errors import FlowgenError
from copilot.run.engine import Engine
from copilot.run.providers.base import ProviderError

from .conftest import Behaviour, RecordingHttp, ScriptedProvider, flow_from

HEAD = """
apiVersion: flowgen/v1
kind: Flow
name: t
trigger:
  {type: webhook, path: /t, event_schema: {type: object, required: [id], properties: {id: {type: string}}}}
models:
  a: {use: openai/gpt-4o-mini}
  b: {use: anthropic/claude-haiku-4-5}
  c: {use: openai/gpt-4.1-nano}
"""


def engine(text: str, provider, tmp_path: Path, **kw) -> Engine:
    return Engine(flow_from(HEAD + text), provider=provider, base_dir=tmp_path, **kw)


def test_independent_steps_run_in_parallel(virtual, tmp_path):
    provider = ScriptedProvider({"a": Behaviour(0.3), "b": Behaviour(0.5)})
    eng = engine(
        """
steps:
  - {id: one, type: model, model: a, prompt: {user: "x {{ event.id }}"}, timeout: 2s}
  - {id: two, type: model, model: b, prompt: {user: "y"}, timeout: 2s}
  - {id: both, type: transform, needs: [one, two], output: {n: "{{ steps.one.output }}"}}
respond: {needs: [both], body: {ok: true}}
""",
        provider,
        tmp_path,
    )

    async def main():
        return await eng.handle({"id": "e1"})

    result = virtual(main())
    assert result.response_status == 200
    assert result.steps["one"].start == result.steps["two"].start == 0.0
    # The join waits for the slower branch only: 0.5 s, not 0.3 + 0.5.
    assert result.latency == pytest.approx(0.5)
    assert result.steps["both"].start == pytest.approx(0.5)


def test_if_skips_transitively_and_partial_skip_runs(virtual, tmp_path):
    eng = engine(
        """
steps:
  - {id: gate, type: transform, output: {go: false}}
  - {id: maybe, type: transform, needs: [gate], if: "steps.gate.output.go", output: 1}
  - {id: after, type: transform, needs: [maybe], output: 2}
  - {id: mixed, type: transform, needs: [maybe, gate], output: "{{ steps.maybe.output is none }}"}
respond: {needs: [after, mixed], body: {after: "{{ steps.after.output }}", mixed: "{{ steps.mixed.output }}"}}
""",
        ScriptedProvider(),
        tmp_path,
    )
    result = virtual(eng.handle({"id": "e"}))
    assert result.steps["maybe"].status == "skipped"
    assert result.steps["after"].status == "skipped"  # its only need was skipped
    assert result.steps["mixed"].status == "ok"  # one need ran
    assert result.response_body == {"after": None, "mixed": True}


def test_hanging_model_answers_on_deadline_within_sla(virtual, tmp_path):
    provider = ScriptedProvider({"a": Behaviour(latency=None)})
    eng = engine(
        """
sla: {latency_p95: 800ms}
steps:
  - {id: slow, type: model, model: a, prompt: {user: hi}, timeout: 5s, retry: {attempts: 3}}
respond:
  needs: [slow]
  body: {done: true}
  on_deadline: {status: 202, body: {id: "{{ event.id }}", status: queued}}
""",
        provider,
        tmp_path,
    )

    async def main():
        result = await eng.handle({"id": "e9"})
        await eng.drain()
        return result

    result = virtual(main())
    assert result.deadline_hit
    assert result.response_status == 202
    assert result.response_body == {"id": "e9", "status": "queued"}
    assert result.latency == pytest.approx(0.8, abs=1e-6)
    # The call got the remaining budget (800 ms), not its own 5 s timeout.
    assert provider.requests[0].timeout == pytest.approx(0.8)
    # After the deadline answer the retries went on as async work, with the full timeout.
    assert provider.requests[1].timeout == pytest.approx(5.0)
    assert result.steps["slow"].status == "failed"
    assert result.steps["slow"].after_response


def test_retry_that_cannot_fit_answers_on_deadline_early(virtual, tmp_path):
    error = ProviderError("server_error", "boom", status=503)
    provider = ScriptedProvider({"a": Behaviour(0.4, errors=[error, None])})
    eng = engine(
        """
sla: {latency_p95: 1s}
steps:
  - id: s
    type: model
    model: a
    prompt: {user: hi}
    timeout: 900ms
    retry: {attempts: 1, backoff: constant, initial: 500ms}
respond: {needs: [s], body: {ok: true}, on_deadline: {status: 202, body: queued}}
""",
        provider,
        tmp_path,
    )

    async def main():
        result = await eng.handle({"id": "e"})
        await eng.drain()
        return result

    result = virtual(main())
    # 0.4 s call failed; waiting 0.5 s and a call of ~0.4 s (gpt-4o-mini's p50) cannot fit in 0.6 s.
    assert result.deadline_hit and result.response_body == "queued"
    assert result.latency == pytest.approx(0.4)
    # The retry still ran, after the response, and succeeded.
    assert result.steps["s"].status == "ok"
    assert result.steps["s"].retries == 1
    assert provider.calls[1][1] == pytest.approx(0.9)


def test_fallback_after_retries_and_error_classes(virtual, tmp_path):
    errors = [
        ProviderError("server_error", "x", status=500),
        ProviderError("client_error", "bad", status=400),
    ]
    provider = ScriptedProvider({"a": Behaviour(0.1, errors=errors), "b": Behaviour(0.2)})
    eng = engine(
        """
steps:
  - id: s
    type: model
    model: a
    fallback: [b]
    prompt: {user: hi}
    timeout: 1s
    retry: {attempts: 3, backoff: none, on: [server_error]}
respond: {needs: [s], body: "{{ steps.s.output }}"}
""",
        provider,
        tmp_path,
    )
    result = virtual(eng.handle({"id": "e"}))
    # First call 500 (retried), second 400 (not retryable): fall back to b.
    assert [c[0] for c in provider.calls] == ["a", "a", "b"]
    record = result.steps["s"]
    assert record.model == "b" and record.fallback_used and record.retries == 1 and record.attempts == 3
    assert result.response_status == 200


def test_hedge_wins_and_loser_is_cancelled(virtual, tmp_path):
    provider = ScriptedProvider({"a": Behaviour(2.0), "b": Behaviour(0.3)})
    eng = engine(
        """
steps:
  - {id: s, type: model, model: a, fallback: [b], hedge: {after: 500ms}, prompt: {user: hi}, timeout: 5s}
respond: {needs: [s], body: ok}
""",
        provider,
        tmp_path,
    )
    result = virtual(eng.handle({"id": "e"}))
    assert result.latency == pytest.approx(0.8)  # 0.5 s hedge delay + 0.3 s of b
    assert result.steps["s"].hedge_won and result.steps["s"].model == "b"
    assert provider.cancelled == ["a"]
    assert [a.status for a in result.attempts] == ["ok", "cancelled"] or {
        a.status for a in result.attempts
    } == {
        "ok",
        "cancelled",
    }


def test_failed_hot_step_gives_error_and_dead_letter(virtual, tmp_path):
    provider = ScriptedProvider(
        {"a": Behaviour(0.1, errors=[ProviderError("client_error", "nope", status=400)])}
    )
    dead = tmp_path / "dl" / "dead.jsonl"
    eng = engine(
        """
steps:
  - {id: s, type: model, model: a, prompt: {user: "hi {{ event.id }}"}, timeout: 1s}
  - {id: t, type: transform, needs: [s], output: 1}
respond: {needs: [t], body: ok}
on_error: {dead_letter: {path: dl/dead.jsonl}}
""",
        provider,
        tmp_path,
    )

    async def main():
        result = await eng.handle({"id": "e7", "secret_field": "x"})
        await eng.drain()
        return result

    result = virtual(main())
    assert result.response_status == 500
    assert "step `s` failed" in result.error
    assert result.steps["t"].status == "cancelled"
    assert result.dead_lettered
    lines = dead.read_text().splitlines()
    assert len(lines) == 1
    letter = json.loads(lines[0])
    assert letter["event"] == {"id": "e7", "secret_field": "x"}  # enough to replay
    assert letter["step"] == "s" and letter["kind"] == "client_error"
    assert letter["attempts"][0]["model"] == "a" and letter["attempts"][0]["status"] == "error"


def test_async_step_runs_after_response_and_drain_waits(virtual, tmp_path):
    provider = ScriptedProvider({"a": Behaviour(0.2), "b": Behaviour(3.0)})
    eng = engine(
        """
steps:
  - {id: fast, type: model, model: a, prompt: {user: hi}, timeout: 1s}
  - {id: slow, type: model, model: b, mode: async, needs: [fast], prompt: {user: later}, timeout: 10s}
respond: {needs: [fast], body: ok}
""",
        provider,
        tmp_path,
    )

    async def main():
        result = await eng.handle({"id": "e"})
        assert result.steps["slow"].status == "running"
        assert not result.done
        await eng.drain()
        return result

    result = virtual(main())
    assert result.latency == pytest.approx(0.2)
    assert result.total_time == pytest.approx(3.2)
    assert result.steps["slow"].status == "ok" and result.steps["slow"].after_response
    assert result.cost == pytest.approx(result.steps["fast"].cost + result.steps["slow"].cost)


def test_event_level_idempotent_replay_calls_provider_once(virtual, tmp_path):
    provider = ScriptedProvider()
    eng = Engine(
        flow_from(
            HEAD.replace("path: /t,", "path: /t, idempotency_key: '{{ event.id }}',")
            + """
steps:
  - {id: s, type: model, model: a, prompt: {user: "hi {{ event.id }}"}, timeout: 1s}
respond: {needs: [s], body: "{{ steps.s.output }}"}
"""
        ),
        provider=provider,
        base_dir=tmp_path,
    )

    async def main():
        first = await eng.handle({"id": "same"})
        second = await eng.handle({"id": "same"})
        conflict = await eng.handle({"id": "same", "other": 1})
        return first, second, conflict

    first, second, conflict = virtual(main())
    assert provider.count() == 1
    assert second.replayed and second.response_body == first.response_body
    assert conflict.response_status == 409


def test_step_level_idempotency_key_replays_the_call(virtual, tmp_path):
    provider = ScriptedProvider()
    eng = engine(
        """
steps:
  - {id: s, type: model, model: a, prompt: {user: "hi {{ event.id }}"}, timeout: 1s,
     idempotency_key: "{{ event.id }}:s"}
respond: {needs: [s], body: "{{ steps.s.output }}"}
""",
        provider,
        tmp_path,
    )

    async def main():
        one = await eng.handle({"id": "k"})
        two = await eng.handle({"id": "k", "noise": True})  # a different event, the same call
        return one, two

    one, two = virtual(main())
    assert provider.count() == 1
    assert two.steps["s"].replayed and two.response_body == one.response_body
    # Retries of one call carry the key to the provider.
    assert provider.requests[0].idempotency_key == "k:s"


def test_invalid_output_is_retried_when_listed(virtual, tmp_path):
    outputs = iter(['{"label": "nonsense"}', '{"label": "yes"}'])
    provider = ScriptedProvider({"a": Behaviour(0.1, content=lambda r: next(outputs))})
    eng = engine(
        """
steps:
  - id: s
    type: model
    model: a
    prompt: {user: hi}
    output_schema: {type: object, required: [label], properties: {label: {enum: ["yes", "no"]}}}
    timeout: 1s
    retry: {attempts: 1, backoff: none, on: [invalid_output]}
respond: {needs: [s], body: "{{ steps.s.output.label }}"}
""",
        provider,
        tmp_path,
    )
    result = virtual(eng.handle({"id": "e"}))
    assert result.response_body == "yes"
    assert result.attempts[0].kind == "invalid_output"
    assert result.steps["s"].retries == 1


def test_validate_on_fail_actions(virtual, tmp_path):
    flow = """
steps:
  - {id: m, type: model, model: a, prompt: {user: hi}, timeout: 1s,
     output_schema: {type: object, required: [n], properties: {n: {type: integer}}}}
  - id: v
    type: validate
    needs: [m]
    input: "{{ steps.m.output }}"
    rules: [{expr: "input.n > 1000", message: too small}]
    on_fail: ON_FAIL
respond: {needs: [v], body: "{{ steps.v.output }}"}
"""
    default = engine(
        flow.replace("ON_FAIL", "{action: default, value: {n: -1}}"), ScriptedProvider(), tmp_path
    )
    result = virtual(default.handle({"id": "e"}))
    assert result.steps["v"].status == "defaulted"
    assert result.response_body == {"n": -1}

    failing = engine(flow.replace("ON_FAIL", "{action: fail}"), ScriptedProvider(), tmp_path)
    result = virtual(failing.handle({"id": "e"}))
    assert result.response_status == 500 and "too small" in result.error

    outputs = iter(['{"n": 5}', '{"n": 5000}'])
    provider = ScriptedProvider({"a": Behaviour(0.1, content=lambda r: next(outputs))})
    retrying = engine(flow.replace("ON_FAIL", "{action: retry, attempts: 2}"), provider, tmp_path)
    result = virtual(retrying.handle({"id": "e"}))
    assert result.response_body == {"n": 5000}
    assert provider.count("a") == 2
    assert provider.requests[0].seed != provider.requests[1].seed  # a re-run is a new sample


def test_bad_event_is_422_and_check_event_raises(virtual, tmp_path):
    eng = engine(
        "steps: [{id: t, type: transform, output: 1}]\nrespond: {needs: [t], body: ok}\n",
        ScriptedProvider(),
        tmp_path,
    )
    result = virtual(eng.handle({"nope": 1}))
    assert result.response_status == 422 and "id" in result.error
    with pytest.raises(FlowgenError, match="required property"):
        eng.check_event({})


def test_http_step_sends_idempotency_key_resolves_env_and_retries(virtual, tmp_path):
    http = RecordingHttp(statuses=[503, 200])
    eng = Engine(
        flow_from(
            HEAD
            + """
steps:
  - id: page
    type: http
    request: {method: POST, url: "${env:PAGER_URL}/x", headers: {Authorization: "Bearer ${env:TOKEN}"},
              json: {ticket: "{{ event.id }}", to: ["${env:ONCALL_PHONE}"]}}
    timeout: 1s
    retry: {attempts: 2, backoff: exponential, initial: 100ms, max: 1s, jitter: true, on: [server_error]}
    idempotency_key: "{{ event.id }}:page"
respond: {needs: [page], body: "{{ steps.page.output }}"}
"""
        ),
        provider=ScriptedProvider(),
        http=http,
        base_dir=tmp_path,
        environ={"PAGER_URL": "https://pager.example", "TOKEN": "s3cret", "ONCALL_PHONE": "+15550199"},
    )
    result = virtual(eng.handle({"id": "T-1"}))
    assert result.response_body == {"status": 200}
    assert len(http.requests) == 2
    first = http.requests[0]
    assert first["url"] == "https://pager.example/x"
    assert first["headers"]["Idempotency-Key"] == "T-1:page"
    assert first["headers"]["Authorization"] == "Bearer s3cret"
    assert first["json"] == {"ticket": "T-1", "to": ["+15550199"]}  # configuration in the body too
    # The secret and the configured values are never part of what the engine records.
    recorded = json.dumps(result.to_dict()) + json.dumps([a.to_dict() for a in result.attempts])
    assert "s3cret" not in recorded and "+15550199" not in recorded


def test_missing_env_fails_the_step_with_one_line(virtual, tmp_path):
    eng = Engine(
        flow_from(
            HEAD
            + """
steps:
  - {id: page, type: http, request: {url: "${env:NOPE_URL}"}, timeout: 1s}
respond: {needs: [page], body: ok}
"""
        ),
        provider=ScriptedProvider(),
        http=RecordingHttp(),
        base_dir=tmp_path,
        environ={},
    )
    result = virtual(eng.handle({"id": "e"}))
    assert result.response_status == 500
    assert "NOPE_URL is not set" in result.error


def test_circuit_breaker_skips_a_failing_model(virtual, tmp_path):
    failures = [ProviderError("server_error", "down", status=503) for _ in range(20)]
    provider = ScriptedProvider({"a": Behaviour(0.05, errors=failures), "b": Behaviour(0.05)})
    eng = engine(
        """
steps:
  - {id: s, type: model, model: a, fallback: [b], prompt: {user: "{{ event.id }}"}, timeout: 1s}
respond: {needs: [s], body: ok}
""",
        provider,
        tmp_path,
    )

    async def main():
        for i in range(8):
            await eng.handle({"id": f"e{i}"})
        return eng.breakers["a"].state

    state = virtual(main())
    # Five failures open a's circuit; the next events go straight to b.
    assert provider.count("a") == 5
    assert provider.count("b") == 8
    assert state == "open"


def test_routing_records_choice_and_reason(virtual, tmp_path):
    provider = ScriptedProvider()
    eng = engine(
        """
sla: {latency_p95: 1s}
steps:
  - {id: s, type: model, route: {candidates: [a, c], strategy: cheapest-within-deadline},
     prompt: {user: hi}, timeout: 900ms}
respond: {needs: [s], body: ok}
""",
        provider,
        tmp_path,
    )
    result = virtual(eng.handle({"id": "e"}))
    record = result.steps["s"]
    assert record.model == "c"  # gpt-4.1-nano is cheaper and fits
    assert "cheapest within deadline: c" in record.route_reason and "left" in record.route_reason


def test_structural_errors_are_reported_where_the_flow_is_loaded():
    # The engine trusts its flow; the one check is copilot.flow.check, with a position.
    from copilot.flow.load import load_flow_text
    from copilot.run.engine_setup import require_sound

    loaded = load_flow_text(
        HEAD
        + """
steps:
  - {id: x, type: transform, needs: [y], output: 1}
  - {id: y, type: transform, needs: [x], output: 1}
""",
        "loop.yaml",
    )
    with pytest.raises(FlowgenError, match=r"dependency cycle.*\[FG004\]") as caught:
        require_sound(loaded)
    assert caught.value.path == "loop.yaml" and caught.value.position is not None
