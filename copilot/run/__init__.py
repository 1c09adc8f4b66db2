"""The local engine: providers, resilience, RAG, telemetry, load tests."""
