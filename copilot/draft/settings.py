"""Where the drafting LLM is: flags, then the environment, then `[tool.flowgen]`.

    [tool.flowgen]                       # pyproject.toml (or top-level keys of .flowgen.toml)
    provider = "auto"                    # auto | offline | openai
    model = "gpt-4o-mini"
    base_url = "http://127.0.0.1:11434/v1"
    api_key = "${env:GROQ_API_KEY}"      # a reference only: a key is never written in a file
    timeout = "60s"
    schema = "compact"                   # compact | full: the wire schema (default: compact on loopback)

The environment is the openai client's own: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, plus
``FLOWGEN_MODEL`` and ``FLOWGEN_SCHEMA`` (compact | full). `--provider auto` picks the LLM
when a key or a base URL is configured anywhere, and the offline drafter otherwise, so
drafting works on a machine with no network.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError
from copilot.flow.units import env_refs, is_env_ref, parse_duration
from copilot.hosts import on_loopback

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 2
DEFAULT_MAX_TOKENS = 8192
_KEYS = {"provider", "model", "base_url", "api_key", "timeout", "max_repairs", "lint", "draft", "schema"}
PROVIDERS = ("auto", "offline", "openai")
SCHEMAS = ("compact", "full")


@dataclass(frozen=True)
class LlmSettings:
    """How to reach the drafting model. `api_key` is never printed: see `describe`."""

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = None
    key_source: str | None = None  # where the key came from, for messages
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    max_tokens: int = DEFAULT_MAX_TOKENS
    schema: str = "full"  # the wire schema: full, or compact (what the model must fill)
    schema_source: str = "default"  # --schema, [tool.flowgen], loopback or default

    @property
    def endpoint(self) -> str:
        return self.base_url or "https://api.openai.com/v1"

    def describe(self) -> dict[str, Any]:
        """For summaries and transcripts: everything but the key itself."""
        return {
            "model": self.model,
            "base_url": self.endpoint,
            "api_key": f"set ({self.key_source})" if self.api_key else "not set",
            "timeout_s": self.timeout,
            "retries": self.retries,
            "max_tokens": self.max_tokens,
            "schema": self.schema,
            "schema_source": self.schema_source,
        }


def resolve_schema(
    schema: str | None, base_url: str | None, cfg: dict[str, Any], where: str, environ: Any
) -> tuple[str, str]:
    """(schema, where it came from): the flag, FLOWGEN_SCHEMA, `[tool.flowgen] schema`, then
    compact for a server on loopback (a small local model), full for any other."""
    if schema is not None:
        source = "--schema"
    elif environ.get("FLOWGEN_SCHEMA"):
        schema, source = environ["FLOWGEN_SCHEMA"], "FLOWGEN_SCHEMA"
    elif cfg.get("schema") is not None:
        schema, source = cfg["schema"], "[tool.flowgen] schema"
    elif on_loopback(base_url):
        return "compact", f"loopback server {base_url}"
    else:
        return "full", "default"
    if schema not in SCHEMAS:
        raise FlowgenError(f"{source} must be compact or full, not {schema!r}", path=where or None)
    return schema, source


def wire_schema(schema: str | None, base_url: str | None) -> str:
    """The schema a draft will send, from the flag, the environment and the config file."""
    found = find_config()
    where, cfg = (str(found[0]), found[1]) if found else ("", {})
    url = base_url or os.environ.get("OPENAI_BASE_URL") or cfg.get("base_url")
    return resolve_schema(schema, url, cfg, where, os.environ)[0]


def find_config(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest `.flowgen.toml` or pyproject.toml with `[tool.flowgen]`, walking up."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        dot = folder / ".flowgen.toml"
        if dot.is_file():
            return dot, _read_toml(dot)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            data = _read_toml(pyproject).get("tool", {}).get("flowgen")
            if isinstance(data, dict):
                return pyproject, data
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FlowgenError(f"invalid TOML: {exc}", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowgenError(f"cannot read: {exc}", path=str(path)) from None


def _config_value(config: dict[str, Any], key: str, where: str) -> Any:
    value = config.get(key)
    if (
        value is not None
        and key in ("model", "base_url", "api_key", "provider")
        and not isinstance(value, str)
    ):
        raise FlowgenError(f"`{key}` must be a string", path=where)
    return value


def resolve_provider(
    provider: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    environ: dict[str, str] | None = None,
    config: tuple[Path, dict[str, Any]] | None = None,
) -> str:
    """`offline` or `openai`: what `--provider auto` means here and now."""
    environ = os.environ if environ is None else environ
    cfg = config[1] if config else {}
    if provider == "auto" and cfg.get("provider") in ("offline", "openai"):
        provider = cfg["provider"]
    if provider not in PROVIDERS:
        raise FlowgenError(f"--provider must be auto, offline or openai, not {provider!r}")
    if provider != "auto":
        return provider
    configured = (
        (api_key or base_url or environ.get("OPENAI_API_KEY") or environ.get("OPENAI_BASE_URL"))
        or cfg.get("api_key")
        or cfg.get("base_url")
    )
    return "openai" if configured else "offline"


def resolve_settings(
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    max_tokens: int | None = None,
    schema: str | None = None,
    environ: dict[str, str] | None = None,
    config: tuple[Path, dict[str, Any]] | None = None,
) -> LlmSettings:
    """Flags beat the environment, which beats the config file."""
    environ = os.environ if environ is None else environ
    where, cfg = (str(config[0]), config[1]) if config else ("", {})
    unknown = sorted(set(cfg) - _KEYS)
    if unknown and where:
        from copilot.errors import did_you_mean

        raise FlowgenError(
            f"`{unknown[0]}`: unknown [tool.flowgen] key{did_you_mean(unknown[0], _KEYS)}", path=where
        )

    key_source = None
    if api_key:
        key_source = "--api-key"
    elif environ.get("OPENAI_API_KEY"):
        api_key, key_source = environ["OPENAI_API_KEY"], "OPENAI_API_KEY"
    elif (ref := _config_value(cfg, "api_key", where)) is not None:
        if not is_env_ref(ref):
            # A key written in a file ends up in git; only a reference is accepted.
            raise FlowgenError(
                'api_key must be a reference like "${env:MY_API_KEY}", never the key itself', path=where
            )
        name = env_refs(ref)[0]
        if not environ.get(name):
            raise FlowgenError(f"api_key refers to ${{env:{name}}}, which is not set", path=where)
        api_key, key_source = environ[name], f"${{env:{name}}} from {Path(where).name}"

    base_url = base_url or environ.get("OPENAI_BASE_URL") or _config_value(cfg, "base_url", where)
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise FlowgenError(f"--base-url must start with http:// or https://, not {base_url!r}")
    if not api_key and not base_url:
        # api.openai.com would answer 401 after a round trip; say what is missing before calling.
        raise FlowgenError("no API key: set OPENAI_API_KEY, or --base-url for a local server")
    model = model or environ.get("FLOWGEN_MODEL") or _config_value(cfg, "model", where) or DEFAULT_MODEL
    if timeout is None and cfg.get("timeout") is not None:
        try:
            raw = cfg["timeout"]
            timeout = float(raw) if isinstance(raw, int | float) else parse_duration(raw)
        except ValueError as exc:
            raise FlowgenError(f"timeout: {exc}", path=where) from None
    if timeout is not None and timeout <= 0:
        raise FlowgenError("--timeout must be positive")
    schema, schema_source = resolve_schema(schema, base_url, cfg, where, environ)
    return LlmSettings(
        model=model,
        base_url=base_url.rstrip("/") if base_url else None,
        api_key=api_key,
        key_source=key_source,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        retries=DEFAULT_RETRIES if retries is None else retries,
        max_tokens=max_tokens or DEFAULT_MAX_TOKENS,
        schema=schema,
        schema_source=schema_source,
    )
