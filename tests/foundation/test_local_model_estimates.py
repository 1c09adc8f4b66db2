"""Cost estimates of an alias that sends a local model in a catalog entry's place (issue 17).

The README's recommended alias keeps its catalog entry (`use:`) for latency and routing and
says what it sends (`model:`) and where (`base_url:`). Its cost is then unknown unless it has
its own `price`, in `validate --summary`, `lint` (text, JSON, FG504), `graph` and the draft
summary (a lower bound "≥ $x + unknown for alias …", never a plain figure), as `run` and `test`
report it; a `route` by price ranks it after the priced candidates, as the engine does; a
`base_url` alone (a gateway serving the catalog's own model) keeps the catalog's price.
"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from copilot.catalog import default_catalog
from copilot.flow.graph import analyze
from copilot.flow.load import load_flow, load_flow_text

FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: local
trigger: {type: webhook, path: /t}
models:
  fast: {ALIAS}
  cloud: {use: openai/gpt-4o-mini}
steps:
  - {id: first, type: model, model: fast, prompt: {user: "classify this"}, max_tokens: 100, timeout: 30s}
  - {id: second, type: model, model: cloud, needs: [first], prompt: {user: "again"},
     max_tokens: 100, timeout: 5s}
respond: {needs: [second], body: {ok: true}}
"""
CATALOG = "{use: openai/gpt-4o-mini}"
LOCAL = "{use: openai/gpt-4o-mini, model: 'qwen2.5:3b', base_url: 'http://127.0.0.1:11434/v1'}"
LOCAL_PRICED = (
    "{use: openai/gpt-4o-mini, model: 'qwen2.5:3b', base_url: 'http://127.0.0.1:11434/v1', "
    "price: {input_per_mtok: 1.0, output_per_mtok: 2.0}}"
)
GATEWAY = "{use: openai/gpt-4o-mini, base_url: 'http://127.0.0.1:4000/v1'}"


def flow_text(alias: str) -> str:
    return FLOW.replace("{ALIAS}", alias)


def estimate(alias: str) -> dict:
    return analyze(load_flow_text(flow_text(alias), "f.yaml").flow, default_catalog()).to_dict()


def test_a_local_model_in_a_catalog_entrys_place_has_an_unknown_cost():
    data = estimate(LOCAL)
    assert data["cost_per_event_usd"] is None
    assert data["steps"]["first"]["cost_usd"] is None and data["steps"]["second"]["cost_usd"] > 0
    assert data["unpriced_steps"] == ["first"] and data["unknown_steps"] == []
    # only the cost: the latency still comes from the entry (or the alias's own `latency`)
    assert data["critical_path"]["p95_ms"] == estimate(CATALOG)["critical_path"]["p95_ms"]


def test_the_aliass_own_price_is_used_whatever_it_sends():
    data = estimate(LOCAL_PRICED)
    # 100 output tokens at $2/M, and the prompt's 4 tokens ("classify this") at $1/M
    assert data["steps"]["first"]["cost_usd"] == pytest.approx((4 * 1.0 + 100 * 2.0) / 1e6)
    assert data["unpriced_steps"] == [] and data["cost_per_event_usd"] > data["steps"]["first"]["cost_usd"]


def test_a_base_url_alone_keeps_the_catalog_price():
    """A gateway or proxy at `base_url` serving the catalog's model is billed as that model."""
    assert estimate(GATEWAY)["cost_per_event_usd"] == estimate(CATALOG)["cost_per_event_usd"] > 0


