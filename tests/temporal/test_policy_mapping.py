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


def test_jitter_is_the_activity_s_draw_of_the_wait() -> None:
    """Temporal's RetryPolicy has no jitter: a `jitter: true` step's activity sets the wait
    of each retry (`next_retry_delay`) to the local engine's full-jitter draw."""
    import random

    from copilot.run.providers.base import ProviderError
    from copilot.temporal.activities import retry_delay

    jittered = RetryPolicy.from_spec(
        spec(attempts=3, backoff="exponential", initial=1.0, max=8.0, jitter=True)
    )
    error = ProviderError("server_error", "HTTP 503", status=503)
    draws = [retry_delay(jittered, attempt, error, random.Random(7)) for attempt in (1, 2, 3)]
    expected = [jittered.delay(n, random.Random(7)) for n in (0, 1, 2)]
    assert draws == expected
    assert all(0 < d <= bound for d, bound in zip(draws, (1.0, 2.0, 4.0), strict=True))  # type: ignore[operator]
    assert retry_delay(jittered, 4, error) is None  # the last attempt: no retry to wait for
    plain = RetryPolicy.from_spec(spec(attempts=3, backoff="exponential", initial=1.0))
    assert retry_delay(plain, 1, error) is None  # Temporal's own interval
    limited = ProviderError("rate_limit", "HTTP 429", status=429, retry_after=30.0)
    assert retry_delay(plain, 1, limited) == 30.0  # Retry-After, as before
    assert retry_delay(jittered, 1, limited, random.Random(7)) == 30.0  # a floor under the draw
