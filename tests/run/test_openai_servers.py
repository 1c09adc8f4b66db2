"""`flowgen run --provider openai` against loopback servers that act like real ones.

Real HTTP and the real `openai` client (tests/draft/fake_llm.py): a server that answers
400 to `json_schema` (older vLLM, llama.cpp), one that answers 500 with pydantic's message
(llama-cpp-python), one that takes no `response_format` and answers fenced JSON in prose,
a reasoning model that rejects `max_tokens`, and a base URL without `/v1`. Every step of a
two-step flow with `output_schema`s succeeds, and the server's log shows the fallback paid
once: the second step goes straight to what worked. Ollama (issue 17): a catalog id it has
not pulled is one line naming the model and the remedy, exit 2, asked once, even by calls
already under way when the first 404 comes back; with `--model-override` its fenced answers
are read and the cost is unknown. llama.cpp's grammar mode (issue 17): the patterns `run`
sends load as a grammar, and a schema no grammar takes falls back to JSON mode. `test`
meets each of these servers too, and routing by price never guesses a local model's cost.
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from typer.testing import CliRunner

from copilot import openai_compat
from copilot.cli import app
from tests.draft.fake_llm import (
    FakeLLM,
    Reply,
    llama_cpp_grammar,
    llama_cpp_python,
    ollama,
    rejects_json_schema,
    rejects_max_tokens,
    text_only,
    v1_only,
    web_page,
)

runner = CliRunner()

ANSWER = json.dumps({"label": "billing", "score": 0.9})
FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: two-steps
trigger:
  type: webhook
  path: /t
  event_schema: {type: object, required: [id], properties: {id: {type: string}}}
models:
  a: {use: openai/gpt-4o-mini}
steps:
  - id: first
    type: model
    model: a
    prompt: {user: "classify {{ event.id }}"}
    max_tokens: 50
    timeout: 5s
    output_schema: &answer
      type: object
      required: [label, score]
      properties:
        label: {type: string}
        score: {type: number}
  - id: second
    type: model
    model: a
    needs: [first]
    prompt: {user: "again {{ steps.first.output.label }}"}
    max_tokens: 50
    timeout: 5s
    output_schema: *answer
respond:
  needs: [second]
  body: {label: "{{ steps.second.output.label }}"}
"""


@pytest.fixture
def flow_files(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")  # a local server takes any key
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    flow = tmp_path / "flow.yaml"
    flow.write_text(textwrap.dedent(FLOW))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"id": "T-1"}))
    return str(flow), str(event)


def run(flow_files, base_url: str):
    flow, event = flow_files
    args = ["run", flow, "--provider", "openai", "--base-url", base_url, "--event", event, "-f", "json"]
    return runner.invoke(app, args)


def steps_ok(result) -> dict:
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    statuses = {s["id"]: s["status"] for s in data["steps"]}
    assert statuses == {"first": "ok", "second": "ok"}, result.output
    assert data["response"]["body"] == {"label": "billing"}
    return data


def formats(server: FakeLLM) -> list[str]:
    return [(body.get("response_format") or {}).get("type", "text") for body in server.requests]


@pytest.mark.parametrize(
    ("behaviour", "sent"),
    [
        # one rejection, then JSON mode for the rest of the run
        (rejects_json_schema, ["json_schema", "json_object", "json_object"]),
        (llama_cpp_python, ["json_schema", "json_object", "json_object"]),
        # two rejections, then text with the JSON taken out of a fenced block
        (text_only, ["json_schema", "json_object", "text", "text"]),
    ],
    ids=["vllm-400", "llama-cpp-python-500", "fenced-text"],
)
def test_format_cascade_is_paid_once(flow_files, behaviour, sent):
    with FakeLLM(behaviour=behaviour(ANSWER)) as server:
        result = run(flow_files, server.base_url)
    steps_ok(result)
    assert formats(server) == sent
    # Where the schema is not enforced, it is said in the system message.
    said = server.requests[-1]["messages"][0]
    assert said["role"] == "system" and '"required":["label","score"]' in said["content"]
    assert "label" not in json.dumps(server.requests[0]["messages"])  # not while strict output works


