"""A step's `retry:` as Temporal's RetryPolicy, and the activity failures it never retries."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from copilot.run.resilience.retry import RetryPolicy
from copilot.temporal.workflow import activity_retry_policy


def spec(**fields: object) -> SimpleNamespace:
    base = {"attempts": None, "backoff": None, "initial": None, "max": None, "jitter": None, "on": None}
    return SimpleNamespace(**{**base, **fields})


def test_exponential_backoff_and_attempts() -> None:
    policy = RetryPolicy.from_spec(spec(attempts=3, backoff="exponential", initial=0.2, max=2.0))
    temporal = activity_retry_policy(policy)
    assert temporal.maximum_attempts == 4  # the first call and three retries
    assert temporal.initial_interval == timedelta(seconds=0.2)
    assert temporal.backoff_coefficient == 2.0
    assert temporal.maximum_interval == timedelta(seconds=2.0)


def test_4xx_and_invalid_answers_are_not_retried_unless_listed() -> None:
    default = activity_retry_policy(RetryPolicy.from_spec(spec(attempts=2)))
    assert set(default.non_retryable_error_types or ()) == {"client_error", "invalid_output"}
    listed = activity_retry_policy(
        RetryPolicy.from_spec(spec(attempts=2, on=["timeout", "validation_error"]))
    )
    assert "invalid_output" not in (listed.non_retryable_error_types or ())
    assert "server_error" in (listed.non_retryable_error_types or ())


def test_no_retry_block_means_one_attempt() -> None:
    assert activity_retry_policy(RetryPolicy.from_spec(None)).maximum_attempts == 1
