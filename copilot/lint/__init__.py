"""The production-readiness linter (DESIGN §4)."""