def test_llama_cpp_python_500_is_not_retried_as_an_outage(flow_files):
    with FakeLLM(behaviour=llama_cpp_python(ANSWER)) as server:
        result = run(flow_files, server.base_url)
    data = steps_ok(result)
    # One call per step as far as the engine knows: the fallback is not a retry.
    assert [s["attempts"] for s in data["steps"]] == [1, 1] and len(server.requests) == 3


def test_max_completion_tokens_for_models_that_reject_max_tokens(flow_files):
    with FakeLLM(behaviour=rejects_max_tokens(ANSWER)) as server:
        result = run(flow_files, server.base_url)
    steps_ok(result)
    limits = [("max_tokens" in b, b.get("max_completion_tokens")) for b in server.requests]
    assert limits == [(True, None), (False, 50), (False, 50)]


def test_base_url_without_v1_is_found_once_with_a_hint(flow_files):
    with FakeLLM(behaviour=v1_only(ANSWER)) as server:
        result = run(flow_files, server.root_url)
        learnt = openai_compat.server(server.root_url, "gpt-4o-mini").learnt
    steps_ok(result)
    assert server.paths == ["/chat/completions", "/v1/chat/completions", "/v1/chat/completions"]
    assert learnt == [f"{server.root_url} answers at {server.base_url}: add /v1 to the base URL"]


def test_a_server_with_no_chat_completions_gets_the_v1_hint(flow_files):
    with FakeLLM(behaviour=web_page(ANSWER)) as server:
        result = run(flow_files, server.root_url)
    assert result.exit_code == 1
    assert "is the base URL the server's OpenAI-compatible /v1 endpoint?" in result.output
    assert server.paths[:2] == ["/chat/completions", "/v1/chat/completions"]


def test_prose_that_holds_no_json_is_still_invalid_output(flow_files):
    def no_json(path: str, body: dict):
        from tests.draft.fake_llm import chat

        return chat("I cannot classify this ticket.")

    with FakeLLM(behaviour=no_json) as server:
        result = run(flow_files, server.base_url)
    assert result.exit_code == 1
    assert "the answer is not JSON" in result.output
    assert formats(server)[0] == "json_schema"


# ---------------------------------------------------------------- a local model (issue 17)


def answers(path: str, body: dict):
    from tests.draft.fake_llm import chat

    return chat(ANSWER, model=body["model"])


def test_a_model_override_has_no_catalog_price_so_its_cost_is_unknown(flow_files):
    flow, event = flow_files
    with FakeLLM(behaviour=answers) as server:
        args = ["run", flow, "--provider", "openai", "--base-url", server.base_url, "--event", event]
        result = runner.invoke(app, [*args, "--model-override", "llama3.2:1b", "-f", "json"])
        text = runner.invoke(app, [*args, "--model-override", "llama3.2:1b"])
    data = steps_ok(result)
    assert data["cost_usd"] is None and [s["cost_usd"] for s in data["steps"]] == [None, None]
    assert {body["model"] for body in server.requests} == {"llama3.2:1b"}
    assert "cost unknown" in text.output and "give the alias its own `price`" in text.output


def test_an_alias_with_its_own_price_is_priced_whatever_it_sends(flow_files):
    flow, event = flow_files
    priced = FLOW.replace(
        "a: {use: openai/gpt-4o-mini}",
        "a: {use: openai/gpt-4o-mini, price: {input_per_mtok: 1.0, output_per_mtok: 2.0}}",
    )
    with open(flow, "w") as handle:
        handle.write(priced)
    with FakeLLM(behaviour=answers) as server:
        args = ["run", flow, "--provider", "openai", "--base-url", server.base_url, "--event", event]
        data = steps_ok(runner.invoke(app, [*args, "--model-override", "llama3.2:1b", "-f", "json"]))
    assert data["cost_usd"] > 0 and all(s["cost_usd"] > 0 for s in data["steps"])


