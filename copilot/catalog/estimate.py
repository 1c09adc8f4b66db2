"""Moved to `copilot.flow.estimate`: estimates are flow analysis (docs/architecture.md, "Layers").

Kept only for the importers not yet updated (`copilot.draft.offline`); import from
`copilot.flow.estimate` in new code. Remove this module once nothing imports it.
"""

from __future__ import annotations

from copilot.flow.estimate import HTTP_LATENCY, LOCAL_LATENCY, RETRIEVE_LATENCY, model_profiles

__all__ = ["HTTP_LATENCY", "LOCAL_LATENCY", "RETRIEVE_LATENCY", "model_profiles"]
