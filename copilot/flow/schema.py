"""The flow JSON Schema, generated from the pydantic models.

A copy is committed as `flow.schema.json` beside this module (for editors, for
`check-jsonschema`, and as the modeline target); a test fails when it drifts from the
models. Regenerate it with `flowgen schema --out copilot/flow/flow.schema.json`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_ID = "https://flowgen.dev/schemas/flow-v1.json"
COMMITTED = Path(__file__).with_name("flow.schema.json")
MODELINE_PREFIX = "# yaml-language-server: $schema="
DEFAULT_MODELINE_TARGET = "./flow.schema.json"


@lru_cache(maxsize=1)
def flow_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a flow file."""
    from copilot.flow.models import Flow

    schema = Flow.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    return json.dumps(flow_schema(), indent=2, sort_keys=False) + "\n"


def committed_schema() -> dict[str, Any]:
    """The shipped copy (fast: no model import)."""
    schema: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return schema


def modeline(target: str = DEFAULT_MODELINE_TARGET) -> str:
    return f"{MODELINE_PREFIX}{target}"


def modeline_target_of(text: str) -> str | None:
    """The `$schema=` target of a flow text's modeline (its first line), or None."""
    first = text.split("\n", 1)[0].strip()
    if not first.startswith(MODELINE_PREFIX):
        return None
    target = first[len(MODELINE_PREFIX) :].strip()
    return target or None
