"""A whole `flowgen test` run on the engine, in virtual time: latency, attainment, rates, thresholds."""

from __future__ import annotations

import pytest

from copilot.errors import FlowgenError
from copilot.run.loadtest import Recorder, TestOptions, prepare, run_setup, run_tests

from .conftest import EXAMPLES, mini_flow


def run(path, chaos=(), **options):
    return run_setup(prepare(path, TestOptions(chaos=tuple(chaos), virtual_time=True, **options)))


def test_latency_is_measured_from_the_intended_start_so_queueing_counts(write_flow):
    # One slot (concurrency 1), a 100 ms model, an event every 50 ms: event i is due at
    # 50i ms but can only start at 100i ms, so it answers 100 + 50i ms after it was due.
    # A closed-model tool would report 100 ms for every event (coordinated omission).
    path = write_flow(mini_flow(concurrency=1))
    result = run(path)
    lat = result.to_dict()["latency_ms"]
    assert lat["count"] == 10
    assert lat["min"] == pytest.approx(100, rel=1e-3)
    assert lat["max"] == pytest.approx(100 + 50 * 9, rel=1e-3)
    assert lat["p50"] == pytest.approx(100 + 50 * 4, rel=1e-3)
    step = result.to_dict()["steps"][0]
    assert step["latency"]["max"] == pytest.approx(100, rel=1e-3)  # the step itself never slowed down


def test_without_a_concurrency_limit_events_overlap_and_latency_is_flat(write_flow):
    result = run(write_flow(mini_flow()))
    lat = result.to_dict()["latency_ms"]
    assert lat["min"] == pytest.approx(100, rel=1e-3) and lat["max"] == pytest.approx(100, rel=1e-3)
    assert result.to_dict()["sla_attainment"] == 1.0 and result.to_dict()["full_answers"] == 1.0


def test_a_deadline_answer_is_within_the_sla_but_not_a_full_answer(write_flow):
    path = write_flow(mini_flow())
    data = run(path, chaos=["model:main:timeout@0.5"]).to_dict()
    hangs = data["faults_injected"]["model:main:timeout@0.5"]
    assert 0 < hangs < 10
    # The step's 500 ms timeout fires, no fallback: without a retry the hot path fails.
    # With on_deadline the engine answers 202 at the SLA only if the path is still running,
    # so here the failed events are errors, not deadline answers.
    assert data["counts"]["errors"] == hangs
    assert data["sla_attainment"] == pytest.approx((10 - hangs) / 10)

    retrying = write_flow(
        mini_flow(retry="{attempts: 3, backoff: constant, initial: 100ms, on: [timeout]}"), "retrying.yaml"
    )
    data = run(retrying, chaos=["model:main:timeout"]).to_dict()
    # Every call hangs: 500 ms, then a retry that cannot finish before the 1 s SLA: the
    # on_deadline answer (202) goes out, within the SLA, and is not a full answer.
    assert data["counts"]["deadline_answers"] == 10
    assert data["sla_attainment"] == 1.0
    assert data["full_answers"] == 0.0
    assert data["latency_ms"]["max"] <= 1000.5
    assert data["statuses"] == {"202": 10}


def test_without_on_deadline_a_missed_deadline_is_an_error(write_flow):
    path = write_flow(
        mini_flow(on_deadline=False, retry="{attempts: 3, backoff: constant, initial: 100ms, on: [timeout]}")
    )
    data = run(path, chaos=["model:main:timeout"]).to_dict()
    assert data["rates"]["errors"] == 1.0
    assert data["sla_attainment"] == 0.0
    assert data["rates"]["dead_letters"] == 1.0


def test_fallbacks_retries_and_hedges_are_counted(write_flow):
    path = write_flow(mini_flow(fallback=True))
    data = run(path, chaos=["model:main:error:503"]).to_dict()
    assert data["rates"]["fallbacks"] == 1.0
    assert data["steps"][0]["models"] == {"spare": 10}
    # Every call of the primary fails until its circuit breaker opens and stops calling it.
    assert list(data["call_errors"]) == ["server_error"] and 1 <= data["call_errors"]["server_error"] <= 10
    assert data["latency_ms"]["max"] == pytest.approx(200, rel=1e-3)

    retried = write_flow(
        mini_flow(retry="{attempts: 2, backoff: constant, initial: 50ms, on: [server_error]}"), "retried.yaml"
    )
    data = run(retried, chaos=["model:main:error:500@0.5"]).to_dict()
    assert 0 < data["counts"]["retries"] <= data["counts"]["retry_calls"]
    assert data["rates"]["retries"] == data["counts"]["retries"] / 10

    hedged = write_flow(
        mini_flow(fallback=True).replace(
            "    timeout: 500ms", "    timeout: 500ms\n    hedge: {after: 50ms}"
        ),
        "hedged.yaml",
    )
    data = run(hedged, chaos=["model:main:latency:400ms"]).to_dict()
    # The primary now takes 500 ms; the hedge starts at 50 ms and answers at 250 ms.
    assert data["rates"]["hedges_won"] == 1.0
    assert data["latency_ms"]["max"] == pytest.approx(250, rel=1e-3)


