"""Choosing catalog models for a draft: the tier by cost tier, the cheapest that fits a latency share.

`ModelPicker` also names each chosen model (its alias in `models:`) and finds a fallback
from another provider; `level` trades quality for cost when the draft must fit a budget.
"""

from __future__ import annotations

from typing import Any

from copilot.catalog import COST_TIER_TIERS, Catalog, ModelProfile
from copilot.draft import blocks

# ---------------------------------------------------------------------------- models


class ModelPicker:
    """Catalog choices: tier by cost tier, cheapest that fits a latency share, fallback elsewhere."""

    def __init__(self, catalog: Catalog, cost_tier: str, fallback_model: str | None, level: int) -> None:
        self.catalog = catalog
        self.allowed = COST_TIER_TIERS[cost_tier]
        self.fallback_model = fallback_model
        self.level = level  # 0: preferred; higher levels trade quality for cost (budget fitting)
        self.aliases: dict[str, str] = {}  # catalog id -> alias
        self.specs: dict[str, dict[str, Any]] = {}  # alias -> models: entry

    def _entries(self, tier: str) -> list[ModelProfile]:
        # Only models with known rate limits: an alias without rpm/tpm cannot be sized (FG502);
        # and, where the tier has them, models whose rpm carries the default ingress rate.
        known = [m for m in self.catalog.by_tier((tier,)) if m.rpm or m.tpm]
        roomy = [m for m in known if (m.rpm or 0) >= blocks.DEFAULT_RATE_PER_SECOND * 60]
        return roomy or known

    def choose(self, tier: str, share: float | None) -> ModelProfile:
        entries = self._entries(tier) or self._entries("fast")
        price = lambda m: (m.input_per_mtok + 4 * m.output_per_mtok, m.p95, m.id)
        if share is not None:
            fits = [m for m in entries if m.p95 * blocks.TIMEOUT_HEADROOM <= share]
            if fits:
                return min(fits, key=price)
            return min(entries, key=lambda m: (m.p95, price(m)))
        return min(entries, key=price)

    def fits(self, tier: str, share: float | None) -> bool:
        return share is None or any(m.p95 * blocks.TIMEOUT_HEADROOM <= share for m in self._entries(tier))

    def fallback_for(self, primary: ModelProfile, tiers: tuple[str, ...]) -> ModelProfile | None:
        if self.fallback_model is not None:
            return self.catalog.get(self.fallback_model)
        rank = {"fast": 0, "balanced": 1, "heavy": 2}
        pool = [
            m
            for t in tiers
            for m in self._entries(t)
            if m.provider != primary.provider and (m.context_window or 0) >= (primary.context_window or 0)
        ]
        if not pool:
            return None
        return min(
            pool,
            key=lambda m: (
                abs(rank.get(m.tier, 1) - rank.get(primary.tier, 1)),
                m.input_per_mtok + 4 * m.output_per_mtok,
                m.p95,
                m.id,
            ),
        )

    def alias(self, profile: ModelProfile, role: str) -> str:
        if profile.id in self.aliases:
            return self.aliases[profile.id]
        name = role
        n = 2
        while name in self.specs:
            name, n = f"{role}{n}", n + 1
        self.aliases[profile.id] = name
        use = f"{profile.provider}/{profile.snapshot}" if profile.snapshot else profile.id
        self.specs[name] = {"use": use}
        return name

    def tier_for(self, kind: str, hot: bool) -> str:
        """Fast on the hot path (a writer may be balanced); the best the cost tier allows off it."""
        if hot:
            if kind in ("answer", "reply") and "balanced" in self.allowed and self.level == 0:
                return "balanced"
            return "fast"
        if self.level >= 2:
            return "fast"
        best = self.allowed[-1]
        if self.level == 1 and len(self.allowed) > 1:
            best = self.allowed[-2]
        return best
