"""The production-readiness linter (docs/architecture.md, "Rules")."""