def test_thresholds_pass_and_fail_and_say_what_was_measured(write_flow):
    tests = """\
    tests:
      load: {executor: constant-arrival-rate, rate: 20/s, events: 20}
      chaos:
        - {target: "model:main", type: error, status: 503, toxicity: 0.25}
      thresholds:
        latency: ["p(95)<150ms", "max<50"]
        latency{step:reply}: ["p(50)<=101ms", "p(50)<99ms"]
        errors: ["rate<0.01"]
        sla_attainment: ["rate>=0.5"]
        cost_per_event: ["avg<0.01", "max<0.000001"]
        throughput: ["rate>5"]
        retries: ["count<1"]
    """
    result = run(write_flow(mini_flow(tests=tests)))
    verdict = {(t.metric, t.threshold): t.passed for t in result.thresholds}
    assert verdict == {
        ("latency", "p(95)<150ms"): True,
        ("latency", "max<50"): False,  # a bare latency is milliseconds, as in k6
        ("latency{step:reply}", "p(50)<=101ms"): True,  # 100 ms, to HDR precision (3 digits)
        ("latency{step:reply}", "p(50)<99ms"): False,
        ("errors", "rate<0.01"): False,  # 25% of calls fail and nothing retries them
        ("sla_attainment", "rate>=0.5"): True,
        ("cost_per_event", "avg<0.01"): True,
        ("cost_per_event", "max<0.000001"): False,
        ("throughput", "rate>5"): True,
        ("retries", "count<1"): True,
    }
    errors = next(t for t in result.thresholds if t.metric == "errors")
    assert errors.measured == result.rate("errors") > 0
    assert not result.passed


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ('latncy: ["p(95)<1s"]', "unknown threshold metric `latncy`, did you mean `latency`?"),
        ('errors: ["p(95)<0.1"]', "errors is a rate metric, it has no `p(95)`; use rate, count"),
        ('latency: ["p95<1s"]', "is not a threshold"),
        ('cost{step:x}: ["avg<1"]', "unknown threshold metric"),
    ],
)
def test_bad_thresholds_fail_before_the_run_at_their_position(write_flow, thresholds, message):
    text = mini_flow(tests=f"tests:\n  thresholds:\n    {thresholds}")
    path = write_flow(text)
    with pytest.raises(FlowgenError) as info:
        prepare(path)
    assert message in str(info.value)
    assert info.value.position is not None and info.value.position.line == len(text.splitlines())


def test_same_seed_same_results_and_compare_gives_both_flows_the_same_events_and_faults(write_flow):
    tests = """\
    tests:
      load: {executor: burst, rate: 40/s, events: 60, burst: {size: 20, every: 500ms}}
      chaos:
        - {target: "model:main", type: latency, latency: 300ms, jitter: 200ms, toxicity: 0.5}
        - {target: "model:*", type: error, status: 503, toxicity: 0.1}
    """
    a = write_flow(mini_flow(tests=tests, fallback=True), "a.yaml")
    b = write_flow(mini_flow(name="twin", tests="", fallback=True), "b.yaml")
    first = run(a).to_dict()
    again = run(a).to_dict()
    assert first == again
    one, two = run_tests([a, b], TestOptions(virtual_time=True), compare=True)
    # The twin has no tests block of its own: it ran under a.yaml's load and chaos, and
    # as the flows are the same, every event met the same fate.
    left, right = one.to_dict(), two.to_dict()
    assert right["load"] == left["load"] and right["chaos"] == left["chaos"]
    for key in ("latency_ms", "counts", "statuses", "faults_injected", "cost_usd"):
        assert left[key] == right[key], key
    assert left["faults_injected"]["model:main:latency:300ms±200ms@0.5"] > 10


