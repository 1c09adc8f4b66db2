"""Routing by latency and cost: pick a model per call from what has been observed.

Each model's latency is tracked as an exponentially decaying estimate of the mean and
variance of log-latency (model latencies are close to lognormal), seeded from the
catalog's p50/p95. Its p95 is exp(μ + 1.645σ). Recent calls weigh more, so a model that
slows down loses traffic within a few calls, and one that recovers wins it back.

Price is the catalog's, or the alias's own `price`, and only for the model it prices
(`ModelProfile.priced_for`): an alias that sends another model (its own `model:`, or every
alias under `--model-override`) without a `price` of its own has an unknown cost (issue 17).
`cheapest` and `cheapest-within-deadline` never guess it: candidates with a known price are
compared first, the unknown ones come after them in the order written (so with none priced,
the first healthy candidate is chosen), and the reason names them. A local model that really
costs nothing says so with `price: {input_per_mtok: 0, output_per_mtok: 0}`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from copilot.catalog import ModelProfile
from copilot.flow.units import format_duration

Z95 = 1.6448536269514722  # standard normal 95th percentile
MIN_LATENCY = 1e-4  # log of zero is undefined; a zero-latency simulator reads as 0.1 ms
DEFAULT_DECAY = 0.1  # weight of the newest observation


@dataclass(slots=True)
class LatencyEstimate:
    """Decaying lognormal fit of one model's latency."""

    mu: float
    var: float
    count: int = 0
    # p50 and p95 are worked out when read after a change, not on every observed call.
    _p50: float = field(default=-1.0, repr=False)
    _p95: float = field(default=-1.0, repr=False)

    @classmethod
    def from_percentiles(cls, p50: float, p95: float) -> LatencyEstimate:
        p50 = max(p50, MIN_LATENCY)
        sigma = max(0.0, math.log(max(p95, p50) / p50) / Z95)
        return cls(math.log(p50), sigma * sigma)

    def observe(self, seconds: float, decay: float = DEFAULT_DECAY) -> None:
        x = math.log(seconds if seconds > MIN_LATENCY else MIN_LATENCY)
        diff = x - self.mu
        incr = decay * diff
        self.mu += incr
        # West's incremental update of an exponentially weighted variance.
        self.var = (1.0 - decay) * (self.var + diff * incr)
        self.count += 1
        self._p50 = -1.0

    def _quantiles(self) -> None:
        self._p50 = math.exp(self.mu)
        self._p95 = math.exp(self.mu + Z95 * math.sqrt(max(self.var, 0.0)))

    @property
    def p50(self) -> float:
        if self._p50 < 0:
            self._quantiles()
        return self._p50

    @property
    def p95(self) -> float:
        if self._p50 < 0:
            self._quantiles()
        return self._p95


@dataclass(slots=True)
class RouteDecision:
    """The chosen candidate, the rest in fallback order, and why.

    The figures behind the choice are kept as they were when it was made; the sentence
    (`reason`) is only written when someone reads it, not on every routed call.
    """

    chosen: str
    order: list[str]
    why: tuple[Any, ...]

    @property
    def reason(self) -> str:
        return _explain(*self.why)


def _left(remaining: float | None) -> str:
    return "no deadline" if remaining is None else f"{format_duration(round(remaining, 3))} left"


def _est(alias: str, p95: float) -> str:
    return f"{alias} p95≈{format_duration(round(p95, 3))}"


def _unpriced(names: tuple[str, ...]) -> str:
    return f" (cost unknown, ranked after the priced: {', '.join(names)})" if names else ""


def _explain(
    strategy: str, chosen: str, figure: Any, remaining: Any = None, unpriced: tuple[str, ...] = ()
) -> str:
    if strategy == "fastest":
        return f"fastest: {_est(chosen, figure)} ({_left(remaining)})"
    if strategy == "cheapest":
        if math.isinf(figure):  # no candidate has a known price: nothing to compare
            return f"cheapest: no candidate has a known price ({', '.join(unpriced)}); {chosen} first healthy"
        return f"cheapest: {chosen} ${figure:g}/Mtok in+out{_unpriced(unpriced)}"
    if strategy == "ordered":
        return f"ordered: {chosen} first healthy" + (
            f" (circuit open: {', '.join(figure)})" if figure else ""
        )
    if strategy == "fits":
        return f"cheapest within deadline: {_est(chosen, figure)} ≤ {_left(remaining)}{_unpriced(unpriced)}"
    return f"none fits {_left(remaining)}; fastest: {_est(chosen, figure)}"


