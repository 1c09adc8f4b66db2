"""One engine set-up for `flowgen run` and `flowgen test` (and the drafter's own test).

A flow from the user is checked once, where it is loaded (`require_sound`: the
structural problems of `copilot.flow.check`, reported with their positions); the engine
trusts it after that and does not check again. Then the provider is chosen by name
(`choose_provider`) and the engine built (`engine_for`), with the engine's own errors
(a dead-letter path outside the flow's folder, a source that cannot be read) placed in
the flow file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError

PROVIDERS = ("sim", "openai")


def require_sound(loaded: Any) -> None:
    """Raise the first structural problem of a loaded flow (unknown needs, cycles, duplicate
    ids, templates that do not parse, unknown models) as one positioned error.

    Every path that builds an engine from a user's flow calls this first.
    """
    from copilot.flow.check import structural_problems

    problems = structural_problems(loaded)
    if problems:
        first = problems[0]
        raise FlowgenError(f"{first.message} [{first.code}]", path=loaded.path, position=first.position)


def choose_provider(
    name: str,
    *,
    seed: int,
    latency_scale: float = 1.0,
    base_url: str | None = None,
    model_override: str | None = None,
) -> Any:
    """The model provider called `name`: the simulator, or any OpenAI-compatible server."""
    if name == "sim":
        from copilot.run.providers.sim import SimProvider

        return SimProvider(seed, latency_scale=latency_scale)
    if name == "openai":
        from copilot.run.providers.openai import OpenAIProvider

        return OpenAIProvider(base_url=base_url, model_override=model_override)
    raise FlowgenError(f"--provider must be {' or '.join(PROVIDERS)}, not {name!r}")


def require_models_found(provider: Any) -> None:
    """A model the server does not have is a setup error, not a failed event: one line, exit 2.

    The provider knows (`OpenAIProvider.missing_model`: the model, the server and the remedy).
    """
    missing = getattr(provider, "missing_model", None)
    if missing is not None:
        raise FlowgenError(missing)


def engine_for(loaded: Any, *, provider: Any, base_dir: Path | None = None, **options: Any) -> Any:
    """The engine for a flow that passed `require_sound`; `options` go to `Engine` as they are.

    `base_dir` (where sources and the dead-letter file are resolved) defaults to the flow
    file's folder. An error the engine raises while it is built points into the flow file.
    """
    from copilot.run.engine import Engine
    from copilot.run.rag import SourceError

    if base_dir is None:
        base_dir = Path(loaded.path).resolve().parent
    try:
        return Engine(loaded.flow, provider=provider, base_dir=base_dir, **options)
    except SourceError as exc:
        position = loaded.doc.position(exc.loc) if exc.loc else None
        raise FlowgenError(exc.message, path=loaded.path, position=position) from None
    except FlowgenError as exc:
        raise (exc.located(loaded.path) if exc.path is None else exc) from None