def test_chaos_from_the_command_line_adds_to_the_flow_and_can_replace_it(write_flow):
    tests = 'tests:\n  chaos: [{target: "model:main", type: error, status: 500}]'
    path = write_flow(mini_flow(tests=tests, fallback=True))
    both = prepare(path, TestOptions(chaos=("model:spare:latency:1s",)))
    assert [f.describe() for f in both.faults] == ["model:main:error:500", "model:spare:latency:1s"]
    only = prepare(path, TestOptions(chaos=("model:spare:latency:1s",), flow_chaos=False))
    assert [f.describe() for f in only.faults] == ["model:spare:latency:1s"]


def test_a_chaos_entry_that_cannot_work_is_reported_at_its_position(write_flow):
    tests = 'tests:\n  chaos:\n    - {target: "model:main", type: error}'
    path = write_flow(mini_flow(tests=tests))
    with pytest.raises(FlowgenError, match="needs `status`") as info:
        prepare(path)
    assert info.value.position is not None and info.value.position.line == len(
        mini_flow(tests=tests).splitlines()
    )


def test_per_step_figures_count_runs_and_skips(write_flow):
    text = mini_flow().replace(
        "respond:",
        "  - id: vip\n    type: transform\n    needs: [reply]\n    if: \"{{ event.tier == 'gold' }}\"\n"
        "    output: {vip: true}\nrespond:",
    )
    data = run(write_flow(text), events=60).to_dict()
    vip = next(s for s in data["steps"] if s["id"] == "vip")
    assert vip["runs"] + vip["statuses"].get("skipped", 0) == 60
    assert 5 < vip["runs"] < 55  # the generator varies the enum: gold only some of the time
    assert vip["hot_path"] is False  # respond does not need it


def test_a_condition_on_an_event_number_the_example_never_reaches_still_runs_both_ways(write_flow):
    # The example's text never says "refund" and its score (1-5) never exceeds 4 by much:
    # the branch values from the conditions make both sides of both steps run.
    text = mini_flow().replace(
        "respond:",
        '  - id: top\n    type: transform\n    if: "{{ event.score | default(0) > 4 }}"\n'
        "    output: {top: true}\n"
        "  - id: refund\n    type: transform\n    if: \"{{ event.text == 'refund' }}\"\n"
        "    output: {refund: true}\nrespond:",
    )
    data = run(write_flow(text), events=200).to_dict()
    steps = {s["id"]: s for s in data["steps"]}
    for name in ("top", "refund"):
        assert 10 < steps[name]["runs"] < 190, (name, steps[name]["runs"])


def test_the_recorder_keeps_histograms_not_events():
    import tracemalloc

    from copilot.flow.load import load_flow_text
    from copilot.run.records import EventResult, StepRecord

    flow = load_flow_text(mini_flow(), "f.yaml").flow
    recorder = Recorder(flow, 1.0, 0.1)

    def feed(n, offset):
        for i in range(n):
            result = EventResult(response_status=200, latency=0.1, cost=0.0001)
            result.steps["reply"] = StepRecord("reply", status="ok", start=0.0, end=0.1 + i % 7 / 100)
            at = offset + i % 2000 / 1000  # the run's windows are bounded by its planned duration
            recorder.response(result, 0.1 + i % 13 / 100, at, at)
            recorder.done(result)

    feed(2000, 0.0)  # windows 0..19 now exist: growth after this is per-event memory
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    feed(20_000, 0.0)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert recorder.events == 22_000
    assert grown < 200_000  # 20,000 events kept as lists would take megabytes


def test_the_hardened_example_meets_its_sla_under_the_design_chaos_and_the_naive_one_does_not():
    # The example's tests block: 300 events at 50/s with bursts of 100, 500±300 ms on half
    # the fast-model calls, 5% 503s on every model, 2% hangs of the fast model.
    hardened, naive = run_tests(
        [str(EXAMPLES / "support-triage.yaml"), str(EXAMPLES / "naive-support-triage.yaml")],
        TestOptions(virtual_time=True),
        compare=True,
    )
    good, bad = hardened.to_dict(), naive.to_dict()
    assert good["events"] == bad["events"] == 300
    assert good["latency_ms"]["p95"] <= good["sla_ms"]
    # Attainment counts every response within the SLA, the designed 202 `on_deadline`
    # answer included; full answers (the 200 with the model's answer) are reported apart.
    assert good["sla_attainment"] >= 0.99
    assert good["full_answers"] >= 0.95
    # The chaos really lands on the hot path's model (the fast alias), not on a spare one.
    assert good["faults_injected"]["model:fast:latency:500ms±300ms@0.5"] > 100
    assert hardened.passed
    assert bad["sla_attainment"] < 0.99
    assert not naive.passed


