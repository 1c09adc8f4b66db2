"""The rule families (docs/architecture.md, "Rules"): importing this package registers every rule.

One module per family, each rule a decorated function in it (`copilot.lint.rule`).
"""

from __future__ import annotations

import importlib

from copilot.lint.rule import REGISTRY, Rule

FAMILIES = (
    "structure",  # FG0xx
    "latency",  # FG1xx
    "resilience",  # FG2xx
    "observability",  # FG3xx
    "rag",  # FG4xx
    "limits",  # FG5xx
    "validation",  # FG6xx
    "security",  # FG7xx
    "testing",  # FG8xx
)

for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")


def rules_by_code() -> dict[str, Rule]:
    """Every registered rule by code (FG001 …), the registry itself: do not change it.

    Importing this package has registered every family, so the mapping is complete.
    """
    return REGISTRY


def all_rules() -> list[Rule]:
    """Every registered rule, by code."""
    return [REGISTRY[code] for code in sorted(REGISTRY)]


def find_rule(code_or_name: str) -> Rule | None:
    """A rule by code (case-insensitive) or kebab-case name."""
    key = code_or_name.strip()
    if key.upper() in REGISTRY:
        return REGISTRY[key.upper()]
    return next((r for r in REGISTRY.values() if r.name == key), None)
