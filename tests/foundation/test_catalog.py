"""The model catalog: coverage, completeness, snapshots, overrides, `flowgen models`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.catalog import TIERS, default_catalog, load_catalog, resolve_alias
from copilot.errors import FlowgenError
from copilot.flow.load import load_flow_text

from .conftest import MINIMAL_FLOW, flowgen


def test_at_least_twelve_models_from_four_providers() -> None:
    entries = default_catalog().entries()
    assert len(entries) >= 12
    assert len({m.provider for m in entries}) >= 4
    assert {m.tier for m in entries} == set(TIERS)


@pytest.mark.parametrize("profile", default_catalog().entries(), ids=lambda m: m.id)
def test_every_entry_is_complete(profile) -> None:
    assert profile.id == f"{profile.provider}/{profile.model}"
    assert profile.tier in TIERS
    assert 0 < profile.p50 <= profile.p95
    assert profile.input_per_mtok > 0 and profile.output_per_mtok > 0
    assert profile.context_window and profile.context_window >= 8_000
    assert profile.as_of and profile.as_of[:2] == "20"
    assert profile.rpm or profile.tpm or profile.provider == "deepseek"  # deepseek publishes no limits
    assert profile.estimated  # latency figures are labelled as estimates


def test_the_catalog_says_where_its_figures_come_from() -> None:
    catalog = default_catalog()
    assert catalog.as_of
    assert {"price", "context_window", "latency", "limits"} <= set(catalog.sources)
    assert "estimate" in catalog.sources["latency"]


def test_snapshot_ids_resolve_to_the_same_model_pinned() -> None:
    catalog = default_catalog()
    pinned = [m for m in catalog.entries() if m.snapshot]
    assert len(pinned) >= 8
    for floating in pinned:
        snap = catalog.get(f"{floating.provider}/{floating.snapshot}")
        assert snap.model == floating.snapshot and snap.snapshot is None
        assert (snap.tier, snap.p95, snap.input_per_mtok, snap.context_window) == (
            floating.tier,
            floating.p95,
            floating.input_per_mtok,
            floating.context_window,
        )


def test_unknown_ids_suggest_the_closest() -> None:
    with pytest.raises(FlowgenError) as info:
        default_catalog().get("openai/gpt-4o-mni")
    assert "did you mean `openai/gpt-4o-mini`?" in info.value.message


def test_flow_overrides_apply_to_an_alias() -> None:
    text = MINIMAL_FLOW.replace(
        "fast: {use: openai/gpt-4o-mini-2024-07-18}",
        "fast: {use: openai/gpt-4o-mini-2024-07-18, latency: {p50: 1s, p95: 2s},"
        " price: {input_per_mtok: 9, output_per_mtok: 9}, limits: {rpm: 7}, context_window: 9000}",
    )
    spec = load_flow_text(text).flow.models["fast"]
    profile = resolve_alias(spec, default_catalog())
    assert (profile.p50, profile.p95, profile.input_per_mtok, profile.rpm, profile.context_window) == (
        1.0,
        2.0,
        9.0,
        7,
        9000,
    )
    assert profile.estimated is False  # the user's own figures
    assert profile.tpm == default_catalog().get("openai/gpt-4o-mini").tpm  # untouched figures stay


EXTRA = """\
as_of: "2026-11-20"
models:
  - provider: openai
    model: gpt-4o-mini
    tier: fast
    latency: {p50: 111ms, p95: 222ms}
    price: {input_per_mtok: 0.01, output_per_mtok: 0.02}
    context_window: 128000
  - provider: local
    model: llama-3.1-8b-instruct
    tier: fast
    latency: {p50: 80ms, p95: 200ms}
    price: {input_per_mtok: 0.001, output_per_mtok: 0.001}
    context_window: 131072
    limits: {rpm: 600}