@pytest.fixture
def local_flow(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per summary row
    path = tmp_path / "local.yaml"
    path.write_text(flow_text(LOCAL))
    return str(path)


def test_validate_and_lint_say_unknown_and_why(local_flow):
    from copilot.cli import app

    runner = CliRunner()
    summary = runner.invoke(app, ["validate", local_flow, "--summary"])
    assert summary.exit_code == 0, summary.output
    why = "(`first` sends a model the catalog does not price: give its alias a `price`)"
    assert re.search(r"cost +unknown \(no budget\) " + re.escape(why), summary.output), summary.output
    as_json = json.loads(runner.invoke(app, ["validate", local_flow, "--summary", "-f", "json"]).stdout)
    assert as_json["files"][0]["summary"]["cost_per_event_usd"] is None
    assert as_json["files"][0]["summary"]["unpriced_steps"] == ["first"]
    lint = json.loads(runner.invoke(app, ["lint", local_flow, "-f", "json"]).stdout)
    fg504 = [d["message"] for f in lint["files"] for d in f["findings"] if d["code"] == "FG504"]
    assert fg504 == [
        "no `sla.max_cost_per_event`: the cost per event (unknown: a model sent is not the one the "
        "catalog prices) is unchecked"
    ]
    lint_text = runner.invoke(app, ["lint", local_flow]).output
    assert re.search(r"cost +unknown \(no budget\) " + re.escape(why), lint_text), lint_text


def test_the_graph_shows_no_cost_for_it(local_flow):
    from copilot.graph.model import build_scenario

    scenario = build_scenario(load_flow(local_flow))
    costs = {node.step_id: node.cost for node in scenario.nodes if node.step_id}
    assert scenario.cost_per_event is None
    assert costs["first"] is None and costs["second"] > 0


ROUTED = FLOW.replace(
    "  - {id: first, type: model, model: fast,",
    "  - {id: first, type: model, route: {candidates: [fast, heavy], strategy: cheapest},",
).replace(
    "  cloud: {use: openai/gpt-4o-mini}", "  cloud: {use: openai/gpt-4o-mini}\n  heavy: {use: openai/gpt-4o}"
)


@pytest.mark.parametrize(("alias", "chosen"), [(LOCAL, "heavy"), (LOCAL_PRICED, "fast"), (CATALOG, "fast")])
def test_the_estimated_route_ranks_an_unknown_cost_after_the_priced(alias, chosen):
    """The estimate picks what the engine's router picks: a local model in gpt-4o-mini's place
    is not priced at its rates, so `cheapest` goes to gpt-4o, the only candidate with a price."""
    flow = load_flow_text(ROUTED.replace("{ALIAS}", alias), "f.yaml").flow
    assert analyze(flow, default_catalog()).estimates["first"].model == chosen


def summary_lines(alias: str, budget: float | None = None) -> tuple[dict, str]:
    from io import StringIO

    from rich.console import Console

    from copilot.draft.drafting import DraftOutcome
    from copilot.draft.summary import render_text, summary_data

    text = flow_text(alias)
    if budget is not None:
        text = text.replace("steps:", f"sla: {{max_cost_per_event: {budget}}}\nsteps:", 1)
    flow = load_flow_text(text, "f.yaml").flow
    outcome = DraftOutcome(provider="offline", flow=flow, analysis=analyze(flow, default_catalog()))
    out = StringIO()
    render_text(outcome, Console(file=out, width=200, color_system=None, highlight=False))
    cost = [line for line in out.getvalue().splitlines() if line.startswith("cost ")]
    return summary_data(outcome)["cost"], "\n".join(cost)


def test_the_draft_summary_says_a_partly_known_cost_is_a_lower_bound():
    known = estimate(CATALOG)["steps"]["second"]["cost_usd"]
    data, line = summary_lines(LOCAL)
    # the known part (`second`, gpt-4o-mini) and who is missing; no budget, nothing to exceed
    assert data == {
        "per_event_usd": known,
        "known": False,
        "unknown_aliases": ["fast"],
        "budget_usd": None,
        "fits": True,
    }
    assert line == (
        f"cost       ≥ ${known:.5f}/event + unknown for alias `fast` (no price for the model it sends; "
        "give the alias a `price`)"
    )
    # within the budget so far, but the rest is unknown: neither "fits" nor "over budget"
    data, line = summary_lines(LOCAL, budget=0.01)
    assert data["fits"] is None and line.endswith("vs budget $0.01 fit unknown")
    # the known part alone over the budget: over, whatever the rest costs
    data, line = summary_lines(LOCAL, budget=known / 2)
    assert data["fits"] is False and line.endswith("over budget")
    data, line = summary_lines(CATALOG)
    assert data["known"] is True and re.fullmatch(r"cost       \$0\.\d{5}/event", line)
