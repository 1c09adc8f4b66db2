"""The model catalog: provider, tier, latency, price, context window and limits per model.

The packaged `catalog.json` is the default; users extend or override it with `--models
FILE` (JSON or YAML, same shape) and per flow with `models:` aliases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError, did_you_mean
from copilot.flow.units import parse_duration

_DATA = Path(__file__).with_name("catalog.json")

TIERS = ("fast", "balanced", "heavy")
# Which tiers each `--cost-tier` of `flowgen draft` may use (docs/architecture.md, "Catalog").
COST_TIER_TIERS = {
    "economy": ("fast",),
    "standard": ("fast", "balanced"),
    "premium": ("fast", "balanced", "heavy"),
}


@dataclass(frozen=True)
class ModelProfile:
    """Everything flowgen knows about one model, after overrides."""

    id: str
    provider: str
    model: str
    tier: str = "balanced"
    p50: float = 1.0  # seconds
    p95: float = 3.0
    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    context_window: int | None = None
    max_output_tokens: int | None = None
    rpm: int | None = None
    tpm: int | None = None
    snapshot: str | None = None
    as_of: str | None = None
    estimated: bool = True  # latency figures are estimates unless the user overrode them
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # Whose prices these are: the catalog's (for `model` only), the alias's own `price` (for
    # whatever it sends), or None: the alias names a model the catalog does not price.
    price_from: str | None = "catalog"

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        """USD for one call."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6

    def priced_for(self, model: str) -> bool:
        """True when the prices hold for `model` as sent (a `--model-override` may send another)."""
        return self.price_from == "alias" or (self.price_from == "catalog" and model == self.model)


@dataclass(frozen=True)
class Catalog:
    """A set of model profiles by id (``provider/model``)."""

    models: dict[str, ModelProfile]
    as_of: str | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, model_id: str) -> ModelProfile:
        try:
            return self.models[model_id]
        except KeyError:
            raise FlowgenError(
                f"`{model_id}` is not in the model catalog{did_you_mean(model_id, self.models)} "
                "(see `flowgen models`, or add it with --models FILE)"
            ) from None

    def __contains__(self, model_id: object) -> bool:
        return model_id in self.models

    def by_tier(self, tiers: tuple[str, ...]) -> list[ModelProfile]:
        """Floating entries of the given tiers (snapshots are not listed twice)."""
        return [m for m in self.entries() if m.tier in tiers]

    def entries(self) -> list[ModelProfile]:
        """Each model once: the floating entries, whose `snapshot` names the dated pin."""
        pinned = {f"{m.provider}/{m.snapshot}" for m in self.models.values() if m.snapshot}
        return [m for m in self.models.values() if m.id not in pinned]

    def merged(self, other: Catalog) -> Catalog:
        return Catalog({**self.models, **other.models}, self.as_of, self.sources)


def _profile(entry: dict[str, Any], as_of: str | None, where: str) -> ModelProfile:
    try:
        provider = entry["provider"]
        model = entry["model"]
        latency = entry.get("latency") or {}
        price = entry.get("price") or {}
        limits = entry.get("limits") or {}
        return ModelProfile(
            id=entry.get("id") or f"{provider}/{model}",
            provider=provider,
            model=model,
            tier=entry.get("tier", "balanced"),
            p50=parse_duration(latency.get("p50", "1s")),
            p95=parse_duration(latency.get("p95", "3s")),
            input_per_mtok=float(price.get("input_per_mtok", 0.0)),
            output_per_mtok=float(price.get("output_per_mtok", 0.0)),
            context_window=entry.get("context_window"),
            max_output_tokens=entry.get("max_output_tokens"),
            rpm=limits.get("rpm"),
            tpm=limits.get("tpm"),
            snapshot=entry.get("snapshot"),
            as_of=entry.get("as_of", as_of),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FlowgenError(f"invalid catalog entry in {where}: {exc}") from None


def _parse(data: Any, where: str) -> Catalog:
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise FlowgenError(f"{where}: a catalog is a mapping with a `models:` list")
    as_of = data.get("as_of")
    profiles = {}
    for entry in data["models"]:
        if not isinstance(entry, dict):
            raise FlowgenError(f"{where}: each catalog entry is a mapping")
        profile = _profile(entry, as_of, where)
        profiles[profile.id] = profile
        if profile.snapshot and profile.snapshot != profile.model:
            # A dated snapshot is the same model pinned: `use: openai/gpt-4o-mini-2024-07-18`.
            pinned = replace(
                profile, id=f"{profile.provider}/{profile.snapshot}", model=profile.snapshot, snapshot=None
            )
            profiles.setdefault(pinned.id, pinned)
    return Catalog(profiles, as_of, data.get("sources") or {})


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with flowgen."""
    return _parse(json.loads(_DATA.read_text(encoding="utf-8")), "the packaged catalog")


def load_catalog(extra: str | Path | None = None) -> Catalog:
    """The default catalog, extended or overridden by `extra` (JSON or YAML)."""
    base = default_catalog()
    if extra is None:
        return base
    from copilot.flow.document import load_document

    path = str(extra)
    if path.endswith(".json"):
        from copilot.flow.document import read_text

        try:
            data = json.loads(read_text(path))
        except json.JSONDecodeError as exc:
            raise FlowgenError(f"invalid JSON: {exc.msg}", path=path, position=None) from None
    else:
        data = load_document(path).data
    try:
        return base.merged(_parse(data, path))
    except FlowgenError as exc:
        raise (exc.located(path) if exc.path is None else exc) from None


def resolve_alias(spec: Any, catalog: Catalog, alias: str = "") -> ModelProfile:
    """The profile of a flow's model alias (`ModelSpec`): catalog entry plus overrides."""
    if spec.use is not None:
        base = catalog.get(spec.use)
    else:
        model_id = f"{spec.provider}/{spec.model}"
        base = catalog.models.get(model_id) or ModelProfile(
            id=model_id, provider=spec.provider, model=spec.model, price_from=None
        )
    changes: dict[str, Any] = {}
    if spec.price is not None:
        changes["price_from"] = "alias"
    elif (spec.model is not None and spec.model != base.model) or (
        spec.provider is not None and spec.provider != base.provider
    ):
        changes["price_from"] = None  # another model than the catalog entry priced: unknown
    if spec.provider is not None:
        changes["provider"] = spec.provider
    if spec.model is not None:
        changes["model"] = spec.model
    if spec.tier is not None:
        changes["tier"] = spec.tier
    if spec.latency is not None:
        changes.update(p50=spec.latency.p50, p95=spec.latency.p95, estimated=False)
    if spec.price is not None:
        changes.update(input_per_mtok=spec.price.input_per_mtok, output_per_mtok=spec.price.output_per_mtok)
    if spec.context_window is not None:
        changes["context_window"] = spec.context_window
    if spec.limits is not None:
        if spec.limits.rpm is not None:
            changes["rpm"] = spec.limits.rpm
        if spec.limits.tpm is not None:
            changes["tpm"] = spec.limits.tpm
    return replace(base, **changes) if changes else base