"""


def test_an_extra_catalog_extends_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(EXTRA)
    catalog = load_catalog(path)
    assert catalog.get("openai/gpt-4o-mini").p95 == pytest.approx(0.222)
    assert catalog.get("local/llama-3.1-8b-instruct").rpm == 600
    assert catalog.get("anthropic/claude-haiku-4-5").provider == "anthropic"  # the rest is kept
    json_path = tmp_path / "models.json"
    json_path.write_text(json.dumps({"models": [{"provider": "x", "model": "y", "latency": {"p50": "1s"}}]}))
    assert load_catalog(json_path).get("x/y").p50 == 1.0


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("models: nope\n", "a catalog is a mapping with a `models:` list"),
        ("models: [{provider: x}]\n", "invalid catalog entry"),
        ("models: [{provider: x, model: y, latency: {p50: fast}}]\n", "is not a duration"),
        ("models: [1]\n", "each catalog entry is a mapping"),
    ],
)
def test_a_bad_extra_catalog_is_one_clear_error(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(FlowgenError) as info:
        load_catalog(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_flowgen_models_json() -> None:
    run = flowgen("models", "--format", "json")
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["as_of"] and data["sources"]
    rows = data["models"]
    assert len(rows) >= 12
    for row in rows:
        assert set(row) >= {
            "id",
            "provider",
            "tier",
            "latency_p50_ms",
            "latency_p95_ms",
            "latency_is_estimate",
            "input_per_mtok",
            "output_per_mtok",
            "context_window",
            "rpm",
            "tpm",
            "as_of",
        }
    tiers = [r["tier"] for r in rows]
    assert tiers == sorted(tiers, key=["fast", "balanced", "heavy"].index)


def test_flowgen_models_table_and_tier_filter() -> None:
    run = flowgen("models", "--tier", "heavy")
    assert run.code == 0
    assert "openai/gpt-4.1" in run.stdout and "estimates" in run.stdout
    assert "openai/gpt-4o-mini " not in run.stdout
    bad = flowgen("models", "--tier", "huge")
    assert (
        bad.code == 2
        and bad.stderr.strip() == "flowgen: error: --tier must be fast, balanced or heavy, not 'huge'"
    )


def test_flowgen_models_with_an_extra_file(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(EXTRA)
    run = flowgen("models", "--models", str(path), "--format", "json")
    rows = {r["id"]: r for r in json.loads(run.stdout)["models"]}
    assert rows["openai/gpt-4o-mini"]["latency_p95_ms"] == 222
    assert rows["local/llama-3.1-8b-instruct"]["rpm"] == 600
    missing = flowgen("models", "--models", str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and missing.stderr.strip() == f"{tmp_path / 'nope.yaml'}: no such file"


@pytest.mark.parametrize(
    ("spec", "price_from", "sent", "priced"),
    [
        ({"use": "openai/gpt-4o-mini"}, "catalog", "gpt-4o-mini", True),
        ({"use": "openai/gpt-4o-mini"}, "catalog", "llama3.2:3b", False),  # --model-override
        ({"use": "openai/gpt-4o-mini", "model": "qwen2.5:3b"}, None, "qwen2.5:3b", False),
        (
            {
                "use": "openai/gpt-4o-mini",
                "model": "qwen2.5:3b",
                "price": {"input_per_mtok": 0, "output_per_mtok": 0},
            },
            "alias",
            "anything",
            True,
        ),
        ({"provider": "ollama", "model": "qwen2.5:3b"}, None, "qwen2.5:3b", False),
    ],
)
def test_whose_price_an_alias_has_and_for_which_model_it_holds(spec, price_from, sent, priced) -> None:
    """Issue 17: a model the catalog does not price for has an unknown cost, unless the alias prices it."""
    from copilot.flow.models import ModelSpec

    profile = resolve_alias(ModelSpec.model_validate(spec), default_catalog(), "fast")
    assert profile.price_from == price_from
    assert profile.priced_for(sent) is priced