@pytest.mark.parametrize(
    ("behaviour", "used"),
    [(llama_cpp_python, "json_object"), (rejects_json_schema, "json_object"), (text_only, "text")],
    ids=["llama-cpp-python-500", "vllm-400", "fenced-text"],
)
def test_flowgen_test_counts_real_model_calls_and_says_what_the_server_needed(flow_files, behaviour, used):
    flow, _event = flow_files
    with FakeLLM(behaviour=behaviour(ANSWER)) as server:
        args = ["test", flow, "--provider", "openai", "--base-url", server.base_url, "--no-flow-chaos"]
        result = runner.invoke(app, [*args, "--rate", "4/s", "--duration", "1s", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    answered = formats(server).count(used)
    # the rejected requests are the cascade's fallbacks, not calls; each is paid once
    assert data["model_calls"] == answered == len(server.requests) - formats(server).index(used) > 0
    assert data["counts"]["responses"] == data["events"] > 0 and data["call_errors"] == {}
    assert any(f"using {used}" in note for note in data["notes"])
    assert data["cost_usd"]["unknown_events"] == 0 and data["cost_usd"]["total"] is not None


# ---------------------------------------------------------------- Ollama (issue 17)

OLLAMA_404 = (
    'flowgen: error: model `{model}` (alias `a`) was not found at {url} (HTTP 404: model "{model}" not '
    "found, try pulling it first): {remedy}"
)
CATALOG_REMEDY = (
    "send a model the server has: --model-override NAME, or give the alias `a` its own `model` "
    "(and `base_url`); `ollama list` shows the models the server has, `ollama pull NAME` fetches another"
)


def retrying_everything(flow: str) -> None:
    """The flow's steps retry client errors and 404s too: a missing model is still asked once."""
    retry = "    retry: {attempts: 3, backoff: none, on: [client_error, 404, server_error]}\n"
    with open(flow, "w") as handle:
        handle.write(FLOW.replace("    timeout: 5s\n", "    timeout: 5s\n" + retry))


@pytest.mark.parametrize("command", ["run", "test"])
def test_ollama_without_the_catalog_model_is_one_line_exit_2_asked_once(flow_files, command):
    flow, event = flow_files
    retrying_everything(flow)
    with FakeLLM(behaviour=ollama(ANSWER)) as server:
        args = [command, flow, "--provider", "openai", "--base-url", server.base_url]
        if command == "run":
            args += ["--event", event]
        else:
            # an event every 0.5 s: the first one's 404 is back before the second is due
            args += ["--rate", "2/s", "--duration", "2s", "--no-flow-chaos"]
        result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 2, result.output
    expected = OLLAMA_404.format(model="gpt-4o-mini", url=server.base_url, remedy=CATALOG_REMEDY)
    assert result.stderr.strip() == expected and result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    assert [body["model"] for body in server.requests] == ["gpt-4o-mini"]  # no retry, no second event


@pytest.mark.parametrize(
    ("chosen_by", "remedy"),
    [
        ("override", "pass a --model-override the server has"),
        ("alias", "set the `model` of alias `a` to one the server has"),
    ],
)
def test_ollama_without_the_chosen_model_says_to_pull_it(flow_files, chosen_by, remedy):
    flow, event = flow_files
    override = []
    if chosen_by == "override":
        override = ["--model-override", "qwen2.5:3b"]
    else:
        with open(flow, "w") as handle:
            handle.write(
                FLOW.replace("{use: openai/gpt-4o-mini}", "{use: openai/gpt-4o-mini, model: 'qwen2.5:3b'}")
            )
    with FakeLLM(behaviour=ollama(ANSWER)) as server:
        args = ["run", flow, "--provider", "openai", "--base-url", server.root_url, "--event", event]
        result = runner.invoke(app, [*args, *override])
    assert result.exit_code == 2
    expected = OLLAMA_404.format(model="qwen2.5:3b", url=server.base_url, remedy=remedy)
    assert result.stderr.strip() == expected + ", or fetch it with `ollama pull qwen2.5:3b`"
    assert server.paths == ["/chat/completions", "/v1/chat/completions"]  # found at /v1, not "no API here"


def test_ollama_fenced_answers_are_read_by_run_and_test(flow_files):
    flow, event = flow_files
    with FakeLLM(behaviour=ollama(ANSWER)) as server:
        common = ["--provider", "openai", "--base-url", server.base_url, "--model-override", "llama3.2:1b"]
        ran = runner.invoke(app, ["run", flow, *common, "--event", event, "-f", "json"])
        sent_by_run = len(server.requests)
        load = ["--rate", "4/s", "--duration", "1s", "--no-flow-chaos", "-f", "json"]
        tested = runner.invoke(app, ["test", flow, *common, *load])
        sent_by_test = len(server.requests) - sent_by_run
        text = runner.invoke(app, ["test", flow, *common, *load[:-2]])
    data = steps_ok(ran)
    assert data["cost_usd"] is None and sent_by_run == 2
    # Ollama took json_schema without enforcing it: no fallback, the JSON came out of the fence.
    assert {(body.get("response_format") or {}).get("type") for body in server.requests} == {"json_schema"}
    assert tested.exit_code == 0, tested.output
    report = json.loads(tested.stdout)
    assert report["model_calls"] == sent_by_test > 0
    assert report["cost_usd"]["total"] is None and report["cost_usd"]["unknown_events"] == sent_by_test // 2
    assert text.exit_code == 0
    assert re.search(
        r"cost per event +│ unknown \(\d+ event\(s\) called a model with no price\)", text.output
    )
    assert re.search(r"cost in total +│ unknown ", text.output)


# ------------------------------------------------ calls already under way (issue 17)

PARALLEL = """\
apiVersion: flowgen/v1
kind: Flow
name: side-by-side
trigger: {type: webhook, path: /t}
models:
  a: {use: openai/gpt-4o-mini}
steps:
  - {id: left, type: model, model: a, prompt: {user: "left"}, max_tokens: 50, timeout: 5s,
     output_schema: {type: object, required: [label], properties: {label: {type: string}}}}
  - {id: right, type: model, model: a, prompt: {user: "right"}, max_tokens: 50, timeout: 5s,
     output_schema: {type: object, required: [label], properties: {label: {type: string}}}}
respond:
  needs: [left, right]
  body: {left: "{{ steps.left.output.label }}", right: "{{ steps.right.output.label }}"}
"""


def slowly(behaviour, delay: float):
    """`behaviour`, every answer `delay` seconds late: calls overlap as with a real model."""

    def slow(path: str, body: dict) -> Reply:
        reply = behaviour(path, body)
        reply.delay = delay
        return reply

    return slow


def parallel_flow(flow_files) -> tuple[str, str]:
    flow, event = flow_files
    with open(flow, "w") as handle:
        handle.write(PARALLEL)
    return flow, event


def test_steps_side_by_side_send_nothing_more_after_a_model_not_found(flow_files):
    flow, event = parallel_flow(flow_files)
    with FakeLLM(behaviour=slowly(ollama(ANSWER), 0.3)) as server:
        args = ["run", flow, "--provider", "openai", "--base-url", server.base_url, "--event", event]
        result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    expected = OLLAMA_404.format(model="gpt-4o-mini", url=server.base_url, remedy=CATALOG_REMEDY)
    assert result.stderr.strip() == expected
    # `left` and `right` start together: one of them asks, the other waits for the answer
    assert [body["model"] for body in server.requests] == ["gpt-4o-mini"]


def test_events_in_flight_send_nothing_more_after_a_model_not_found(flow_files):
    flow, _event = flow_files
    with FakeLLM(behaviour=slowly(ollama(ANSWER), 0.4)) as server:
        args = ["test", flow, "--provider", "openai", "--base-url", server.base_url, "--no-flow-chaos"]
        # an event every 50 ms: 8 events have started before the first 404 is back
        result = runner.invoke(app, [*args, "--rate", "20/s", "--duration", "2s", "-f", "json"])
    assert result.exit_code == 2, result.output
    expected = OLLAMA_404.format(model="gpt-4o-mini", url=server.base_url, remedy=CATALOG_REMEDY)
    assert result.stderr.strip() == expected and result.stdout == ""
    assert [body["model"] for body in server.requests] == ["gpt-4o-mini"]


def test_steps_side_by_side_pay_a_format_fallback_once(flow_files):
    flow, event = parallel_flow(flow_files)
    with FakeLLM(behaviour=slowly(llama_cpp_python(ANSWER), 0.2)) as server:
        args = ["run", flow, "--provider", "openai", "--base-url", server.base_url, "--event", event]
        result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["response"]["body"] == {"left": "billing", "right": "billing"}
    # not json_schema twice: the second call waited for the first one's answer
    assert formats(server) == ["json_schema", "json_object", "json_object"]


def test_once_the_server_has_answered_calls_go_side_by_side(flow_files):
    flow, _event = flow_files
    with FakeLLM(behaviour=slowly(answers, 0.5)) as server:
        common = ["--provider", "openai", "--base-url", server.base_url, "--model-override", "llama3.2:1b"]
        load = ["--rate", "10/s", "--duration", "1s", "--no-flow-chaos", "-f", "json"]
        result = runner.invoke(app, ["test", flow, *common, *load])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model_calls"] == len(server.requests) == 2 * data["events"] == 20
    # 20 calls of 0.5 s one after the other would take 10 s: only the very first went alone
    assert data["wall_time_s"] < 4


# ---------------------------------------------------------- llama.cpp's grammar mode (issue 17)


def label_pattern(flow: str, pattern: str) -> None:
    """The flow's answer schema with a `pattern` on `label` (in the one anchored schema)."""
    with open(flow, "w") as handle:
        handle.write(FLOW.replace("label: {type: string}", f"label: {{type: string, pattern: '{pattern}'}}"))


def sent_patterns(server: FakeLLM) -> set[str]:
    return {
        body["response_format"]["json_schema"]["schema"]["properties"]["label"]["pattern"]
        for body in server.requests
        if formats(server)[0] == "json_schema" and "json_schema" in (body.get("response_format") or {})
    }


@pytest.mark.parametrize("command", ["run", "test"])
def test_llama_cpp_grammar_mode_loads_the_patterns_flowgen_sends(flow_files, command):
    flow, event = flow_files
    label_pattern(flow, r"^\w+\.?$")  # escapes llama.cpp's converter copies as text
    with FakeLLM(behaviour=llama_cpp_grammar(ANSWER)) as server:
        args = [command, flow, "--provider", "openai", "--base-url", server.base_url, "-f", "json"]
        args += (
            ["--event", event]
            if command == "run"
            else ["--rate", "4/s", "--duration", "1s", "--no-flow-chaos"]
        )
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    if command == "run":
        steps_ok(result)
    else:
        data = json.loads(result.stdout)
        assert data["model_calls"] == len(server.requests) > 0 and data["call_errors"] == {}
    # the grammar loaded every time: strict output, the pattern in character classes
    assert set(formats(server)) == {"json_schema"}
    assert sent_patterns(server) == {"^[A-Za-z0-9_]+[.]?$"}


def test_a_schema_no_grammar_takes_falls_back_to_json_mode_and_is_still_checked(flow_files):
    flow, event = flow_files
    label_pattern(flow, r"^(?!spam)[a-z]+$")  # a lookahead: no grammar converter takes it
    args = ["run", flow, "--provider", "openai", "--event", event, "-f", "json"]
    with FakeLLM(behaviour=llama_cpp_grammar(ANSWER)) as server:
        data = steps_ok(runner.invoke(app, [*args, "--base-url", server.base_url]))
    # "failed to parse grammar" (HTTP 500) is a capability answer: JSON mode, once, not retried
    assert formats(server) == ["json_schema", "json_object", "json_object"]
    assert [s["attempts"] for s in data["steps"]] == [1, 1]
    # the schema as written, lookahead included, is said to the model and checks its answer
    assert "(?!spam)" in server.requests[-1]["messages"][0]["content"]
    spam = json.dumps({"label": "spammy", "score": 0.9})
    with FakeLLM(behaviour=llama_cpp_grammar(spam)) as server:
        result = runner.invoke(app, [*args, "--base-url", server.base_url])
    assert result.exit_code == 1
    first = json.loads(result.stdout)["steps"][0]
    assert first["status"] == "failed" and "does not match" in json.dumps(first), first


# ------------------------------------------------- routing by price with a local model (issue 17)

ROUTED = """\
apiVersion: flowgen/v1
kind: Flow
name: routed
trigger: {type: webhook, path: /t}
models:
  local: {use: openai/gpt-4o-mini, model: 'llama3.2:1b', base_url: 'URL'LOCAL_PRICE}
  cloud: {use: openai/gpt-4o}
steps:
  - {id: pick, type: model, route: {candidates: [local, cloud], strategy: STRATEGY},
     prompt: {user: "classify"}, max_tokens: 50, timeout: 5s}
respond: {needs: [pick], body: {ok: true}}
"""


@pytest.mark.parametrize("strategy", ["cheapest", "cheapest-within-deadline"])
@pytest.mark.parametrize("local_price", ["", ", price: {input_per_mtok: 0, output_per_mtok: 0}"])
def test_routing_by_price_never_guesses_a_local_models_cost(flow_files, strategy, local_price):
    flow, event = flow_files
    with FakeLLM(behaviour=answers) as server:
        text = ROUTED.replace("URL", server.base_url).replace("STRATEGY", strategy)
        with open(flow, "w") as handle:
            handle.write(text.replace("LOCAL_PRICE", local_price))
        args = ["run", flow, "--provider", "openai", "--base-url", server.base_url, "--event", event]
        result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    reason = json.loads(result.stdout)["steps"][0]["route_reason"]
    sent = [body["model"] for body in server.requests]
    if local_price:  # its own price (free): compared, and cheaper than gpt-4o
        assert sent == ["llama3.2:1b"] and "(cost unknown" not in reason
    else:  # not at gpt-4o-mini's rates: unknown, ranked after the priced gpt-4o, and said
        assert sent == ["gpt-4o"]
        assert reason.startswith("cheapest") and reason.endswith(
            "(cost unknown, ranked after the priced: local)"
        )


def test_routing_by_price_under_a_model_override_compares_only_own_prices(flow_files):
    flow, event = flow_files
    with FakeLLM(behaviour=answers) as server:
        text = ROUTED.replace("URL", server.base_url).replace("STRATEGY", "cheapest")
        with open(flow, "w") as handle:
            handle.write(text.replace("LOCAL_PRICE", ""))
        args = ["run", flow, "--provider", "openai", "--base-url", server.base_url, "--event", event]
        result = runner.invoke(app, [*args, "--model-override", "qwen2.5:3b", "-f", "json"])
    assert result.exit_code == 0, result.output
    reason = json.loads(result.stdout)["steps"][0]["route_reason"]
    # neither alias has a price for qwen2.5:3b: nothing to compare, the first in order goes
    assert reason == "cheapest: no candidate has a known price (local, cloud); local first healthy"
    assert [body["model"] for body in server.requests] == ["qwen2.5:3b"]


# ------------------------------------------------ what the spans say was sent (issue 17)


@pytest.mark.parametrize("chosen_by", ["override", "alias"])
def test_spans_name_the_model_sent_to_the_local_server(flow_files, tmp_path, chosen_by):
    flow, event = flow_files
    override = ["--model-override", "llama3.2:1b"] if chosen_by == "override" else []
    if chosen_by == "alias":
        with open(flow, "w") as handle:
            handle.write(
                FLOW.replace("{use: openai/gpt-4o-mini}", "{use: openai/gpt-4o-mini, model: 'llama3.2:1b'}")
            )
    trace = tmp_path / "spans.jsonl"
    with FakeLLM(behaviour=ollama(ANSWER)) as server:
        args = ["run", flow, "--provider", "openai", "--base-url", server.base_url, "--event", event]
        result = runner.invoke(app, [*args, *override, "--trace", str(trace), "-f", "json"])
    steps_ok(result)
    spans = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
    chats = [s for s in spans if s["attributes"].get("gen_ai.operation.name") == "chat"]
    assert len(chats) == 2 == len(server.requests)
    assert {s["name"] for s in chats} == {"chat llama3.2:1b"}
    assert {s["attributes"]["gen_ai.request.model"] for s in chats} == {"llama3.2:1b"}
