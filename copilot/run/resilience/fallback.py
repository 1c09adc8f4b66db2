"""The fallback chain: try each candidate model in order until one answers.

A candidate may be skipped (its circuit is open) or the chain may stop early (the next
call cannot fit in what is left of the deadline); the caller decides both through
`may_start`. With a hedge, the first fallback also races the primary (`hedge.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from copilot.run.resilience.hedge import HedgeFailed, hedged

T = TypeVar("T")
Verdict = tuple[Literal["go", "skip", "stop"], str]
GO: Verdict = ("go", "")


@dataclass(slots=True)
class ChainResult(Generic[T]):
    alias: str
    value: T
    index: int  # position of the winner in the chain (0 = primary)
    hedge_won: bool = False
    hedged: bool = False
    errors: list[tuple[str, BaseException | str]] = field(default_factory=list)


class ChainFailed(Exception):
    """Every candidate failed, was skipped, or could not start."""

    def __init__(self, errors: list[tuple[str, BaseException | str]], stopped: str | None = None) -> None:
        self.errors = errors
        self.stopped = stopped  # why the chain stopped early (deadline), if it did
        last = errors[-1][1] if errors else "no candidate"
        super().__init__(stopped or str(last))

    @property
    def last_error(self) -> BaseException | None:
        for _, error in reversed(self.errors):
            if isinstance(error, BaseException):
                return error
        return None


async def run_chain(
    order: list[str],
    call: Callable[[str, bool], Awaitable[T]],
    *,
    may_start: Callable[[str, int], Verdict] = lambda alias, index: GO,
    hedge_after: float | None = None,
    failures: tuple[type[BaseException], ...] = (Exception,),
    loop: Any = None,
) -> ChainResult[T]:
    """Call `call(alias, is_hedge)` down `order` until one succeeds."""
    errors: list[tuple[str, BaseException | str]] = []
    index = 0
    while index < len(order):
        alias = order[index]
        verdict, reason = may_start(alias, index)
        if verdict == "stop":
            raise ChainFailed(errors, stopped=reason)
        if verdict == "skip":
            errors.append((alias, reason))
            index += 1
            continue
        backup_index = _next_startable(order, index + 1) if hedge_after is not None and index == 0 else None
        if backup_index is not None:
            backup = order[backup_index]
            try:
                # Awaited within this iteration, so binding the loop variables late is safe;
                # defaults make that explicit.
                outcome = await hedged(
                    lambda alias=alias: call(alias, False),  # type: ignore[misc]
                    lambda backup=backup: call(backup, True),  # type: ignore[misc]
                    hedge_after,  # type: ignore[arg-type]
                    may_hedge=lambda b=backup, i=backup_index: may_start(b, i)[0] == "go",
                    failures=failures,
                    loop=loop,
                )
            except HedgeFailed as exc:
                errors.append((alias, exc.primary))
                if exc.backup is not None:
                    errors.append((backup, exc.backup))
                    index = backup_index + 1
                else:
                    index += 1
                continue
            won = backup if outcome.hedge_won else alias
            return ChainResult(
                won,
                outcome.value,
                backup_index if outcome.hedge_won else index,
                hedge_won=outcome.hedge_won,
                hedged=outcome.hedged,
                errors=errors,
            )
        try:
            value = await call(alias, False)
        except failures as exc:
            errors.append((alias, exc))
            index += 1
            continue
        return ChainResult(alias, value, index, errors=errors)
    raise ChainFailed(errors)


def _next_startable(order: list[str], start: int) -> int | None:
    return start if start < len(order) else None
