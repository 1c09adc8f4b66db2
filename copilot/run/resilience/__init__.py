"""Resilience primitives, one module each: timeout, retry, fallback, hedge, breaker,
rate limit, routing and idempotency. Each works on its own with a controllable clock."""