def test_a_call_that_hangs_without_a_timeout_is_cancelled_at_the_drain_limit(write_flow):
    # An async step with no timeout: every response goes out, the hung calls go on after it
    # until the drain limit cancels them.
    with_async = mini_flow().replace(
        "respond:",
        "  - id: notes\n    type: model\n    mode: async\n    needs: [reply]\n    model: spare\n"
        "    prompt: {user: hi}\n    max_tokens: 5\nrespond:",
    )
    data = run(write_flow(with_async), chaos=["step:notes:timeout"], drain_limit=30.0).to_dict()
    assert data["full_answers"] == 1.0 and data["counts"]["unfinished"] == 10
    assert data["counts"]["unanswered"] == 0
    notes = next(s for s in data["steps"] if s["id"] == "notes")
    assert notes["runs"] == 10 and notes["statuses"] == {"cancelled": 10}
    assert "FG101" in data["notes"][-1] and "30s" in data["notes"][-1]
    # Without an SLA nothing bounds the hot path either: no event is ever answered.
    no_sla = mini_flow().replace("    timeout: 500ms\n", "").replace("sla: {latency_p95: 1s}\n", "")
    data = run(write_flow(no_sla, "no-sla.yaml"), chaos=["model:main:timeout"], drain_limit=30.0).to_dict()
    assert data["counts"]["unanswered"] == 10 and data["counts"]["responses"] == 0
    assert data["rates"]["errors"] == 1.0
    assert data["outcomes"] == {"no response": 10}
    assert "10 event(s) had no response" in data["notes"][-1]


def test_a_step_threshold_must_name_a_step_and_a_compared_flow_without_it_has_no_data(write_flow):
    bad = write_flow(
        mini_flow(tests='tests:\n  thresholds:\n    latency{step:replay}: ["p(95)<1s"]'), "bad.yaml"
    )
    with pytest.raises(FlowgenError, match=r"no step `replay`, did you mean `reply`\?"):
        prepare(bad)
    tests = "tests:\n  load: {executor: constant-arrival-rate, rate: 10/s, events: 5}\n"
    tests += '  thresholds:\n    latency{step:reply}: ["p(95)<1s"]'
    a = write_flow(mini_flow(tests=tests), "a.yaml")
    b = write_flow(
        mini_flow(name="other", tests="")
        .replace("id: reply", "id: answer")
        .replace("needs: [reply]", "needs: [answer]")
        .replace("steps.reply", "steps.answer"),
        "b.yaml",
    )
    one, two = run_tests([a, b], TestOptions(virtual_time=True), compare=True)
    assert one.thresholds[0].passed and one.thresholds[0].measured is not None
    assert not two.thresholds[0].passed and two.thresholds[0].measured is None


def test_k6_compatible_refuses_units_and_the_default_latency_threshold_is_plain_k6(write_flow):
    from copilot.flow.load import load_flow_text
    from copilot.flow.thresholds import parse_threshold
    from copilot.run.load_thresholds import default_thresholds
    from copilot.run.loadtest import prepare_loaded

    text = mini_flow(tests='tests:\n  thresholds:\n    latency: ["p(95)<1500ms"]')
    path = write_flow(text)
    loaded = load_flow_text(text, str(path))
    assert prepare_loaded(loaded).thresholds  # the unit is flowgen's extension: fine by default
    with pytest.raises(FlowgenError) as refused:
        prepare_loaded(loaded, TestOptions(k6_compatible=True))
    assert refused.value.position is not None
    spec, _ = default_thresholds(loaded.flow)
    for text in spec["latency"]:
        parse_threshold(text, k6_compatible=True)  # k6 itself would accept it


def test_a_delivery_fallback_key_over_many_fields_leaves_their_values_alone(write_flow):
    # "{{ event.id if event.id is defined else [event.temp | default(''), …] | join('|') }}:reply"
    # names no one thing: the numbers it lists keep their type, and every event stays valid
    text = mini_flow().replace(
        "    timeout: 500ms\n",
        "    timeout: 500ms\n"
        "    idempotency_key: \"{{ event.id if event.id is defined else [event.score | default(''), "
        "event.text | default('')] | join('|') }}:reply\"\n",
    )
    data = run(write_flow(text), events=40).to_dict()
    assert data["outcomes"].get("error", 0) == 0, data["outcomes"]
