"""`flowgen run --provider openai` against loopback servers that act like real ones.

Real HTTP and the real `openai` client (tests/draft/fake_llm.py): a server that answers
400 to `json_schema` (older vLLM, llama.cpp), one that answers 500 with pydantic's message
(llama-cpp-python), one that takes no `response_format` and answers fenced JSON in prose,
a reasoning model that rejects `max_tokens`, and a base URL without `/v1`. Every step of a
two-step flow with `output_schema`s succeeds, and the server's log shows the fallback paid
once: the second step goes straight to what worked. Ollama (issue 17): a catalog id it has
not pulled is one line naming the model and the remedy, exit 2, asked once; with
`--model-override` its fenced answers are read and the cost is unknown.
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


def test_flowgen_test_counts_real_model_calls_and_says_what_the_server_needed(flow_files):
    flow, _event = flow_files
    with FakeLLM(behaviour=llama_cpp_python(ANSWER)) as server:
        args = ["test", flow, "--provider", "openai", "--base-url", server.base_url, "--no-flow-chaos"]
        result = runner.invoke(app, [*args, "--rate", "4/s", "--duration", "1s", "-f", "json"])
    data = json.loads(result.stdout)
    answered = sum(
        1 for body in server.requests if (body.get("response_format") or {}).get("type") != "json_schema"
    )
    assert data["model_calls"] == answered > 0  # the rejected json_schema request is a fallback, not a call
    assert any("using json_object" in note for note in data["notes"])
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