class Router:
    """Latency estimates for every model alias of a flow, and the four strategies.

    `sent` is the model every call sends instead of the alias's own (`--model-override`):
    the catalog's price is then not that model's, and only an alias's own `price` counts.
    """

    def __init__(
        self, profiles: dict[str, ModelProfile], decay: float = DEFAULT_DECAY, sent: str | None = None
    ) -> None:
        self.profiles = profiles
        self.decay = decay
        self.estimates = {a: LatencyEstimate.from_percentiles(p.p50, p.p95) for a, p in profiles.items()}
        # Known prices only: an alias missing here costs an unknown amount (`price` is inf).
        self.prices = {
            a: p.input_per_mtok + p.output_per_mtok
            for a, p in profiles.items()
            if p.priced_for(sent or p.model)
        }

    def observe(self, alias: str, seconds: float) -> None:
        estimate = self.estimates.get(alias)
        if estimate is not None:
            estimate.observe(seconds, self.decay)

    def p95(self, alias: str) -> float:
        estimate = self.estimates.get(alias)
        return estimate.p95 if estimate is not None else math.inf

    def p50(self, alias: str) -> float:
        estimate = self.estimates.get(alias)
        return estimate.p50 if estimate is not None else 0.0

    def price(self, alias: str) -> float:
        """USD per Mtok in + out; inf when unknown, so min() ranks it last and keeps the
        written order among the unknown ones (it keeps the first of equal keys)."""
        return self.prices.get(alias, math.inf)

    def unpriced(self, candidates: list[str]) -> tuple[str, ...]:
        """The candidates whose cost is unknown, for the reason."""
        return tuple(c for c in candidates if c not in self.prices)

    def choose(
        self,
        candidates: list[str],
        strategy: str,
        remaining: float | None,
        healthy: Callable[[str], bool] = lambda alias: True,
    ) -> RouteDecision:
        """The candidate `strategy` picks now; `remaining` is the call's time budget."""
        usable = [c for c in candidates if healthy(c)] or list(candidates)
        why: tuple[Any, ...]
        if strategy == "fastest":
            chosen = min(usable, key=self.p95)
            why = ("fastest", chosen, self.p95(chosen), remaining)
        elif strategy == "cheapest":
            chosen = min(usable, key=self.price)
            why = ("cheapest", chosen, self.price(chosen), None, self.unpriced(candidates))
        elif strategy == "ordered":
            chosen = usable[0]
            why = ("ordered", chosen, [c for c in candidates if c not in usable])
        else:  # cheapest-within-deadline
            fits = [c for c in usable if remaining is None or self.p95(c) <= remaining]
            if fits:
                chosen = min(fits, key=self.price)
                why = ("fits", chosen, self.p95(chosen), remaining, self.unpriced(candidates))
            else:
                chosen = min(usable, key=self.p95)
                why = ("none", chosen, self.p95(chosen), remaining)
        order = [chosen, *[c for c in candidates if c != chosen]]
        return RouteDecision(chosen, order, why)


def sent_model(provider: Any) -> str | None:
    """The model every call of `provider` sends instead of its alias's (`--model-override`),
    or None: what `flow_router` is given, on the local engine and in the Temporal workflow."""
    sent = getattr(provider, "model_override", None)
    return sent if isinstance(sent, str) and sent else None


def flow_router(profiles: dict[str, ModelProfile], sent: str | None = None) -> Router:
    """The router of a flow's model aliases: the local engine's (`Engine.router`) and the
    Temporal workflow's (`copilot.temporal.workflow`), one implementation. `sent` is
    `sent_model(provider)`: under a `--model-override` only an alias's own `price` counts,
    so `cheapest` ranks the unpriced after the priced (issue 17)."""
    return Router(profiles, sent=sent)
